package memory_test

import (
	"context"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/kv/kvtest/kvbench"
	"github.com/spindlekv/spindle/kv/memory"
)

// newStoreTarget returns a Store holding kvbench.Keys values.
func newStoreTarget(b *testing.B, size int) kvbench.Target {
	s := memory.New()
	b.Cleanup(func() { s.Close() })
	for i := range kvbench.Keys {
		if err := s.Set(context.Background(), kvbench.Key(i), make([]byte, size)); err != nil {
			b.Fatal(err)
		}
	}
	return kvbench.Target{Get: s.Get, Set: s.Set}
}

// newBaselineTarget is the least a concurrent map store can do: a map
// behind a sync.RWMutex, copying values in and out as the store must.
func newBaselineTarget(b *testing.B, size int) kvbench.Target {
	var mu sync.RWMutex
	m := make(map[string][]byte, kvbench.Keys)
	for i := range kvbench.Keys {
		m[kvbench.Key(i)] = make([]byte, size)
	}
	return kvbench.Target{
		Get: func(_ context.Context, key string) ([]byte, error) {
			mu.RLock()
			v := append([]byte(nil), m[key]...)
			mu.RUnlock()
			return v, nil
		},
		Set: func(_ context.Context, key string, value []byte) error {
			v := append([]byte(nil), value...)
			mu.Lock()
			m[key] = v
			mu.Unlock()
			return nil
		},
	}
}

func BenchmarkGet(b *testing.B) {
	kvbench.Run(b, newBaselineTarget, newStoreTarget, kvbench.Get)
}

func BenchmarkSet(b *testing.B) {
	kvbench.Run(b, newBaselineTarget, newStoreTarget, kvbench.Set)
}
