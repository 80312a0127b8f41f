// Package redis is a kv.Store backed by a Redis server, compatible with
// the data Spin's "redis" key-value store writes.
//
// # Layout
//
// By default keys are stored exactly as Spin stores them: the key itself,
// unprefixed, as a Redis string holding the value's bytes. Spin ignores the
// store label for Redis, so every label configured with the same URL shares
// one keyspace (v1.5.1:crates/key-value-redis/src/lib.rs); so do Stores opened here without a
// prefix. Data written by Spin is visible here and the other way round.
// Options.KeyPrefix, a Spindle extension (runtime-config field key_prefix),
// prepends a prefix to every key to isolate stores that share a database.
//
// # Capabilities
//
// A Store implements every optional kv capability, each atomically on the
// server:
//
//   - kv.Batcher: GetMany is one MGET, SetMany one MSET, DeleteMany one
//     DEL (all atomic);
//   - kv.Incrementer: a Lua script that adds to an 8-byte little-endian
//     int64, the encoding of the kv.Incrementer contract and of Spin's
//     SQLite store, so a counter reads the same bytes on every Spindle
//     store. The sum wraps around on overflow. See "Counters" below for
//     how this relates to Spin's own Redis store;
//   - kv.CompareAndSwapper: a Lua script comparing the current bytes;
//   - kv.Expirer: SET PX, at millisecond resolution.
//
// List pages through keys in ascending byte order. Redis keeps no ordered
// index, so every page is a full SCAN of the database with a glob-escaped
// MATCH pattern, keeping the page's keys in a bounded heap: O(Limit)
// memory, O(keys in the database) server work per page. That suits the
// occasional get-keys of a Spin component; a store with millions of keys
// that is listed often belongs in SQLite. Spin itself uses KEYS *.
//
// # Counters
//
// Spin 3's Redis store implements increment with INCRBY, which keeps the
// counter as decimal text ("42"); Spin 1.x has no increment. The two
// encodings do not mix on one key: a counter that Spin 3 incremented reads
// here as kv.ErrNotCounter — or, if its text is exactly 8 bytes long (say
// "10000000"), as a different number, since those bytes are then taken as
// a little-endian int64 — and Spin 3's INCRBY fails on a counter written
// here ("value is not an integer"). Plain Get, Set, Delete, Exists and
// key listing interoperate fully. Do not share counter keys between Spin 3
// and Spindle on one Redis database; a key_prefix keeps them apart.
//
// # Failures
//
// Open does not connect; go-redis dials on first use and redials after a
// connection breaks. While the server is unreachable, calls fail with an
// error matching ErrUnavailable (and wrapping the network error); once it
// is back, calls succeed again without any action by the caller. A call
// made while the server refuses connections fails only after go-redis's
// retries: about 2 s with the defaults (3 command retries, each with 5
// dial attempts), about 0.5 s with max_retries=-1 in the URL's query; the
// call's context bounds it too. What survives a server restart is what the server's persistence settings
// keep: with appendonly yes and appendfsync always, every acknowledged
// write.
//
// Errors carry the prefix "kv/redis:" to set them apart from go-redis's
// own "redis:" messages, as the other drivers' errors carry "kv/memory:"
// and "kv/sqlite:", and match the same kv sentinels: a TTL of zero or less
// gives kv.ErrInvalidTTL, a list cursor the store did not return
// kv.ErrInvalidCursor. Keys expire by the server's clock, so tests of
// expiry cannot use testing/synctest's fake clock.
package redis
