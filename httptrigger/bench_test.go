package httptrigger_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

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

// BenchmarkKVGet serves the same 100-byte GET from SQLite with a native
// Go handler and with a wasm guest through the Handler (fresh instance per
// request), in one run so the two can be compared. wasm-nokv is the same
// handler with a guest that answers from a data segment. The lower bound
// of a fresh-instance wasm path, built on wasmtime alone, is
// BenchmarkHandleHTTP/floor in package host.
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
