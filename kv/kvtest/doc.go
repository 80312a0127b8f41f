// Package kvtest is the conformance suite for kv.Store implementations, in
// the manner of testing/fstest and testing/slogtest: every store in this
// module runs it, and so should a store written outside it.
//
// It imports only the standard library and kv, so it builds with
// CGO_ENABLED=0.
//
// # Usage
//
// A store's test file calls [Run] with a [Harness] whose NewBackend makes a
// fresh, empty backend for one test case (a new database file, a new
// in-memory map, a Redis database with a unique key prefix) and says how to
// open the store of a label on it:
//
//	func TestConformance(t *testing.T) {
//		kvtest.Run(t, kvtest.Harness{
//			NewBackend: func(t *testing.T) kvtest.Backend {
//				path := filepath.Join(t.TempDir(), "kv.db")
//				db, err := sqlite.Open(path, nil)
//				if err != nil {
//					t.Fatal(err)
//				}
//				t.Cleanup(func() { db.Close() })
//				return kvtest.Backend{
//					Open: func(_ context.Context, label string) (kv.Store, error) {
//						return db.Store(label)
//					},
//					// Reopen is optional: set it for stores that persist.
//					Reopen: func(context.Context) error {
//						if err := db.Close(); err != nil {
//							return err
//						}
//						db, err = sqlite.Open(path, nil)
//						return err
//					},
//				}
//			},
//		})
//	}
//
// Run closes every store it opens (in t.Cleanup, before the cleanups
// NewBackend registered, which run last). Optional capabilities
// (kv.Batcher, kv.Incrementer, kv.CompareAndSwapper, kv.Expirer) are
// discovered by type assertion on the opened store; cases for a capability
// the store lacks are skipped with a message saying so, and the package
// helpers are checked to return errors.ErrUnsupported for it.
//
// # Resolvers
//
// [RunResolver] checks a kv.Resolver, given a [ResolverHarness] that makes
// a fresh one in which the labels "default" and "other" resolve: that a
// label resolves to the same keys every time, that Close of a resolved
// store leaves the store and its label working (the Resolver owns them; a
// caller's "defer s.Close()" must not close a label for every other
// guest), that the empty label and labels that are not valid UTF-8 give
// kv.ErrNoSuchStore, that concurrent Resolves agree, and that after the
// Resolver is closed its stores and Resolve give kv.ErrClosed. kv/memory
// runs it on memory.Resolver, kv/sqlite on sqlite.DB and kv/runtimeconfig
// on its Resolver with SQLite and Redis labels.
//
// The kv/kvtest/kvbench subpackage is the matching benchmark harness: a
// store's Get and Set beside a baseline of its backend, in the same run.
//
// # What the suite checks
//
// Missing keys (kv.ErrNotFound), overwrite, the empty value versus an absent
// key, binary values (all 256 byte values, large values), unusual keys (the
// empty key, unicode, '/', '%', '_', quotes, NUL, 256-byte keys, keys of
// kv.MaxKeyLen bytes), prefix listing where SQL LIKE and glob metacharacters
// are literal, invalid keys and oversized values rejected with nothing
// stored, idempotent delete, Exists, sorted listing and paging over more
// than 10,000 keys, that a cursor the store cannot have returned (not valid
// UTF-8) gives kv.ErrInvalidCursor, that no slice passed in or returned is
// aliased, that a cancelled context gives an error matching
// context.Canceled, that every method after Close returns kv.ErrClosed, a
// concurrency hammer (run with -race), increment atomicity and its 8-byte
// little-endian encoding, compare-and-swap semantics (nil old means
// absent), expiry (a TTL of zero or less gives kv.ErrInvalidTTL; the
// largest time.Duration does not overflow into the past), persistence
// across Backend.Reopen, and label isolation (unless
// Harness.LabelsShareKeys).
//
// With Harness.ErrorPrefix set, the errors those cases provoke must also
// follow the kv package's format: the driver's prefix first, and the key,
// quoted, in an error about one key.
//
// Expiry cases use TTLs of tens of milliseconds and poll with a deadline
// ([ExpiryDeadline]) instead of sleeping a fixed time, so a store with a
// coarse clock passes too. A store whose clock is package time's sets
// Harness.Synctest: the expiry cases then run in testing/synctest bubbles,
// on a fake clock, and also check that a key is readable a nanosecond
// before its TTL runs out and absent when it has.
package kvtest
