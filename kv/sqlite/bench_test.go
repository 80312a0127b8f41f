package sqlite_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv/kvtest/kvbench"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// newStoreTarget opens a Store on a fresh file holding kvbench.Keys values.
func newStoreTarget(b *testing.B, size int) kvbench.Target {
	db := openDB(b, filepath.Join(b.TempDir(), "kv.db"), nil)
	s, err := db.Store("default")
	if err != nil {
		b.Fatal(err)
	}
	batch := make(map[string][]byte, kvbench.Keys)
	for i := range kvbench.Keys {
		batch[kvbench.Key(i)] = make([]byte, size)
	}
	if err := s.SetMany(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	return kvbench.Target{Get: s.Get, Set: s.Set}
}

// newBaselineTarget runs Spin's own get and upsert statements directly
// through database/sql and go-sqlite3, on a file with only Spin's table,
// with the same pragmas and connection layout as the store (one writer
// connection, a pool of DefaultMaxReaders readers, WAL,
// synchronous=NORMAL, busy timeout 5 s).
func newBaselineTarget(b *testing.B, size int) kvbench.Target {
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
	for i := range kvbench.Keys {
		if _, err := tx.Stmt(set).Exec("default", kvbench.Key(i), make([]byte, size)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return kvbench.Target{
		Get: func(ctx context.Context, key string) ([]byte, error) {
			var v []byte
			err := get.QueryRowContext(ctx, "default", key).Scan(&v)
			return v, err
		},
		Set: func(ctx context.Context, key string, value []byte) error {
			_, err := set.ExecContext(ctx, "default", key, value)
			return err
		},
	}
}

func BenchmarkGet(b *testing.B) {
	kvbench.Run(b, newBaselineTarget, newStoreTarget, kvbench.Get)
}

func BenchmarkSet(b *testing.B) {
	kvbench.Run(b, newBaselineTarget, newStoreTarget, kvbench.Set)
}

// BenchmarkVsBaseline runs the store and the baseline side by side, one
// operation of each per iteration in alternating order, and reports the
// median time of each and the ratio of the medians (store/baseline). On a
// shared, noisy machine this ratio is steadier than comparing separate
// benchmarks, whose runs see different load.
func BenchmarkVsBaseline(b *testing.B) {
	ops := []struct {
		name string
		do   kvbench.Op
	}{{"Get", kvbench.Get}, {"Set", kvbench.Set}}
	for _, op := range ops {
		for _, sz := range kvbench.Sizes() {
			for _, parallel := range []bool{false, true} {
				mode := "serial"
				if parallel {
					mode = "parallel"
				}
				b.Run(op.name+"/"+sz.Name+"/"+mode, func(b *testing.B) {
					targets := [2]kvbench.Target{newBaselineTarget(b, sz.Bytes), newStoreTarget(b, sz.Bytes)}
					ctx := context.Background()
					var mu sync.Mutex
					var all [2][]time.Duration
					// worker runs iterations while next reports more, then
					// merges its timings.
					worker := func(next func() bool, seed uint64) {
						rng := rand.New(rand.NewPCG(seed, 3))
						value := make([]byte, sz.Bytes)
						var mine [2][]time.Duration
						for i := 0; next(); i++ {
							key := kvbench.Key(rng.IntN(kvbench.Keys))
							for j := range 2 {
								which := (i + j) % 2 // alternate which goes first
								start := time.Now()
								if err := op.do(ctx, targets[which], key, value); err != nil {
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
						b.SetParallelism(kvbench.Parallelism)
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
