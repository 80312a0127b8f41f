package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/examples/internal/guestbuild"
	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
	"github.com/spindlekv/spindle/manifest"
)

// newApp builds this directory's guest into a temp dir, loads spin.toml
// against it and serves it with an in-memory default store: the way a
// user unit-tests a component with httptest.
func newApp(t *testing.T) (http.Handler, kv.Store) {
	t.Helper()
	dir := t.TempDir()
	guestbuild.Build(t, ".", filepath.Join(dir, "main.wasm"))
	toml, err := os.ReadFile("spin.toml")
	if err != nil {
		t.Fatal(err)
	}
	app, err := manifest.Parse(toml, &manifest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := host.NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	store := memory.New()
	h, err := httptrigger.New(t.Context(), app, engine, kv.Stores{"default": store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h, store
}

// TestTutorial replays the tutorial's curl session and more against the
// standard-Go guest, in process.
func TestTutorial(t *testing.T) {
	h, store := newApp(t)
	steps := []struct {
		name, method, path, body string
		wantStatus               int
		wantBody                 string
	}{
		{"POST stores the JSON", "POST", "/test", `{"foo":"bar"}`, 200, ""},
		{"HEAD finds it", "HEAD", "/test", "", 200, ""},
		{"GET returns it", "GET", "/test", "", 200, `{"foo":"bar"}`},
		{"DELETE removes it", "DELETE", "/test", "", 200, ""},
		{"HEAD no longer finds it", "HEAD", "/test", "", 404, ""},
		{"GET of a missing key is 404", "GET", "/test", "", 404, ""},
		{"DELETE of a missing key is 200", "DELETE", "/test", "", 200, ""},
		{"keys are full paths", "POST", "/test/a/b?q=1", "nested", 200, ""},
		{"the query is not part of the key", "GET", "/test/a/b", "", 200, "nested"},
		{"an empty body is a value", "POST", "/test/empty", "", 200, ""},
		{"an empty value reads back", "HEAD", "/test/empty", "", 200, ""},
		{"binary values survive", "POST", "/test/bin", "\x00\xff\x01", 200, ""},
		{"binary values read back", "GET", "/test/bin", "", 200, "\x00\xff\x01"},
		{"PUT is not allowed", "PUT", "/test", "x", 405, "method not allowed\n"},
		{"PATCH is not allowed", "PATCH", "/test", "x", 405, "method not allowed\n"},
		{"outside the base is not routed", "GET", "/other", "", 404, ""},
	}
	for _, s := range steps {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, strings.NewReader(s.body)))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != s.wantStatus || (s.method != "HEAD" && string(body) != s.wantBody) {
			t.Errorf("%s: %s %s = %d %q, want %d %q", s.name, s.method, s.path, rec.Code, body, s.wantStatus, s.wantBody)
		}
	}

	// The guest stored under r.URL.Path, in the "default" store.
	ctx := t.Context()
	if v, err := store.Get(ctx, "/test/a/b"); err != nil || string(v) != "nested" {
		t.Errorf(`store.Get("/test/a/b") = %q, %v`, v, err)
	}
	if _, err := store.Get(ctx, "/test"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf(`store.Get("/test") after DELETE = %v, want kv.ErrNotFound`, err)
	}
	// A value written by the host is visible to the guest.
	if err := store.Set(ctx, "/test/seeded", []byte("from the host")); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/test/seeded", nil))
	if rec.Code != 200 || rec.Body.String() != "from the host" {
		t.Errorf("GET /test/seeded = %d %q", rec.Code, rec.Body)
	}
}

func TestHandlerOutsideGuest(t *testing.T) {
	// Built for the host platform, the key-value module is absent: the
	// handler answers 500 with the reason rather than crashing.
	rec := httptest.NewRecorder()
	handle(rec, httptest.NewRequest("GET", "/test", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "only available in a GOOS=wasip1 guest") {
		t.Errorf("handle outside wasip1 = %d %q", rec.Code, rec.Body)
	}
}
