package httptrigger_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/httptrigger"
)

func TestWagiEcho(t *testing.T) {
	toml := v1App("/base", "/cgi/...", `environment = { FROM_MANIFEST = "m" }`) + "executor = { type = \"wagi\" }\n"
	app := writeApp(t, toml, map[string]string{"guest.wasm": wagiEchoWAT})
	h := newHandler(t, app, nil, nil)
	r := httptest.NewRequest("PROPFIND", "http://example.com:8080/base/cgi/x%20y?a=1&b=2", strings.NewReader("stdin bytes\x00\xff"))
	r.RemoteAddr = "10.1.2.3:4567"
	r.Header.Set("X-Custom", "v")
	r.Header.Set("Authorization", "secret")
	w := serve(h, r)
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/plain" {
		t.Fatalf("status %d content-type %q body %q", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	parts := strings.Split(w.Body.String(), "\x01")
	if len(parts) != 3 {
		t.Fatalf("body %q: want argv, env and stdin sections", w.Body)
	}
	argv := strings.Split(strings.TrimSuffix(parts[0], "\x00"), "\x00")
	if want := []string{"/base/cgi/x%20y", "a=1", "b=2"}; !slices.Equal(argv, want) {
		t.Errorf("argv %q, want %q", argv, want)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(parts[1], "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	want := map[string]string{
		"REQUEST_METHOD":        "PROPFIND",
		"QUERY_STRING":          "a=1&b=2",
		"CONTENT_LENGTH":        "13",
		"SCRIPT_NAME":           "/base/cgi",
		"PATH_INFO":             "/x%20y",
		"PATH_TRANSLATED":       "/x y",
		"SERVER_NAME":           "example.com",
		"SERVER_PORT":           "8080",
		"REMOTE_ADDR":           "10.1.2.3",
		"HTTP_X_CUSTOM":         "v",
		"HTTP_HOST":             "example.com:8080",
		"X_FULL_URL":            "http://example.com:8080/base/cgi/x%20y?a=1&b=2",
		"X_MATCHED_ROUTE":       "/base/cgi/...",
		"X_BASE_PATH":           "/base",
		"X_RAW_COMPONENT_ROUTE": "/cgi/...",
		"X_COMPONENT_ROUTE":     "/cgi",
		"X_CLIENT_ADDR":         "10.1.2.3:4567",
		"GATEWAY_INTERFACE":     "CGI/1.1",
		"SERVER_SOFTWARE":       "WAGI/1",
		"FROM_MANIFEST":         "m",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["HTTP_AUTHORIZATION"]; ok {
		t.Error("Authorization leaked into the environment")
	}
	if parts[2] != "stdin bytes\x00\xff" {
		t.Errorf("stdin %q", parts[2])
	}
}

func TestWagiOutput(t *testing.T) {
	tests := []struct {
		name, entry, out string
		status           int
		header           map[string]string
		body             string
	}{
		{name: "content type", out: "Content-Type: text/html\r\n\r\n<b>hi</b>", status: 200, header: map[string]string{"Content-Type": "text/html"}, body: "<b>hi</b>"},
		{name: "status", out: "Status: 418 I'm a teapot\nContent-Type: text/plain\n\ntea", status: 418, body: "tea"},
		{name: "location redirects", out: "Location: /new\n\n", status: 302, header: map[string]string{"Location": "/new"}},
		{name: "location with status", out: "Location: /new\nStatus: 301\n\n", status: 301, header: map[string]string{"Location": "/new"}},
		{name: "bad status", out: "Status: nope\n\n", status: 502},
		{name: "extra header", out: "Content-Type: a/b\nX-Thing: 1\n\n", status: 200, header: map[string]string{"X-Thing": "1"}},
		{name: "no content type", out: "X-Thing: 1\n\nbody", status: 500, body: "Exactly one of 'location' or 'content-type' must be specified"},
		{name: "no blank line", out: "just text", status: 500, body: "Exactly one of 'location' or 'content-type' must be specified"},
		{name: "empty output", out: "", status: 500},
		{name: "custom entrypoint", entry: "main", out: "Content-Type: a/b\n\nok", status: 200, body: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			executor := `executor = { type = "wagi" }`
			entry := "_start"
			if tt.entry != "" {
				entry = tt.entry
				executor = `executor = { type = "wagi", entrypoint = "` + entry + `" }`
			}
			app := writeApp(t, v1App("/", "/...", "")+executor+"\n", map[string]string{"guest.wasm": wagiStaticWAT(entry, tt.out)})
			h := newHandler(t, app, nil, nil)
			w := serve(h, httptest.NewRequest("GET", "/", nil))
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("status %d body %q, want %d %q", w.Code, w.Body, tt.status, tt.body)
			}
			for k, v := range tt.header {
				if got := w.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestWagiTrap(t *testing.T) {
	wat := `(module (memory (export "memory") 1) (func (export "_start") unreachable))`
	app := writeApp(t, v1App("/", "/...", "")+"executor = { type = \"wagi\" }\n", map[string]string{"guest.wasm": wat})
	h := newHandler(t, app, nil, nil)
	if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != 500 || w.Body.Len() != 0 {
		t.Errorf("status %d body %q, want 500 empty", w.Code, w.Body)
	}
}

func TestWagiExit(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		status int
	}{
		{name: "exit 0 is success", code: 0, status: 200},
		{name: "exit 1 is failure", code: 1, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wat := strings.Replace(wagiStaticWAT("_start", "Content-Type: a/b\n\nok"),
				`(import "wasi_snapshot_preview1" "fd_write"`,
				`(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write"`, 1)
			wat = strings.TrimSuffix(wat, "))") + fmt.Sprintf("\n    (call $exit (i32.const %d))))", tt.code)
			app := writeApp(t, v1App("/", "/...", "")+"executor = { type = \"wagi\" }\n", map[string]string{"guest.wasm": wat})
			h := newHandler(t, app, nil, nil)
			if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != tt.status {
				t.Errorf("status %d body %q, want %d", w.Code, w.Body, tt.status)
			}
		})
	}
}

// wagiFloodWAT is a WAGI program that writes a Content-Type header and
// then chunks of 64 KiB of NUL bytes to stdout, ignoring errors: chunks
// times, or forever when chunks is negative.
func wagiFloodWAT(chunks int) string {
	return fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "Content-Type: a/b\n\n")
  (func $write (param $p i32) (param $n i32)
    (i32.store (i32.const 200) (local.get $p))
    (i32.store (i32.const 204) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208))))
  (func (export "_start")
    (local $i i32)
    (call $write (i32.const 0) (i32.const 19))
    (local.set $i (i32.const %d))
    (block $done (loop $more
      (br_if $done (i32.eqz (local.get $i)))
      (call $write (i32.const 65536) (i32.const 65536))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $more)))))`, chunks)
}

// TestWagiOutputLimit: stdout over MaxWagiOutputBytes fails the request
// with 500 and ErrWagiOutputTooLarge, whether the guest then ends or
// keeps writing (it is stopped); output under the limit is served whole.
func TestWagiOutputLimit(t *testing.T) {
	const limit = 1 << 20
	tests := []struct {
		name   string
		chunks int
		status int
		body   int
	}{
		{name: "under the limit", chunks: 8, status: 200, body: 8 << 16},
		{name: "over the limit then exit", chunks: 32, status: 500},
		{name: "writes forever", chunks: -1, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := &records{}
			app := writeApp(t, v1App("/", "/...", "")+"executor = { type = \"wagi\" }\n", map[string]string{"guest.wasm": wagiFloodWAT(tt.chunks)})
			h := newHandler(t, app, nil, &httptrigger.Options{Logger: slog.New(recs), MaxWagiOutputBytes: limit, Timeout: time.Minute})
			// The request's own deadline only keeps a broken limit from
			// hanging the test: the guest must be stopped long before.
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			w := serve(h, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
			if w.Code != tt.status || w.Body.Len() != tt.body {
				t.Fatalf("status %d, %d body bytes; want %d, %d", w.Code, w.Body.Len(), tt.status, tt.body)
			}
			if tt.status == 200 {
				return
			}
			failed := recs.with("httptrigger: request failed")
			if len(failed) != 1 {
				t.Fatalf("%d failure records, want 1", len(failed))
			}
			if err, _ := attr(failed[0], "err").Any().(error); !errors.Is(err, httptrigger.ErrWagiOutputTooLarge) {
				t.Errorf("err = %v, want ErrWagiOutputTooLarge", err)
			}
		})
	}
}
