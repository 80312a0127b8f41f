package host

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/kv"
)

// guestPrelude is a WAT module body shared by the test guests: every
// Spindle import, forwarded through exports named like the import so a
// test can drive any import from Go with raw arguments, plus a bump
// allocator as canonical_abi_realloc that records its calls.
const guestPrelude = `
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "get" (func $get (param i32 i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (import "key-value" "delete" (func $delete (param i32 i32 i32 i32)))
  (import "key-value" "exists" (func $exists (param i32 i32 i32 i32)))
  (import "key-value" "get-keys" (func $get_keys (param i32 i32)))
  (import "key-value" "close" (func $close (param i32)))
  (import "spin-config" "get-config" (func $get_config (param i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  ;; allocation log: count at 512, then (align, size) pairs from 516
  (global $nallocs (mut i32) (i32.const 0))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (if (i32.lt_u (global.get $nallocs) (i32.const 60))
      (then
        (i32.store (i32.add (i32.const 516) (i32.mul (global.get $nallocs) (i32.const 8))) (local.get 2))
        (i32.store (i32.add (i32.const 520) (i32.mul (global.get $nallocs) (i32.const 8))) (local.get 3))))
    (global.set $nallocs (i32.add (global.get $nallocs) (i32.const 1)))
    (i32.store (i32.const 512) (global.get $nallocs))
    (call $alloc (local.get 2) (local.get 3)))` + testwasm.Alloc + `
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "open") (param i32 i32 i32) (call $open (local.get 0) (local.get 1) (local.get 2)))
  (func (export "get") (param i32 i32 i32 i32) (call $get (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "set") (param i32 i32 i32 i32 i32 i32)
    (call $set (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "delete") (param i32 i32 i32 i32) (call $delete (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "exists") (param i32 i32 i32 i32) (call $exists (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "get-keys") (param i32 i32) (call $get_keys (local.get 0) (local.get 1)))
  (func (export "close") (param i32) (call $close (local.get 0)))
  (func (export "get-config") (param i32 i32 i32) (call $get_config (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fd-write") (param i32 i32 i32 i32) (result i32)
    (call $fd_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
`

// guestWAT returns a module with the prelude and extra definitions.
func guestWAT(extra string) string { return "(module " + guestPrelude + extra + ")" }

// testEngine returns an engine closed at the end of the test.
func testEngine(t testing.TB, opts *Options) *Engine {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxInstances == 0 {
		opts.MaxInstances = 16 // each pool slot reserves address space
	}
	e, err := NewEngine(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// compile compiles a WAT guest with cfg (ID and Wasm filled in).
func compile(t testing.TB, e *Engine, wat string, cfg Config) *Module {
	t.Helper()
	if cfg.ID == "" {
		cfg.ID = "test"
	}
	cfg.Wasm = testwasm.Wat(t, wat)
	c, err := e.Compile(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func instantiate(t testing.TB, c *Module) *Instance {
	t.Helper()
	i, err := c.Instantiate(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { i.Close() })
	return i
}

// put copies b into a fresh guest allocation and returns ptr, len.
func put(t testing.TB, i *Instance, align uint32, b []byte) (uint64, uint64) {
	t.Helper()
	p, err := i.Alloc(align, uint32(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := i.Write(p, b); err != nil {
		t.Fatal(err)
	}
	return uint64(p), uint64(len(b))
}

// retArea allocates a 16-byte return area filled with 0xAA, so tests can
// check exactly which bytes the host wrote.
func newRet(t testing.TB, i *Instance) uint64 {
	t.Helper()
	p, _ := put(t, i, 4, bytes.Repeat([]byte{0xAA}, 16))
	return p
}

func read(t testing.TB, i *Instance, ptr, n uint32) []byte {
	t.Helper()
	b, err := i.Read(ptr, n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func call(t testing.TB, i *Instance, name string, args ...uint64) []uint64 {
	t.Helper()
	r, err := i.Call(name, args...)
	if err != nil {
		t.Fatalf("Call(%s): %v", name, err)
	}
	return r
}

// mapStore is a minimal kv.Store for tests that need failures injected.
type mapStore struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail error // returned by every method when set
}

func newMapStore() *mapStore { return &mapStore{m: make(map[string][]byte)} }

func (s *mapStore) Get(_ context.Context, k string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	v, ok := s.m[k]
	if !ok {
		return nil, fmt.Errorf("%w: %q", kv.ErrNotFound, k)
	}
	return slices.Clone(v), nil
}

func (s *mapStore) Set(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.m[k] = slices.Clone(v)
	return nil
}

func (s *mapStore) Delete(_ context.Context, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	delete(s.m, k)
	return nil
}

func (s *mapStore) Exists(_ context.Context, k string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return false, s.fail
	}
	_, ok := s.m[k]
	return ok, nil
}

func (s *mapStore) List(_ context.Context, o kv.ListOptions) (kv.ListPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return kv.ListPage{}, s.fail
	}
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, o.Prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return kv.ListPage{Keys: keys}, nil
}

func (s *mapStore) Close() error { return nil }
