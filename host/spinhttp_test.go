package host

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// Spin 1.x HTTP guests for the HandleHTTP tests (copies of those of
// package httptrigger's tests, which run them through the Handler).

// httpAllocWAT is a bump allocator exporting canonical_abi_realloc
// (returns align for size 0, like the SDKs) from 4096, growing memory.
const httpAllocWAT = `
  (global $heap (mut i32) (i32.const 4096))
  (func $realloc (export "canonical_abi_realloc") (param $old i32) (param $oldsz i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get $size)) (then (return (local.get $align))))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (block $ok
      (loop $grow
        (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
        (br $grow)))
    (local.get $p))
`

// httpEchoWAT answers 200 with header x-echo: yes and a body describing
// the request it got:
//
//	method=<index>\nuri=<uri>\n<name>: <value>\n...params=<n>\nbody=<tag>\n\n<body>
const httpEchoWAT = `(module
  (memory (export "memory") 1)
` + httpAllocWAT + `
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (global $out (mut i32) (i32.const 0))
  (func $put (param $src i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $src) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))
  (func $putb (param $b i32)
    (i32.store8 (global.get $out) (local.get $b))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))
  (data (i32.const 16) "method=")
  (data (i32.const 32) "uri=")
  (data (i32.const 40) ": ")
  (data (i32.const 48) "params=")
  (data (i32.const 56) "body=")
  (data (i32.const 128) "x-echoyes")
  ;; header tuple at 144: name (128, 6), value (134, 3)
  (data (i32.const 144) "\80\00\00\00\06\00\00\00\86\00\00\00\03\00\00\00")
  (func (export "handle-http-request")
    (param $m i32) (param $up i32) (param $ul i32) (param $hp i32) (param $hn i32)
    (param $pp i32) (param $pn i32) (param $bt i32) (param $bp i32) (param $bl i32) (result i32)
    (local $total i32) (local $i i32) (local $e i32) (local $start i32)
    ;; size the output
    (local.set $total (i32.add (i32.const 64) (i32.add (local.get $ul) (local.get $bl))))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $hn)))
      (local.set $e (i32.add (local.get $hp) (i32.mul (local.get $i) (i32.const 16))))
      (local.set $total (i32.add (local.get $total)
        (i32.add (i32.const 3) (i32.add (i32.load offset=4 (local.get $e)) (i32.load offset=12 (local.get $e))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $start (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $total)))
    (global.set $out (local.get $start))
    (call $put (i32.const 16) (i32.const 7))
    (call $putb (i32.add (i32.const 48) (local.get $m)))
    (call $putb (i32.const 10))
    (call $put (i32.const 32) (i32.const 4))
    (call $put (local.get $up) (local.get $ul))
    (call $putb (i32.const 10))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $hn)))
      (local.set $e (i32.add (local.get $hp) (i32.mul (local.get $i) (i32.const 16))))
      (call $put (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
      (call $put (i32.const 40) (i32.const 2))
      (call $put (i32.load offset=8 (local.get $e)) (i32.load offset=12 (local.get $e)))
      (call $putb (i32.const 10))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $put (i32.const 48) (i32.const 7))
    (call $putb (i32.add (i32.const 48) (local.get $pn)))
    (call $putb (i32.const 10))
    (call $put (i32.const 56) (i32.const 5))
    (call $putb (i32.add (i32.const 48) (local.get $bt)))
    (call $putb (i32.const 10))
    (call $putb (i32.const 10))
    (call $put (local.get $bp) (local.get $bl))
    ;; return area at 64
    (i32.store16 (i32.const 64) (i32.const 200))
    (i32.store8 (i32.const 68) (i32.const 1))
    (i32.store (i32.const 72) (i32.const 144))
    (i32.store (i32.const 76) (i32.const 1))
    (i32.store8 (i32.const 80) (i32.const 1))
    (i32.store (i32.const 84) (local.get $start))
    (i32.store (i32.const 88) (i32.sub (global.get $out) (local.get $start)))
    (i32.const 64)))`

// httpRecorderWAT records every canonical_abi_realloc and
// canonical_abi_free call as a 16-byte entry (kind 1 = realloc: align,
// size, ptr; kind 2 = free: ptr, size, align) and, on each free, stores
// the log in the "default" store under "abi-log". Its response has two
// headers (a: 1, bb: 22) and the body "body!", allocated through its own
// realloc.
const httpRecorderWAT = `(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 4096))
  (global $log (mut i32) (i32.const 131072))
  (global $store (mut i32) (i32.const 0))
  (data (i32.const 16) "default")
  (data (i32.const 32) "abi-log")
  (data (i32.const 48) "abb122body!")
  (func $rec (param $kind i32) (param $a i32) (param $b i32) (param $c i32)
    (i32.store (global.get $log) (local.get $kind))
    (i32.store offset=4 (global.get $log) (local.get $a))
    (i32.store offset=8 (global.get $log) (local.get $b))
    (i32.store offset=12 (global.get $log) (local.get $c))
    (global.set $log (i32.add (global.get $log) (i32.const 16))))
  (func $alloc (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get $size)) (then (return (local.get $align))))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func $realloc (export "canonical_abi_realloc") (param $old i32) (param $oldsz i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (call $alloc (local.get $align) (local.get $size)))
    (call $rec (i32.const 1) (local.get $align) (local.get $size) (local.get $p))
    (local.get $p))
  (func (export "canonical_abi_free") (param $ptr i32) (param $size i32) (param $align i32)
    (call $rec (i32.const 2) (local.get $ptr) (local.get $size) (local.get $align))
    (call $set (global.get $store) (i32.const 32) (i32.const 7)
      (i32.const 131072) (i32.sub (global.get $log) (i32.const 131072)) (i32.const 96)))
  (func $dup (param $src i32) (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $len)))
    (memory.copy (local.get $p) (local.get $src) (local.get $len))
    (local.get $p))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local $arr i32)
    (call $open (i32.const 16) (i32.const 7) (i32.const 96))
    (if (i32.load8_u (i32.const 96)) (then unreachable))
    (global.set $store (i32.load (i32.const 100)))
    (local.set $arr (call $realloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 32)))
    (i32.store (local.get $arr) (call $dup (i32.const 48) (i32.const 1)))
    (i32.store offset=4 (local.get $arr) (i32.const 1))
    (i32.store offset=8 (local.get $arr) (call $dup (i32.const 51) (i32.const 1)))
    (i32.store offset=12 (local.get $arr) (i32.const 1))
    (i32.store offset=16 (local.get $arr) (call $dup (i32.const 49) (i32.const 2)))
    (i32.store offset=20 (local.get $arr) (i32.const 2))
    (i32.store offset=24 (local.get $arr) (call $dup (i32.const 52) (i32.const 2)))
    (i32.store offset=28 (local.get $arr) (i32.const 2))
    (i32.store16 (i32.const 64) (i32.const 201))
    (i32.store8 (i32.const 68) (i32.const 1))
    (i32.store (i32.const 72) (local.get $arr))
    (i32.store (i32.const 76) (i32.const 2))
    (i32.store8 (i32.const 80) (i32.const 1))
    (i32.store (i32.const 84) (call $dup (i32.const 54) (i32.const 5)))
    (i32.store (i32.const 88) (i32.const 5))
    (i32.const 64)))`

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
	type call struct{ kind, a, b, c uint32 }
	var got []call
	for i := 0; i+16 <= len(raw); i += 16 {
		got = append(got, call{binary.LittleEndian.Uint32(raw[i:]), binary.LittleEndian.Uint32(raw[i+4:]),
			binary.LittleEndian.Uint32(raw[i+8:]), binary.LittleEndian.Uint32(raw[i+12:])})
	}
	const realloc, free = 1, 2
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
		if c := got[i]; c.kind != realloc || c.a != w[0] || c.b != w[1] {
			t.Errorf("call %d = %+v, want realloc(0, 0, %d, %d)", i, c, w[0], w[1])
		}
	}
	// The guest allocated arr(4,32), "a", "1", "bb", "22", body(5): the
	// host frees each string (ptr,len,1), then the array (ptr,32,4), then
	// the body (ptr,5,1).
	g := got[len(want):]
	ptr := func(i int) uint32 { return g[i].c }
	wantFree := []call{
		{free, ptr(1), 1, 1}, {free, ptr(2), 1, 1}, {free, ptr(3), 2, 1}, {free, ptr(4), 2, 1},
		{free, ptr(0), 32, 4}, {free, ptr(5), 5, 1},
	}
	if len(g) != 12 {
		t.Fatalf("guest-side calls %+v, want 6 reallocs and 6 frees", g)
	}
	for i, wf := range wantFree {
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
