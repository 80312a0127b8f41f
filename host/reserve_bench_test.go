package host

import (
	"log/slog"
	"testing"
)

// sumWAT sums the 16384 i32 words of its first memory page n times: a
// load-heavy loop whose bounds checks depend on the memory reservation.
const sumWAT = `(module (memory (export "memory") 1)
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $outer
      (local.set $i (i32.const 0))
      (loop $inner
        (local.set $s (i32.add (local.get $s) (i32.load (local.get $i))))
        (i32.store (local.get $i) (local.get $s))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $inner (i32.lt_u (local.get $i) (i32.const 65536))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $outer (local.get $n)))
    (local.get $s)))`

// BenchmarkGuestMemoryLoop compares guest code compiled for a 4 GiB
// reservation per memory (no explicit bounds checks: the baseline) with
// the MaxMemory-sized reservation NewEngine uses. One op is 16384 loads
// and stores.
func BenchmarkGuestMemoryLoop(b *testing.B) {
	o := Options{MaxMemory: DefaultMaxMemory, Timeout: DefaultTimeout, MaxInstances: 4, Logger: slog.New(slog.DiscardHandler)}
	for _, bc := range []struct {
		name    string
		reserve uint64
	}{
		{name: "reserve=4GiB", reserve: 4 << 30},
		{name: "reserve=MaxMemory", reserve: DefaultMaxMemory},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e, err := newEngine(o, bc.reserve)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			i := instantiate(b, compile(b, e, sumWAT, Config{}))
			for b.Loop() {
				if _, err := i.Call("sum", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
