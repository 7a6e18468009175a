// Package libretest runs a small LibreTranslate server for tests of the
// translation chain's users: GET /languages and POST /translate as the
// LibreTranslate API documents them, "translating" by prefixing the
// target code ("[nb] …"), so a test can tell a translation from the
// original. It is a stand-in server spoken to over real HTTP, not a mock
// of the client (package translate tests its client against a fuller
// fake of its own).
package libretest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync/atomic"
	"testing"
)

// Server is the running server. Down makes POST /translate answer 503;
// Calls counts POST /translate requests.
type Server struct {
	*httptest.Server
	Down  atomic.Bool
	Calls atomic.Int64
}

// New starts a server offering the pairs source → targets and closes it
// when the test ends.
func New(t testing.TB, pairs map[string][]string) *Server {
	s := &Server{}
	var langs []map[string]any
	for src, targets := range pairs {
		langs = append(langs, map[string]any{"code": src, "name": src, "targets": targets})
	}
	sort.Slice(langs, func(i, j int) bool { return langs[i]["code"].(string) < langs[j]["code"].(string) })
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/languages":
			json.NewEncoder(w).Encode(langs)
		case "/translate":
			s.Calls.Add(1)
			if s.Down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				json.NewEncoder(w).Encode(map[string]string{"error": "overloaded"})
				return
			}
			var req struct{ Q, Source, Target string }
			json.NewDecoder(r.Body).Decode(&req)
			json.NewEncoder(w).Encode(map[string]string{"translatedText": "[" + req.Target + "] " + req.Q})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}
