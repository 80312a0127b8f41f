package httptrigger_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/internal/wasmtimex"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// benchStore opens a SQLite store with 1000 keys of 100 bytes.
func benchStore(b *testing.B) (*sqlite.DB, kv.Store) {
	b.Helper()
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "kv.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	store, err := db.Resolve(b.Context(), "default")
	if err != nil {
		b.Fatal(err)
	}
	values := map[string][]byte{}
	for i := range 1000 {
		values[fmt.Sprintf("key-%d", i)] = bytes.Repeat([]byte{byte('a' + i%26)}, 100)
	}
	if err := kv.SetMany(b.Context(), store, values); err != nil {
		b.Fatal(err)
	}
	return db, store
}

// nativeGet is the baseline: a plain Go handler doing the same GET.
func nativeGet(store kv.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := store.Get(r.Context(), r.URL.Path[1:])
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write(v)
	})
}

// floorGet is a lower bound for any fresh-instance wasm path on this
// wasmtime, built with no Spindle host or handler code: per request a new
// store (epoch deadline and callback, no WASI) and instance of a guest
// without imports, made with the engine settings httptrigger uses; the
// realloc calls (with copies) that lowering this request makes, in one
// batch; one call of handle-http-request; and the same SQLite Get done
// natively in Go, as if the guest's open and get cost nothing.
func floorGet(b *testing.B, store kv.Store) http.Handler {
	wt := newEngine(b).Wasmtime()
	m, err := wasmtime.NewModule(wt, testwasm.Wat(b, staticWAT(200, 0, 0, 0, 1, 2048, 100, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	l := wasmtime.NewLinker(wt)
	defer l.Close()
	pre, err := wasmtimex.NewInstancePre(l, m)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pre.Close() })
	list, err := wasmtimex.NewExportList("memory", "canonical_abi_realloc", "handle-http-request")
	if err != nil {
		b.Fatal(err)
	}
	// The blocks of GET /key-42 from httptest.NewRequest: uri, the header
	// array, host and the seven spin-* headers, params, an empty body.
	r := httptest.NewRequest("GET", "/key-42", nil)
	strs := []string{r.URL.Path}
	allocs := []wasmtimex.Alloc{{Align: 1, Size: uint32(len(r.URL.Path)), Copy: true}, {Align: 4, Size: 8 * 16}}
	for range 8 {
		for _, v := range []string{"spin-component-route", "http://example.com/key-42"} {
			strs = append(strs, v)
			allocs = append(allocs, wasmtimex.Alloc{Align: 1, Size: uint32(len(v)), Copy: true})
		}
	}
	allocs = append(allocs, wasmtimex.Alloc{Align: 4}, wasmtimex.Alloc{Align: 1})
	data := []byte(strings.Join(strs, ""))
	cfg := &wasmtimex.StoreConfig{EpochDeadline: 1, OnEpoch: func() (uint64, error) { return 1, nil }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := wasmtimex.NewStoreConfig(wt, nil, cfg)
		if err != nil {
			b.Error(err)
			return
		}
		defer s.Close()
		var ex [3]wasmtimex.Export
		if _, err := pre.InstantiateExports(s, list, ex[:]); err != nil {
			b.Error(err)
			return
		}
		mem, _ := ex[0].Memory()
		realloc, _ := ex[1].Func(s)
		handle, _ := ex[2].Func(s)
		if _, _, err := wasmtimex.ReallocMany(s, realloc, mem, allocs, data); err != nil {
			b.Error(err)
			return
		}
		var vals [10]wasmtimex.Val
		if err := handle.Call(s, vals[:]); err != nil {
			b.Error(err)
			return
		}
		v, err := store.Get(r.Context(), r.URL.Path[1:])
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write(v)
	})
}

// BenchmarkKVGet serves the same 100-byte GET from SQLite with a native
// Go handler and with a wasm guest through the Handler (fresh instance per
// request), in one run so the two can be compared. wasm-nokv is the same
// handler with a guest that answers from a data segment, and floor is
// floorGet, the lower bound of a fresh-instance wasm path.
func BenchmarkKVGet(b *testing.B) {
	db, store := benchStore(b)
	app := writeApp(b, exampleTOML, map[string]string{"kv.wasm": kvGetWAT})
	wasm := newHandler(b, app, db, nil)
	// wasm-nokv answers the same bytes from a data segment: the cost of
	// the instance and the ABI alone, without the store.
	want := bytes.Repeat([]byte{'a' + 42%26}, 100)
	static := newHandler(b, writeApp(b, v1App("/", "/...", ""), map[string]string{
		"guest.wasm": staticWAT(200, 0, 0, 0, 1, 2048, 100, map[int]string{2048: string(want)}),
	}), nil, nil)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{name: "native", h: nativeGet(store)},
		{name: "wasm", h: wasm},
		{name: "wasm-nokv", h: static},
		{name: "floor", h: floorGet(b, store)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/key-42", nil)
			want := bytes.Repeat([]byte{'a' + 42%26}, 100)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, r)
				if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) {
					b.Fatalf("status %d body %q", w.Code, w.Body)
				}
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			want := bytes.Repeat([]byte{'a' + 42%26}, 100)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/key-42", nil)
				for pb.Next() {
					w := httptest.NewRecorder()
					bc.h.ServeHTTP(w, r)
					if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) {
						b.Errorf("status %d body %q", w.Code, w.Body)
						return
					}
				}
			})
		})
	}
}

// BenchmarkKVGetLoopback is the same comparison through a real HTTP server
// on loopback (client and server share the machine), where HTTP itself is
// part of both costs.
func BenchmarkKVGetLoopback(b *testing.B) {
	db, store := benchStore(b)
	app := writeApp(b, exampleTOML, map[string]string{"kv.wasm": kvGetWAT})
	wasm := newHandler(b, app, db, nil)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{name: "native", h: nativeGet(store)},
		{name: "wasm", h: wasm},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			client := srv.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			url := srv.URL + "/key-42"
			b.SetParallelism(8)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 || len(body) != 100 {
						b.Errorf("status %d, %d bytes, %v", resp.StatusCode, len(body), err)
						return
					}
				}
			})
		})
	}
}
