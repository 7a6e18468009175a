package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
)

// fakeLibre is a small LibreTranslate server: the documented API
// (POST /translate with JSON, GET /languages, {"error": …} answers with
// 400, 403, 429 and 500) over a tiny word-by-word dictionary, plus faults a
// test can switch on. It is a stand-in for the real server, not a mock of
// our client: it checks what it is sent the way the real one does.
type fakeLibre struct {
	*httptest.Server
	t testing.TB

	apiKey    string // required key; "" accepts any
	charLimit int    // 400 over this many characters; 0 no limit

	mu        sync.Mutex
	langs     []map[string]any // the /languages answer
	fault     string           // see serveTranslate
	requests  []libreRequest   // every accepted POST /translate
	counter   int              // numbers the "numbered" fault's answers
	barrier   int              // with fault "barrier": hold until this many requests wait
	waiting   int
	released  chan struct{}
	translate atomic.Int64 // POST /translate requests, whatever the answer
	languages atomic.Int64 // GET /languages requests
}

// fakeDict is the fake's dictionary: source>target → word → word.
var fakeDict = map[string]map[string]string{
	"nb>en": {"hei": "hello", "husk": "remember", "matpakke": "packed lunch", "i": "in", "morgen": "tomorrow",
		"barnet": "the child", "hadde": "had", "en": "a", "fin": "good", "dag": "day", "og": "and", "regntøy": "rain clothes",
		"vi": "we", "går": "go", "på": "on", "tur": "a trip", "fredag": "friday"},
	"en>nb": {"hello": "hei", "thank": "takk", "you": "deg", "my": "min", "son": "sønn", "is": "er", "sick": "syk"},
	"nb>ar": {"hei": "مرحبا", "husk": "تذكر", "matpakke": "علبة الغداء", "i": "في", "morgen": "غدا"},
	"nb>fa": {"hei": "سلام", "husk": "به یاد داشته باشید", "matpakke": "ناهار"},
	"nb>ku": {"hei": "silav", "husk": "bîr bîne"},
	"ti>nb": {"ሰላም": "hei"},
}

// fakeLanguages is what the fake lists by default: no Tigrinya, Pashto
// or Somali (like many installations), Persian but not Dari, no Kurdish.
func fakeLanguages() []map[string]any {
	codes := []string{"nb", "en", "ar", "fa", "pl", "uk"}
	names := map[string]string{"nb": "Norwegian", "en": "English", "ar": "Arabic", "fa": "Persian", "pl": "Polish", "uk": "Ukranian"}
	var out []map[string]any
	for _, c := range codes {
		out = append(out, map[string]any{"code": c, "name": names[c], "targets": codes})
	}
	return out
}

func newFakeLibre(t testing.TB) *fakeLibre {
	f := &fakeLibre{t: t, langs: fakeLanguages(), released: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/translate", f.serveTranslate)
	mux.HandleFunc("/languages", f.serveLanguages)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.release()
		f.Close()
	})
	return f
}

func (f *fakeLibre) setFault(fault string) {
	f.mu.Lock()
	f.fault = fault
	f.mu.Unlock()
}

func (f *fakeLibre) setLanguages(l []map[string]any) {
	f.mu.Lock()
	f.langs = l
	f.mu.Unlock()
}

func (f *fakeLibre) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.released:
	default:
		close(f.released)
	}
}

func (f *fakeLibre) lastRequest() libreRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		f.t.Fatal("the fake LibreTranslate got no translation request")
	}
	return f.requests[len(f.requests)-1]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeLibre) serveLanguages(w http.ResponseWriter, r *http.Request) {
	f.languages.Add(1)
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Method not allowed"})
		return
	}
	f.mu.Lock()
	langs, fault := f.langs, f.fault
	f.mu.Unlock()
	switch fault {
	case "languages-500":
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Internal error"})
		return
	case "languages-garbage":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>It works!</html>"))
		return
	}
	writeJSON(w, http.StatusOK, langs)
}

func (f *fakeLibre) serveTranslate(w http.ResponseWriter, r *http.Request) {
	f.translate.Add(1)
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Method not allowed"})
		return
	}
	var req libreRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Invalid request: malformed JSON"})
			return
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		req = libreRequest{Q: r.FormValue("q"), Source: r.FormValue("source"), Target: r.FormValue("target"),
			Format: r.FormValue("format"), APIKey: r.FormValue("api_key")}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Invalid request: unsupported content type"})
		return
	}
	for name, v := range map[string]string{"q": req.Q, "source": req.Source, "target": req.Target} {
		if v == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Invalid request: missing " + name + " parameter"})
			return
		}
	}
	if f.apiKey != "" && req.APIKey != f.apiKey {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "Invalid API key"})
		return
	}
	if req.Format != "" && req.Format != "text" && req.Format != "html" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": req.Format + " format is not supported"})
		return
	}
	f.mu.Lock()
	listed := map[string]bool{}
	for _, l := range f.langs {
		listed[l["code"].(string)] = true
	}
	fault := f.fault
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	for _, code := range []string{req.Source, req.Target} {
		if !listed[code] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": code + " is not supported"})
			return
		}
	}
	if n := len([]rune(req.Q)); f.charLimit > 0 && n > f.charLimit {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("Invalid request: request (%d) exceeds text limit (%d)", n, f.charLimit)})
		return
	}
	out := fakeTranslate(req.Q, req.Source+">"+req.Target)
	switch fault {
	case "", "languages-500", "languages-garbage":
	case "429":
		w.Header().Set("Retry-After", "7")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Slowdown: 30 per 1 minute"})
		return
	case "500":
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Cannot translate text: model crashed"})
		return
	case "500-echo": // a careless server that quotes the text in its error
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Cannot translate text: " + req.Q})
		return
	case "502-html":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html><body>Bad gateway</body></html>"))
		return
	case "slow": // answer only when the client gives up (or the test ends)
		select {
		case <-r.Context().Done():
		case <-f.released:
		case <-time.After(30 * time.Second):
		}
		return
	case "barrier": // hold until f.barrier requests wait, then answer each differently
		f.mu.Lock()
		f.waiting++
		if f.waiting >= f.barrier {
			select {
			case <-f.released:
			default:
				close(f.released)
			}
		}
		f.mu.Unlock()
		select {
		case <-f.released:
		case <-time.After(10 * time.Second):
		}
		fallthrough
	case "numbered":
		f.mu.Lock()
		f.counter++
		out = fmt.Sprintf("%s (%d)", out, f.counter)
		f.mu.Unlock()
	case "garbage":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Welcome to nginx!</body></html>"))
		return
	case "wrongtype":
		writeJSON(w, http.StatusOK, map[string]any{"translatedText": 42})
		return
	case "missing":
		writeJSON(w, http.StatusOK, map[string]any{"translation": out})
		return
	case "empty":
		writeJSON(w, http.StatusOK, map[string]any{"translatedText": ""})
		return
	case "invalidutf8":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{\"translatedText\": \"hel\xff\xfelo\"}"))
		return
	case "huge": // under the size limit, over ten times the input
		out = strings.Repeat(out+" ", 200)
	case "toolarge": // over the 1 MiB limit
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"translatedText": "`))
		w.Write(bytes.Repeat([]byte("a"), 2<<20))
		w.Write([]byte(`"}`))
		return
	default:
		f.t.Errorf("unknown fault %q", fault)
	}
	writeJSON(w, http.StatusOK, map[string]string{"translatedText": out})
}

// fakeTranslate translates word by word; unknown words pass through, as
// they do in a real engine.
func fakeTranslate(q, pair string) string {
	dict := fakeDict[pair]
	lines := strings.Split(q, "\n")
	for i, line := range lines {
		words := strings.Fields(line)
		for j, w := range words {
			core := strings.TrimFunc(w, unicode.IsPunct)
			lead := w[:strings.Index(w, core)]
			trail := w[len(lead)+len(core):]
			if tr, ok := dict[strings.ToLower(core)]; ok {
				if r := []rune(core); len(r) > 0 && unicode.IsUpper(r[0]) {
					rt := []rune(tr)
					rt[0] = unicode.ToUpper(rt[0])
					tr = string(rt)
				}
				core = tr
			}
			words[j] = lead + core + trail
		}
		lines[i] = strings.Join(words, " ")
	}
	return strings.Join(lines, "\n")
}

// logBuffer collects log records so a test can check that no text leaked.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// newLibre returns a client for f.
func newLibre(t *testing.T, f *fakeLibre, key string, timeout time.Duration) (*LibreTranslate, *logBuffer) {
	t.Helper()
	log, buf := newLogger()
	c, err := NewLibreTranslate(LibreTranslateConfig{URL: f.URL, APIKey: key, Timeout: timeout, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return c, buf
}
