package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/spindlekv/spindle/kv"
)

// Memory is the path that opens a private in-memory database.
const Memory = ":memory:"

// Defaults for Options fields left zero.
const (
	// DefaultBusyTimeout is how long a statement waits for a lock held by
	// another process (Spin, another Spindle) before it fails.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultMaxReaders is the size of the pool of read connections.
	DefaultMaxReaders = 8
	// SweepInterval is the least time between two sweeps that delete
	// expired keys from the file.
	SweepInterval = time.Second
)

// sweepBatch bounds the rows one sweep deletes, so that one write never
// pays for deleting millions of expired keys. It is the LIMIT in sqlSweep.
const sweepBatch = 1000

// Options configures Open. A nil *Options, and every zero field, means the
// default. Open copies the Options; later changes have no effect.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before it fails with "database is locked". Zero means
	// DefaultBusyTimeout; negative is an error.
	BusyTimeout time.Duration

	// MaxReaders is the number of connections that serve reads (Get,
	// Exists, List, GetMany) concurrently. Zero means DefaultMaxReaders;
	// negative is an error. An in-memory database always uses a single
	// connection for everything.
	MaxReaders int

	// SyncEveryCommit, when true, makes every write fsync the write-ahead
	// log before it returns (PRAGMA synchronous=FULL), so an acknowledged
	// write also survives a power failure or an operating-system crash.
	// The default (synchronous=NORMAL) makes an acknowledged write survive
	// a crash or kill of the process, and costs no fsync per write.
	SyncEveryCommit bool

	// Logger receives warnings (a failed sweep of expired keys). Nil means
	// slog.Default() as of the call to Open.
	Logger *slog.Logger
}

// DB is one SQLite file (or in-memory database) holding the keys of many
// labels in Spin's table spin_key_value. It is a kv.Resolver in which every
// non-empty label resolves.
//
// A DB is safe for concurrent use by multiple goroutines. It owns its
// connections: one writer connection that serialises the writes made
// through this DB, and a pool of reader connections that read concurrently with the
// writer (write-ahead-log mode).
type DB struct {
	path   string
	w, r   *sql.DB // r == w for an in-memory database
	st     statements
	log    *slog.Logger
	closed atomic.Bool

	mu       sync.Mutex
	resolved map[string]*Store

	// Expiry sweeping: hasTTL is set once any key may carry a TTL;
	// nextSweep is the earliest Unix-nanosecond time of the next sweep.
	hasTTL    atomic.Bool
	nextSweep atomic.Int64
}

// schema creates Spin's table exactly as Spin does, plus Spindle's expiry
// table and the triggers that keep the two consistent. Spin's statements
// never touch the extra table; its writes fire the triggers, which clear the
// TTL of a key Spin overwrites or deletes, as a Set here does.
//
// The first statement is Spin's, byte for byte (v1.5.1
// crates/key-value-sqlite/src/lib.rs), so that sqlite_master records the
// same table definition whichever of the two created the file.
const schema = spinCreateTable + `;
CREATE TABLE IF NOT EXISTS spindle_key_value_expiry (store TEXT NOT NULL, key TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (store, key));
CREATE INDEX IF NOT EXISTS spindle_key_value_expiry_by_time ON spindle_key_value_expiry (expires);
CREATE TRIGGER IF NOT EXISTS spindle_key_value_expiry_insert AFTER INSERT ON spin_key_value BEGIN
  DELETE FROM spindle_key_value_expiry WHERE store = NEW.store AND key = NEW.key;
END;
CREATE TRIGGER IF NOT EXISTS spindle_key_value_expiry_update AFTER UPDATE ON spin_key_value BEGIN
  DELETE FROM spindle_key_value_expiry WHERE store = OLD.store AND key = OLD.key;
END;
CREATE TRIGGER IF NOT EXISTS spindle_key_value_expiry_delete AFTER DELETE ON spin_key_value BEGIN
  DELETE FROM spindle_key_value_expiry WHERE store = OLD.store AND key = OLD.key;
END;
`

// spinCreateTable is Spin's statement creating its table.
const spinCreateTable = `CREATE TABLE IF NOT EXISTS spin_key_value (
                           store TEXT NOT NULL,
                           key   TEXT NOT NULL,
                           value BLOB NOT NULL,

                           PRIMARY KEY (store, key)
                        )`

// Compile-time checks of the interfaces the package promises.
var (
	_ kv.Resolver          = (*DB)(nil)
	_ kv.Store             = (*Store)(nil)
	_ kv.Batcher           = (*Store)(nil)
	_ kv.Incrementer       = (*Store)(nil)
	_ kv.CompareAndSwapper = (*Store)(nil)
	_ kv.Expirer           = (*Store)(nil)
)

// notExpired is the condition, on a row v of spin_key_value, that it has
// no expiry at or before now. SQLite reads the clock itself, and only for a
// key that has an expiry row, so reads of keys without a TTL pay one index
// probe and nothing else.
const notExpired = `NOT EXISTS (SELECT 1 FROM spindle_key_value_expiry e WHERE e.store = v.store AND e.key = v.key AND e.expires <= unixepoch('subsec') * 1000)`

// SQL text of the prepared statements. ?1 is the label, ?2 the key.
const (
	sqlGet    = `SELECT value FROM spin_key_value v WHERE store = ?1 AND key = ?2 AND ` + notExpired
	sqlExists = `SELECT 1 FROM spin_key_value v WHERE store = ?1 AND key = ?2 AND ` + notExpired
	// Spin's own upsert (v3.1.2:crates/key-value-spin/src/store.rs).
	sqlSet    = `INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) ON CONFLICT(store, key) DO UPDATE SET value = ?3`
	sqlDelete = `DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2`
	// ?3 is the expiry time in Unix milliseconds.
	sqlSetExpiry = `INSERT INTO spindle_key_value_expiry (store, key, expires) VALUES (?1, ?2, ?3) ON CONFLICT(store, key) DO UPDATE SET expires = ?3`
	// ?1 is the current time in Unix milliseconds.
	sqlSweep  = `DELETE FROM spin_key_value WHERE (store, key) IN (SELECT store, key FROM spindle_key_value_expiry WHERE expires <= ?1 LIMIT 1000)`
	sqlAnyTTL = `SELECT EXISTS (SELECT 1 FROM spindle_key_value_expiry)`
	// Listing: ?2 is the lower bound (inclusive on the first page, the
	// last key of the previous page, exclusive, afterwards), ?3 the upper
	// bound (exclusive, the prefix's successor; unused when there is
	// none), ?4 the row limit.
	listHead       = `SELECT key FROM spin_key_value v WHERE store = ?1 AND `
	listTail       = ` AND ` + notExpired + ` ORDER BY key LIMIT ?4`
	sqlListFrom    = listHead + `key >= ?2` + listTail
	sqlListAfter   = listHead + `key > ?2` + listTail
	sqlListFromTo  = listHead + `key >= ?2 AND key < ?3` + listTail
	sqlListAfterTo = listHead + `key > ?2 AND key < ?3` + listTail
)

// statements are prepared once per DB. Reads run on the reader pool, writes
// (and reads inside a write transaction: wGet) on the writer.
type statements struct {
	get, exists                                 *sql.Stmt
	listFrom, listAfter, listFromTo, listAfter2 *sql.Stmt
	wGet, set, del, setExpiry, sweep            *sql.Stmt
}

// Open opens the SQLite database at path, creating the file and its parent
// directories if needed, or a private in-memory database when path is
// Memory (":memory:"). It creates Spin's table spin_key_value if missing,
// so a file written by Spin opens here and a file written here opens in
// Spin, and switches the file to write-ahead-log mode.
//
// The caller owns the DB and closes it.
func Open(path string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.BusyTimeout < 0 || o.MaxReaders < 0 {
		return nil, fmt.Errorf("kv/sqlite: open %q: negative BusyTimeout or MaxReaders", path)
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.MaxReaders == 0 {
		o.MaxReaders = DefaultMaxReaders
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if path == "" {
		return nil, fmt.Errorf("kv/sqlite: open: empty path (use %q for an in-memory database)", Memory)
	}

	db := &DB{path: path, log: o.Logger, resolved: make(map[string]*Store)}
	wDSN, rDSN, err := dsns(path, o)
	if err != nil {
		return nil, err
	}
	if db.w, err = sql.Open("sqlite3", wDSN); err != nil {
		return nil, fmt.Errorf("kv/sqlite: open %q: %w", path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if path == Memory {
		db.r = db.w
	} else {
		if db.r, err = sql.Open("sqlite3", rDSN); err != nil {
			db.w.Close()
			return nil, fmt.Errorf("kv/sqlite: open %q: %w", path, err)
		}
		db.r.SetMaxOpenConns(o.MaxReaders)
		db.r.SetMaxIdleConns(o.MaxReaders)
		db.r.SetConnMaxLifetime(0)
		db.r.SetConnMaxIdleTime(0)
	}
	if err := db.init(); err != nil {
		db.closeConns()
		return nil, fmt.Errorf("kv/sqlite: open %q: %w", path, err)
	}
	return db, nil
}

// dsns returns the go-sqlite3 data source names of the writer and the
// readers. A file path becomes a file: URI so that any character in it is
// literal.
func dsns(path string, o Options) (w, r string, err error) {
	sync := "NORMAL"
	if o.SyncEveryCommit {
		sync = "FULL"
	}
	ms := o.BusyTimeout.Milliseconds()
	if ms == 0 {
		ms = 1
	}
	common := "_busy_timeout=" + strconv.FormatInt(ms, 10) + "&_synchronous=" + sync
	if path == Memory {
		return Memory + "?" + common + "&_txlock=immediate", "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", fmt.Errorf("kv/sqlite: open %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", "", fmt.Errorf("kv/sqlite: open %q: create directory: %w", path, err)
	}
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	w = uri + "?" + common + "&_journal_mode=WAL&_txlock=immediate"
	r = uri + "?" + common + "&_query_only=1"
	return w, r, nil
}

func (db *DB) init() error {
	ctx := context.Background()
	if _, err := db.w.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	var err error
	prep := func(on *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = on.PrepareContext(ctx, q)
		if err != nil {
			err = fmt.Errorf("prepare %q: %w", q, err)
		}
		return s
	}
	db.st = statements{
		get:        prep(db.r, sqlGet),
		exists:     prep(db.r, sqlExists),
		listFrom:   prep(db.r, sqlListFrom),
		listAfter:  prep(db.r, sqlListAfter),
		listFromTo: prep(db.r, sqlListFromTo),
		listAfter2: prep(db.r, sqlListAfterTo),
		wGet:       prep(db.w, sqlGet),
		set:        prep(db.w, sqlSet),
		del:        prep(db.w, sqlDelete),
		setExpiry:  prep(db.w, sqlSetExpiry),
		sweep:      prep(db.w, sqlSweep),
	}
	if err != nil {
		return err
	}
	var any bool
	if err := db.w.QueryRowContext(ctx, sqlAnyTTL).Scan(&any); err != nil {
		return fmt.Errorf("read expiry table: %w", err)
	}
	db.hasTTL.Store(any)
	return nil
}

// Path returns the path DB was opened with.
func (db *DB) Path() string { return db.path }

// errInvalidLabel is wrapped, with kv.ErrNoSuchStore, in the error for an
// empty or non-UTF-8 label.
var errInvalidLabel = errors.New("label must be non-empty valid UTF-8")

// Store returns a new view of the keys of label, the value of Spin's store
// column. Every non-empty label of valid UTF-8 is valid; an invalid one
// gives an error matching kv.ErrNoSuchStore, and after Close the error
// matches kv.ErrClosed.
//
// The caller owns the view and closes it; closing it leaves the DB and
// other views open.
func (db *DB) Store(label string) (*Store, error) {
	if label == "" || kv.CheckKey(label) != nil {
		return nil, fmt.Errorf("kv/sqlite: store %q: %w: %w", label, kv.ErrNoSuchStore, errInvalidLabel)
	}
	if db.closed.Load() {
		return nil, fmt.Errorf("kv/sqlite: store %q: %w", label, kv.ErrClosed)
	}
	return &Store{db: db, label: label}, nil
}

// Resolve returns the DB's own view of label, the same one on every call;
// see Store for which labels are valid. The DB keeps ownership: Close of
// that view does nothing, and DB.Close closes it.
func (db *DB) Resolve(_ context.Context, label string) (kv.Store, error) {
	if db.closed.Load() {
		return nil, fmt.Errorf("kv/sqlite: resolve %q: %w", label, kv.ErrClosed)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if s := db.resolved[label]; s != nil {
		return s, nil
	}
	s, err := db.Store(label)
	if err != nil {
		return nil, err
	}
	s.owned = true
	db.resolved[label] = s
	return s, nil
}

// Close closes the database file and every Store view of it: their later
// calls, and later calls of Store and Resolve, return an error matching
// kv.ErrClosed. Close waits for calls in progress to finish. It is
// idempotent; only the first call can return an error.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	return db.closeConns()
}

func (db *DB) closeConns() error {
	var errs []error
	for _, s := range []*sql.Stmt{
		db.st.get, db.st.exists, db.st.listFrom, db.st.listAfter, db.st.listFromTo,
		db.st.listAfter2, db.st.wGet, db.st.set, db.st.del, db.st.setExpiry, db.st.sweep,
	} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if db.r != nil && db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kv/sqlite: close %q: %w", db.path, err)
	}
	return nil
}

// maybeSweep deletes expired keys, at most sweepBatch of them, if some key
// may have a TTL and SweepInterval has passed since the last sweep. It
// runs on the writer after a write and logs failures: the write itself has
// succeeded.
func (db *DB) maybeSweep(now time.Time) {
	if !db.hasTTL.Load() {
		return
	}
	next := db.nextSweep.Load()
	ns := now.UnixNano()
	if ns < next || !db.nextSweep.CompareAndSwap(next, ns+int64(SweepInterval)) {
		return
	}
	res, err := db.st.sweep.Exec(now.UnixMilli())
	if err != nil {
		if !db.closed.Load() {
			db.log.Warn("kv/sqlite: sweep of expired keys failed", "path", db.path, "err", err)
		}
		return
	}
	if n, _ := res.RowsAffected(); n == sweepBatch {
		db.nextSweep.Store(ns) // more to do: sweep again on the next write
	}
}
