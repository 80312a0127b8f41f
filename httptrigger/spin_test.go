package httptrigger_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

func echoHandler(t *testing.T, base, route string) http.Handler {
	t.Helper()
	app := writeApp(t, v1App(base, route, ""), map[string]string{"guest.wasm": echoWAT})
	return newHandler(t, app, nil, nil)
}

// echoed splits an echo guest's body into its request lines and body.
func echoed(t *testing.T, w *httptest.ResponseRecorder) (lines []string, body string) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200 (body %q)", w.Code, w.Body)
	}
	head, body, ok := strings.Cut(w.Body.String(), "\n\n")
	if !ok {
		t.Fatalf("echo body %q has no blank line", w.Body)
	}
	return strings.Split(head, "\n"), body
}

func TestMethods(t *testing.T) {
	h := echoHandler(t, "/", "/...")
	tests := []struct {
		name, method string
		status       int
		index        string
	}{
		{name: "GET", method: "GET", status: 200, index: "0"},
		{name: "POST", method: "POST", status: 200, index: "1"},
		{name: "PUT", method: "PUT", status: 200, index: "2"},
		{name: "DELETE", method: "DELETE", status: 200, index: "3"},
		{name: "PATCH", method: "PATCH", status: 200, index: "4"},
		{name: "HEAD", method: "HEAD", status: 200, index: "5"},
		{name: "OPTIONS", method: "OPTIONS", status: 200, index: "6"},
		{name: "PROPFIND is 405", method: "PROPFIND", status: 405},
		{name: "CONNECT is 405", method: "CONNECT", status: 405},
		{name: "lower-case get is 405", method: "get", status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, httptest.NewRequest(tt.method, "/x", nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status != 200 {
				if w.Body.Len() != 0 {
					t.Errorf("body %q, want empty", w.Body)
				}
				return
			}
			lines, _ := echoed(t, w)
			if lines[0] != "method="+tt.index {
				t.Errorf("guest got %q, want method=%s", lines[0], tt.index)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	tests := []struct {
		name, base, route string
		req               func() *http.Request
		want              string
	}{
		{
			// test_default_headers_with_base_path in v1.5.1:crates/trigger-http/src/lib.rs
			name: "worked example with base", base: "/base", route: "/foo/...",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "https://fermyon.dev/base/foo/bar?key1=value1&key2=value2", strings.NewReader("hello"))
				r.RemoteAddr = "127.0.0.1:8777"
				r.Header.Set("Accept", "*/*")
				r.Header.Add("X-Multi", "a")
				r.Header.Add("X-Multi", "b")
				return r
			},
			want: `method=1
uri=/base/foo/bar?key1=value1&key2=value2
host: fermyon.dev
accept: */*
x-multi: a
x-multi: b
spin-path-info: /bar
spin-full-url: https://fermyon.dev/base/foo/bar?key1=value1&key2=value2
spin-matched-route: /base/foo/...
spin-base-path: /base
spin-raw-component-route: /foo/...
spin-component-route: /foo
spin-client-addr: 127.0.0.1:8777
params=0
body=1

hello`,
		},
		{
			// spec Appendix A
			name: "appendix A", base: "/", route: "/hello/...",
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "http://localhost:3000/hello?x=1", nil)
				r.RemoteAddr = "127.0.0.1:50000"
				r.Header.Set("Accept", "*/*")
				return r
			},
			want: `method=0
uri=/hello?x=1
host: localhost:3000
accept: */*
spin-path-info: 
spin-full-url: http://localhost:3000/hello?x=1
spin-matched-route: /hello/...
spin-base-path: /
spin-raw-component-route: /hello/...
spin-component-route: /hello
spin-client-addr: 127.0.0.1:50000
params=0
body=1

`,
		},
		{
			name: "no host header uses localhost", base: "/", route: "/a",
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "/a/?q", nil)
				r.Host = ""
				r.RemoteAddr = "[::1]:5000"
				return r
			},
			want: `method=0
uri=/a/?q
spin-path-info: /
spin-full-url: http://localhost/a/?q
spin-matched-route: /a
spin-base-path: /
spin-raw-component-route: /a
spin-component-route: /a
spin-client-addr: [::1]:5000
params=0
body=1

`,
		},
		{
			name: "raw path and query kept percent-encoded", base: "/", route: "/...",
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "http://h/a%20b/%2F?x=%41&y", nil)
				r.RemoteAddr = "1.2.3.4:5"
				r.Header.Set("content-type", "Text/Plain")
				r.TLS = &tls.ConnectionState{}
				return r
			},
			want: `method=0
uri=/a%20b/%2F?x=%41&y
host: h
content-type: Text/Plain
spin-path-info: /a%20b/%2F
spin-full-url: https://h/a%20b/%2F?x=%41&y
spin-matched-route: /...
spin-base-path: /
spin-raw-component-route: /...
spin-component-route: 
spin-client-addr: 1.2.3.4:5
params=0
body=1

`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := echoHandler(t, tt.base, tt.route)
			w := serve(h, tt.req())
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			if got := w.Body.String(); got != tt.want {
				t.Errorf("guest saw:\n%s\nwant:\n%s", got, tt.want)
			}
			if got := w.Header().Get("X-Echo"); got != "yes" {
				t.Errorf("response header x-echo = %q, want yes", got)
			}
		})
	}
}

func TestRequestHeaderNotUTF8(t *testing.T) {
	h := echoHandler(t, "/", "/...")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Bad", "\xff\xfe")
	if w := serve(h, r); w.Code != 500 || w.Body.Len() != 0 {
		t.Errorf("status %d body %q, want 500 and empty", w.Code, w.Body)
	}
}

func TestBodies(t *testing.T) {
	binary := make([]byte, 256*4)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		name string
		body []byte
	}{
		{name: "empty", body: nil},
		{name: "text", body: []byte("hello, world")},
		{name: "binary", body: binary},
		{name: "large", body: bytes.Repeat([]byte("0123456789abcdef"), 1<<14)},
	}
	h := echoHandler(t, "/", "/...")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := echoed(t, serve(h, httptest.NewRequest("PUT", "/", bytes.NewReader(tt.body))))
			if body != string(tt.body) {
				t.Errorf("guest echoed %d bytes, want %d bytes, equal=false", len(body), len(tt.body))
			}
		})
	}
	t.Run("unknown length", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/", strings.NewReader("chunked body"))
		r.ContentLength = -1
		if _, body := echoed(t, serve(h, r)); body != "chunked body" {
			t.Errorf("body %q", body)
		}
	})
}

func TestResponses(t *testing.T) {
	hd := headersData("X-A", "1", "content-type", "text/x", "x-a", "2")
	withBody := func(m map[int]string, off int, b string) map[int]string {
		out := map[int]string{off: b}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		wat    string
		status int
		header map[string]string
		body   string
	}{
		{name: "headers last wins and body", wat: staticWAT(201, 1, 1024, 3, 1, 2048, 4, withBody(hd, 2048, "\x00\x01\xfe\xff")),
			status: 201, header: map[string]string{"X-A": "2", "Content-Type": "text/x"}, body: "\x00\x01\xfe\xff"},
		{name: "no headers no body", wat: staticWAT(204, 0, 0, 0, 0, 0, 0, nil), status: 204, body: ""},
		{name: "some empty body", wat: staticWAT(200, 0, 0, 0, 1, 8, 0, nil), status: 200, body: ""},
		{name: "zero headers", wat: staticWAT(200, 1, 4, 0, 0, 0, 0, nil), status: 200, body: ""},
		{name: "status 100..600 accepted: 600", wat: staticWAT(600, 0, 0, 0, 0, 0, 0, nil), status: 600},
		{name: "status 700", wat: staticWAT(700, 0, 0, 0, 1, 2048, 2, map[int]string{2048: "hi"}), status: 500, body: ""},
		{name: "status 99", wat: staticWAT(99, 0, 0, 0, 0, 0, 0, nil), status: 500},
		{name: "bad headers tag", wat: staticWAT(200, 2, 0, 0, 0, 0, 0, nil), status: 500},
		{name: "bad body tag", wat: staticWAT(200, 0, 0, 0, 7, 0, 0, nil), status: 500},
		{name: "body pointer out of bounds", wat: staticWAT(200, 0, 0, 0, 1, 65530, 100, nil), status: 500},
		{name: "body pointer overflows", wat: staticWAT(200, 0, 0, 0, 1, 0xffffff00, 0x200, nil), status: 500},
		{name: "header array out of bounds", wat: staticWAT(200, 1, 65536, 1, 0, 0, 0, nil), status: 500},
		{name: "header count overflows", wat: staticWAT(200, 1, 1024, 0x20000000, 0, 0, 0, nil), status: 500},
		{name: "header string out of bounds", wat: staticWAT(200, 1, 1024, 1, 0, 0, 0, map[int]string{1024: le32(1536, 1, 70000, 1)}), status: 500},
		{name: "header name not UTF-8", wat: staticWAT(200, 1, 1024, 1, 0, 0, 0, headersData("\xff", "v")), status: 500},
		{name: "header value not UTF-8", wat: staticWAT(200, 1, 1024, 1, 0, 0, 0, headersData("n", "\xc3")), status: 500},
		{name: "header name invalid", wat: staticWAT(200, 1, 1024, 1, 0, 0, 0, headersData("bad name", "v")), status: 500},
		{name: "header value with newline", wat: staticWAT(200, 1, 1024, 1, 0, 0, 0, headersData("n", "a\nb")), status: 500},
		{name: "return area out of bounds", wat: strings.Replace(staticWAT(200, 0, 0, 0, 0, 0, 0, nil), "(i32.const 64)))", "(i32.const 65530)))", 1), status: 500},
		{name: "trap", wat: trapWAT, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": tt.wat})
			h := newHandler(t, app, nil, nil)
			w := serve(h, httptest.NewRequest("GET", "/", nil))
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("status %d body %q, want %d %q", w.Code, w.Body, tt.status, tt.body)
			}
			for k, v := range tt.header {
				if got := w.Header().Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("header %s = %q, want [%q]", k, got, v)
				}
			}
			if tt.status == 500 && len(w.Header()) != 0 {
				t.Errorf("500 carries headers %v, want none", w.Header())
			}
		})
	}
}

// TestABIExact checks every canonical_abi_realloc and canonical_abi_free
// call the handler makes, byte for byte (v1.5.1:sdk/go/http/spin-http.c).
func TestABIExact(t *testing.T) {
	store := memory.New()
	app := writeApp(t, v1App("/", "/hello/...", `key_value_stores = ["default"]`), map[string]string{"guest.wasm": recorderWAT})
	h := newHandler(t, app, kv.Stores{"default": store}, nil)
	r := httptest.NewRequest("GET", "http://localhost:3000/hello?x=1", nil)
	r.RemoteAddr = "127.0.0.1:50000"
	r.Header.Set("Accept", "*/*")
	w := serve(h, r)
	if w.Code != 201 || w.Body.String() != "body!" || w.Header().Get("a") != "1" || w.Header().Get("bb") != "22" {
		t.Fatalf("response %d %v %q", w.Code, w.Header(), w.Body)
	}
	raw, err := store.Get(t.Context(), "abi-log")
	if err != nil {
		t.Fatal(err)
	}
	got := testwasm.ParseABILog(raw)
	// Request side, Appendix A: uri, header array (9 tuples), 18 header
	// strings, params, body.
	headers := []string{"host", "localhost:3000", "accept", "*/*",
		"spin-path-info", "", "spin-full-url", "http://localhost:3000/hello?x=1", "spin-matched-route", "/hello/...",
		"spin-base-path", "/", "spin-raw-component-route", "/hello/...", "spin-component-route", "/hello",
		"spin-client-addr", "127.0.0.1:50000"}
	var want []struct{ align, size uint32 }
	want = append(want, struct{ align, size uint32 }{1, 10}, struct{ align, size uint32 }{4, 144})
	for _, s := range headers {
		want = append(want, struct{ align, size uint32 }{1, uint32(len(s))})
	}
	want = append(want, struct{ align, size uint32 }{4, 0}, struct{ align, size uint32 }{1, 0})
	if len(got) < len(want) {
		t.Fatalf("only %d calls recorded: %v", len(got), got)
	}
	for i, wnt := range want {
		if c := got[i]; c.Kind != testwasm.ABIRealloc || c.A != wnt.align || c.B != wnt.size {
			t.Errorf("call %d = %+v, want realloc(0, 0, %d, %d)", i, c, wnt.align, wnt.size)
		}
	}
	// Guest side: the guest allocated arr(4,32), "a", "1", "bb", "22",
	// body(5); the host must free each string (ptr,len,1), then the
	// array (ptr,32,4), then the body (ptr,5,1).
	g := got[len(want):]
	if len(g) != 6+6 {
		t.Fatalf("guest-side calls %+v, want 6 reallocs and 6 frees", g)
	}
	for i, wf := range testwasm.RecorderResponseFrees(g[:6]) {
		if g[6+i] != wf {
			t.Errorf("free %d = %+v, want %+v", i, g[6+i], wf)
		}
	}
}

func TestWellKnown(t *testing.T) {
	h := echoHandler(t, "/", "/...")
	tests := []struct {
		name, method, path string
		status             int
		body, ctype        string
	}{
		{name: "health", method: "GET", path: "/.well-known/spin/health", status: 200, body: "OK"},
		{name: "health any method", method: "PROPFIND", path: "/.well-known/spin/health", status: 200, body: "OK"},
		{name: "info", method: "GET", path: "/.well-known/spin/info", status: 200, ctype: "application/json",
			body: "{\n  \"name\": \"test-app\",\n  \"version\": \"1.2.3\"\n}"},
		{name: "health with slash", method: "GET", path: "/.well-known/spin/health/", status: 404, body: ""},
		{name: "unknown", method: "GET", path: "/.well-known/spin/other", status: 404, body: ""},
		{name: "prefix without slash is routed", method: "GET", path: "/.well-known/spin", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status == 200 && tt.body == "" {
				return // routed to the app
			}
			if w.Body.String() != tt.body {
				t.Errorf("body %q, want %q", w.Body, tt.body)
			}
			if got := w.Header().Get("Content-Type"); tt.ctype != "" && got != tt.ctype {
				t.Errorf("content-type %q, want %q", got, tt.ctype)
			}
		})
	}
}

func TestInfoWithoutVersion(t *testing.T) {
	app := writeApp(t, `spin_manifest_version = 2
[application]
name = "v2app"
[[trigger.http]]
route = "/..."
component = "guest"
[component.guest]
source = "guest.wasm"
`, map[string]string{"guest.wasm": echoWAT})
	h := newHandler(t, app, nil, nil)
	w := serve(h, httptest.NewRequest("GET", "/.well-known/spin/info", nil))
	if want := "{\n  \"name\": \"v2app\"\n}"; w.Body.String() != want {
		t.Errorf("info %q, want %q", w.Body, want)
	}
}
