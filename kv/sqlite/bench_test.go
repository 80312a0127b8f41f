package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv/sqlite"
)

// benchKeys is the number of rows the benchmarks read and overwrite at
// random.
const benchKeys = 10_000

// benchTarget is what a benchmark runs: the store, or the baseline.
type benchTarget struct {
	get func(ctx context.Context, key string) ([]byte, error)
	set func(ctx context.Context, key string, value []byte) error
}

func benchKey(i int) string { return fmt.Sprintf("key-%05d", i) }

// newStoreTarget opens a Store on a fresh file holding benchKeys values.
func newStoreTarget(b *testing.B, size int) benchTarget {
	db := openDB(b, filepath.Join(b.TempDir(), "kv.db"), nil)
	s, err := db.Store("default")
	if err != nil {
		b.Fatal(err)
	}
	batch := make(map[string][]byte, benchKeys)
	for i := range benchKeys {
		batch[benchKey(i)] = make([]byte, size)
	}
	if err := s.SetMany(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	return benchTarget{get: s.Get, set: s.Set}
}

// newBaselineTarget runs Spin's own get and upsert statements directly
// through database/sql and go-sqlite3, on a file with only Spin's table,
// with the same pragmas and connection layout as the store (one writer
// connection, a pool of DefaultMaxReaders readers, WAL,
// synchronous=NORMAL, busy timeout 5 s).
func newBaselineTarget(b *testing.B, size int) benchTarget {
	path := filepath.Join(b.TempDir(), "baseline.db")
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	w, err := sql.Open("sqlite3", uri+"?_busy_timeout=5000&_synchronous=NORMAL&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	if _, err := w.Exec(spinCreate); err != nil {
		b.Fatal(err)
	}
	r, err := sql.Open("sqlite3", uri+"?_busy_timeout=5000&_synchronous=NORMAL&_query_only=1")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	r.SetMaxOpenConns(sqlite.DefaultMaxReaders)
	r.SetMaxIdleConns(sqlite.DefaultMaxReaders)
	get, err := r.Prepare(spinGet)
	if err != nil {
		b.Fatal(err)
	}
	set, err := w.Prepare(spinSet)
	if err != nil {
		b.Fatal(err)
	}
	tx, err := w.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchKeys {
		if _, err := tx.Stmt(set).Exec("default", benchKey(i), make([]byte, size)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return benchTarget{
		get: func(ctx context.Context, key string) ([]byte, error) {
			var v []byte
			err := get.QueryRowContext(ctx, "default", key).Scan(&v)
			return v, err
		},
		set: func(ctx context.Context, key string, value []byte) error {
			_, err := set.ExecContext(ctx, "default", key, value)
			return err
		},
	}
}

var benchSizes = []struct {
	name string
	size int
}{{"100B", 100}, {"10KiB", 10 << 10}}

// benchParallelism is the goroutines per GOMAXPROCS of the parallel runs.
const benchParallelism = 4

// runBench runs op serially and on several goroutines, against the store
// and against the baseline, for each value size.
func runBench(b *testing.B, op func(t benchTarget, ctx context.Context, rng *rand.Rand, value []byte) error) {
	for _, sz := range benchSizes {
		for _, impl := range []struct {
			name string
			new  func(*testing.B, int) benchTarget
		}{{"baseline", newBaselineTarget}, {"store", newStoreTarget}} {
			b.Run(sz.name+"/"+impl.name+"/serial", func(b *testing.B) {
				t := impl.new(b, sz.size)
				ctx := context.Background()
				rng := rand.New(rand.NewPCG(1, 2))
				value := make([]byte, sz.size)
				b.SetBytes(int64(sz.size))
				b.ResetTimer()
				for b.Loop() {
					if err := op(t, ctx, rng, value); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(sz.name+"/"+impl.name+"/parallel", func(b *testing.B) {
				t := impl.new(b, sz.size)
				ctx := context.Background()
				b.SetBytes(int64(sz.size))
				b.SetParallelism(benchParallelism)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
					value := make([]byte, sz.size)
					for pb.Next() {
						if err := op(t, ctx, rng, value); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

func BenchmarkGet(b *testing.B) {
	runBench(b, func(t benchTarget, ctx context.Context, rng *rand.Rand, _ []byte) error {
		_, err := t.get(ctx, benchKey(rng.IntN(benchKeys)))
		return err
	})
}

func BenchmarkSet(b *testing.B) {
	runBench(b, func(t benchTarget, ctx context.Context, rng *rand.Rand, value []byte) error {
		return t.set(ctx, benchKey(rng.IntN(benchKeys)), value)
	})
}

// BenchmarkVsBaseline runs the store and the baseline side by side, one
// operation of each per iteration in alternating order, and reports the
// median time of each and the ratio of the medians (store/baseline). On a
// shared, noisy machine this ratio is steadier than comparing separate
// benchmarks, whose runs see different load.
func BenchmarkVsBaseline(b *testing.B) {
	ops := []struct {
		name string
		do   func(t benchTarget, ctx context.Context, key string, value []byte) error
	}{
		{"Get", func(t benchTarget, ctx context.Context, key string, _ []byte) error {
			_, err := t.get(ctx, key)
			return err
		}},
		{"Set", func(t benchTarget, ctx context.Context, key string, value []byte) error {
			return t.set(ctx, key, value)
		}},
	}
	for _, op := range ops {
		for _, sz := range benchSizes {
			for _, parallel := range []bool{false, true} {
				mode := "serial"
				if parallel {
					mode = "parallel"
				}
				b.Run(op.name+"/"+sz.name+"/"+mode, func(b *testing.B) {
					targets := [2]benchTarget{newBaselineTarget(b, sz.size), newStoreTarget(b, sz.size)}
					ctx := context.Background()
					var mu sync.Mutex
					var all [2][]time.Duration
					// worker runs iterations while next reports more, then
					// merges its timings.
					worker := func(next func() bool, seed uint64) {
						rng := rand.New(rand.NewPCG(seed, 3))
						value := make([]byte, sz.size)
						var mine [2][]time.Duration
						for i := 0; next(); i++ {
							key := benchKey(rng.IntN(benchKeys))
							for j := range 2 {
								which := (i + j) % 2 // alternate which goes first
								start := time.Now()
								if err := op.do(targets[which], ctx, key, value); err != nil {
									b.Error(err)
									return
								}
								mine[which] = append(mine[which], time.Since(start))
							}
						}
						mu.Lock()
						all[0] = append(all[0], mine[0]...)
						all[1] = append(all[1], mine[1]...)
						mu.Unlock()
					}
					b.ResetTimer()
					if parallel {
						b.SetParallelism(benchParallelism)
						b.RunParallel(func(pb *testing.PB) { worker(pb.Next, rand.Uint64()) })
					} else {
						worker(b.Loop, 1)
					}
					if len(all[0]) == 0 {
						return
					}
					base, store := median(all[0]), median(all[1])
					b.ReportMetric(float64(base), "baseline-p50-ns")
					b.ReportMetric(float64(store), "store-p50-ns")
					b.ReportMetric(float64(store)/float64(base), "store/baseline")
				})
			}
		}
	}
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
