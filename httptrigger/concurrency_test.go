package httptrigger_test

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// TestConcurrentSQLite sends hundreds of concurrent requests, mixing
// writes and reads, through one handler to one SQLite store and checks
// every answer.
func TestConcurrentSQLite(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := db.Resolve(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Set(t.Context(), "shared", []byte("shared-value")); err != nil {
		t.Fatal(err)
	}
	app := writeApp(t, exampleTOML, map[string]string{"kv.wasm": kvGetWAT})
	h := newHandler(t, app, db, nil)

	const workers = 200
	var wg sync.WaitGroup
	errs := make(chan error, workers*3)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key, val := fmt.Sprintf("/key-%d", i), fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i))
			if w := serve(h, httptest.NewRequest("POST", key, strings.NewReader(val))); w.Code != 200 {
				errs <- fmt.Errorf("POST %s: %d", key, w.Code)
				return
			}
			if w := serve(h, httptest.NewRequest("GET", key, nil)); w.Code != 200 || w.Body.String() != val {
				errs <- fmt.Errorf("GET %s: %d %q, want %q", key, w.Code, w.Body, val)
			}
			if w := serve(h, httptest.NewRequest("GET", "/shared", nil)); w.Code != 200 || w.Body.String() != "shared-value" {
				errs <- fmt.Errorf("GET /shared: %d %q", w.Code, w.Body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range workers {
		v, err := store.Get(t.Context(), fmt.Sprintf("key-%d", i))
		if want := fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i)); err != nil || string(v) != want {
			t.Errorf("store key-%d = %q, %v; want %q", i, v, err, want)
		}
	}
}

// TestSmallPoolQueues sends 20 concurrent requests through an engine with
// two instance slots: requests wait for a slot instead of failing.
func TestSmallPoolQueues(t *testing.T) {
	e, err := host.NewEngine(&host.Options{MaxInstances: 2, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": echoWAT})
	h, err := httptrigger.New(t.Context(), app, e, nil, &httptrigger.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(t.Context())
	const requests = 20
	codes := make(chan int, requests)
	var wg sync.WaitGroup
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- serve(h, httptest.NewRequest("GET", "/x", nil)).Code
		}()
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Errorf("status %d, want 200", code)
		}
	}
}
