package redis_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/spindlekv/spindle/internal/redistest"
	"github.com/spindlekv/spindle/kv/redis"
)

// benchSizes are the value sizes and how many keys of each the
// benchmarks read and write at random: 10,000 as in the SQLite baseline,
// fewer for large values to keep the server small.
var benchSizes = []struct {
	name string
	size int
	keys int
}{
	{name: "100B", size: 100, keys: 10_000},
	{name: "10KiB", size: 10 << 10, keys: 1_000},
}

// BenchmarkStore measures the Store over loopback beside a baseline: the
// same commands through a bare go-redis client, in the same run, so the
// difference is the Store's own cost (key checks, error wrapping, copies).
// The server runs without persistence (appendonly no).
func BenchmarkStore(b *testing.B) {
	srv := redistest.Start(b, nil)
	s, err := redis.Open(srv.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw := rawClientB(b, srv)
	ctx := b.Context()
	for _, sz := range benchSizes {
		value := make([]byte, sz.size)
		for i := range value {
			value[i] = byte(i)
		}
		benchKeys := sz.keys
		keys := make([]string, benchKeys)
		batch := map[string][]byte{}
		for i := range keys {
			keys[i] = fmt.Sprintf("bench/%s/%05d", sz.name, i)
			batch[keys[i]] = value
			if len(batch) == 500 || i == len(keys)-1 {
				if err := s.SetMany(ctx, batch); err != nil {
					b.Fatal(err)
				}
				clear(batch)
			}
		}
		b.Run("Get/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			for b.Loop() {
				if _, err := s.Get(ctx, keys[rand.IntN(benchKeys)]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Set/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			for b.Loop() {
				if err := s.Set(ctx, keys[rand.IntN(benchKeys)], value); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("GetParallel/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Get(ctx, keys[rand.IntN(benchKeys)]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run("Baseline/GET/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			for b.Loop() {
				if _, err := raw.Get(ctx, keys[rand.IntN(benchKeys)]).Bytes(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Baseline/SET/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			for b.Loop() {
				if err := raw.Set(ctx, keys[rand.IntN(benchKeys)], value, 0).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Increment", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Increment(ctx, "bench/counter", 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Baseline/INCRBY", func(b *testing.B) {
		for b.Loop() {
			if err := raw.IncrBy(ctx, "bench/decimal", 1).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// One page of 100 keys out of the 11,000 in the database: every page
	// is a full SCAN.
	b.Run("List100of11000", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.List(ctx, redisListOpts("bench/100B/", 100)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
