package spinguest

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors returned by the key-value functions, one per error case of Spin's
// key-value interface (v1.5.1:wit/ephemeral/key-value.wit). Match them with errors.Is.
var (
	// ErrStoreTableFull: the host has no room for another open store.
	ErrStoreTableFull = errors.New("spinguest: store table full")
	// ErrNoSuchStore: the label is allowed but the host has no such store.
	ErrNoSuchStore = errors.New("spinguest: no such store")
	// ErrAccessDenied: the label is not in the component's key_value_stores.
	ErrAccessDenied = errors.New("spinguest: access denied")
	// ErrInvalidStore: the store handle is not open in the host.
	ErrInvalidStore = errors.New("spinguest: invalid store")
	// ErrNoSuchKey: Get of a key that does not exist.
	ErrNoSuchKey = errors.New("spinguest: no such key")
	// ErrIO: the host's store failed; the error text carries the host's message.
	ErrIO = errors.New("spinguest: store i/o error")
	// ErrClosed: the Store was closed by this guest.
	ErrClosed = errors.New("spinguest: store closed")
	// ErrNotGuest: key-value needs a Spin host, i.e. a GOOS=wasip1 build.
	ErrNotGuest = errors.New("spinguest: key-value is only available in a GOOS=wasip1 guest")
)

// errorTags maps the ABI's error variant tags to the sentinels.
var errorTags = [...]error{ErrStoreTableFull, ErrNoSuchStore, ErrAccessDenied, ErrInvalidStore, ErrNoSuchKey, ErrIO}

// resultSize is the size of every key-value return area (v1.5.1:wit/ephemeral/key-value.wit).
const resultSize = 16

// kvImports is the key-value import module as raw core calls: each writes
// its expected<T, error> result into ret (16 bytes). A wasip1 guest uses
// the real imports; tests use a fake host.
type kvImports interface {
	open(label string, ret []byte)
	get(store uint32, key string, ret []byte)
	set(store uint32, key string, value []byte, ret []byte)
	delete(store uint32, key string, ret []byte)
	exists(store uint32, key string, ret []byte)
	getKeys(store uint32, ret []byte)
	close(store uint32)
}

// Store is an open key-value store of the host. It is not safe for
// concurrent use (a wasip1 guest runs one goroutine at a time anyway).
// Close it when done; the host also closes it when the instance ends.
type Store struct {
	imp    kvImports
	heap   *heap
	ret    []byte
	handle uint32
	label  string
	closed bool
}

func open(imp kvImports, h *heap, ret []byte, label string) (*Store, error) {
	imp.open(label, ret)
	if err := result(h, ret); err != nil {
		return nil, fmt.Errorf("open %q: %w", label, err)
	}
	return &Store{imp: imp, heap: h, ret: ret, handle: binary.LittleEndian.Uint32(ret[4:]), label: label}, nil
}

// result decodes the tag of an expected<T, error> return area and, for an
// error, the error case (taking ownership of an io message).
func result(h *heap, ret []byte) error {
	switch ret[0] {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("%w: result tag %d", ErrIO, ret[0])
	}
	tag := ret[4]
	if int(tag) >= len(errorTags) {
		return fmt.Errorf("%w: error tag %d", ErrIO, tag)
	}
	if err := errorTags[tag]; err != ErrIO {
		return err
	}
	msg, err := h.take(binary.LittleEndian.Uint32(ret[8:]), binary.LittleEndian.Uint32(ret[12:]))
	if err != nil {
		return fmt.Errorf("%w: (unreadable message: %v)", ErrIO, err)
	}
	return fmt.Errorf("%w: %s", ErrIO, msg)
}

func (s *Store) check(op, key string) error {
	if s == nil || s.closed {
		return fmt.Errorf("%s %q in %q: %w", op, key, s.name(), ErrClosed)
	}
	return nil
}

func (s *Store) name() string {
	if s == nil {
		return ""
	}
	return s.label
}

func (s *Store) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %q in %q: %w", op, key, s.label, err)
}

// Label returns the label the store was opened with.
func (s *Store) Label() string { return s.name() }

// Get returns the value stored under key, or an error matching ErrNoSuchKey.
// The returned slice belongs to the caller.
func (s *Store) Get(key string) ([]byte, error) {
	if err := s.check("get", key); err != nil {
		return nil, err
	}
	s.imp.get(s.handle, key, s.ret)
	if err := result(s.heap, s.ret); err != nil {
		return nil, s.wrap("get", key, err)
	}
	v, err := s.heap.take(binary.LittleEndian.Uint32(s.ret[4:]), binary.LittleEndian.Uint32(s.ret[8:]))
	return v, s.wrap("get", key, err)
}

// Set stores value under key, replacing any previous value.
func (s *Store) Set(key string, value []byte) error {
	if err := s.check("set", key); err != nil {
		return err
	}
	s.imp.set(s.handle, key, value, s.ret)
	return s.wrap("set", key, result(s.heap, s.ret))
}

// Delete removes key; deleting a missing key is not an error.
func (s *Store) Delete(key string) error {
	if err := s.check("delete", key); err != nil {
		return err
	}
	s.imp.delete(s.handle, key, s.ret)
	return s.wrap("delete", key, result(s.heap, s.ret))
}

// Exists reports whether key is present.
func (s *Store) Exists(key string) (bool, error) {
	if err := s.check("exists", key); err != nil {
		return false, err
	}
	s.imp.exists(s.handle, key, s.ret)
	if err := result(s.heap, s.ret); err != nil {
		return false, s.wrap("exists", key, err)
	}
	return s.ret[4] != 0, nil
}

// GetKeys returns every key in the store, in the host's order (Spin gives
// no ordering guarantee).
func (s *Store) GetKeys() ([]string, error) {
	if err := s.check("get-keys", ""); err != nil {
		return nil, err
	}
	s.imp.getKeys(s.handle, s.ret)
	if err := result(s.heap, s.ret); err != nil {
		return nil, s.wrap("get-keys", "", err)
	}
	n := binary.LittleEndian.Uint32(s.ret[8:])
	if n > (1<<32-1)/8 {
		return nil, s.wrap("get-keys", "", fmt.Errorf("%w: %d keys", ErrIO, n))
	}
	arr, err := s.heap.take(binary.LittleEndian.Uint32(s.ret[4:]), 8*n)
	if err != nil {
		return nil, s.wrap("get-keys", "", err)
	}
	keys := make([]string, n)
	for i := range keys {
		k, err := s.heap.take(binary.LittleEndian.Uint32(arr[8*i:]), binary.LittleEndian.Uint32(arr[8*i+4:]))
		if err != nil {
			return nil, s.wrap("get-keys", "", err)
		}
		keys[i] = string(k)
	}
	return keys, nil
}

// Close closes the store in the host. Later calls on s return an error
// matching ErrClosed; closing twice is a no-op.
func (s *Store) Close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	s.imp.close(s.handle)
	return nil
}
