package host

import (
	"errors"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// The Spin 1.x HTTP guests are shared with httptrigger's tests.
const (
	httpEchoWAT     = testwasm.SpinEcho
	httpRecorderWAT = testwasm.SpinRecorder
)

// TestHandleHTTPLowering shows what a guest receives: the method's enum
// index, the URI, the headers in the order given with names lower-cased
// (ASCII only) and values untouched, no params, and a body always
// present; and that the response is lifted with the guest's header names.
func TestHandleHTTPLowering(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, httpEchoWAT, Config{})
	resp, err := c.HandleHTTP(t.Context(), &HTTPRequest{
		Method: "PATCH",
		URI:    "/a%20b?x=1",
		Headers: []HTTPField{
			{Name: "X-Mixed-Case", Value: "Value As Is"},
			{Name: "host", Value: "h"},
			{Name: "Ünicode-É", Value: "é"},
		},
		Body: []byte("payload"),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "method=4\nuri=/a%20b?x=1\nx-mixed-case: Value As Is\nhost: h\nÜnicode-É: é\nparams=0\nbody=1\n\npayload"
	if resp.Status != 200 || string(resp.Body) != want {
		t.Errorf("status %d, guest saw:\n%s\nwant:\n%s", resp.Status, resp.Body, want)
	}
	if len(resp.Headers) != 1 || resp.Headers[0] != (HTTPField{"x-echo", "yes"}) {
		t.Errorf("headers %v, want [{x-echo yes}]", resp.Headers)
	}
	resp, err = c.HandleHTTP(t.Context(), &HTTPRequest{Method: "GET", URI: "/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "method=0\nuri=/\nparams=0\nbody=1\n\n"; string(resp.Body) != want {
		t.Errorf("no headers, nil body: guest saw %q, want %q", resp.Body, want)
	}
}

// TestHandleHTTPRefusals: a method the ABI has no case for, and strings it
// cannot carry, are refused before the guest runs (the recorder guest
// would log the realloc calls it gets).
func TestHandleHTTPRefusals(t *testing.T) {
	store := memory.New()
	e := testEngine(t, nil)
	c := compile(t, e, httpRecorderWAT, Config{KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": store}})
	tests := []struct {
		name string
		req  HTTPRequest
		want error
	}{
		{name: "PROPFIND", req: HTTPRequest{Method: "PROPFIND", URI: "/"}, want: ErrMethodNotAllowed},
		{name: "lower-case get", req: HTTPRequest{Method: "get", URI: "/"}, want: ErrMethodNotAllowed},
		{name: "header value not UTF-8", req: HTTPRequest{Method: "GET", URI: "/", Headers: []HTTPField{{"x", "\xff"}}}, want: ErrInvalidRequest},
		{name: "header name not UTF-8", req: HTTPRequest{Method: "GET", URI: "/", Headers: []HTTPField{{"\xc3", "v"}}}, want: ErrInvalidRequest},
		{name: "uri not UTF-8", req: HTTPRequest{Method: "GET", URI: "/\xfe"}, want: ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.HandleHTTP(t.Context(), &tt.req, nil)
			if !errors.Is(err, tt.want) || errors.Is(err, ErrTrap) {
				t.Fatalf("err = %v, want %v (and not ErrTrap)", err, tt.want)
			}
			if !strings.Contains(err.Error(), `"test"`) {
				t.Errorf("error %q does not name the component", err)
			}
			if _, err := store.Get(t.Context(), "abi-log"); !errors.Is(err, kv.ErrNotFound) {
				t.Errorf("the guest ran: abi-log %v", err)
			}
		})
	}
}

// TestHandleHTTPABIExact checks every canonical_abi_realloc and
// canonical_abi_free call HandleHTTP makes, in order, with the sizes and
// alignments of Spin's generated bindings.
func TestHandleHTTPABIExact(t *testing.T) {
	store := memory.New()
	e := testEngine(t, nil)
	c := compile(t, e, httpRecorderWAT, Config{KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": store}})
	headers := []HTTPField{{"host", "localhost:3000"}, {"Accept", "*/*"}, {"spin-path-info", ""}}
	resp, err := c.HandleHTTP(t.Context(), &HTTPRequest{Method: "GET", URI: "/hello?x=1", Headers: headers, Body: []byte("abc")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || string(resp.Body) != "body!" || len(resp.Headers) != 2 ||
		resp.Headers[0] != (HTTPField{"a", "1"}) || resp.Headers[1] != (HTTPField{"bb", "22"}) {
		t.Fatalf("response %+v", resp)
	}
	raw, err := store.Get(t.Context(), "abi-log")
	if err != nil {
		t.Fatal(err)
	}
	got := testwasm.ParseABILog(raw)
	// uri, header array (3 fields), 6 header strings, params, body.
	want := [][2]uint32{{1, 10}, {4, 48}}
	for _, f := range headers {
		want = append(want, [2]uint32{1, uint32(len(f.Name))}, [2]uint32{1, uint32(len(f.Value))})
	}
	want = append(want, [2]uint32{4, 0}, [2]uint32{1, 3})
	if len(got) < len(want)+12 {
		t.Fatalf("only %d calls recorded: %v", len(got), got)
	}
	for i, w := range want {
		if c := got[i]; c.Kind != testwasm.ABIRealloc || c.A != w[0] || c.B != w[1] {
			t.Errorf("call %d = %+v, want realloc(0, 0, %d, %d)", i, c, w[0], w[1])
		}
	}
	// The guest allocated arr(4,32), "a", "1", "bb", "22", body(5): the
	// host frees each string (ptr,len,1), then the array (ptr,32,4), then
	// the body (ptr,5,1).
	g := got[len(want):]
	if len(g) != 12 {
		t.Fatalf("guest-side calls %+v, want 6 reallocs and 6 frees", g)
	}
	for i, wf := range testwasm.RecorderResponseFrees(g[:6]) {
		if g[6+i] != wf {
			t.Errorf("free %d = %+v, want %+v", i, g[6+i], wf)
		}
	}
}

// TestHandleHTTPResponseLimits: the recorder guest returns two headers of
// 3 bytes in all; limits below that fail the request as a trap before the
// headers are read.
func TestHandleHTTPResponseLimits(t *testing.T) {
	store := memory.New()
	e := testEngine(t, nil)
	c := compile(t, e, httpRecorderWAT, Config{KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": store}})
	tests := []struct {
		name              string
		maxHeaders, bytes int
		want              error
	}{
		{name: "defaults", want: nil},
		{name: "exact", maxHeaders: 2, bytes: 6, want: nil},
		{name: "no limits", maxHeaders: -1, bytes: -1, want: nil},
		{name: "one header too many", maxHeaders: 1, want: errTooMany},
		{name: "one byte too many", bytes: 5, want: errTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.HandleHTTP(t.Context(), &HTTPRequest{Method: "GET", URI: "/",
				MaxResponseHeaders: tt.maxHeaders, MaxResponseHeaderBytes: tt.bytes}, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrTrap) {
				t.Fatalf("err = %v, want %v and ErrTrap", err, tt.want)
			}
		})
	}
}
