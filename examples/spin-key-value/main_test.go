//go:build !wasip1

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/examples/internal/guestbuild"
	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
	"github.com/spindlekv/spindle/manifest"
)

// wasmDir holds the guest, built once by TestMain, and a compiled-module
// cache shared by the tests' engines.
var wasmDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spin-key-value-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wasmDir = dir
	if err := guestbuild.BuildWasm(context.Background(), ".", filepath.Join(dir, "main.wasm")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newApp loads spin.toml against the built guest and serves it with an
// in-memory default store: the way a user unit-tests a component with
// httptest.
func newApp(tb testing.TB) (http.Handler, kv.Store) {
	tb.Helper()
	toml, err := os.ReadFile("spin.toml")
	if err != nil {
		tb.Fatal(err)
	}
	app, err := manifest.Parse(toml, &manifest.Options{Dir: wasmDir})
	if err != nil {
		tb.Fatal(err)
	}
	engine, err := host.NewEngine(&host.Options{CacheDir: filepath.Join(wasmDir, "cache"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { engine.Close() })
	store := memory.New()
	h, err := httptrigger.New(tb.Context(), app, engine, kv.Stores{"default": store}, &httptrigger.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close(context.Background()) })
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

// TestConcurrentRequests runs many requests at once: each gets its own
// instance of the guest, and every write is read back intact.
func TestConcurrentRequests(t *testing.T) {
	h, _ := newApp(t)
	const workers, perWorker = 8, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				path := fmt.Sprintf("/test/w%d/%d", w, i)
				val := strings.Repeat(path, i+1)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(val)))
				if rec.Code != 200 {
					errs <- fmt.Errorf("POST %s = %d %q", path, rec.Code, rec.Body)
					continue
				}
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 || rec.Body.String() != val {
					errs <- fmt.Errorf("GET %s = %d %q, want %q", path, rec.Code, rec.Body, val)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// benchValue is the 100-byte value both GET benchmarks serve.
var benchValue = []byte(strings.Repeat("0123456789", 10))

// BenchmarkGET serves GET /test/bench from the memory store (a) by a plain
// Go handler, the baseline, and (b) by the standard-Go guest through
// httptrigger: one fresh instance (Go runtime start included) per request.
func BenchmarkGET(b *testing.B) {
	b.Run("native", func(b *testing.B) {
		store := memory.New()
		if err := store.Set(b.Context(), "/test/bench", benchValue); err != nil {
			b.Fatal(err)
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, err := store.Get(r.Context(), r.URL.Path)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Write(v)
		})
		benchGET(b, h)
	})
	b.Run("guest", func(b *testing.B) {
		h, store := newApp(b)
		if err := store.Set(b.Context(), "/test/bench", benchValue); err != nil {
			b.Fatal(err)
		}
		benchGET(b, h)
	})
}

func benchGET(b *testing.B, h http.Handler) {
	req := httptest.NewRequest("GET", "/test/bench", nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.Len() != len(benchValue) {
			b.Fatalf("GET = %d %q", rec.Code, rec.Body)
		}
	}
}
