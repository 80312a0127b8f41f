package httptrigger_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
	"github.com/spindlekv/spindle/manifest"
)

// exampleTOML is the spin.toml of the examples: one component that stores
// a POSTed body under the request path and returns it on GET.
const exampleTOML = `spin_manifest_version = "1"
name = "kv-demo"
version = "0.1.0"
trigger = { type = "http", base = "/" }

[[component]]
id = "kv"
source = "kv.wasm"
key_value_stores = ["default"]
[component.trigger]
route = "/..."
`

// Example unit-tests a component against an in-memory store: the app
// (here in an fstest.MapFS; an embed.FS works the same) is served by a
// Handler and exercised with httptest.
func Example() {
	ctx := context.Background()
	app, err := manifest.LoadFS(fstest.MapFS{
		"spin.toml": {Data: []byte(exampleTOML)},
		"kv.wasm":   {Data: mustWasm(kvGetWAT)}, // the component, compiled from WebAssembly text
	}, "spin.toml", nil)
	if err != nil {
		panic(err)
	}
	engine, err := host.NewEngine(&host.Options{Logger: quietLogger()})
	if err != nil {
		panic(err)
	}
	defer engine.Close()
	h, err := httptrigger.New(ctx, app, engine, kv.Stores{"default": memory.New()}, &httptrigger.Options{Logger: quietLogger()})
	if err != nil {
		panic(err)
	}
	defer h.Close(ctx)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/greeting", strings.NewReader("hello")))
	fmt.Println("POST", w.Code)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/greeting", nil))
	fmt.Println("GET", w.Code, w.Body.String())
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/missing", nil))
	fmt.Println("GET", w.Code)
	// Output:
	// POST 200
	// GET 200 hello
	// GET 404
}

// TestComponentLikeAUser is what a user writes to unit-test a component
// against the in-memory store.
func TestComponentLikeAUser(t *testing.T) {
	store := memory.New()
	app, err := manifest.LoadFS(fstest.MapFS{"spin.toml": {Data: []byte(exampleTOML)}, "kv.wasm": {Data: mustWasm(kvGetWAT)}}, "spin.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := httptrigger.New(t.Context(), app, sharedEngine, kv.Stores{"default": store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(t.Context())
	store.Set(t.Context(), "greeting", []byte("hi"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/greeting", nil))
	if w.Code != 200 || w.Body.String() != "hi" {
		t.Errorf("GET /greeting = %d %q, want 200 \"hi\"", w.Code, w.Body)
	}
}
