package httptrigger_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
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

// gateStore is a real in-memory store whose Get first reports on entered
// and then waits for release to be closed: it holds requests inside their
// guests, so a test decides when instance slots are busy.
type gateStore struct {
	kv.Store
	entered chan struct{}
	release chan struct{}
	// hold makes Get wait for release even after its context ends, so a
	// request keeps its slot and share past its own deadline.
	hold bool
}

func (g *gateStore) Get(ctx context.Context, key string) ([]byte, error) {
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return g.Store.Get(ctx, key)
	case <-ctx.Done():
		if g.hold {
			<-g.release
		}
		return nil, ctx.Err()
	}
}

// TestSmallPoolQueues: with both instance slots of an engine held by
// requests blocked inside their guests, further requests wait for a slot
// instead of failing; one whose context ends while waiting fails with
// 500; once the slots are released every waiting request is answered.
func TestSmallPoolQueues(t *testing.T) {
	e, err := host.NewEngine(&host.Options{MaxInstances: 2, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	mem := memory.New()
	defer mem.Close()
	if err := mem.Set(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	const holders, waiters = 2, 8
	gate := &gateStore{Store: mem, entered: make(chan struct{}, holders+waiters), release: make(chan struct{})}
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(gate.release) }) }
	defer release() // also when the test fails early
	app := writeApp(t, exampleTOML, map[string]string{"kv.wasm": kvGetWAT})
	h, err := httptrigger.New(t.Context(), app, e, kv.Stores{"default": gate}, &httptrigger.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(t.Context())
	type result struct {
		code int
		body string
	}
	results := make(chan result, holders+waiters)
	get := func() {
		w := serve(h, httptest.NewRequest("GET", "/k", nil))
		results <- result{w.Code, w.Body.String()}
	}
	for range holders {
		go get()
	}
	for range holders {
		<-gate.entered // both slots are now held
	}
	for range waiters {
		go get()
	}
	// No slot can free up while the gate is closed, so a request with a
	// short deadline must give up waiting.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if w := serve(h, httptest.NewRequest("GET", "/k", nil).WithContext(ctx)); w.Code != http.StatusInternalServerError {
		t.Errorf("request that could not get a slot: status %d, want 500", w.Code)
	}
	if len(gate.entered) != 0 {
		t.Fatalf("%d requests entered a guest while both slots were held", len(gate.entered))
	}
	release()
	for range holders + waiters {
		if r := <-results; r.code != 200 || r.body != "v" {
			t.Errorf("status %d body %q, want 200 %q", r.code, r.body, "v")
		}
	}
}
