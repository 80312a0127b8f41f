package memory

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spindlekv/spindle/kv"
)

// SweepInterval is the least time between two sweeps of expired keys. A
// sweep runs on a write once the interval has passed and some key has a TTL.
const SweepInterval = time.Second

// entry is one stored value. The value slice is never modified once
// stored: every write stores a new copy.
type entry struct {
	value   []byte
	expires int64 // Unix nanoseconds; 0 = never
}

func (e entry) live(now int64) bool { return e.expires == 0 || now < e.expires }

// data is the key space of one label, shared by every Store view of it.
type data struct {
	closed atomic.Bool // set by Resolver.Close

	// mu sits on a cache line of its own, so that the writes every RLock
	// makes to it do not invalidate the line of the fields read under it.
	_  [64]byte
	mu sync.RWMutex
	_  [64]byte

	m         map[string]entry
	withTTL   int   // entries in m with an expiry
	nextSweep int64 // Unix nanoseconds
}

func newData() *data { return &data{m: make(map[string]entry)} }

// Store is an in-memory kv.Store for one label. It implements every
// optional interface of package kv: kv.Batcher (SetMany and DeleteMany are
// atomic), kv.Incrementer, kv.CompareAndSwapper and kv.Expirer.
//
// A Store is safe for concurrent use by multiple goroutines. It copies every
// value passed to it and returns copies, so callers own the slices on both
// sides. Nothing is durable: the keys live as long as the Store or its
// Resolver is referenced.
//
// The zero Store is not usable; call New or Resolver.Store.
type Store struct {
	d      *data
	closed atomic.Bool
	owned  bool // returned by Resolver.Resolve: Close does nothing
}

// New returns an empty Store.
func New() *Store { return &Store{d: newData()} }

// Close marks the Store closed: later calls of its methods return an error
// matching kv.ErrClosed. Other views of the same label (Resolver.Store) stay
// open and keep the keys. Close is idempotent and always returns nil.
//
// Close of a store returned by Resolver.Resolve does nothing: that store is
// shared by every caller of Resolve and belongs to the Resolver, whose own
// Close closes it.
func (s *Store) Close() error {
	if !s.owned {
		s.closed.Store(true)
	}
	return nil
}

// check returns the error a call must fail with before it starts.
func (s *Store) check(ctx context.Context, op string) error {
	if s.closed.Load() || s.d.closed.Load() {
		return fmt.Errorf("kv/memory: %s: %w", op, kv.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kv/memory: %s: %w", op, err)
	}
	return nil
}

func (s *Store) checkKey(ctx context.Context, op, key string) error {
	if err := s.check(ctx, op); err != nil {
		return err
	}
	if err := kv.CheckKey(key); err != nil {
		return fmt.Errorf("kv/memory: %s: %w", op, err)
	}
	return nil
}

func (s *Store) checkKeyValue(ctx context.Context, op, key string, value []byte) error {
	if err := s.checkKey(ctx, op, key); err != nil {
		return err
	}
	if err := kv.CheckValue(value); err != nil {
		return fmt.Errorf("kv/memory: %s %q: %w", op, key, err)
	}
	return nil
}

// clone copies b, returning a non-nil slice even for an empty b. Appending
// to an empty slice allocates without zeroing the memory first, unlike
// make followed by copy.
func clone(b []byte) []byte { return append([]byte{}, b...) }

// Get returns a copy of the value under key, or an error matching
// kv.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.checkKey(ctx, "get", key); err != nil {
		return nil, err
	}
	now := time.Now().UnixNano()
	s.d.mu.RLock()
	e, ok := s.d.m[key]
	s.d.mu.RUnlock()
	if !ok || !e.live(now) {
		return nil, fmt.Errorf("kv/memory: get %q: %w", key, kv.ErrNotFound)
	}
	// Stored slices are never modified (writes store new copies), so the
	// copy can be made outside the lock.
	return clone(e.value), nil
}

// Exists reports whether key is present.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := s.checkKey(ctx, "exists", key); err != nil {
		return false, err
	}
	now := time.Now().UnixNano()
	s.d.mu.RLock()
	e, ok := s.d.m[key]
	s.d.mu.RUnlock()
	return ok && e.live(now), nil
}

// put stores e under key; the caller holds d.mu for writing.
func (d *data) put(key string, e entry) {
	if old, ok := d.m[key]; ok && old.expires != 0 {
		d.withTTL--
	}
	if e.expires != 0 {
		d.withTTL++
	}
	d.m[key] = e
}

// remove deletes key; the caller holds d.mu for writing.
func (d *data) remove(key string) {
	if old, ok := d.m[key]; ok {
		if old.expires != 0 {
			d.withTTL--
		}
		delete(d.m, key)
	}
}

// sweep drops expired entries at most once per SweepInterval; the caller
// holds d.mu for writing.
func (d *data) sweep(now int64) {
	if d.withTTL == 0 || now < d.nextSweep {
		return
	}
	d.nextSweep = now + int64(SweepInterval)
	for k, e := range d.m {
		if !e.live(now) {
			d.remove(k)
		}
	}
}

// lookup returns the live entry under key; the caller holds d.mu.
func (d *data) lookup(key string, now int64) (entry, bool) {
	e, ok := d.m[key]
	if !ok || !e.live(now) {
		return entry{}, false
	}
	return e, true
}

// Set stores a copy of value under key, replacing any value and TTL.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.checkKeyValue(ctx, "set", key, value); err != nil {
		return err
	}
	v := clone(value)
	now := time.Now().UnixNano()
	s.d.mu.Lock()
	s.d.put(key, entry{value: v})
	s.d.sweep(now)
	s.d.mu.Unlock()
	return nil
}

// SetWithTTL stores a copy of value under key; after ttl the key reads as
// absent. A ttl of zero or less is an error and nothing is stored.
func (s *Store) SetWithTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.checkKeyValue(ctx, "set with TTL", key, value); err != nil {
		return err
	}
	if err := kv.CheckTTL(ttl); err != nil {
		return fmt.Errorf("kv/memory: set with TTL %q: %w", key, err)
	}
	v := clone(value)
	now := time.Now().UnixNano()
	expires := now + int64(ttl)
	if expires < now { // past the year 2262: never, in practice
		expires = math.MaxInt64
	}
	s.d.mu.Lock()
	s.d.put(key, entry{value: v, expires: expires})
	s.d.sweep(now)
	s.d.mu.Unlock()
	return nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(ctx, "delete", key); err != nil {
		return err
	}
	s.d.mu.Lock()
	s.d.remove(key)
	s.d.mu.Unlock()
	return nil
}

// List returns one page of keys in ascending byte order. Each call scans
// every key of the label under a read lock and sorts the matches: O(n log n)
// for n keys, fine for tests, not for millions of keys. Keys written
// between pages appear in later pages if they sort after the cursor.
func (s *Store) List(ctx context.Context, opts kv.ListOptions) (kv.ListPage, error) {
	if err := s.check(ctx, "list"); err != nil {
		return kv.ListPage{}, err
	}
	after, hasAfter, err := parseCursor(opts.Cursor)
	if err != nil {
		return kv.ListPage{}, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = kv.DefaultListLimit
	}
	now := time.Now().UnixNano()
	var keys []string
	s.d.mu.RLock()
	for k, e := range s.d.m {
		if strings.HasPrefix(k, opts.Prefix) && (!hasAfter || k > after) && e.live(now) {
			keys = append(keys, k)
		}
	}
	s.d.mu.RUnlock()
	slices.Sort(keys)
	page := kv.ListPage{Keys: keys}
	if len(keys) > limit {
		page.Keys = slices.Clip(keys[:limit])
		page.Cursor = cursorPrefix + keys[limit-1]
	}
	return page, nil
}

// cursorPrefix starts every cursor, so that the cursor after the empty key
// is not the empty string.
const cursorPrefix = "k"

func parseCursor(c string) (after string, ok bool, err error) {
	if c == "" {
		return "", false, nil
	}
	after, ok = strings.CutPrefix(c, cursorPrefix)
	if !ok || kv.CheckKey(after) != nil {
		return "", false, fmt.Errorf("kv/memory: list: %w: %q", kv.ErrInvalidCursor, c)
	}
	return after, true, nil
}

// GetMany returns copies of the values of the keys that exist.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.check(ctx, "get many"); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := kv.CheckKey(k); err != nil {
			return nil, fmt.Errorf("kv/memory: get many: %w", err)
		}
	}
	now := time.Now().UnixNano()
	out := make(map[string][]byte, len(keys))
	s.d.mu.RLock()
	for _, k := range keys {
		if e, ok := s.d.lookup(k, now); ok {
			out[k] = e.value
		}
	}
	s.d.mu.RUnlock()
	for k, v := range out { // outside the lock: stored slices never change
		out[k] = clone(v)
	}
	return out, nil
}

// SetMany stores copies of every pair atomically: readers see all of them
// or none. Any invalid key or value fails the call with nothing stored.
func (s *Store) SetMany(ctx context.Context, values map[string][]byte) error {
	if err := s.check(ctx, "set many"); err != nil {
		return err
	}
	copies := make(map[string][]byte, len(values))
	for k, v := range values {
		if err := kv.CheckKey(k); err != nil {
			return fmt.Errorf("kv/memory: set many: %w", err)
		}
		if err := kv.CheckValue(v); err != nil {
			return fmt.Errorf("kv/memory: set many %q: %w", k, err)
		}
		copies[k] = clone(v)
	}
	now := time.Now().UnixNano()
	s.d.mu.Lock()
	for k, v := range copies {
		s.d.put(k, entry{value: v})
	}
	s.d.sweep(now)
	s.d.mu.Unlock()
	return nil
}

// DeleteMany removes every key atomically; missing keys are not an error.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.check(ctx, "delete many"); err != nil {
		return err
	}
	for _, k := range keys {
		if err := kv.CheckKey(k); err != nil {
			return fmt.Errorf("kv/memory: delete many: %w", err)
		}
	}
	s.d.mu.Lock()
	for _, k := range keys {
		s.d.remove(k)
	}
	s.d.mu.Unlock()
	return nil
}

// Increment adds delta to the 8-byte little-endian counter under key (a
// missing or expired key counts as 0) and returns the new value. The sum
// wraps around on overflow, as two's-complement addition does. The counter
// keeps no TTL.
func (s *Store) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	if err := s.checkKey(ctx, "increment", key); err != nil {
		return 0, err
	}
	now := time.Now().UnixNano()
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	var n int64
	if e, ok := s.d.lookup(key, now); ok {
		if len(e.value) != 8 {
			return 0, fmt.Errorf("kv/memory: increment %q: %w (%d bytes)", key, kv.ErrNotCounter, len(e.value))
		}
		n = int64(binary.LittleEndian.Uint64(e.value))
	}
	n += delta
	s.d.put(key, entry{value: binary.LittleEndian.AppendUint64(make([]byte, 0, 8), uint64(n))})
	return n, nil
}

// CompareAndSwap sets key to a copy of value if it holds old (nil old: the
// key is absent or expired) and reports whether it did. The new value keeps
// no TTL.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, value []byte) (bool, error) {
	if err := s.checkKeyValue(ctx, "compare-and-swap", key, value); err != nil {
		return false, err
	}
	v := clone(value)
	now := time.Now().UnixNano()
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	e, ok := s.d.lookup(key, now)
	if ok != (old != nil) || (ok && !bytes.Equal(e.value, old)) {
		return false, nil
	}
	s.d.put(key, entry{value: v})
	return true, nil
}

// Resolver is a kv.Resolver in which every label resolves to an in-memory
// store created empty on first use: the in-memory counterpart of a SQLite
// file holding many labels. It is safe for concurrent use by multiple
// goroutines.
//
// The zero Resolver is not usable; call NewResolver.
type Resolver struct {
	mu       sync.Mutex
	labels   map[string]*data
	resolved map[string]*Store
	closed   bool
}

// NewResolver returns a Resolver with no keys under any label.
func NewResolver() *Resolver {
	return &Resolver{labels: make(map[string]*data), resolved: make(map[string]*Store)}
}

// errInvalidLabel is wrapped, with kv.ErrNoSuchStore, in the error for an
// empty or non-UTF-8 label.
var errInvalidLabel = errors.New("label must be non-empty valid UTF-8")

func checkLabel(label string) error {
	if label == "" || kv.CheckKey(label) != nil {
		return fmt.Errorf("kv/memory: label %q: %w: %w", label, kv.ErrNoSuchStore, errInvalidLabel)
	}
	return nil
}

// Store returns a new view of label's keys. The caller owns the view and
// closes it; closing it leaves the keys and other views untouched. A label
// must be non-empty valid UTF-8; otherwise, and after Close, the error
// matches kv.ErrNoSuchStore or kv.ErrClosed.
func (r *Resolver) Store(label string) (*Store, error) {
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("kv/memory: store %q: %w", label, kv.ErrClosed)
	}
	d := r.labels[label]
	if d == nil {
		d = newData()
		r.labels[label] = d
	}
	return &Store{d: d}, nil
}

// Resolve returns the Resolver's own store for label, the same one on every
// call. The Resolver keeps ownership: Close of that store does nothing, and
// Resolver.Close closes it.
func (r *Resolver) Resolve(_ context.Context, label string) (kv.Store, error) {
	r.mu.Lock()
	s, closed := r.resolved[label], r.closed
	r.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("kv/memory: resolve %q: %w", label, kv.ErrClosed)
	}
	if s != nil {
		return s, nil
	}
	s, err := r.Store(label)
	if err != nil {
		return nil, err
	}
	s.owned = true
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev := r.resolved[label]; prev != nil {
		return prev, nil
	}
	r.resolved[label] = s
	return s, nil
}

// Close closes every store of every label, including views returned by
// Store: their later calls return an error matching kv.ErrClosed, as do
// later calls of Store and Resolve. Close is idempotent and returns nil.
func (r *Resolver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, d := range r.labels {
		d.closed.Store(true)
	}
	return nil
}
