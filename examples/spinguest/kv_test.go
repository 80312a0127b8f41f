package spinguest

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// fakeKV is a Spin host's key-value module over a map, writing results the
// way v1.5.1:sdk/go/key_value/key-value.c expects: lists and strings allocated with the guest's realloc.
type fakeKV struct {
	h       *heap
	allow   map[string]bool
	data    map[string][]byte
	handles map[uint32]bool
	next    uint32
	ioFail  string // when set, every store call fails with io(ioFail)
}

func newFakeKV(h *heap) *fakeKV {
	return &fakeKV{h: h, allow: map[string]bool{"default": true, "missing": true, "io": true}, data: map[string][]byte{}, handles: map[uint32]bool{}}
}

func (f *fakeKV) fail(ret []byte, tag byte, msg string) {
	ret[0], ret[4] = 1, tag
	if tag == 5 {
		binary.LittleEndian.PutUint32(ret[8:], hostWrite(f.h, 1, []byte(msg)))
		binary.LittleEndian.PutUint32(ret[12:], uint32(len(msg)))
	}
}

func (f *fakeKV) ok(ret []byte, store uint32) bool {
	if !f.handles[store] {
		f.fail(ret, 3, "")
		return false
	}
	if f.ioFail != "" {
		f.fail(ret, 5, f.ioFail)
		return false
	}
	ret[0] = 0
	return true
}

func (f *fakeKV) open(label string, ret []byte) {
	switch {
	case !f.allow[label]:
		f.fail(ret, 2, "")
	case label == "missing":
		f.fail(ret, 1, "")
	case label == "io":
		f.fail(ret, 5, "disk on fire")
	default:
		ret[0] = 0
		binary.LittleEndian.PutUint32(ret[4:], f.next)
		f.handles[f.next] = true
		f.next++
	}
}

func (f *fakeKV) get(store uint32, key string, ret []byte) {
	if !f.ok(ret, store) {
		return
	}
	v, ok := f.data[key]
	if !ok {
		f.fail(ret, 4, "")
		return
	}
	binary.LittleEndian.PutUint32(ret[4:], hostWrite(f.h, 1, v))
	binary.LittleEndian.PutUint32(ret[8:], uint32(len(v)))
}

func (f *fakeKV) set(store uint32, key string, value []byte, ret []byte) {
	if f.ok(ret, store) {
		f.data[key] = slices.Clone(value)
	}
}

func (f *fakeKV) delete(store uint32, key string, ret []byte) {
	if f.ok(ret, store) {
		delete(f.data, key)
	}
}

func (f *fakeKV) exists(store uint32, key string, ret []byte) {
	if f.ok(ret, store) {
		_, ok := f.data[key]
		ret[4] = 0
		if ok {
			ret[4] = 1
		}
	}
}

func (f *fakeKV) getKeys(store uint32, ret []byte) {
	if !f.ok(ret, store) {
		return
	}
	keys := make([]string, 0, len(f.data))
	for k := range f.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	arrPtr := f.h.realloc(0, 0, 4, uint32(8*len(keys)))
	for i, k := range keys {
		arr := f.h.blocks[arrPtr]
		binary.LittleEndian.PutUint32(arr[8*i:], hostWrite(f.h, 1, []byte(k)))
		binary.LittleEndian.PutUint32(arr[8*i+4:], uint32(len(k)))
	}
	binary.LittleEndian.PutUint32(ret[4:], arrPtr)
	binary.LittleEndian.PutUint32(ret[8:], uint32(len(keys)))
}

func (f *fakeKV) close(store uint32) { delete(f.handles, store) }

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name  string
		label string
		want  error
		msg   string
	}{
		{"not listed", "forbidden", ErrAccessDenied, `open "forbidden": spinguest: access denied`},
		{"no such store", "missing", ErrNoSuchStore, `open "missing": spinguest: no such store`},
		{"io error carries the host's message", "io", ErrIO, `open "io": spinguest: store i/o error: disk on fire`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHeap()
			_, err := open(newFakeKV(h), h, make([]byte, resultSize), tt.label)
			if !errors.Is(err, tt.want) || err.Error() != tt.msg {
				t.Errorf("open(%q) = %v, want %q matching %v", tt.label, err, tt.msg, tt.want)
			}
			if h.pinned() != 0 {
				t.Errorf("%d blocks pinned", h.pinned())
			}
		})
	}
}

func TestStore(t *testing.T) {
	h := testHeap()
	host := newFakeKV(h)
	s, err := open(host, h, make([]byte, resultSize), "default")
	if err != nil {
		t.Fatal(err)
	}
	if s.Label() != "default" {
		t.Errorf("Label() = %q", s.Label())
	}
	if _, err := s.Get("bar"); !errors.Is(err, ErrNoSuchKey) || err.Error() != `get "bar" in "default": spinguest: no such key` {
		t.Errorf("Get(missing) = %v", err)
	}
	if ok, err := s.Exists("bar"); ok || err != nil {
		t.Errorf("Exists(missing) = %v, %v", ok, err)
	}
	if err := s.Delete("bar"); err != nil {
		t.Errorf("Delete(missing) = %v", err)
	}
	for _, kv := range [][2]string{{"bar", "baz"}, {"bar", "wow"}, {"", "empty key"}, {"nil", ""}} {
		if err := s.Set(kv[0], []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get(kv[0]); err != nil || string(v) != kv[1] {
			t.Errorf("Get(%q) = %q, %v, want %q", kv[0], v, err, kv[1])
		}
	}
	if ok, err := s.Exists("bar"); !ok || err != nil {
		t.Errorf("Exists(bar) = %v, %v", ok, err)
	}
	if keys, err := s.GetKeys(); err != nil || !slices.Equal(keys, []string{"", "bar", "nil"}) {
		t.Errorf("GetKeys() = %q, %v", keys, err)
	}
	for _, k := range []string{"", "bar", "nil"} {
		if err := s.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	if keys, err := s.GetKeys(); err != nil || len(keys) != 0 {
		t.Errorf("GetKeys() after deletes = %q, %v", keys, err)
	}

	host.ioFail = "connection refused"
	if err := s.Set("k", nil); !errors.Is(err, ErrIO) || err.Error() != `set "k" in "default": spinguest: store i/o error: connection refused` {
		t.Errorf("Set with failing backend = %v", err)
	}
	host.ioFail = ""

	host.close(s.handle) // the host forgets the handle: invalid-store
	if _, err := s.GetKeys(); !errors.Is(err, ErrInvalidStore) {
		t.Errorf("GetKeys on a handle the host closed = %v", err)
	}
	s.Close()
	s.Close()
	if _, err := s.Get("bar"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v", err)
	}
	if h.pinned() != 0 {
		t.Errorf("%d blocks pinned: results not taken over by the guest", h.pinned())
	}
}

func TestResultBadTags(t *testing.T) {
	h := testHeap()
	for _, ret := range [][]byte{
		{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{1, 0, 0, 0, 5, 0, 0, 0, 0xad, 0xde, 0, 0, 3, 0, 0, 0},
	} {
		if err := result(h, ret); !errors.Is(err, ErrIO) {
			t.Errorf("result(%v) = %v, want an ErrIO", ret, err)
		}
	}
}

// FuzzKVResult feeds arbitrary return areas (as a hostile host could write
// them) to the key-value result decoding: every call returns a value or an
// error, never panics.
func FuzzKVResult(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0x00, 0x10, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 5, 0, 0, 0, 0x00, 0x10, 0, 0, 5, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0x08, 0x10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, area []byte) {
		h := testHeap()
		hostWrite(h, 1, []byte("hello")) // 0x1000: a real block to point at
		hostWrite(h, 4, make([]byte, 8)) // 0x1010: room for a key array
		ret := make([]byte, resultSize)
		copy(ret, area)
		imp := replay{ret: ret}
		s := &Store{imp: imp, heap: h, ret: make([]byte, resultSize), label: "fuzz"}
		s.Get("k")
		s.Exists("k")
		s.GetKeys()
		s.Set("k", nil)
		open(imp, h, make([]byte, resultSize), "fuzz")
	})
}

// replay is a host that answers every call with the same return area.
type replay struct{ ret []byte }

func (r replay) open(_ string, ret []byte)             { copy(ret, r.ret) }
func (r replay) get(_ uint32, _ string, ret []byte)    { copy(ret, r.ret) }
func (r replay) set(_ uint32, _ string, _, ret []byte) { copy(ret, r.ret) }
func (r replay) delete(_ uint32, _ string, ret []byte) { copy(ret, r.ret) }
func (r replay) exists(_ uint32, _ string, ret []byte) { copy(ret, r.ret) }
func (r replay) getKeys(_ uint32, ret []byte)          { copy(ret, r.ret) }
func (r replay) close(uint32)                          {}
