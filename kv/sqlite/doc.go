// Package sqlite is the kv.Store Spin uses by default: labels kept in one
// SQLite file, in Spin's table
//
//	spin_key_value(store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))
//
// with the label in the store column (v1.5.1:crates/key-value-sqlite/src/lib.rs). A file written by Spin
// opens and reads here, and a file written here opens and reads in Spin.
// The package needs cgo (github.com/mattn/go-sqlite3).
//
// [Open] opens a file (or [Memory], a private in-memory database) as a
// [DB]; [DB.Store] returns a [Store] view of one label, which the caller
// owns and closes, and a DB is also a kv.Resolver in which every non-empty
// label resolves, as in Spin. The view [DB.Resolve] returns is shared by
// every caller and owned by the DB: its Close does nothing.
//
// # Connections, locking and durability
//
// The file is switched to write-ahead-log mode. A DB keeps one writer
// connection, which serialises the writes made through the DB and takes the
// write lock at the start of each transaction (BEGIN IMMEDIATE), and a pool
// of read-only connections ([Options].MaxReaders) that read concurrently
// with it. So goroutines sharing a DB never see "database is locked": their
// writes queue for the writer connection, their reads never wait for
// writes. A second DB or another process writing the same file (Spin
// itself) is waited for up to [Options].BusyTimeout; open one DB per file
// per process. All statements on the hot path are prepared once.
//
// A write that returned nil is committed: with the default
// synchronous=NORMAL it survives a crash or kill of the process (the test
// suite kills a writer with SIGKILL and checks every acknowledged key);
// with [Options].SyncEveryCommit it also survives a power failure, at the
// cost of an fsync per write.
//
// An in-memory database uses a single connection for everything; it lives
// until the DB is closed.
//
// # What Spindle adds to the file
//
// Spin's table is used exactly as Spin uses it (Spin's own upsert for Set).
// Expiry ([Store.SetWithTTL], a Spindle extension) lives in a separate
// table, spindle_key_value_expiry(store, key, expires), expires being Unix
// milliseconds, with an index on expires and three triggers on
// spin_key_value that delete a key's expiry row when the key is inserted,
// updated or deleted, by Spindle or by Spin. So any write without a TTL
// makes a key permanent again. Expired keys read as absent here at once;
// their rows are deleted lazily, by a sweep that runs on a write at most
// once per [SweepInterval] (up to 1000 keys per sweep). Spin, which knows
// nothing of expiry, sees an expired key until it is swept.
//
// # Semantics beyond Spin
//
// List returns keys in ascending byte order (Spin's get-keys has no order),
// paged with an opaque cursor on the primary-key index; a prefix is a key
// range, never LIKE, so '%' and '_' are literal. Increment follows Spin v3
// (8-byte little-endian int64 in one transaction; missing key = 0) but
// returns kv.ErrNotCounter for a value of another length where Spin's host
// panics. CompareAndSwap runs in one transaction; nil old means absent.
// SetMany and DeleteMany are one transaction each.
//
// # Errors
//
// Errors start with "kv/sqlite: ", then the operation, the key (quoted)
// and the label, and match the kv sentinels: a TTL of zero or less gives
// kv.ErrInvalidTTL, a list cursor the store did not return
// kv.ErrInvalidCursor. Expiry is checked against SQLite's clock
// (unixepoch), so tests of it cannot use testing/synctest's fake clock.
package sqlite
