package webpush

// The end-to-end test: a real push service, the npm package web-push-testing
// (installed by `npm ci` from the repository's package.json), which makes
// subscriptions, checks the VAPID token with its own JWT library, decrypts
// messages with its own aes128gcm implementation and hands back what it
// received.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envRequire turns a missing web-push-testing into a failure (CI sets it,
// after `npm ci`); the browser suite uses the same variable.
const envRequire = "TILLIT_REQUIRE_BROWSER"

// loopbackPreload is loaded into node before web-push-testing's server,
// which otherwise listens on every interface: it binds a listen(port) with
// no host to 127.0.0.1.
const loopbackPreload = `'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, ...rest) {
	if (typeof port === 'number' && (rest.length === 0 || typeof rest[0] === 'function')) {
		return listen.call(this, port, '127.0.0.1', ...rest);
	}
	return listen.apply(this, [port, ...rest]);
};
`

// pushTestingServer is a running web-push-testing.
type pushTestingServer struct {
	base   string // http://localhost:PORT, the host its endpoints name
	client *http.Client
}

// startPushTesting runs web-push-testing on a free port of 127.0.0.1 until
// the test ends.
//
// It runs the package's server entry (src/bin/server.js, beside the CLI
// that node_modules/.bin/web-push-testing links to) in the foreground in
// its own process group, rather than `web-push-testing start`: that
// command forks a detached server into another process group, records its
// pid under ./.node-persist and stops it with `ps`; a test could leave it
// running.
func startPushTesting(t *testing.T) *pushTestingServer {
	t.Helper()
	unavailable := func(msg string) {
		t.Helper()
		if os.Getenv(envRequire) != "" {
			t.Fatalf("web-push-testing cannot run: %s [%s is set, so this is an error and not a skip]", msg, envRequire)
		}
		t.Skip("end-to-end push test skipped: " + msg)
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "node_modules", ".bin", "web-push-testing")
	if _, err := os.Stat(bin); err != nil {
		unavailable(fmt.Sprintf("%s is missing (run `npm ci` in the repository root)", bin))
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on the PATH")
	}
	cli, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatalf("resolving %s: %v", bin, err)
	}
	serverJS := filepath.Join(filepath.Dir(cli), "server.js")
	if _, err := os.Stat(serverJS); err != nil {
		t.Fatalf("web-push-testing has no server entry beside its CLI (%s): %v", cli, err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	dir := t.TempDir()
	preload := filepath.Join(dir, "loopback.js")
	if err := os.WriteFile(preload, []byte(loopbackPreload), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--require", preload, serverJS, strconv.Itoa(port))
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting web-push-testing: %v", err)
	}
	exited := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "Server running on port "+strconv.Itoa(port)) {
				close(ready)
				signalled = true
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		// The whole process group: node and anything it started.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("web-push-testing exited before it was ready: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("web-push-testing did not start within a minute\n%s", stderr.String())
	}
	return &pushTestingServer{
		base:   "http://localhost:" + strconv.Itoa(port),
		client: &http.Client{Timeout: 30 * time.Second},
	}
}

// post sends a JSON request to web-push-testing's API and decodes the
// answer's JSON into out, when out is not nil.
func (p *pushTestingServer) post(t *testing.T, path string, in, out any) int {
	t.Helper()
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(http.MethodPost, p.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatalf("web-push-testing %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("web-push-testing %s: %v in %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

// subscribe makes a subscription restricted to the VAPID key
// applicationServerKey, as PushManager.subscribe would, and returns it
// with web-push-testing's handle for it.
func (p *pushTestingServer) subscribe(t *testing.T, applicationServerKey string) (Subscription, string) {
	t.Helper()
	var answer struct {
		Data json.RawMessage `json:"data"`
	}
	if code := p.post(t, "/subscribe", map[string]string{"applicationServerKey": applicationServerKey}, &answer); code != http.StatusOK {
		t.Fatalf("subscribing: status %d", code)
	}
	var handle struct {
		ClientHash string `json:"clientHash"`
	}
	if err := json.Unmarshal(answer.Data, &handle); err != nil || handle.ClientHash == "" {
		t.Fatalf("no clientHash in %s (%v)", answer.Data, err)
	}
	// The rest has the shape of PushSubscription.toJSON().
	sub, err := ParseSubscription(answer.Data)
	if err != nil {
		t.Fatalf("the subscription web-push-testing made: %v", err)
	}
	return sub, handle.ClientHash
}

// messages returns the decrypted messages the subscription received.
func (p *pushTestingServer) messages(t *testing.T, clientHash string) []string {
	t.Helper()
	var answer struct {
		Data struct {
			Messages []string `json:"messages"`
		} `json:"data"`
	}
	if code := p.post(t, "/get-notifications", map[string]string{"clientHash": clientHash}, &answer); code != http.StatusOK {
		t.Fatalf("reading the notifications: status %d", code)
	}
	return answer.Data.Messages
}

func TestSendToWebPushTesting(t *testing.T) {
	p := startPushTesting(t)
	s := newTestSender(t, Config{AllowPrivateNetworks: true})
	s.now = time.Now // web-push-testing checks exp against its own clock
	ctx := context.Background()

	sub, hash := p.subscribe(t, s.PublicKey())
	if !strings.HasPrefix(sub.Endpoint, p.base+"/notify/") {
		t.Fatalf("endpoint %q is not on the test server %s", sub.Endpoint, p.base)
	}

	// What Tillit sends: that there is something new, in the reader's
	// language (Norwegian, Tigrinya, Arabic here).
	payloads := []string{
		`{"title":"Nytt fra barnehagen","url":"/"}`,
		`{"title":"ሓድሽ ካብ መውዓሊ ህጻናት","url":"/"}`,
		`{"title":"جديد من الروضة","url":"/"}`,
		strings.Repeat("ø", MaxPayload/2), // the largest payload, in two-octet characters
	}
	for i, payload := range payloads {
		opts := SendOptions{TTL: time.Hour, Urgency: UrgencyNormal}
		if i == 1 {
			opts = SendOptions{TTL: -1, Urgency: UrgencyHigh, Topic: "tillit-new"}
		}
		res, err := s.Send(ctx, sub, []byte(payload), opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Delivered || res.StatusCode != http.StatusCreated {
			t.Fatalf("push %d: %v (%d): %v", i, res.Outcome, res.StatusCode, res.Err)
		}
	}
	got := p.messages(t, hash)
	if len(got) != len(payloads) {
		t.Fatalf("web-push-testing received %d messages, want %d", len(got), len(payloads))
	}
	for i := range payloads {
		if got[i] != payloads[i] {
			t.Errorf("message %d: received %q, sent %q", i, got[i], payloads[i])
		}
	}

	// A subscription made for another application server's key refuses
	// our token.
	other := newTestSender(t, Config{AllowPrivateNetworks: true})
	foreign, foreignHash := p.subscribe(t, other.PublicKey())
	res, err := s.Send(ctx, foreign, []byte("x"), SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Rejected || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("another key's subscription: %v (%d), want Rejected (400)", res.Outcome, res.StatusCode)
	}
	if n := len(p.messages(t, foreignHash)); n != 0 {
		t.Fatalf("another key's subscription received %d messages", n)
	}

	// The browser withdraws the subscription: the push service answers
	// 410, and the caller learns to delete it.
	if code := p.post(t, "/expire-subscription/"+hash, nil, nil); code != http.StatusOK {
		t.Fatalf("expiring the subscription: status %d", code)
	}
	res, err = s.Send(ctx, sub, []byte(payloads[0]), SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Gone || res.StatusCode != http.StatusGone {
		t.Fatalf("after expiry: %v (%d): %v, want Gone (410)", res.Outcome, res.StatusCode, res.Err)
	}
	if n := len(p.messages(t, hash)); n != len(payloads) {
		t.Fatalf("%d messages after expiry, want still %d", n, len(payloads))
	}
}

// repoRoot walks up from the working directory (the package's, in tests)
// to the directory that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// lockedBuffer collects a child's output from another goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
