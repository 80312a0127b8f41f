package httptrigger_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// routesApp has one echo component per route, all sharing guest.wasm.
func routesApp(base string, routes ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "spin_manifest_version = \"1\"\nname = \"routes\"\nversion = \"1\"\ntrigger = { type = \"http\", base = %q }\n", base)
	for i, r := range routes {
		fmt.Fprintf(&b, "\n[[component]]\nid = \"c%d\"\nsource = \"guest.wasm\"\n[component.trigger]\nroute = %q\n", i, r)
	}
	return b.String()
}

// rawRoute returns the spin-raw-component-route the echo guest saw.
func rawRoute(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	lines, _ := echoed(t, w)
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "spin-raw-component-route: "); ok {
			return v
		}
	}
	t.Fatalf("no spin-raw-component-route in %q", lines)
	return ""
}

func TestRoutingPrecedence(t *testing.T) {
	// Manifest order puts the less specific routes first: precedence must
	// not depend on it.
	routes := []string{"/...", "/one/...", "/one/two/...", "/one/two", "/exact", "/exact/..."}
	tests := []struct {
		name, base, path, want string
	}{
		{name: "root to catch-all", base: "/", path: "/", want: "/..."},
		{name: "unknown to catch-all", base: "/", path: "/nope", want: "/..."},
		{name: "wildcard bare prefix", base: "/", path: "/one", want: "/one/..."},
		{name: "wildcard", base: "/", path: "/one/x", want: "/one/..."},
		{name: "longer wildcard wins", base: "/", path: "/one/two/x", want: "/one/two/..."},
		{name: "exact beats wildcards", base: "/", path: "/one/two", want: "/one/two"},
		{name: "exact with one trailing slash", base: "/", path: "/one/two/", want: "/one/two"},
		{name: "exact with two trailing slashes", base: "/", path: "/one/two//", want: "/one/two/..."},
		{name: "exact beats its own wildcard", base: "/", path: "/exact", want: "/exact"},
		{name: "below exact", base: "/", path: "/exact/y", want: "/exact/..."},
		{name: "not a segment prefix", base: "/", path: "/onex", want: "/..."},
		{name: "base applied", base: "/base", path: "/base/one/two", want: "/one/two"},
		{name: "base root", base: "/base", path: "/base", want: "/..."},
		{name: "base wildcard", base: "/base/", path: "/base/one/z", want: "/one/..."},
	}
	handlers := map[string]http.Handler{}
	for _, base := range []string{"/", "/base", "/base/"} {
		app := writeApp(t, routesApp(base, routes...), map[string]string{"guest.wasm": echoWAT})
		handlers[base] = newHandler(t, app, nil, nil)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(handlers[tt.base], httptest.NewRequest("GET", tt.path, nil))
			if got := rawRoute(t, w); got != tt.want {
				t.Errorf("%s (base %s) served by %q, want %q", tt.path, tt.base, got, tt.want)
			}
		})
	}
	t.Run("outside the base is 404", func(t *testing.T) {
		for _, path := range []string{"/", "/one/two", "/basement"} {
			if w := serve(handlers["/base"], httptest.NewRequest("GET", path, nil)); w.Code != 404 || w.Body.Len() != 0 {
				t.Errorf("%s: status %d body %q, want 404 empty", path, w.Code, w.Body)
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	h := echoHandler(t, "/", "/api/...")
	for _, path := range []string{"/", "/apix", "/other/api"} {
		w := serve(h, httptest.NewRequest("GET", path, nil))
		if w.Code != 404 || w.Body.Len() != 0 {
			t.Errorf("%s: status %d body %q, want 404 empty", path, w.Code, w.Body)
		}
	}
}

func TestRoutes(t *testing.T) {
	app := writeApp(t, routesApp("/base", "/...", "/a", "/w/..."), map[string]string{"guest.wasm": echoWAT})
	h := newHandler(t, app, nil, nil)
	want := []httptrigger.Route{
		{Pattern: "/base/...", Raw: "/...", Wildcard: true, Component: "c0", Executor: "spin"},
		{Pattern: "/base/a", Raw: "/a", Component: "c1", Executor: "spin"},
		{Pattern: "/base/w/...", Raw: "/w/...", Wildcard: true, Component: "c2", Executor: "spin"},
	}
	got := h.Routes()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Routes() = %+v, want %+v", got, want)
	}
}

// TestBodyLimit checks that a body over MaxBodyBytes gets 413 and the
// guest is never run (the loop guest would mark the store).
func TestBodyLimit(t *testing.T) {
	store := memory.New()
	app := writeApp(t, v1App("/", "/...", `key_value_stores = ["default"]`), map[string]string{"guest.wasm": loopWAT})
	h := newHandler(t, app, kv.Stores{"default": store}, &httptrigger.Options{MaxBodyBytes: 10})
	tests := []struct {
		name          string
		body          string
		contentLength int64
	}{
		{name: "declared length", body: "01234567890", contentLength: 11},
		{name: "unknown length", body: strings.Repeat("x", 100), contentLength: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			r.ContentLength = tt.contentLength
			if w := serve(h, r); w.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", w.Code)
			}
		})
	}
	if ok, _ := store.Exists(t.Context(), "started"); ok {
		t.Error("the guest ran for a request over the limit")
	}
}

func TestBodyAtLimit(t *testing.T) {
	app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": echoWAT})
	h := newHandler(t, app, nil, &httptrigger.Options{MaxBodyBytes: 10})
	if _, body := echoed(t, serve(h, httptest.NewRequest("POST", "/", strings.NewReader("0123456789")))); body != "0123456789" {
		t.Errorf("body %q", body)
	}
}

// waitStarted polls store until the loop guest has marked it.
func waitStarted(t *testing.T, store kv.Store) {
	t.Helper()
	for {
		if ok, _ := store.Exists(t.Context(), "started"); ok {
			return
		}
		select {
		case <-t.Context().Done():
			t.Fatal("guest never started")
		case <-time.After(time.Millisecond):
		}
	}
}

// TestClientCancelStopsGuest runs a guest that never returns, with a
// request timeout far beyond the test's: only the client's cancellation
// can end it.
func TestClientCancelStopsGuest(t *testing.T) {
	store := memory.New()
	app := writeApp(t, v1App("/", "/...", `key_value_stores = ["default"]`), map[string]string{"guest.wasm": loopWAT})
	h := newHandler(t, app, kv.Stores{"default": store}, &httptrigger.Options{Timeout: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	go func() {
		w := serve(h, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
		done <- w.Code
	}()
	waitStarted(t, store)
	cancel()
	if code := <-done; code != 500 {
		t.Errorf("status %d, want 500", code)
	}
}

func TestTimeout(t *testing.T) {
	store := memory.New()
	app := writeApp(t, v1App("/", "/...", `key_value_stores = ["default"]`), map[string]string{"guest.wasm": loopWAT})
	h := newHandler(t, app, kv.Stores{"default": store}, &httptrigger.Options{Timeout: 50 * time.Millisecond})
	if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != 500 || w.Body.Len() != 0 {
		t.Errorf("status %d body %q, want 500 empty", w.Code, w.Body)
	}
}

// TestCloseWaitsForInFlight: Close must not return while a request runs;
// later requests get 503; once the request ends, Close returns nil.
func TestCloseWaitsForInFlight(t *testing.T) {
	store := memory.New()
	app := writeApp(t, v1App("/", "/...", `key_value_stores = ["default"]`), map[string]string{"guest.wasm": loopWAT})
	h := newHandler(t, app, kv.Stores{"default": store}, &httptrigger.Options{Timeout: time.Hour})
	reqCtx, stopRequest := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(h, httptest.NewRequest("GET", "/", nil).WithContext(reqCtx))
	}()
	waitStarted(t, store)

	closeCtx, giveUp := context.WithCancel(t.Context())
	closed := make(chan error, 1)
	go func() { closed <- h.Close(closeCtx) }()
	// Requests arriving after Close get 503 and never reach the guest.
	for {
		w := serve(h, httptest.NewRequest("GET", "/.well-known/spin/health", nil))
		if w.Code == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(time.Millisecond) // Close has not started yet
	}
	giveUp()
	if err := <-closed; !errors.Is(err, context.Canceled) {
		t.Fatalf("Close returned %v while a request was in flight, want context.Canceled", err)
	}
	stopRequest()
	<-done
	if err := h.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name     string
		toml     string
		guests   map[string]string
		stores   kv.Resolver
		wantIs   error
		contains []string
	}{
		{
			name: "missing wasm file", toml: v1App("/", "/...", ""), guests: nil,
			contains: []string{`component "guest"`, "guest.wasm"},
		},
		{
			name: "invalid wasm", toml: v1App("/", "/...", ""), guests: map[string]string{"guest.wasm": "(module)"},
			contains: []string{`"guest"`, "handle-http-request", "canonical_abi_realloc", "canonical_abi_free"}, wantIs: host.ErrMissingExport,
		},
		{
			name: "no memory export", toml: v1App("/", "/...", ""),
			guests: map[string]string{"guest.wasm": `(module
  (memory $m 1) (export "mem" (memory $m))
  (func (export "memory"))
  (func (export "handle-http-request") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.const 0))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
  (func (export "canonical_abi_free") (param i32 i32 i32)))`},
			contains: []string{`"guest"`, "does not export memory"}, wantIs: host.ErrMissingExport,
		},
		{
			name: "wagi entrypoint missing", toml: v1App("/", "/...", "") + "executor = { type = \"wagi\", entrypoint = \"go\" }\n",
			guests:   map[string]string{"guest.wasm": wagiStaticWAT("_start", "x")},
			contains: []string{`"guest"`, "wagi", "go"}, wantIs: host.ErrMissingExport,
		},
		{
			name: "undefined stores", toml: v1App("/", "/...", `key_value_stores = ["default", "anaspeptic", "pericombobulations"]`),
			guests: map[string]string{"guest.wasm": echoWAT}, stores: kv.Stores{"default": memory.New()},
			contains: []string{"Component guest uses store 'anaspeptic'", "Component guest uses store 'pericombobulations'"},
			wantIs:   httptrigger.ErrUndefinedStore,
		},
		{
			name: "nil resolver", toml: v1App("/", "/...", `key_value_stores = ["default"]`),
			guests:   map[string]string{"guest.wasm": echoWAT},
			contains: []string{"Component guest uses store 'default'"}, wantIs: httptrigger.ErrUndefinedStore,
		},
		{
			name: "route conflict", toml: routesApp("/", "/a", "/b", "/a/"), guests: map[string]string{"guest.wasm": echoWAT},
			contains: []string{`"/a"`, `"/a/"`}, wantIs: httptrigger.ErrRouteConflict,
		},
		{
			name: "unresolvable variable", guests: map[string]string{"guest.wasm": echoWAT},
			toml:     strings.Replace(v1App("/", "/...", "[component.config]\nk = \"{{ needed }}\"\n"), "[[component]]", "[variables]\nneeded = { required = true }\n\n[[component]]", 1),
			contains: []string{"needed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := writeApp(t, tt.toml, tt.guests)
			_, err := httptrigger.New(t.Context(), app, newEngine(t), tt.stores,
				&httptrigger.Options{Logger: quietLogger(), Variables: func(string) (string, bool) { return "", false }})
			if err == nil {
				t.Fatal("New succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not match %v", err, tt.wantIs)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestVariablesFromProvider(t *testing.T) {
	// The echo guest cannot read spin-config, so check that New resolves
	// through Options.Variables and fails without it.
	toml := strings.Replace(v1App("/", "/...", "[component.config]\nk = \"v={{ thing }}\"\n"), "[[component]]", "[variables]\nthing = { required = true }\n\n[[component]]", 1)
	app := writeApp(t, toml, map[string]string{"guest.wasm": echoWAT})
	var asked []string
	var mu sync.Mutex
	_, err := httptrigger.New(t.Context(), app, newEngine(t), nil, &httptrigger.Options{
		Logger: quietLogger(),
		Variables: func(name string) (string, bool) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, name)
			return "x", true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(asked) != "[thing]" {
		t.Errorf("provider asked for %q, want [thing]", asked)
	}
	t.Setenv("SPIN_VARIABLE_THING", "from-env")
	if v, ok := httptrigger.EnvVariables("thing"); !ok || v != "from-env" {
		t.Errorf("EnvVariables = %q, %v", v, ok)
	}
}

// TestCloseHammer closes the handler while many goroutines send requests:
// every request is either served (200) or refused (503), never broken, and
// Close returns once the served ones are done.
func TestCloseHammer(t *testing.T) {
	app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": echoWAT})
	h := newHandler(t, app, nil, nil)
	const workers = 32
	var wg sync.WaitGroup
	var served, refused sync.Map
	start := make(chan struct{})
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for j := 0; ; j++ {
				w := serve(h, httptest.NewRequest("GET", "/", nil))
				switch w.Code {
				case 200:
					served.Store(i, j)
				case http.StatusServiceUnavailable:
					refused.Store(i, j)
					return
				default:
					t.Errorf("status %d", w.Code)
					return
				}
			}
		}()
	}
	close(start)
	for {
		n := 0
		served.Range(func(any, any) bool { n++; return true })
		if n > workers/2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := h.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("after Close: status %d, want 503", w.Code)
	}
}
