package httptrigger_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// TestTimeoutReplacesEngines: Options.Timeout replaces the engine's
// timeout for the handler's requests, longer as well as shorter (it used
// to be capped by the engine's: raising it to 5 min stayed at 30 s); zero
// leaves the engine's, negative means none. The engine's timeout here is
// 1 ns, so a request held to it finds its store call past the deadline
// (kvGetWAT answers 404 when get fails), without any clock in the test.
func TestTimeoutReplacesEngines(t *testing.T) {
	engine, err := host.NewEngine(&host.Options{Timeout: time.Nanosecond, MaxInstances: 4, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	store := memory.New()
	if err := store.Set(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	app := writeApp(t, exampleTOML, map[string]string{"kv.wasm": kvGetWAT})
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		status  int
	}{
		{name: "zero keeps the engine's", timeout: 0, status: 404},
		{name: "longer replaces it", timeout: 5 * time.Minute, status: 200},
		{name: "negative is none", timeout: -1, status: 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := httptrigger.New(t.Context(), app, engine, kv.Stores{"default": store},
				&httptrigger.Options{Timeout: tt.timeout, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close(t.Context())
			if w := serve(h, httptest.NewRequest("GET", "/k", nil)); w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
		})
	}
}

// TestWagiTimeout: a WAGI guest that never returns is stopped at
// Options.Timeout by the same mechanism as the Spin executor's (the
// instance's timeout, enforced by the epoch callback; no
// context.WithTimeout per request), and answered with 500.
func TestWagiTimeout(t *testing.T) {
	app := writeApp(t, v1App("/", "/...", "")+"executor = { type = \"wagi\" }\n", map[string]string{
		"guest.wasm": `(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))`,
	})
	h := newHandler(t, app, nil, &httptrigger.Options{Timeout: 50 * time.Millisecond})
	if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != 500 || w.Body.Len() != 0 {
		t.Errorf("status %d body %q, want 500 empty", w.Code, w.Body)
	}
}
