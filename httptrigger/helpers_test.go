package httptrigger_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/manifest"
)

// writeApp writes spin.toml and each WAT guest (compiled to wasm) into a
// temporary directory and loads the manifest.
func writeApp(tb testing.TB, spinTOML string, guests map[string]string) *manifest.App {
	tb.Helper()
	dir := tb.TempDir()
	for name, wat := range guests {
		if err := os.WriteFile(filepath.Join(dir, name), testwasm.Wat(tb, wat), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), []byte(spinTOML), 0o644); err != nil {
		tb.Fatal(err)
	}
	app, err := manifest.Load(dir, nil)
	if err != nil {
		tb.Fatalf("load manifest: %v", err)
	}
	return app
}

// mustWasm compiles WebAssembly text for examples, which have no testing.TB.
func mustWasm(wat string) []byte {
	wasm, err := wasmtime.Wat2Wasm(wat)
	if err != nil {
		panic(err)
	}
	return wasm
}

// sharedEngine is the one engine of the test binary: an engine with the
// pooling allocator reserves a large address range, so tests share it
// rather than making one each.
var sharedEngine *host.Engine

func TestMain(m *testing.M) {
	e, err := host.NewEngine(&host.Options{Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedEngine = e
	code := m.Run()
	e.Close()
	os.Exit(code)
}

// newEngine returns the shared engine.
func newEngine(tb testing.TB) *host.Engine {
	tb.Helper()
	return sharedEngine
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newHandler builds a handler for app, closed when the test ends.
func newHandler(tb testing.TB, app *manifest.App, stores kv.Resolver, opts *httptrigger.Options) *httptrigger.Handler {
	tb.Helper()
	if opts == nil {
		opts = &httptrigger.Options{}
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	h, err := httptrigger.New(tb.Context(), app, newEngine(tb), stores, opts)
	if err != nil {
		tb.Fatalf("httptrigger.New: %v", err)
	}
	tb.Cleanup(func() { h.Close(tb.Context()) })
	return h
}

// serve runs one request through h and returns the recorded response.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// v1App is a one-component v1 manifest with the given base, route and
// extra component lines.
func v1App(base, route, extra string) string {
	return `spin_manifest_version = "1"
name = "test-app"
version = "1.2.3"
trigger = { type = "http", base = "` + base + `" }

[[component]]
id = "guest"
source = "guest.wasm"
` + extra + `
[component.trigger]
route = "` + route + `"
`
}
