package host

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/spindlekv/spindle/internal/abi"
	"github.com/spindlekv/spindle/kv"
)

// Tags of the key-value error variant (v1.5.1:wit/ephemeral/key-value.wit).
const (
	kvErrStoreTableFull uint8 = iota
	kvErrNoSuchStore
	kvErrAccessDenied
	kvErrInvalidStore
	kvErrNoSuchKey
	kvErrIO
)

// kvResultSize is the size of every key-value return area:
// expected<T, error> with tag at +0 and payload at +4.
const kvResultSize = resultSize

// kvError is an error result to be written into the return area.
type kvError struct {
	tag uint8
	msg string // io only
}

// writeKVErr writes err(e) into the return area at ret.
func writeKVErr(g guest, ret uint32, e kvError) error {
	return writeErr(g, ret, e.tag, e.msg, e.tag == kvErrIO)
}

// ioError maps a store error to the io variant with the error's text.
func ioError(err error) kvError { return kvError{tag: kvErrIO, msg: err.Error()} }

// kvStore returns the store behind an open handle.
func (st *instanceState) kvStore(h uint32) (kv.Store, bool) {
	return st.handles.get(h)
}

// readKey reads a key argument: bounds-checked, valid UTF-8 (else a trap).
func readKey(g guest, ptr, n uint32) (string, error) {
	k, err := abi.String(g.memory(), ptr, n)
	if err != nil {
		return "", fmt.Errorf("key: %w", err)
	}
	return k, nil
}

// kvOpen implements open(name_ptr, name_len, ret).
func kvOpen(st *instanceState, g guest, a []uint64) error {
	ret := uint32(a[2])
	if _, err := retArea(g, ret, kvResultSize); err != nil {
		return err
	}
	b, err := abi.Bytes(g.memory(), uint32(a[0]), uint32(a[1]))
	if err != nil {
		return fmt.Errorf("store label: %w", err)
	}
	label, ok := st.comp.allowedLabel(b)
	if !ok {
		if !utf8.Valid(b) {
			return fmt.Errorf("store label: %w: %d bytes at %#x", abi.ErrInvalidUTF8, len(b), a[0])
		}
		return writeKVErr(g, ret, kvError{tag: kvErrAccessDenied})
	}
	if st.comp.cfg.Stores == nil {
		return writeKVErr(g, ret, kvError{tag: kvErrNoSuchStore})
	}
	s, err := st.comp.cfg.Stores.Resolve(st.storeCtx(), label)
	switch {
	case errors.Is(err, kv.ErrNoSuchStore):
		return writeKVErr(g, ret, kvError{tag: kvErrNoSuchStore})
	case err != nil:
		return writeKVErr(g, ret, ioError(err))
	case s == nil:
		return writeKVErr(g, ret, kvError{tag: kvErrNoSuchStore})
	}
	h, ok := st.newHandle(s)
	if !ok {
		return writeKVErr(g, ret, kvError{tag: kvErrStoreTableFull})
	}
	return writeOK(g, ret, h)
}

// newHandle stores s under the next free handle. Handles start at 0 and
// increase; numbers are reused only after wrapping around.
func (st *instanceState) newHandle(s kv.Store) (uint32, bool) {
	if uint64(st.handles.n) >= st.maxHandles {
		return 0, false
	}
	for {
		h := st.nextHandle
		st.nextHandle++
		if !st.handles.used(h) {
			st.handles.put(h, s)
			return h, true
		}
	}
}

// keyCall decodes the arguments shared by get, delete and exists
// (store, key_ptr, key_len, ret), checking the return area, then the key,
// then the handle. A nil Store means the call is over: err is a trap, or
// nil once invalid-store has been written to the return area.
func keyCall(st *instanceState, g guest, a []uint64) (s kv.Store, key string, ret uint32, err error) {
	ret = uint32(a[3])
	if _, err := retArea(g, ret, kvResultSize); err != nil {
		return nil, "", 0, err
	}
	key, err = readKey(g, uint32(a[1]), uint32(a[2]))
	if err != nil {
		return nil, "", 0, err
	}
	s, ok := st.kvStore(uint32(a[0]))
	if !ok {
		return nil, "", 0, writeKVErr(g, ret, kvError{tag: kvErrInvalidStore})
	}
	return s, key, ret, nil
}

// kvGet implements get(store, key_ptr, key_len, ret).
func kvGet(st *instanceState, g guest, a []uint64) error {
	s, key, ret, err := keyCall(st, g, a)
	if s == nil {
		return err
	}
	v, err := s.Get(st.storeCtx(), key)
	if errors.Is(err, kv.ErrNotFound) {
		return writeKVErr(g, ret, kvError{tag: kvErrNoSuchKey})
	}
	if err != nil {
		return writeKVErr(g, ret, ioError(err))
	}
	ptr, n, err := lowerBytes(g, 1, v)
	if err != nil {
		return err
	}
	return writeOK(g, ret, ptr, n)
}

// kvSet implements set(store, key_ptr, key_len, val_ptr, val_len, ret).
func kvSet(st *instanceState, g guest, a []uint64) error {
	ret := uint32(a[5])
	if _, err := retArea(g, ret, kvResultSize); err != nil {
		return err
	}
	key, err := readKey(g, uint32(a[1]), uint32(a[2]))
	if err != nil {
		return err
	}
	// The store must not retain the value (kv.Store contract), and guest
	// memory cannot change while the guest waits for this call, so the
	// value is passed without copying.
	val, err := abi.Bytes(g.memory(), uint32(a[3]), uint32(a[4]))
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	s, ok := st.kvStore(uint32(a[0]))
	if !ok {
		return writeKVErr(g, ret, kvError{tag: kvErrInvalidStore})
	}
	if err := s.Set(st.storeCtx(), key, val); err != nil {
		return writeKVErr(g, ret, ioError(err))
	}
	return writeOK(g, ret)
}

// kvDelete implements delete(store, key_ptr, key_len, ret).
func kvDelete(st *instanceState, g guest, a []uint64) error {
	s, key, ret, err := keyCall(st, g, a)
	if s == nil {
		return err
	}
	if err := s.Delete(st.storeCtx(), key); err != nil {
		return writeKVErr(g, ret, ioError(err))
	}
	return writeOK(g, ret)
}

// kvExists implements exists(store, key_ptr, key_len, ret).
func kvExists(st *instanceState, g guest, a []uint64) error {
	s, key, ret, err := keyCall(st, g, a)
	if s == nil {
		return err
	}
	found, err := s.Exists(st.storeCtx(), key)
	if err != nil {
		return writeKVErr(g, ret, ioError(err))
	}
	return writeOKBool(g, ret, found)
}

// kvGetKeys implements get-keys(store, ret): the outer array is allocated
// first (align 4, 8 bytes per key), then each key (align 1).
func kvGetKeys(st *instanceState, g guest, a []uint64) error {
	ret := uint32(a[1])
	if _, err := retArea(g, ret, kvResultSize); err != nil {
		return err
	}
	s, ok := st.kvStore(uint32(a[0]))
	if !ok {
		return writeKVErr(g, ret, kvError{tag: kvErrInvalidStore})
	}
	keys, err := kv.AllKeys(st.storeCtx(), s, "")
	if err != nil {
		return writeKVErr(g, ret, ioError(err))
	}
	n, err := abi.Len32(len(keys))
	if err != nil {
		return err
	}
	size, err := abi.Size(n, 8)
	if err != nil {
		return err
	}
	arr, err := g.realloc(4, size)
	if err != nil {
		return err
	}
	for i, k := range keys {
		ptr, kn, err := lowerBytes(g, 1, []byte(k))
		if err != nil {
			return fmt.Errorf("key %d of %d: %w", i, len(keys), err)
		}
		// arr+8*i+8 <= arr+size, which realloc checked against memory
		// (and memory never shrinks).
		elem, err := abi.Bytes(g.memory(), arr+uint32(8*i), 8)
		if err != nil {
			return err
		}
		put32(elem, 0, ptr)
		put32(elem, 4, kn)
	}
	return writeOK(g, ret, arr, n)
}

// kvClose implements close(store); an unknown handle is ignored.
func kvClose(st *instanceState, _ guest, a []uint64) error {
	st.handles.del(uint32(a[0]))
	return nil
}
