package spinguest

import (
	"encoding/binary"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// testHeap returns a heap whose blocks get distinct fake addresses, 8-byte
// aligned, as a wasm32 guest's would be.
func testHeap() *heap {
	next := uint32(0x1000)
	return newHeap(func(b []byte) uint32 {
		p := next
		next += (uint32(len(b)) + 15) &^ 7
		return p
	})
}

// hostWrite plays the host: it allocates with the guest's realloc, exactly
// as Spin's host does (v1.5.1:crates/trigger-http/src/spin.rs), and copies s in.
func hostWrite(h *heap, align uint32, s []byte) uint32 {
	p := h.realloc(0, 0, align, uint32(len(s)))
	if len(s) > 0 {
		copy(h.blocks[p], s)
	}
	return p
}

// lowerRequest lowers a request into the heap the way a Spin host does.
func lowerRequest(h *heap, method uint32, uri string, headers [][2]string, body []byte) rawRequest {
	raw := rawRequest{method: method, uriLen: uint32(len(uri)), hdrLen: uint32(len(headers)), bodyTag: 1, bodyLen: uint32(len(body))}
	raw.uriPtr = hostWrite(h, 1, []byte(uri))
	arr := make([]byte, 16*len(headers))
	for i, kv := range headers {
		for j, s := range kv {
			binary.LittleEndian.PutUint32(arr[16*i+8*j:], hostWrite(h, 1, []byte(s)))
			binary.LittleEndian.PutUint32(arr[16*i+8*j+4:], uint32(len(s)))
		}
	}
	raw.hdrPtr = hostWrite(h, 4, arr)
	raw.prmPtr = h.realloc(0, 0, 4, 0)
	raw.bodyPtr = hostWrite(h, 1, body)
	return raw
}

type response struct {
	status  int
	headers [][2]string // nil: none
	body    []byte      // nil: none
}

// liftResponse reads the return area the way a Spin host does and frees
// every block with the size and alignment v1.5.1:sdk/go/http/spin-http.c gives.
func liftResponse(t *testing.T, h *heap, ret []byte) response {
	t.Helper()
	read := func(p, n uint32) []byte {
		t.Helper()
		if n == 0 {
			return []byte{}
		}
		b, ok := h.blocks[p]
		if !ok || uint32(len(b)) != n {
			t.Fatalf("response block %#x (%d bytes) is not a live allocation of that size", p, n)
		}
		return slices.Clone(b)
	}
	le := binary.LittleEndian
	resp := response{status: int(le.Uint16(ret))}
	switch ret[4] {
	case 0:
	case 1:
		p, n := le.Uint32(ret[8:]), le.Uint32(ret[12:])
		arr := read(p, 16*n)
		resp.headers = [][2]string{}
		for i := range n {
			e := arr[16*i:]
			name := read(le.Uint32(e), le.Uint32(e[4:]))
			val := read(le.Uint32(e[8:]), le.Uint32(e[12:]))
			h.free(le.Uint32(e), le.Uint32(e[4:]), 1)
			h.free(le.Uint32(e[8:]), le.Uint32(e[12:]), 1)
			resp.headers = append(resp.headers, [2]string{string(name), string(val)})
		}
		h.free(p, 16*n, 4)
	default:
		t.Fatalf("headers tag %d", ret[4])
	}
	switch ret[16] {
	case 0:
	case 1:
		p, n := le.Uint32(ret[20:]), le.Uint32(ret[24:])
		resp.body = read(p, n)
		h.free(p, n, 1)
	default:
		t.Fatalf("body tag %d", ret[16])
	}
	return resp
}

func TestServe(t *testing.T) {
	type seen struct {
		method, url, requestURI, remoteAddr, host, body, accept string
	}
	echo := func(got *seen) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			*got = seen{r.Method, r.URL.String(), r.RequestURI, r.RemoteAddr, r.Host, string(b), strings.Join(r.Header.Values("Accept"), ",")}
			w.Header().Set("X-Path", r.URL.Path)
			w.Header().Add("X-Multi", "first")
			w.Header().Add("X-Multi", "second")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("ok:"))
			w.Write(b)
		}
	}
	spinHeaders := [][2]string{
		{"host", "localhost:3000"}, {"accept", "text/plain"}, {"accept", "*/*"},
		{"spin-path-info", ""}, {"spin-full-url", "http://localhost:3000/test/a?x=1"},
		{"spin-client-addr", "127.0.0.1:50000"},
	}
	tests := []struct {
		name    string
		method  uint32
		uri     string
		headers [][2]string
		body    []byte
		want    seen
		resp    response
	}{
		{
			name: "post with spin headers", method: 1, uri: "/test/a?x=1", headers: spinHeaders, body: []byte(`{"foo":"bar"}`),
			want: seen{"POST", "http://localhost:3000/test/a?x=1", "/test/a?x=1", "127.0.0.1:50000", "localhost:3000", `{"foo":"bar"}`, "text/plain,*/*"},
			resp: response{201, [][2]string{{"X-Multi", "first"}, {"X-Path", "/test/a"}}, []byte(`ok:{"foo":"bar"}`)},
		},
		{
			name: "no spin-full-url falls back to host and uri", method: 0, uri: "/b?q=%20", headers: [][2]string{{"host", "example.com"}},
			want: seen{"GET", "http://example.com/b?q=%20", "/b?q=%20", "", "example.com", "", ""},
			resp: response{201, [][2]string{{"X-Multi", "first"}, {"X-Path", "/b"}}, []byte("ok:")},
		},
		{
			name: "no headers at all", method: 6, uri: "/",
			want: seen{"OPTIONS", "http://localhost/", "/", "", "localhost", "", ""},
			resp: response{201, [][2]string{{"X-Multi", "first"}, {"X-Path", "/"}}, []byte("ok:")},
		},
		{
			name: "binary body", method: 2, uri: "/bin", body: []byte{0, 0xff, 0xfe, 1},
			want: seen{"PUT", "http://localhost/bin", "/bin", "", "localhost", "\x00\xff\xfe\x01", ""},
			resp: response{201, [][2]string{{"X-Multi", "first"}, {"X-Path", "/bin"}}, []byte("ok:\x00\xff\xfe\x01")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHeap()
			raw := lowerRequest(h, tt.method, tt.uri, tt.headers, tt.body)
			var got seen
			ret := make([]byte, retSize)
			serve(h, echo(&got), raw, ret)
			if got != tt.want {
				t.Errorf("handler saw\n%+v\nwant\n%+v", got, tt.want)
			}
			resp := liftResponse(t, h, ret)
			if resp.status != tt.resp.status || !slices.Equal(resp.headers, tt.resp.headers) || string(resp.body) != string(tt.resp.body) {
				t.Errorf("response = %d %q %q, want %d %q %q", resp.status, resp.headers, resp.body, tt.resp.status, tt.resp.headers, tt.resp.body)
			}
			if n := h.pinned(); n != 0 {
				t.Errorf("%d blocks still pinned after the host freed the response", n)
			}
		})
	}
}

func TestServeResponseShapes(t *testing.T) {
	tests := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request)
		want    response
	}{
		{"nothing written is 200 with no headers and no body", func(http.ResponseWriter, *http.Request) {}, response{status: 200}},
		{"status only", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, response{status: 404}},
		{"first WriteHeader wins", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204); w.WriteHeader(500) }, response{status: 204}},
		{"Content-Length is dropped", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "99")
			w.Write([]byte("x"))
		}, response{status: 200, body: []byte("x")}},
		{"empty header value", func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("X-Empty", "") }, response{status: 200, headers: [][2]string{{"X-Empty", ""}}}},
		{"http.Error", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "nope", 405) }, response{405, [][2]string{
			{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}}, []byte("nope\n")}},
		{"panic answers 500", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("partial")); panic("boom") }, response{status: 500}},
		{"nil handler answers 500 with the reason", nil, response{500, [][2]string{
			{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}},
			[]byte("spinguest: no handler registered: call spinguest.Handle from init\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHeap()
			ret := make([]byte, retSize)
			serve(h, tt.handler, lowerRequest(h, 0, "/", nil, nil), ret)
			resp := liftResponse(t, h, ret)
			if resp.status != tt.want.status || !slices.Equal(resp.headers, tt.want.headers) || string(resp.body) != string(tt.want.body) ||
				(resp.body == nil) != (tt.want.body == nil) || (resp.headers == nil) != (tt.want.headers == nil) {
				t.Errorf("response = %d %q %q, want %d %q %q", resp.status, resp.headers, resp.body, tt.want.status, tt.want.headers, tt.want.body)
			}
			if n := h.pinned(); n != 0 {
				t.Errorf("%d blocks still pinned", n)
			}
		})
	}
}

func TestServeMalformedRequest(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(h *heap, raw *rawRequest)
		want   string
	}{
		{"method out of range", func(_ *heap, raw *rawRequest) { raw.method = 7 }, "method enum 7"},
		{"uri pointer not allocated", func(_ *heap, raw *rawRequest) { raw.uriPtr = 0xdead }, "uri: spinguest: pointer not allocated"},
		{"uri longer than its block", func(_ *heap, raw *rawRequest) { raw.uriLen = 100 }, "uri: spinguest: pointer not allocated"},
		{"header array too short", func(_ *heap, raw *rawRequest) { raw.hdrLen = 3 }, "headers: spinguest: pointer not allocated"},
		{"header count overflows", func(_ *heap, raw *rawRequest) { raw.hdrLen = 1 << 30 }, "headers: spinguest: malformed request from host: 1073741824 tuples"},
		{"header string pointer bogus", func(h *heap, raw *rawRequest) {
			binary.LittleEndian.PutUint32(h.blocks[raw.hdrPtr][8:], 0x7)
		}, "headers: tuple 0: spinguest: pointer not allocated"},
		{"header not UTF-8", func(h *heap, raw *rawRequest) {
			arr := h.blocks[raw.hdrPtr]
			h.blocks[binary.LittleEndian.Uint32(arr[8:])][0] = 0xff
		}, "headers: spinguest: malformed request from host: tuple 0 is not UTF-8"},
		{"body tag 2", func(_ *heap, raw *rawRequest) { raw.bodyTag = 2 }, "body option tag 2"},
		{"body pointer bogus", func(_ *heap, raw *rawRequest) { raw.bodyPtr = 0x10 }, "body: spinguest: pointer not allocated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHeap()
			raw := lowerRequest(h, 0, "/x", [][2]string{{"host", "h"}}, []byte("body"))
			tt.mangle(h, &raw)
			called := false
			ret := make([]byte, retSize)
			serve(h, func(http.ResponseWriter, *http.Request) { called = true }, raw, ret)
			resp := liftResponse(t, h, ret)
			if called {
				t.Error("handler called for a malformed request")
			}
			if resp.status != 500 || !strings.Contains(string(resp.body), tt.want) {
				t.Errorf("response = %d %q, want 500 containing %q", resp.status, resp.body, tt.want)
			}
		})
	}
}

func TestHeap(t *testing.T) {
	h := testHeap()
	if p := h.realloc(0, 0, 4, 0); p != 4 {
		t.Errorf("zero-size realloc = %d, want the alignment 4 as a dummy", p)
	}
	p := hostWrite(h, 1, []byte("hello"))
	q := h.realloc(p, 5, 1, 10)
	if got := string(h.blocks[q][:5]); got != "hello" {
		t.Errorf("realloc kept %q, want hello", got)
	}
	if _, ok := h.blocks[p]; ok {
		t.Error("old block still pinned after realloc")
	}
	h.free(q, 10, 1)
	h.free(q, 10, 1) // double free is a no-op
	h.free(0xbad, 3, 1)
	if h.pinned() != 0 {
		t.Errorf("%d blocks pinned", h.pinned())
	}
	for _, align := range []uint32{0, 3, 16} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("alignment %d accepted", align)
				}
			}()
			h.alloc(align, 8)
		}()
	}
}

// FuzzLift feeds arbitrary request parameters and header-array bytes to the
// request decoder: it must return a request or an error, never panic, and
// never read outside the blocks it was given.
func FuzzLift(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint32(0), uint32(1), []byte{}, uint32(1), uint32(4))
	f.Add(uint32(5), uint32(0x1000), uint32(2), uint32(1), make([]byte, 16), uint32(1), uint32(0))
	f.Add(uint32(9), uint32(4), uint32(1<<31), uint32(2), []byte{1, 2, 3}, uint32(3), uint32(7))
	f.Fuzz(func(t *testing.T, method, uriPtr, uriLen, hdrLen uint32, hdrArr []byte, bodyTag, bodyLen uint32) {
		h := testHeap()
		raw := lowerRequest(h, method, "/uri", [][2]string{{"a", "b"}}, []byte("body"))
		arr := h.blocks[raw.hdrPtr]
		copy(arr, hdrArr)
		raw.uriPtr ^= uriPtr
		raw.uriLen = uriLen
		raw.hdrLen = hdrLen
		raw.bodyTag = bodyTag
		raw.bodyLen = bodyLen
		_, _, headers, body, err := raw.lift(h)
		if err == nil && (uint32(len(headers)) != hdrLen || uint32(len(body)) != bodyLen && bodyTag == 1) {
			t.Fatalf("lift succeeded with %d headers and %d body bytes, want %d and %d", len(headers), len(body), hdrLen, bodyLen)
		}
	})
}
