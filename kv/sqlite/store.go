package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spindlekv/spindle/kv"
)

// Store is the view of one label of a DB: a kv.Store over the rows of
// spin_key_value whose store column is the label. It implements kv.Batcher
// (SetMany and DeleteMany are one transaction each), kv.Incrementer,
// kv.CompareAndSwapper and kv.Expirer.
//
// A Store is safe for concurrent use by multiple goroutines. It never
// retains slices passed to it, and the slices it returns belong to the
// caller.
//
// When Set (or any write) returns nil, the write is committed to the
// write-ahead log: it survives a crash or kill of the process. With
// Options.SyncEveryCommit it also survives a power failure.
type Store struct {
	db     *DB
	label  string
	closed atomic.Bool
	owned  bool // returned by DB.Resolve: Close does nothing
}

// Label returns the label the Store views.
func (s *Store) Label() string { return s.label }

// Close closes the view: its later calls return an error matching
// kv.ErrClosed. The DB and other views stay open. Close is idempotent and
// returns nil.
//
// Close of a store returned by DB.Resolve does nothing: that store is
// shared by every caller of Resolve and belongs to the DB, whose own Close
// closes it.
func (s *Store) Close() error {
	if !s.owned {
		s.closed.Store(true)
	}
	return nil
}

func (s *Store) isClosed() bool { return s.closed.Load() || s.db.closed.Load() }

// start returns the error a call must fail with before it touches the
// database.
func (s *Store) start(ctx context.Context, op, key string) error {
	if s.isClosed() {
		return s.errorf(op, key, kv.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return s.errorf(op, key, err)
	}
	if err := kv.CheckKey(key); err != nil {
		return s.errorf(op, "", err)
	}
	return nil
}

// pointCtx is the context for a single-row primary-key read (Get,
// Exists), already checked by start. On a file database such a read runs
// on the reader pool, in WAL mode, where it never waits for a writer and
// takes microseconds; but a context that can be cancelled makes
// database/sql and go-sqlite3 start a goroutine and register a
// cancellation hook for every query, which costs more than the read
// itself. So the read runs with ctx's values but without its
// cancellation. The in-memory database shares one connection with the
// writer, where a read may queue behind a batch, so there ctx is kept.
func (s *Store) pointCtx(ctx context.Context) context.Context {
	if s.db.r == s.db.w {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// errorf wraps err with the operation, key and label.
func (s *Store) errorf(op, key string, err error) error {
	if key == "" {
		return fmt.Errorf("kv/sqlite: %s in store %q: %w", op, s.label, err)
	}
	return fmt.Errorf("kv/sqlite: %s %q in store %q: %w", op, key, s.label, err)
}

// fail wraps an error from the database. An error caused by the DB being
// closed meanwhile matches kv.ErrClosed.
func (s *Store) fail(op, key string, err error) error {
	if s.isClosed() && !errors.Is(err, kv.ErrClosed) {
		err = fmt.Errorf("%w (%w)", kv.ErrClosed, err)
	}
	return s.errorf(op, key, err)
}

// Get returns the value under key, or an error matching kv.ErrNotFound.
// A key whose TTL has run out reads as absent.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.start(ctx, "get", key); err != nil {
		return nil, err
	}
	var v []byte
	err := s.db.st.get.QueryRowContext(s.pointCtx(ctx), s.label, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.errorf("get", key, kv.ErrNotFound)
	}
	if err != nil {
		return nil, s.fail("get", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Exists reports whether key is present (and not expired).
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := s.start(ctx, "exists", key); err != nil {
		return false, err
	}
	var one int
	err := s.db.st.exists.QueryRowContext(s.pointCtx(ctx), s.label, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.fail("exists", key, err)
	}
	return true, nil
}

// Set stores value under key with Spin's upsert, replacing any value and
// TTL.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.start(ctx, "set", key); err != nil {
		return err
	}
	if err := kv.CheckValue(value); err != nil {
		return s.errorf("set", key, err)
	}
	if _, err := s.db.st.set.ExecContext(ctx, s.label, key, nonNil(value)); err != nil {
		return s.fail("set", key, err)
	}
	s.db.maybeSweep(time.Now())
	return nil
}

// nonNil returns value, or an empty non-nil slice for nil: go-sqlite3 binds
// a nil []byte as NULL, which the NOT NULL value column rejects.
func nonNil(value []byte) []byte {
	if value == nil {
		return []byte{}
	}
	return value
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.start(ctx, "delete", key); err != nil {
		return err
	}
	if _, err := s.db.st.del.ExecContext(ctx, s.label, key); err != nil {
		return s.fail("delete", key, err)
	}
	return nil
}

// cursorPrefix starts every cursor, so that the cursor after the empty key
// is not the empty string.
const cursorPrefix = "k"

// List returns one page of keys in ascending byte order (SQLite's BINARY
// collation), using the primary-key index: a prefix is a key range, never
// LIKE, and paging continues after the last key of the previous page, so
// each page costs O(log n + limit). Keys written between pages appear in
// later pages if they sort after the cursor.
func (s *Store) List(ctx context.Context, opts kv.ListOptions) (kv.ListPage, error) {
	if err := s.start(ctx, "list", ""); err != nil {
		return kv.ListPage{}, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = kv.DefaultListLimit
	}
	limit = min(limit, math.MaxInt32) // limit+1 must not overflow
	lo, exclusive := opts.Prefix, false
	if opts.Cursor != "" {
		after, ok := strings.CutPrefix(opts.Cursor, cursorPrefix)
		if !ok || kv.CheckKey(after) != nil {
			return kv.ListPage{}, s.errorf("list", "", fmt.Errorf("%w: %q", kv.ErrInvalidCursor, opts.Cursor))
		}
		if after >= lo {
			lo, exclusive = after, true
		}
	}
	hi, bounded := successor(opts.Prefix)
	var st *sql.Stmt
	switch {
	case bounded && exclusive:
		st = s.db.st.listAfter2
	case bounded:
		st = s.db.st.listFromTo
	case exclusive:
		st = s.db.st.listAfter
	default:
		st = s.db.st.listFrom
	}
	var hiArg any // NULL when unbounded; the statement ignores it
	if bounded {
		hiArg = hi
	}
	rows, err := st.QueryContext(ctx, s.label, lo, hiArg, limit+1)
	if err != nil {
		return kv.ListPage{}, s.fail("list", "", err)
	}
	defer rows.Close()
	keys := make([]string, 0, min(limit+1, 64))
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return kv.ListPage{}, s.fail("list", "", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return kv.ListPage{}, s.fail("list", "", err)
	}
	page := kv.ListPage{Keys: keys}
	if len(keys) > limit {
		page.Keys = keys[:limit:limit]
		page.Cursor = cursorPrefix + keys[limit-1]
	}
	return page, nil
}

// successor returns the least string greater than every string that starts
// with prefix, and false when there is none (the empty prefix, or one made
// of 0xff bytes only, which valid UTF-8 never contains).
func successor(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// maxBatchVars bounds the keys in one "IN (...)" query, well under
// SQLite's default limit of 32766 variables.
const maxBatchVars = 500

// GetMany returns the values of the keys that exist and have not expired,
// reading up to 500 keys per query.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.start(ctx, "get many", ""); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := kv.CheckKey(k); err != nil {
			return nil, s.errorf("get many", "", err)
		}
	}
	out := make(map[string][]byte, len(keys))
	for chunk := range chunks(keys, maxBatchVars) {
		var q strings.Builder
		q.WriteString(`SELECT key, value FROM spin_key_value v WHERE store = ?1 AND `)
		q.WriteString(notExpired)
		q.WriteString(` AND key IN (`)
		args := make([]any, 0, len(chunk)+1)
		args = append(args, s.label)
		for i, k := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			fmt.Fprintf(&q, "?%d", i+2)
			args = append(args, k)
		}
		q.WriteByte(')')
		if err := s.getChunk(ctx, q.String(), args, out); err != nil {
			return nil, s.fail("get many", "", err)
		}
	}
	return out, nil
}

func (s *Store) getChunk(ctx context.Context, q string, args []any, out map[string][]byte) error {
	rows, err := s.db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		out[k] = nonNil(v)
	}
	return rows.Err()
}

// chunks yields consecutive sub-slices of keys of at most n keys.
func chunks(keys []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(keys) > 0 {
			c := keys[:min(n, len(keys))]
			keys = keys[len(c):]
			if !yield(c) {
				return
			}
		}
	}
}

// write runs fn in one immediate transaction on the writer connection and
// commits it, then maybe sweeps expired keys.
func (s *Store) write(ctx context.Context, op, key string, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(op, key, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if errors.Is(err, kv.ErrNotCounter) {
			return s.errorf(op, key, err)
		}
		return s.fail(op, key, err)
	}
	if err := tx.Commit(); err != nil {
		return s.fail(op, key, err)
	}
	s.db.maybeSweep(time.Now())
	return nil
}

// SetMany stores every pair in one transaction: all or nothing. Any
// invalid key or value fails the call before anything is written.
func (s *Store) SetMany(ctx context.Context, values map[string][]byte) error {
	if err := s.start(ctx, "set many", ""); err != nil {
		return err
	}
	for k, v := range values {
		if err := kv.CheckKey(k); err != nil {
			return s.errorf("set many", "", err)
		}
		if err := kv.CheckValue(v); err != nil {
			return s.errorf("set many", k, err)
		}
	}
	if len(values) == 0 {
		return nil
	}
	return s.write(ctx, "set many", "", func(tx *sql.Tx) error {
		st := tx.StmtContext(ctx, s.db.st.set)
		for k, v := range values {
			if _, err := st.ExecContext(ctx, s.label, k, nonNil(v)); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
		}
		return nil
	})
}

// DeleteMany removes every key in one transaction; missing keys are not an
// error.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.start(ctx, "delete many", ""); err != nil {
		return err
	}
	for _, k := range keys {
		if err := kv.CheckKey(k); err != nil {
			return s.errorf("delete many", "", err)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return s.write(ctx, "delete many", "", func(tx *sql.Tx) error {
		st := tx.StmtContext(ctx, s.db.st.del)
		for _, k := range keys {
			if _, err := st.ExecContext(ctx, s.label, k); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
		}
		return nil
	})
}

// current reads the live value of key inside tx; nil means absent.
func (s *Store) current(ctx context.Context, tx *sql.Tx, key string) ([]byte, error) {
	var v []byte
	err := tx.StmtContext(ctx, s.db.st.wGet).QueryRowContext(ctx, s.label, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return nonNil(v), nil
}

// Increment adds delta to the counter under key in one transaction, as
// Spin does: the value is an 8-byte little-endian int64, a missing or
// expired key counts as 0, and any other length gives an error matching
// kv.ErrNotCounter with the value unchanged (where Spin's host panics).
// The sum wraps around on overflow. The counter keeps no TTL.
func (s *Store) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	if err := s.start(ctx, "increment", key); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, "increment", key, func(tx *sql.Tx) error {
		cur, err := s.current(ctx, tx, key)
		if err != nil {
			return err
		}
		switch len(cur) {
		case 8:
			n = int64(binary.LittleEndian.Uint64(cur))
		case 0:
			if cur != nil {
				return fmt.Errorf("%w (0 bytes)", kv.ErrNotCounter)
			}
		default:
			return fmt.Errorf("%w (%d bytes)", kv.ErrNotCounter, len(cur))
		}
		n += delta
		_, err = tx.StmtContext(ctx, s.db.st.set).ExecContext(ctx, s.label, key, binary.LittleEndian.AppendUint64(nil, uint64(n)))
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// CompareAndSwap sets key to value, in one transaction, if it holds old
// (nil old: the key is absent or expired) and reports whether it did. The
// new value keeps no TTL.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, value []byte) (bool, error) {
	if err := s.start(ctx, "compare-and-swap", key); err != nil {
		return false, err
	}
	if err := kv.CheckValue(value); err != nil {
		return false, s.errorf("compare-and-swap", key, err)
	}
	var swapped bool
	err := s.write(ctx, "compare-and-swap", key, func(tx *sql.Tx) error {
		cur, err := s.current(ctx, tx, key)
		if err != nil {
			return err
		}
		if (cur == nil) != (old == nil) || (cur != nil && !bytes.Equal(cur, old)) {
			return nil
		}
		swapped = true
		_, err = tx.StmtContext(ctx, s.db.st.set).ExecContext(ctx, s.label, key, nonNil(value))
		return err
	})
	if err != nil {
		return false, err
	}
	return swapped, nil
}

// SetWithTTL stores value under key, in one transaction with its expiry
// time (milliseconds resolution, rounded up) in the table
// spindle_key_value_expiry. After ttl the key reads as absent; its row is
// deleted by a later sweep. Spin ignores the expiry table and sees expired
// keys until they are swept. A ttl of zero or less gives an error matching
// kv.ErrInvalidTTL.
func (s *Store) SetWithTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.start(ctx, "set with TTL", key); err != nil {
		return err
	}
	if err := kv.CheckValue(value); err != nil {
		return s.errorf("set with TTL", key, err)
	}
	if err := kv.CheckTTL(ttl); err != nil {
		return s.errorf("set with TTL", key, err)
	}
	ms := ttl.Milliseconds()
	if ttl%time.Millisecond != 0 {
		ms++ // rounded up; adding before dividing would overflow
	}
	s.db.hasTTL.Store(true)
	return s.write(ctx, "set with TTL", key, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, s.db.st.set).ExecContext(ctx, s.label, key, nonNil(value)); err != nil {
			return err
		}
		// After the upsert, whose trigger cleared any previous expiry.
		_, err := tx.StmtContext(ctx, s.db.st.setExpiry).ExecContext(ctx, s.label, key, time.Now().UnixMilli()+ms)
		return err
	})
}
