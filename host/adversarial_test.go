package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv"
)

// adversarialWAT adds misbehaving exports to the prelude.
const adversarialWAT = `
  (func (export "boom") unreachable)
  (func (export "spin") (loop $l (br $l)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func $recurse (export "recurse") (call $recurse))
`

// lyingWAT is a guest whose canonical_abi_realloc returns a pointer at the
// very end of the 32-bit address space.
const lyingWAT = `(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "get" (func $get (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const -16))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (data (i32.const 16) "default")
  (data (i32.const 32) "k")
  ;; open("default") into area 64, then get(handle, "k") into area 64
  (func (export "run")
    (call $open (i32.const 16) (i32.const 7) (i32.const 64))
    (call $get (i32.load (i32.const 68)) (i32.const 32) (i32.const 1) (i32.const 64))))
`

type advEnv struct {
	e     *Engine
	c     *Module
	store *mapStore
}

func newAdv(t *testing.T, opts *Options) *advEnv {
	return newAdvOn(t, testEngine(t, opts))
}

func newAdvOn(t *testing.T, e *Engine) *advEnv {
	s := newMapStore()
	c := compile(t, e, guestWAT(adversarialWAT), Config{
		ID:             "adv",
		KeyValueStores: []string{"default"},
		Stores:         kv.Stores{"default": s},
	})
	return &advEnv{e: e, c: c, store: s}
}

// checkTrap asserts err is a trap naming the component and containing want.
func checkTrap(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrTrap) {
		t.Fatalf("error = %v, want ErrTrap", err)
	}
	if !strings.Contains(err.Error(), `"adv"`) {
		t.Errorf("error %q does not name the component", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not mention %q", err, want)
	}
}

// healthy runs a correct set+get on a fresh instance of the same engine.
func (a *advEnv) healthy(t *testing.T) {
	t.Helper()
	h := newHarness(t, a.c)
	s := uint64(h.open("default"))
	kp, kn := h.str("ok-key")
	vp, vn := h.str("ok-value")
	if got, _ := h.do("set", s, kp, kn, vp, vn); got[0] != 0 {
		t.Fatalf("set after adversarial call = % x", got)
	}
	got, _ := h.do("get", s, kp, kn)
	if got[0] != 0 {
		t.Fatalf("get after adversarial call = % x", got)
	}
	if v := read(t, h.i, le32(got[4:]), le32(got[8:])); string(v) != "ok-value" {
		t.Fatalf("get after adversarial call = %q", v)
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func TestAdversarialOutOfBoundsPointer(t *testing.T) {
	a := newAdv(t, nil)
	h := newHarness(t, a.c)
	s := uint64(h.open("default"))
	_, err := h.i.Call("get", s, 10<<16, 3, uint64(newRet(t, h.i)))
	checkTrap(t, err, "key-value.get")
	checkTrap(t, err, "out of bounds")
	a.healthy(t)
}

func TestAdversarialPointerPlusLengthOverflow(t *testing.T) {
	a := newAdv(t, nil)
	h := newHarness(t, a.c)
	s := uint64(h.open("default"))
	_, err := h.i.Call("get", s, 0xFFFFFFF0, 0x20, uint64(newRet(t, h.i)))
	checkTrap(t, err, "out of bounds")
	vp, _ := h.str("v")
	kp, kn := h.str("k")
	_, err = h.i.Call("set", s, kp, kn, vp, 0xFFFFFFFF, uint64(newRet(t, h.i)))
	checkTrap(t, err, "out of bounds")
	if ok, _ := a.store.Exists(t.Context(), "k"); ok {
		t.Error("set with a bad value pointer stored the key")
	}
	a.healthy(t)
}

func TestAdversarialReturnAreaOutOfBounds(t *testing.T) {
	a := newAdv(t, nil)
	h := newHarness(t, a.c)
	s := uint64(h.open("default"))
	kp, kn := h.str("k")
	_, err := h.i.Call("set", s, kp, kn, kp, kn, 0xFFFFFFF8)
	checkTrap(t, err, "return area")
	if ok, _ := a.store.Exists(t.Context(), "k"); ok {
		t.Error("set with a bad return area stored the key")
	}
	a.healthy(t)
}

func TestAdversarialLyingRealloc(t *testing.T) {
	a := newAdv(t, nil)
	a.store.m["k"] = []byte("value")
	liar := compile(t, a.e, lyingWAT, Config{
		ID: "adv", KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": a.store},
	})
	i := instantiate(t, liar)
	_, err := i.Call("run")
	checkTrap(t, err, "canonical_abi_realloc")
	_, err = i.Alloc(1, 32)
	checkTrap(t, err, "out of bounds")
	a.healthy(t)
}

func TestAdversarialInvalidUTF8Key(t *testing.T) {
	a := newAdv(t, nil)
	h := newHarness(t, a.c)
	s := uint64(h.open("default"))
	kp, kn := put(t, h.i, 1, []byte{'k', 0xff, 0xfe})
	_, err := h.i.Call("set", s, kp, kn, kp, kn, uint64(newRet(t, h.i)))
	checkTrap(t, err, "UTF-8")
	lp, ln := put(t, h.i, 1, []byte{0xc3})
	_, err = h.i.Call("open", lp, ln, uint64(newRet(t, h.i)))
	checkTrap(t, err, "UTF-8")
	a.healthy(t)
}

func TestAdversarialTrapInHandler(t *testing.T) {
	a := newAdv(t, nil)
	i := instantiate(t, a.c)
	_, err := i.Call("boom")
	checkTrap(t, err, "unreachable")
	a.healthy(t)
}

func TestAdversarialStackOverflow(t *testing.T) {
	a := newAdv(t, nil)
	i := instantiate(t, a.c)
	_, err := i.Call("recurse")
	checkTrap(t, err, "stack")
	a.healthy(t)
}

func TestAdversarialInfiniteLoop(t *testing.T) {
	a := newAdv(t, &Options{Timeout: 100 * time.Millisecond})
	i := instantiate(t, a.c)
	_, err := i.Call("spin")
	checkTrap(t, err, "interrupted")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	a.healthy(t)
}

func TestAdversarialContextDeadline(t *testing.T) {
	a := newAdv(t, nil) // default 30 s timeout: the context's deadline must win
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	i, err := a.c.Instantiate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	_, err = i.Call("spin")
	checkTrap(t, err, "interrupted")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	a.healthy(t)
}

func TestAdversarialMemoryLimit(t *testing.T) {
	a := newAdv(t, &Options{MaxMemory: 1 << 20})
	i := instantiate(t, a.c)
	r := call(t, i, "grow", 100) // 6.4 MiB: past the limit
	if int32(r[0]) != -1 {
		t.Fatalf("memory.grow past the limit = %d, want -1", int32(r[0]))
	}
	_, err := i.Alloc(1, 4<<20) // the guest allocator traps when it cannot grow
	checkTrap(t, err, "unreachable")
	a.healthy(t)
}

func TestAdversarialHugeGetKeys(t *testing.T) {
	a := newAdv(t, &Options{MaxMemory: 1 << 20})
	long := strings.Repeat("x", 200)
	for k := range 10000 { // ~2 MB of keys: more than the guest may hold
		a.store.m[fmt.Sprintf("%s-%05d", long, k)] = nil
	}
	h := newHarness(t, a.c)
	s := uint64(h.open("default"))
	_, err := h.i.Call("get-keys", s, uint64(newRet(t, h.i)))
	checkTrap(t, err, "key-value.get-keys")
	clear(a.store.m)
	a.healthy(t)
}

func TestAdversarialHostPanic(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, guestWAT(""), Config{
		ID: "adv", KeyValueStores: []string{"default"}, Stores: panicResolver{},
	})
	h := newHarness(t, c)
	p, n := h.str("default")
	_, err := h.i.Call("open", p, n, uint64(newRet(t, h.i)))
	checkTrap(t, err, "panicked")
	newAdvOn(t, e).healthy(t)
}

type panicResolver struct{}

func (panicResolver) Resolve(context.Context, string) (kv.Store, error) { panic("resolver bug") }

// blockingStore's Get waits until its context ends.
type blockingStore struct{ *mapStore }

func (s blockingStore) Get(ctx context.Context, _ string) ([]byte, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

func TestStoreCallBoundedByDeadline(t *testing.T) {
	e := testEngine(t, &Options{Timeout: 100 * time.Millisecond})
	c := compile(t, e, guestWAT(""), Config{
		ID: "adv", KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": blockingStore{newMapStore()}},
	})
	h := newHarness(t, c)
	s := uint64(h.open("default"))
	kp, kn := h.str("k")
	// The store call ends at the instance deadline; the guest is then past
	// its deadline too, so the call fails as a timeout instead of hanging.
	_, err := h.i.Call("get", s, kp, kn, uint64(newRet(t, h.i)))
	checkTrap(t, err, "key-value.get")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
}
