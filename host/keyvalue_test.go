package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// harness drives the prelude's forwarding exports of one instance.
type harness struct {
	t testing.TB
	i *Instance
}

func newHarness(t testing.TB, c *Module) *harness {
	return &harness{t: t, i: instantiate(t, c)}
}

func (h *harness) str(s string) (uint64, uint64) {
	h.t.Helper()
	return put(h.t, h.i, 1, []byte(s))
}

// do calls export name with args followed by a fresh return area and
// returns the 16 bytes of that area.
func (h *harness) do(name string, args ...uint64) (area []byte, ret uint32) {
	h.t.Helper()
	r := newRet(h.t, h.i)
	call(h.t, h.i, name, append(args, r)...)
	return read(h.t, h.i, uint32(r), 16), uint32(r)
}

// allocs returns the number of realloc calls the guest has seen.
func (h *harness) allocs() int {
	h.t.Helper()
	return int(binary.LittleEndian.Uint32(read(h.t, h.i, 512, 4)))
}

// allocsSince returns the (align, size) of realloc calls after the n-th.
func (h *harness) allocsSince(n int) [][2]uint32 {
	h.t.Helper()
	var out [][2]uint32
	for k := n; k < h.allocs(); k++ {
		b := read(h.t, h.i, 516+uint32(8*k), 8)
		out = append(out, [2]uint32{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])})
	}
	return out
}

func (h *harness) open(label string) uint32 {
	h.t.Helper()
	p, n := h.str(label)
	area, _ := h.do("open", p, n)
	if area[0] != 0 {
		h.t.Fatalf("open(%q) = %x, want ok", label, area)
	}
	return binary.LittleEndian.Uint32(area[4:])
}

// area returns the expected return area: 0xAA everywhere except the
// given offsets.
func area(set map[int]byte) []byte {
	b := bytes.Repeat([]byte{0xAA}, 16)
	for off, v := range set {
		b[off] = v
	}
	return b
}

// errArea is the expected bytes of err(tag) without payload.
func errArea(tag uint8) []byte { return area(map[int]byte{0: 1, 4: tag}) }

// okU32 is the expected bytes of ok(u32 v).
func okU32(v uint32) []byte {
	b := area(map[int]byte{0: 0})
	binary.LittleEndian.PutUint32(b[4:], v)
	return b
}

// stores returns the kv backends the key-value tests run against.
func stores(t *testing.T) map[string]func(t *testing.T) kv.Store {
	return map[string]func(t *testing.T) kv.Store{
		"map":    func(*testing.T) kv.Store { return newMapStore() },
		"memory": func(*testing.T) kv.Store { return memory.New() },
		"sqlite": func(t *testing.T) kv.Store {
			db, err := sqlite.Open(filepath.Join(t.TempDir(), "sqlite_key_value.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			s, err := db.Store("default")
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

func kvModule(t *testing.T, s kv.Store) *Module {
	e := testEngine(t, nil)
	return compile(t, e, guestWAT(""), Config{
		KeyValueStores: []string{"default", "other", "missing"},
		Stores:         kv.Stores{"default": s, "other": s, "forbidden": s},
	})
}

func TestKeyValue(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			c := kvModule(t, newStore(t))
			t.Run("open", func(t *testing.T) { testOpen(t, c) })
			t.Run("get set delete exists", func(t *testing.T) { testGetSetDeleteExists(t, c) })
			t.Run("get-keys", func(t *testing.T) { testGetKeys(t, c) })
			t.Run("invalid store", func(t *testing.T) { testInvalidStore(t, c) })
			t.Run("close", func(t *testing.T) { testClose(t, c) })
		})
	}
}

func testOpen(t *testing.T, c *Module) {
	h := newHarness(t, c)
	tests := []struct {
		name  string
		label string
		want  []byte
	}{
		{name: "first handle is 0", label: "default", want: okU32(0)},
		{name: "second handle is 1", label: "default", want: okU32(1)},
		{name: "other label gets the next handle", label: "other", want: okU32(2)},
		{name: "label not listed is access-denied even if the store exists", label: "forbidden", want: errArea(kvErrAccessDenied)},
		{name: "unknown label is access-denied", label: "nope", want: errArea(kvErrAccessDenied)},
		{name: "listed label the resolver lacks is no-such-store", label: "missing", want: errArea(kvErrNoSuchStore)},
		{name: "failures do not use up handles", label: "default", want: okU32(3)},
	}
	for _, tt := range tests {
		p, n := h.str(tt.label)
		got, _ := h.do("open", p, n)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: open(%q) area = % x, want % x", tt.name, tt.label, got, tt.want)
		}
	}
}

func testGetSetDeleteExists(t *testing.T, c *Module) {
	h := newHarness(t, c)
	s := uint64(h.open("default"))
	key := fmt.Sprintf("key-%s", t.Name())
	kp, kn := h.str(key)

	if got, want := first(h.do("delete", s, kp, kn)), area(map[int]byte{0: 0}); !bytes.Equal(got, want) {
		t.Errorf("delete of missing key = % x, want % x", got, want)
	}
	if got, want := first(h.do("exists", s, kp, kn)), area(map[int]byte{0: 0, 4: 0}); !bytes.Equal(got, want) {
		t.Errorf("exists of missing key = % x, want % x", got, want)
	}
	if got, want := first(h.do("get", s, kp, kn)), errArea(kvErrNoSuchKey); !bytes.Equal(got, want) {
		t.Errorf("get of missing key = % x, want % x", got, want)
	}
	for _, val := range []string{"baz", "wow", ""} {
		vp, vn := h.str(val)
		if got, want := first(h.do("set", s, kp, kn, vp, vn)), area(map[int]byte{0: 0}); !bytes.Equal(got, want) {
			t.Errorf("set %q = % x, want % x", val, got, want)
		}
		before := h.allocs()
		got, _ := h.do("get", s, kp, kn)
		allocs := h.allocsSince(before + 1) // skip the return area itself
		if got[0] != 0 || !bytes.Equal(got[1:4], []byte{0xAA, 0xAA, 0xAA}) || !bytes.Equal(got[12:], []byte{0xAA, 0xAA, 0xAA, 0xAA}) {
			t.Fatalf("get %q area = % x, want ok with bytes 1-3 and 12-15 untouched", val, got)
		}
		ptr, n := binary.LittleEndian.Uint32(got[4:]), binary.LittleEndian.Uint32(got[8:])
		if v := read(t, h.i, ptr, n); string(v) != val {
			t.Errorf("get value = %q, want %q", v, val)
		}
		if want := [][2]uint32{{1, uint32(len(val))}}; !slices.Equal(allocs, want) {
			t.Errorf("get realloc calls (align, size) = %v, want %v", allocs, want)
		}
	}
	if got, want := first(h.do("exists", s, kp, kn)), area(map[int]byte{0: 0, 4: 1}); !bytes.Equal(got, want) {
		t.Errorf("exists of present key = % x, want % x", got, want)
	}
	if got, want := first(h.do("delete", s, kp, kn)), area(map[int]byte{0: 0}); !bytes.Equal(got, want) {
		t.Errorf("delete = % x, want % x", got, want)
	}
	if got, want := first(h.do("get", s, kp, kn)), errArea(kvErrNoSuchKey); !bytes.Equal(got, want) {
		t.Errorf("get after delete = % x, want % x", got, want)
	}
}

func first(b []byte, _ uint32) []byte { return b }

func testGetKeys(t *testing.T, c *Module) {
	h := newHarness(t, c)
	s := uint64(h.open("default"))
	prefix := t.Name() + "/"
	keys := []string{prefix + "a", prefix + "bb", prefix + "ccc", prefix + "é"}
	for _, k := range keys {
		kp, kn := h.str(k)
		vp, vn := h.str("v")
		h.do("set", s, kp, kn, vp, vn)
	}
	before := h.allocs()
	got, _ := h.do("get-keys", s)
	allocs := h.allocsSince(before + 1)
	if got[0] != 0 || !bytes.Equal(got[12:], []byte{0xAA, 0xAA, 0xAA, 0xAA}) {
		t.Fatalf("get-keys area = % x", got)
	}
	arr, n := binary.LittleEndian.Uint32(got[4:]), binary.LittleEndian.Uint32(got[8:])
	elems := read(t, h.i, arr, 8*n)
	var listed []string
	for k := range n {
		p, l := binary.LittleEndian.Uint32(elems[8*k:]), binary.LittleEndian.Uint32(elems[8*k+4:])
		listed = append(listed, string(read(t, h.i, p, l)))
	}
	var mine []string
	for _, k := range listed {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			mine = append(mine, k)
		}
	}
	slices.Sort(mine)
	if !slices.Equal(mine, keys) {
		t.Errorf("get-keys listed %q, want %q among them", listed, keys)
	}
	want := [][2]uint32{{4, 8 * n}}
	for _, k := range listed {
		want = append(want, [2]uint32{1, uint32(len(k))})
	}
	if !slices.Equal(allocs, want) {
		t.Errorf("get-keys realloc calls (align, size) = %v, want %v (outer array first)", allocs, want)
	}
}

func testInvalidStore(t *testing.T, c *Module) {
	h := newHarness(t, c)
	kp, kn := h.str("k")
	want := errArea(kvErrInvalidStore)
	for _, handle := range []uint64{0, 7, 0xFFFFFFFF} {
		for name, args := range map[string][]uint64{
			"get":      {handle, kp, kn},
			"set":      {handle, kp, kn, kp, kn},
			"delete":   {handle, kp, kn},
			"exists":   {handle, kp, kn},
			"get-keys": {handle},
		} {
			if got, _ := h.do(name, args...); !bytes.Equal(got, want) {
				t.Errorf("%s with handle %d = % x, want % x", name, handle, got, want)
			}
		}
	}
}

func testClose(t *testing.T, c *Module) {
	h := newHarness(t, c)
	s := h.open("default")
	call(t, h.i, "close", uint64(s))
	call(t, h.i, "close", uint64(s)) // unknown handle: ignored
	call(t, h.i, "close", 12345)
	kp, kn := h.str("k")
	if got, want := first(h.do("get", uint64(s), kp, kn)), errArea(kvErrInvalidStore); !bytes.Equal(got, want) {
		t.Errorf("get after close = % x, want % x", got, want)
	}
	if got := h.open("default"); got != s+1 {
		t.Errorf("open after close = handle %d, want %d (closed numbers are not reused)", got, s+1)
	}
}

func TestKeyValueIOError(t *testing.T) {
	s := newMapStore()
	c := kvModule(t, s)
	h := newHarness(t, c)
	hd := uint64(h.open("default"))
	s.fail = errors.New("disk on fire")
	kp, kn := h.str("k")
	for name, args := range map[string][]uint64{
		"get":      {hd, kp, kn},
		"set":      {hd, kp, kn, kp, kn},
		"delete":   {hd, kp, kn},
		"exists":   {hd, kp, kn},
		"get-keys": {hd},
	} {
		before := h.allocs()
		got, _ := h.do(name, args...)
		allocs := h.allocsSince(before + 1)
		if got[0] != 1 || got[4] != kvErrIO || !bytes.Equal(got[1:4], []byte{0xAA, 0xAA, 0xAA}) || !bytes.Equal(got[5:8], []byte{0xAA, 0xAA, 0xAA}) {
			t.Errorf("%s area = % x, want err(io)", name, got)
			continue
		}
		p, n := binary.LittleEndian.Uint32(got[8:]), binary.LittleEndian.Uint32(got[12:])
		if msg := string(read(t, h.i, p, n)); msg != "disk on fire" {
			t.Errorf("%s io message = %q", name, msg)
		}
		if want := [][2]uint32{{1, n}}; !slices.Equal(allocs, want) {
			t.Errorf("%s realloc calls = %v, want %v", name, allocs, want)
		}
	}
}

func TestKeyValueResolverErrors(t *testing.T) {
	e := testEngine(t, nil)
	tests := []struct {
		name     string
		resolver kv.Resolver
		want     []byte
	}{
		{name: "nil resolver", resolver: nil, want: errArea(kvErrNoSuchStore)},
		{name: "resolver error", resolver: failingResolver{errors.New("backend down")}, want: nil},
		{name: "wrapped no such store", resolver: failingResolver{fmt.Errorf("x: %w", kv.ErrNoSuchStore)}, want: errArea(kvErrNoSuchStore)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compile(t, e, guestWAT(""), Config{KeyValueStores: []string{"default"}, Stores: tt.resolver})
			h := newHarness(t, c)
			p, n := h.str("default")
			got, _ := h.do("open", p, n)
			if tt.want == nil {
				if got[0] != 1 || got[4] != kvErrIO {
					t.Fatalf("open = % x, want err(io)", got)
				}
				if msg := read(t, h.i, binary.LittleEndian.Uint32(got[8:]), binary.LittleEndian.Uint32(got[12:])); string(msg) != "backend down" {
					t.Errorf("io message = %q", msg)
				}
				return
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("open = % x, want % x", got, tt.want)
			}
		})
	}
}

type failingResolver struct{ err error }

func (r failingResolver) Resolve(context.Context, string) (kv.Store, error) { return nil, r.err }

func TestKeyValueStoreTableFull(t *testing.T) {
	c := kvModule(t, newMapStore())
	h := newHarness(t, c)
	h.i.st.maxHandles = 2
	h.open("default")
	h.open("default")
	p, n := h.str("default")
	if got, want := first(h.do("open", p, n)), errArea(kvErrStoreTableFull); !bytes.Equal(got, want) {
		t.Errorf("open with full table = % x, want % x", got, want)
	}
}

// TestNestedHostCalls runs key-value calls whose results are allocated by a
// realloc that itself calls key-value imports (host → guest → host).
func TestNestedHostCalls(t *testing.T) {
	nested := strings.Replace(guestPrelude,
		"(local $p i32)\n",
		"(local $p i32)\n    (call $exists (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 256))\n    (call $close (i32.const 99))\n", 1)
	if nested == guestPrelude {
		t.Fatal("prelude changed: cannot insert the nested call")
	}
	e := testEngine(t, nil)
	store := memory.New()
	if err := store.Set(t.Context(), "", nil); err != nil { // the key the nested exists asks for
		t.Fatal(err)
	}
	c := compile(t, e, "(module "+nested+")", Config{
		KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": store},
	})
	h := newHarness(t, c)
	s := uint64(h.open("default"))
	for _, k := range []string{"a", "b"} {
		kp, kn := h.str(k)
		h.do("set", s, kp, kn, kp, kn)
	}
	got, _ := h.do("get-keys", s)
	if got[0] != 0 || le32(got[8:]) != 3 {
		t.Fatalf("get-keys = % x", got)
	}
	elems := read(t, h.i, le32(got[4:]), 24)
	for k, want := range []string{"", "a", "b"} {
		if v := read(t, h.i, le32(elems[8*k:]), le32(elems[8*k+4:])); string(v) != want {
			t.Errorf("key %d = %q, want %q", k, v, want)
		}
	}
	if nestedArea := read(t, h.i, 256, 8); nestedArea[0] != 0 || nestedArea[4] != 1 {
		t.Errorf("nested exists area = % x, want ok(true)", nestedArea)
	}
}
