// Package kv defines the key-value store that Spin components keep their
// state in, and helpers that work on any store.
//
// A [Store] holds the keys of one label (Spin's "default", or another label
// listed in a component's key_value_stores). The interface has only what
// every store can do; richer capabilities are optional interfaces that a
// store may also implement, discovered by type assertion as io/fs does:
//
//   - [Batcher]: many keys in one round trip;
//   - [Incrementer]: atomic counters, stored as Spin stores them (8-byte
//     little-endian int64);
//   - [CompareAndSwapper]: conditional replacement;
//   - [Expirer]: keys that expire.
//
// The package functions [GetMany], [SetMany] and [DeleteMany] fall back to
// loops when a store has no batch support. [Increment], [CompareAndSwap] and
// [SetWithTTL] never fake atomicity: on a store without the capability they
// return an error wrapping errors.ErrUnsupported.
//
// A [Resolver] maps labels to stores; [Stores] is the simplest one, a map.
//
// Implementations live in sub-packages: kv/memory (pure Go, for tests),
// kv/sqlite (Spin's embedded SQLite file, the default) and kv/redis. The
// kv/kvtest package is the conformance suite every implementation runs.
//
// This package and kv/memory build with CGO_ENABLED=0.
package kv
