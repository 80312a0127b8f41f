// Package kvbench is the benchmark harness of the kv stores, the companion
// of the kv/kvtest conformance suite: each store package, in this module or
// outside it, compares itself against a baseline of its own (the least its
// backend can do) in the same run, the two as sibling sub-benchmarks that
// differ only in "baseline" or "store", so that a reader or benchstat can
// set the two lines side by side. Timings are only ever compared within one
// run, never with a number written down elsewhere.
//
// A store package supplies two [NewTarget] functions, one building the store
// and one the baseline, each holding [Keys] values of the requested size,
// and calls [Run] with an [Op] such as [Get] or [Set]. Run names its
// sub-benchmarks <size>/<baseline|store>/<serial|parallel>, where the sizes
// are those of [Sizes] and the parallel runs use [Parallelism] goroutines
// per GOMAXPROCS. Every operation works on a key drawn uniformly at random
// from the [Keys] keys named by [Key], so reads always hit and writes
// overwrite.
//
// Operations run with context.Background, whose Done channel is nil, not
// b.Context: with a cancellable context database/sql and go-sqlite3 start
// watching it on every query, which would change what the SQLite baseline
// measures.
//
// The package holds no state and imports only the standard library.
package kvbench
