package kv

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Stores wrap them with the failing key or label; callers
// match them with errors.Is.
var (
	// ErrNotFound is returned by Get when the key does not exist. An empty
	// value is a present value: Get returns it with a nil error.
	ErrNotFound = errors.New("kv: key not found")
	// ErrInvalidKey is returned for a key that is not valid UTF-8 or is
	// longer than MaxKeyLen bytes. Nothing is stored.
	ErrInvalidKey = errors.New("kv: invalid key")
	// ErrValueTooLarge is returned for a value longer than MaxValueLen
	// bytes. Nothing is stored.
	ErrValueTooLarge = errors.New("kv: value too large")
	// ErrClosed is returned by every method of a Store after Close.
	ErrClosed = errors.New("kv: store closed")
	// ErrNoSuchStore is returned by a Resolver for a label it does not know.
	ErrNoSuchStore = errors.New("kv: no such store")
	// ErrNotCounter is returned by Increment when the existing value is not
	// an 8-byte little-endian signed integer.
	ErrNotCounter = errors.New("kv: value is not an 8-byte counter")
	// ErrInvalidCursor is returned by List for a ListOptions.Cursor that
	// the store did not return: a cursor of another kind of store, or one
	// that is not valid UTF-8 (no store returns such a cursor).
	ErrInvalidCursor = errors.New("kv: invalid list cursor")
	// ErrInvalidTTL is returned by SetWithTTL for a ttl of zero or less.
	// Nothing is stored.
	ErrInvalidTTL = errors.New("kv: invalid TTL")
)

// Limits every Store accepts. They are at least what Spin guarantees in
// practice (keys up to 256 bytes, values up to 1 MiB); Spin itself sets no
// limit, so these only bound what one request can make a store hold.
const (
	// MaxKeyLen is the longest key, in bytes, that a Store accepts.
	MaxKeyLen = 4096
	// MaxValueLen is the longest value, in bytes, that a Store accepts.
	MaxValueLen = 16 << 20
	// DefaultListLimit is the page size List uses when ListOptions.Limit is
	// zero or negative.
	DefaultListLimit = 1000
)

// Store is a key-value store scoped to one label. Keys are strings of valid
// UTF-8 (the empty string is a valid key, as in Spin); values are arbitrary
// bytes, possibly empty.
//
// Implementations are safe for concurrent use by multiple goroutines. They
// never retain a slice passed to them, and the slices they return belong to
// the caller.
type Store interface {
	// Get returns the value stored under key, or an error matching
	// ErrNotFound when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key, replacing any previous value. When Set
	// returns nil the value is durable to the extent the store documents.
	Set(ctx context.Context, key string, value []byte) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Exists reports whether key is present.
	Exists(ctx context.Context, key string) (bool, error)
	// List returns one page of keys in ascending byte order. Pass the
	// returned Cursor back in ListOptions.Cursor to get the next page; an
	// empty Cursor means there are no more keys.
	List(ctx context.Context, opts ListOptions) (ListPage, error)
	// Close releases what the Store holds. Later calls return an error
	// matching ErrClosed; Close itself is idempotent.
	Close() error
}

// ListOptions selects a page of keys for Store.List.
type ListOptions struct {
	// Prefix restricts the listing to keys starting with these bytes.
	// Characters are literal: '%', '_' and '*' have no special meaning.
	Prefix string
	// Cursor continues a listing; it is the Cursor of the previous page,
	// and "" starts at the first key. Cursors are opaque and specific to
	// the store that returned them; List rejects one it cannot have
	// returned with an error matching ErrInvalidCursor.
	Cursor string
	// Limit is the most keys to return; zero or negative means
	// DefaultListLimit.
	Limit int
}

// ListPage is one page of a listing.
type ListPage struct {
	// Keys in ascending byte order.
	Keys []string
	// Cursor continues the listing; "" when this is the last page.
	Cursor string
}

// Batcher is an optional interface for stores that read and write many keys
// in one round trip. Use the package functions GetMany, SetMany and
// DeleteMany, which fall back to loops for other stores.
type Batcher interface {
	// GetMany returns the values of the keys that exist; missing keys are
	// absent from the map.
	GetMany(ctx context.Context, keys []string) (map[string][]byte, error)
	// SetMany stores every pair. Stores document whether it is atomic.
	SetMany(ctx context.Context, values map[string][]byte) error
	// DeleteMany removes every key; missing keys are not an error.
	DeleteMany(ctx context.Context, keys []string) error
}

// Incrementer is an optional interface for stores that add to a counter
// atomically. A counter is stored as Spin stores it: an 8-byte
// little-endian two's-complement int64. A missing key counts as 0.
type Incrementer interface {
	// Increment adds delta to the counter under key and returns the new
	// value. An existing value that is not 8 bytes long gives an error
	// matching ErrNotCounter and is left unchanged.
	Increment(ctx context.Context, key string, delta int64) (int64, error)
}

// CompareAndSwapper is an optional interface for stores that replace a
// value only if it still holds what the caller last saw.
type CompareAndSwapper interface {
	// CompareAndSwap sets key to value if its current value equals old and
	// reports whether it did. A nil old means "key is absent"; an empty
	// non-nil old means "key holds the empty value".
	CompareAndSwap(ctx context.Context, key string, old, value []byte) (swapped bool, err error)
}

// Expirer is an optional interface for stores whose keys can expire.
type Expirer interface {
	// SetWithTTL stores value under key; after ttl the key reads as absent.
	// A ttl of zero or less gives an error matching ErrInvalidTTL, with
	// nothing stored; any positive ttl, up to the largest time.Duration, is
	// valid. A later Set without TTL makes the key permanent again.
	SetWithTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// Resolver maps store labels, as listed in a component's key_value_stores,
// to Stores. The host consults it when a component opens a label.
// Implementations are safe for concurrent use.
type Resolver interface {
	// Resolve returns the Store for label, or an error matching
	// ErrNoSuchStore. The Resolver keeps ownership of the Store and closes
	// it when the Resolver itself is closed. The Resolvers of this module
	// (kv/memory, kv/sqlite, kv/runtimeconfig) make Close of a resolved
	// Store do nothing and return nil, so that a caller's habitual
	// "defer s.Close()" cannot close a label for every other user of it;
	// the kv/kvtest package checks that.
	Resolve(ctx context.Context, label string) (Store, error)
}

// Stores is a fixed Resolver: a map from label to Store. The caller keeps
// ownership of the stores and closes them. Resolve returns the stores
// themselves, so unlike the Resolvers of the driver packages, a Close of a
// resolved Store closes it for every user of the label.
type Stores map[string]Store

// Resolve returns m[label], or an error matching ErrNoSuchStore.
func (m Stores) Resolve(_ context.Context, label string) (Store, error) {
	if s, ok := m[label]; ok && s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSuchStore, label)
}

// CheckKey returns an error matching ErrInvalidKey if key is not valid
// UTF-8 or is longer than MaxKeyLen bytes.
func CheckKey(key string) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %d bytes, longer than %d", ErrInvalidKey, len(key), MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidKey, key)
	}
	return nil
}

// CheckTTL returns an error matching ErrInvalidTTL if ttl is zero or
// negative.
func CheckTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: %v is not positive", ErrInvalidTTL, ttl)
	}
	return nil
}

// CheckValue returns an error matching ErrValueTooLarge if value is longer
// than MaxValueLen bytes.
func CheckValue(value []byte) error {
	if len(value) > MaxValueLen {
		return fmt.Errorf("%w: %d bytes, longer than %d", ErrValueTooLarge, len(value), MaxValueLen)
	}
	return nil
}
