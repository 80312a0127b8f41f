package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/kv/memory"
)

const benchKeys = 10_000

func benchKey(i int) string { return fmt.Sprintf("key-%05d", i) }

// benchTarget is what a benchmark runs: the store, or the baseline.
type benchTarget struct {
	get func(ctx context.Context, key string) ([]byte, error)
	set func(ctx context.Context, key string, value []byte) error
}

func newStoreTarget(b *testing.B, size int) benchTarget {
	s := memory.New()
	b.Cleanup(func() { s.Close() })
	for i := range benchKeys {
		if err := s.Set(context.Background(), benchKey(i), make([]byte, size)); err != nil {
			b.Fatal(err)
		}
	}
	return benchTarget{get: s.Get, set: s.Set}
}

// newBaselineTarget is the least a concurrent map store can do: a map
// behind a sync.RWMutex, copying values in and out as the store must.
func newBaselineTarget(b *testing.B, size int) benchTarget {
	var mu sync.RWMutex
	m := make(map[string][]byte, benchKeys)
	for i := range benchKeys {
		m[benchKey(i)] = make([]byte, size)
	}
	return benchTarget{
		get: func(_ context.Context, key string) ([]byte, error) {
			mu.RLock()
			v := append([]byte(nil), m[key]...)
			mu.RUnlock()
			return v, nil
		},
		set: func(_ context.Context, key string, value []byte) error {
			v := append([]byte(nil), value...)
			mu.Lock()
			m[key] = v
			mu.Unlock()
			return nil
		},
	}
}

func runBench(b *testing.B, op func(t benchTarget, ctx context.Context, rng *rand.Rand, value []byte) error) {
	for _, sz := range []struct {
		name string
		size int
	}{{"100B", 100}, {"10KiB", 10 << 10}} {
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
				b.SetParallelism(4)
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
