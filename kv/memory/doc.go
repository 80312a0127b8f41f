// Package memory is an in-memory kv.Store, for unit tests and for state
// that need not outlive the process. It is pure Go (builds with
// CGO_ENABLED=0).
//
// [New] makes one store; [NewResolver] makes a kv.Resolver in which every
// label resolves to its own store, created empty on first use, as labels of
// one Spin SQLite file do. The store [Resolver.Resolve] returns is shared by
// every caller and owned by the Resolver: its Close does nothing.
// [Resolver.Store] returns a view of a label that the caller owns and
// closes.
//
// A [Store] implements kv.Store and every optional interface of package kv:
// kv.Batcher, kv.Incrementer (counters are 8-byte little-endian int64s, as
// Spin stores them), kv.CompareAndSwapper and kv.Expirer. Expired keys read
// as absent at once and are dropped from memory lazily, by a sweep that runs
// on some later write (at most once per [SweepInterval]). Values are copied
// on the way in and out, so a Store never aliases a caller's slice.
//
// Errors start with "kv/memory: " and match the kv sentinels: a TTL of zero
// or less gives kv.ErrInvalidTTL, a list cursor the store did not return
// kv.ErrInvalidCursor. The clock is package time's, so tests of expiry can
// run in a testing/synctest bubble.
package memory
