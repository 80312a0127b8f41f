package httptrigger_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
)

// heapAlloc returns the bytes the Go heap has allocated so far.
func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestClaimedContentLengthNotAllocated: with no body limit, a client
// claiming Content-Length: 100000000000 and sending 3 bytes gets its 3
// bytes to the guest; the handler never sizes a buffer from the claim
// (it used to make([]byte, 0, ContentLength), which kills the process).
func TestClaimedContentLengthNotAllocated(t *testing.T) {
	app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": echoWAT})
	h := newHandler(t, app, nil, &httptrigger.Options{MaxBodyBytes: -1})
	r := httptest.NewRequest("POST", "/", strings.NewReader("abc"))
	r.ContentLength = 100_000_000_000
	before := heapAlloc()
	w := serve(h, r)
	allocated := heapAlloc() - before
	if _, body := echoed(t, w); body != "abc" {
		t.Errorf("guest got body %q, want abc", body)
	}
	t.Logf("heap allocated for the request: %d bytes", allocated)
	if allocated > 16<<20 {
		t.Errorf("the request allocated %d bytes of heap for a 3-byte body", allocated)
	}
}

// headerFloodWAT answers with n response headers, every one naming the
// same 1-byte name "a" and value "b", written into an array at 65536 that
// the guest grows its memory for.
func headerFloodWAT(n int) string {
	return fmt.Sprintf(`(module
  (memory (export "memory") 1)
`+allocWAT+`
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (data (i32.const 1536) "ab")
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local $i i32) (local $e i32)
    (drop (memory.grow (i32.add (i32.shr_u (i32.mul (i32.const %[1]d) (i32.const 16)) (i32.const 16)) (i32.const 1))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.const %[1]d)))
      (local.set $e (i32.add (i32.const 65536) (i32.mul (local.get $i) (i32.const 16))))
      (i32.store (local.get $e) (i32.const 1536))
      (i32.store offset=4 (local.get $e) (i32.const 1))
      (i32.store offset=8 (local.get $e) (i32.const 1537))
      (i32.store offset=12 (local.get $e) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store16 (i32.const 64) (i32.const 200))
    (i32.store8 (i32.const 68) (i32.const 1))
    (i32.store (i32.const 72) (i32.const 65536))
    (i32.store (i32.const 76) (i32.const %[1]d))
    (i32.store8 (i32.const 80) (i32.const 0))
    (i32.const 64)))`, n)
}

// TestResponseHeaderLimits: the number of response headers and their
// total size are bounded (500 beyond), by default and as configured; a
// negative limit is none.
func TestResponseHeaderLimits(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		opts   httptrigger.Options
		status int
	}{
		{name: "default count", n: host.DefaultMaxResponseHeaders, status: 200},
		{name: "one over the default count", n: host.DefaultMaxResponseHeaders + 1, status: 500},
		{name: "configured count", n: 3, opts: httptrigger.Options{MaxResponseHeaders: 3}, status: 200},
		{name: "over the configured count", n: 4, opts: httptrigger.Options{MaxResponseHeaders: 3}, status: 500},
		{name: "no count limit", n: 3 * host.DefaultMaxResponseHeaders, opts: httptrigger.Options{MaxResponseHeaders: -1}, status: 200},
		{name: "configured bytes", n: 10, opts: httptrigger.Options{MaxResponseHeaderBytes: 20}, status: 200},
		{name: "over the configured bytes", n: 10, opts: httptrigger.Options{MaxResponseHeaderBytes: 19}, status: 500},
		{name: "no byte limit", n: 10, opts: httptrigger.Options{MaxResponseHeaderBytes: -1}, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": headerFloodWAT(tt.n)})
			h := newHandler(t, app, nil, &tt.opts)
			w := serve(h, httptest.NewRequest("GET", "/", nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status == 200 && w.Header().Get("a") != "b" {
				t.Errorf("header a = %q, want b", w.Header().Get("a"))
			}
		})
	}
}

// TestResponseHeaderFlood: a guest returning two million headers fails
// its request without the host allocating for them (it took 567 MB and
// 7.6 s for 8.4M headers before the limits).
func TestResponseHeaderFlood(t *testing.T) {
	const n = 2_000_000
	app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": headerFloodWAT(n)})
	h := newHandler(t, app, nil, nil)
	before, start := heapAlloc(), time.Now()
	w := serve(h, httptest.NewRequest("GET", "/", nil))
	allocated, elapsed := heapAlloc()-before, time.Since(start)
	t.Logf("%d headers: status %d, %d bytes of heap, %v", n, w.Code, allocated, elapsed)
	if w.Code != 500 {
		t.Errorf("status %d, want 500", w.Code)
	}
	if allocated > 8<<20 {
		t.Errorf("the request allocated %d bytes of heap", allocated)
	}
}

// rawResponse sends one request to srv over a fresh connection and
// returns the status line and header lines as sent, and the body (read
// up to the connection's close). A method ending in "+keep-alive" is sent
// without Connection: close (which makes net/http write its own
// staticServer serves, over loopback, a guest that answers 200 with the
// given header name/value pairs and body.
func staticServer(t *testing.T, headers []string, body string) *httptest.Server {
	t.Helper()
	data := headersData(headers...)
	data[2048] = body
	wat := staticWAT(200, 1, 1024, uint32(len(headers)/2), 1, 2048, uint32(len(body)), data)
	app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": wat})
	srv := httptest.NewServer(newHandler(t, app, nil, nil))
	t.Cleanup(srv.Close)
	return srv
}

// Connection header) and no body is read.
func rawResponse(t *testing.T, srv *httptest.Server, method string) (head []string, body string) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	conn := "Connection: close\r\n"
	method, keepAlive := strings.CutSuffix(method, "+keep-alive")
	if keepAlive {
		conn = ""
	}
	fmt.Fprintf(c, "%s / HTTP/1.1\r\nHost: x\r\n%s\r\n", method, conn)
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the response head: %v (so far %q)", err, head)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		head = append(head, line)
	}
	if keepAlive {
		return head, ""
	}
	rest, _ := io.ReadAll(br)
	return head, string(rest)
}

// headerLines returns the lines of head for header name (any case).
func headerLines(head []string, name string) []string {
	var out []string
	for _, l := range head[1:] {
		if k, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			out = append(out, l)
		}
	}
	return out
}

// TestGuestFramingHeaders: the server frames the response; a guest's
// transfer-encoding and connection are dropped and its content-length
// only kept when true, so a guest cannot make the server send a
// truncated or mis-framed response.
func TestGuestFramingHeaders(t *testing.T) {
	tests := []struct {
		name, method string
		headers      []string
		body         string
		wantCL       string // the Content-Length line expected, "" for none
		gone         []string
	}{
		{name: "content-length too large", method: "GET", headers: []string{"content-length", "100"}, body: "hi", wantCL: "Content-Length: 2"},
		{name: "content-length too small", method: "GET", headers: []string{"content-length", "1"}, body: "hi", wantCL: "Content-Length: 2"},
		{name: "content-length not a number", method: "GET", headers: []string{"content-length", "+2"}, body: "hi", wantCL: "Content-Length: 2"},
		{name: "content-length right", method: "GET", headers: []string{"Content-Length", "2"}, body: "hi", wantCL: "Content-Length: 2"},
		{name: "HEAD keeps the length of what GET would send", method: "HEAD", headers: []string{"content-length", "100"}, wantCL: "Content-Length: 100"},
		{name: "transfer-encoding", method: "GET", headers: []string{"transfer-encoding", "chunked"}, body: "hi", gone: []string{"Transfer-Encoding"}},
		{name: "connection", method: "GET+keep-alive", headers: []string{"connection", "upgrade", "x-other", "1"}, body: "hi", gone: []string{"Connection"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := staticServer(t, tt.headers, tt.body)
			head, body := rawResponse(t, srv, tt.method)
			if head[0] != "HTTP/1.1 200 OK" {
				t.Fatalf("status line %q", head[0])
			}
			if tt.method == "GET" && body != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if cl := headerLines(head, "Content-Length"); tt.wantCL != "" && (len(cl) != 1 || cl[0] != tt.wantCL) {
				t.Errorf("Content-Length lines %q, want [%q]", cl, tt.wantCL)
			}
			for _, g := range tt.gone {
				for _, l := range head[1:] {
					if strings.HasPrefix(strings.ToLower(l), strings.ToLower(g)) {
						t.Errorf("guest's %q was sent (head %q)", l, head)
					}
				}
			}
		})
	}
}

// TestNoSniffedContentType: as in Spin, only the guest's headers are
// sent; net/http does not add a Content-Type sniffed from the body.
func TestNoSniffedContentType(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		body    string
		want    []string // Content-Type lines
	}{
		{name: "html without content-type", body: "<html><body>stored</body></html>"},
		{name: "png without content-type", body: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
		{name: "text without content-type", body: "plain words"},
		{name: "guest's own content-type", headers: []string{"content-type", "application/x-guest"}, body: "<html>", want: []string{"Content-Type: application/x-guest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := staticServer(t, tt.headers, tt.body)
			head, body := rawResponse(t, srv, "GET")
			if body != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if got := headerLines(head, "Content-Type"); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Content-Type lines %q, want %q", got, tt.want)
			}
		})
	}
}
