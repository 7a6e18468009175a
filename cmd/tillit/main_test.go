package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func cmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	data := "--data=" + dir
	out, err := cmd(t, "admin", "create-organisation", data, "--name", "Eksempel kommune", "--kind", "municipality")
	if err != nil || !strings.Contains(out, "organisation 1 created") {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := cmd(t, "admin", "create-organisation", data, "--name", "X", "--kind", "church"); err == nil {
		t.Fatalf("bad kind accepted: %s", out)
	}
	if out, err := cmd(t, "admin", "create-organisation", data, "--name", "Evil\u202e", "--kind", "private"); err == nil {
		t.Fatalf("bidi name accepted: %s", out)
	}
	if _, err := cmd(t, "admin", "create-kindergarten", data, "--organisation", "99", "--name", "Nowhere"); err == nil {
		t.Fatal("kindergarten in a missing organisation accepted")
	}
	if out, err := cmd(t, "admin", "create-kindergarten", data, "--organisation", "1", "--name", "Solsikken"); err != nil || !strings.Contains(out, "kindergarten 1 created") {
		t.Fatalf("%v %s", err, out)
	}
	out, err = cmd(t, "admin", "create-manager", data, "--kindergarten", "1", "--name", "Ingrid Dahl", "--login", "Ingrid")
	if err != nil {
		t.Fatalf("%v %s", err, out)
	}
	pw := regexp.MustCompile(`(?m)^[A-Za-z0-9-]{20,}$`).FindString(out)
	if pw == "" {
		t.Fatalf("no password printed: %s", out)
	}
	if _, err := cmd(t, "admin", "create-manager", data, "--kindergarten", "1", "--name", "Other", "--login", "ingrid"); err == nil {
		t.Fatal("duplicate login accepted")
	}
	out, err = cmd(t, "admin", "reset-password", data, "--login", "INGRID")
	if err != nil || regexp.MustCompile(`(?m)^[A-Za-z0-9-]{20,}$`).FindString(out) == pw {
		t.Fatalf("reset: %v %s", err, out)
	}
	if _, err := cmd(t, "admin", "reset-password", data, "--login", "nobody"); err == nil {
		t.Fatal("reset of a missing login succeeded")
	}
	if out, err := cmd(t, "migrate", data); err != nil || !strings.Contains(out, "applied 0 migrations") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if out, err := cmd(t, "admin", "vapid-keys"); err != nil || !strings.Contains(out, "TILLIT_VAPID_PRIVATE_KEY=") {
		t.Fatalf("vapid-keys: %v %s", err, out)
	}
	if _, err := cmd(t, "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestEnvironmentVariables(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TILLIT_DATA", dir)
	if _, err := cmd(t, "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tillit.db")); err != nil {
		t.Fatalf("TILLIT_DATA not used: %v", err)
	}
	t.Setenv("TILLIT_DATABASE_URL", "mysql://nope")
	if _, err := cmd(t, "migrate"); err == nil {
		t.Fatal("a non-PostgreSQL URL was accepted")
	}
}

// syncBuffer lets the test read what the server prints while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDemoServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, &out, &logs)
	}()
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		base = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(out.String())
	}
	if base == "" {
		cancel()
		t.Fatalf("demo did not start: %s %s", out.String(), logs.String())
	}
	for _, p := range []string{"tesfay", "styrer", "kari", "demo-password"} {
		if !strings.Contains(out.String(), p) {
			t.Errorf("start-up text lacks %q", p)
		}
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	res.Body.Close()
	res, err = http.PostForm(base+"/api/v1/login", nil)
	if err == nil {
		res.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if strings.Contains(logs.String(), "tesfay") || strings.Contains(logs.String(), "Haile") {
		t.Error("the logs contain personal data")
	}
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	data := "--data=" + dir
	cmd(t, "admin", "create-organisation", data, "--name", "K", "--kind", "municipality")
	cmd(t, "admin", "create-kindergarten", data, "--organisation", "1", "--name", "Solsikken")
	example := filepath.Join("..", "..", "docs", "import-example.csv")
	out, err := cmd(t, "import", data, "--kindergarten", "1", example)
	if err != nil || !strings.Contains(out, "children   6 new") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err = cmd(t, "import", data, "--kindergarten", "1", example)
	if err != nil || !strings.Contains(out, "children   0 new") {
		t.Fatalf("second import is not idempotent: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("group;child_ref;child_first_name;child_last_name;child_birth_date\nBlåbær;x1;Ok;Child;2023-01-01\nBlåbær;x2;Bad\u202e;Child;2023-13-45\n"), 0o600)
	out, err = cmd(t, "import", data, "--kindergarten", "1", bad)
	if err == nil || !strings.Contains(out, "line 3") {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	if _, err := cmd(t, "import", data, "--kindergarten", "7", example); err == nil {
		t.Fatal("import into a missing kindergarten succeeded")
	}
}
