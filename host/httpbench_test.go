package host

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// staticHTTPWAT answers every handle-http-request with 200, no headers and
// the 100 bytes at 2048 as the body; its allocator bumps from 4096.
const staticHTTPWAT = `(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (data (i32.const 2048) "` + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + `")
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.store16 (i32.const 64) (i32.const 200))
    (i32.store8 (i32.const 68) (i32.const 0))
    (i32.store8 (i32.const 80) (i32.const 1))
    (i32.store (i32.const 84) (i32.const 2048))
    (i32.store (i32.const 88) (i32.const 100))
    (i32.const 64)))`

// benchHTTPRequest is GET /key-42 as httptrigger builds it for
// httptest.NewRequest: host and the seven spin-* headers.
func benchHTTPRequest() *HTTPRequest {
	return &HTTPRequest{Method: "GET", URI: "/key-42", Headers: []HTTPField{
		{"host", "example.com"},
		{"spin-path-info", "/key-42"},
		{"spin-full-url", "http://example.com/key-42"},
		{"spin-matched-route", "/..."},
		{"spin-base-path", "/"},
		{"spin-raw-component-route", "/..."},
		{"spin-component-route", ""},
		{"spin-client-addr", "192.0.2.1:1234"},
	}}
}

// BenchmarkHandleHTTP is one request through Module.HandleHTTP (fresh
// instance, lowering in one batch, the call, lifting, close) against
// floor, a lower bound for any fresh-instance path on this wasmtime built
// with no Spindle code: per request a new store (epoch deadline and
// callback, no WASI) and instance of the same guest made with the
// engine's settings, the realloc calls (with copies) that lowering this
// request makes, in one batch, and one call of handle-http-request.
func BenchmarkHandleHTTP(b *testing.B) {
	e := testEngine(b, &Options{MaxInstances: 64})
	wasm := testwasm.Wat(b, staticHTTPWAT)
	want := bytes.Repeat([]byte("a"), 100)
	b.Run("host", func(b *testing.B) {
		c, err := e.Compile(context.Background(), Config{ID: "bench", Wasm: wasm})
		if err != nil {
			b.Fatal(err)
		}
		req := benchHTTPRequest()
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := c.HandleHTTP(ctx, req, nil)
			if err != nil || resp.Status != 200 || !bytes.Equal(resp.Body, want) {
				b.Fatal(resp, err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		m, err := wasmtime.NewModule(e.Wasmtime(), wasm)
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		l := wasmtime.NewLinker(e.Wasmtime())
		defer l.Close()
		pre, err := wasmtimex.NewInstancePre(l, m)
		if err != nil {
			b.Fatal(err)
		}
		defer pre.Close()
		list, err := wasmtimex.NewExportList("memory", "canonical_abi_realloc", "handle-http-request")
		if err != nil {
			b.Fatal(err)
		}
		req := benchHTTPRequest()
		strs := []string{req.URI}
		allocs := []wasmtimex.Alloc{{Align: 1, Size: uint32(len(req.URI)), Copy: true}, {Align: 4, Size: uint32(16 * len(req.Headers))}}
		for _, f := range req.Headers {
			strs = append(strs, f.Name, f.Value)
			allocs = append(allocs, wasmtimex.Alloc{Align: 1, Size: uint32(len(f.Name)), Copy: true},
				wasmtimex.Alloc{Align: 1, Size: uint32(len(f.Value)), Copy: true})
		}
		allocs = append(allocs, wasmtimex.Alloc{Align: 4}, wasmtimex.Alloc{Align: 1})
		data := []byte(strings.Join(strs, ""))
		cfg := &wasmtimex.StoreConfig{EpochDeadline: 1, OnEpoch: func() (uint64, error) { return 1, nil }}
		b.ReportAllocs()
		for b.Loop() {
			s, err := wasmtimex.NewStoreConfig(e.Wasmtime(), nil, cfg)
			if err != nil {
				b.Fatal(err)
			}
			var ex [3]wasmtimex.Export
			if _, err := pre.InstantiateExports(s, list, ex[:]); err != nil {
				b.Fatal(err)
			}
			mem, _ := ex[0].Memory()
			realloc, _ := ex[1].Func(s)
			handle, _ := ex[2].Func(s)
			if _, _, err := wasmtimex.ReallocMany(s, realloc, mem, allocs, data); err != nil {
				b.Fatal(err)
			}
			var vals [10]wasmtimex.Val
			if err := handle.Call(s, vals[:]); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}
