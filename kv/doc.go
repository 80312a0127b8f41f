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
// The Resolvers of the driver packages own the stores they return: Close
// of a resolved store does nothing, and the Resolver's own Close closes
// them all.
//
// # Errors
//
// Every store reports one failure with one sentinel, whatever the driver,
// so that a portability gap shows as the same error everywhere: a missing
// key [ErrNotFound], an invalid key [ErrInvalidKey], an oversized value
// [ErrValueTooLarge], a closed store [ErrClosed], an unknown label
// [ErrNoSuchStore], a value that is not a counter [ErrNotCounter], a list
// cursor the store did not return [ErrInvalidCursor] and a TTL of zero or
// less [ErrInvalidTTL]; a done context gives the context's error. Match them
// with errors.Is. [CheckKey], [CheckValue] and [CheckTTL] give the first
// errors for a driver to wrap.
//
// A driver's errors start with its package path below the module, then the
// operation and, for an operation on one key, the key quoted as %q:
//
//	kv/memory: set with TTL "session": kv: invalid TTL: 0s is not positive
//	kv/sqlite: list in store "default": kv: invalid list cursor: "x"
//	kv/redis: get "k": kv: key not found
//
// The kv/kvtest suite checks the sentinels, the prefix, and the key in
// errors about one key. Errors about the store as a whole (closed, or the
// context ended) carry the prefix but need not name an operation or key.
//
// Implementations live in sub-packages: kv/memory (pure Go, for tests),
// kv/sqlite (Spin's embedded SQLite file, the default) and kv/redis. The
// kv/kvtest package is the conformance suite every implementation runs.
//
// This package and kv/memory build with CGO_ENABLED=0.
package kv
