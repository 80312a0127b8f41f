package kvbench_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/kv/kvtest/kvbench"
)

// newMapTarget stands in for a store package's constructor: a sync.Map
// holding kvbench.Keys values of the given size.
func newMapTarget(b *testing.B, size int) kvbench.Target {
	var m sync.Map
	for i := range kvbench.Keys {
		m.Store(kvbench.Key(i), make([]byte, size))
	}
	return kvbench.Target{
		Get: func(_ context.Context, key string) ([]byte, error) {
			v, ok := m.Load(key)
			if !ok {
				return nil, fmt.Errorf("example: no key %q", key)
			}
			return bytes.Clone(v.([]byte)), nil
		},
		Set: func(_ context.Context, key string, value []byte) error {
			m.Store(key, bytes.Clone(value))
			return nil
		},
	}
}

// A store package's benchmark is one call to Run with its baseline and
// store constructors; in a _test.go file it reads
//
//	func BenchmarkGet(b *testing.B) {
//		kvbench.Run(b, newBaselineTarget, newStoreTarget, kvbench.Get)
//	}
//
// and `go test -bench Get` prints Get/100B/baseline/serial,
// Get/100B/store/serial and so on. Here testing.Benchmark runs it outside
// go test (timings vary, so there is no Output).
func Example() {
	r := testing.Benchmark(func(b *testing.B) {
		kvbench.Run(b, newMapTarget, newMapTarget, kvbench.Get)
	})
	fmt.Println(r.N > 0)
}
