package kvbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Keys is the number of keys every target holds before a benchmark starts,
// and the number Run draws from.
const Keys = 10_000

// Parallelism is the number of goroutines per GOMAXPROCS of the parallel
// runs (b.SetParallelism).
const Parallelism = 4

// Key returns the i-th benchmark key, "key-00000" to "key-09999".
func Key(i int) string { return fmt.Sprintf("key-%05d", i) }

// Size is a value size the benchmarks run with.
type Size struct {
	// Name is the sub-benchmark name, such as "100B".
	Name string
	// Bytes is the length of every value.
	Bytes int
}

// Sizes returns the value sizes Run uses, in order: 100 bytes and 10 KiB.
// The slice is new on every call.
func Sizes() []Size {
	return []Size{{"100B", 100}, {"10KiB", 10 << 10}}
}

// Target is what a benchmark runs: the store under test, or the baseline.
// Get and Set must be safe for concurrent use (the parallel runs call them
// from several goroutines); Get's result belongs to the caller.
//
// For a kv.Store s the store's Target is Target{Get: s.Get, Set: s.Set}.
type Target struct {
	// Get returns the value of key.
	Get func(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key.
	Set func(ctx context.Context, key string, value []byte) error
}

// NewTarget builds a Target holding a value of size bytes under each of the
// Keys keys. It runs before the timer starts, fails b on error and registers
// any cleanup with b.Cleanup.
type NewTarget func(b *testing.B, size int) Target

// Op is one timed operation on t with key. value has the benchmark's size;
// the op may pass it to the target but must not keep it.
type Op func(ctx context.Context, t Target, key string, value []byte) error

// Get reads key through t.Get.
func Get(ctx context.Context, t Target, key string, _ []byte) error {
	_, err := t.Get(ctx, key)
	return err
}

// Set writes value under key through t.Set.
func Set(ctx context.Context, t Target, key string, value []byte) error {
	return t.Set(ctx, key, value)
}

// Run runs op on random keys, for each of Sizes, against the baseline and
// then the store, first serially and then on Parallelism goroutines per
// GOMAXPROCS. Each sub-benchmark builds a fresh target and reports bytes
// per second for the value size.
func Run(b *testing.B, baseline, store NewTarget, op Op) {
	for _, sz := range Sizes() {
		for _, impl := range []struct {
			name string
			new  NewTarget
		}{{"baseline", baseline}, {"store", store}} {
			b.Run(sz.Name+"/"+impl.name+"/serial", func(b *testing.B) {
				t := impl.new(b, sz.Bytes)
				ctx := context.Background()
				rng := rand.New(rand.NewPCG(1, 2))
				value := make([]byte, sz.Bytes)
				b.SetBytes(int64(sz.Bytes))
				for b.Loop() {
					if err := op(ctx, t, Key(rng.IntN(Keys)), value); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(sz.Name+"/"+impl.name+"/parallel", func(b *testing.B) {
				t := impl.new(b, sz.Bytes)
				ctx := context.Background()
				b.SetBytes(int64(sz.Bytes))
				b.SetParallelism(Parallelism)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
					value := make([]byte, sz.Bytes)
					for pb.Next() {
						if err := op(ctx, t, Key(rng.IntN(Keys)), value); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
