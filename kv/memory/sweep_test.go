package memory

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// held returns how many entries s holds in memory, expired ones included.
func held(s *Store) (entries, withTTL int) {
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return len(s.d.m), s.d.withTTL
}

// TestSweep checks, on synctest's fake clock, that expired keys do not stay
// in memory: a write after SweepInterval drops every expired entry, and no
// write sweeps twice within one interval.
func TestSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := New()
		const n = 1000
		for i := range n {
			if err := s.SetWithTTL(ctx, fmt.Sprint("ttl", i), []byte("v"), time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Set(ctx, "plain", []byte("p")); err != nil {
			t.Fatal(err)
		}
		if got, ttl := held(s); got != n+1 || ttl != n {
			t.Fatalf("before expiry: %d entries (%d with TTL), want %d (%d)", got, ttl, n+1, n)
		}

		time.Sleep(2 * time.Second) // every TTL has run out
		if got, _ := held(s); got != n+1 {
			t.Fatalf("reads or time alone swept: %d entries, want %d", got, n+1)
		}
		if err := s.Set(ctx, "w1", nil); err != nil {
			t.Fatal(err)
		}
		if got, ttl := held(s); got != 2 || ttl != 0 {
			t.Fatalf("after a write past the interval: %d entries (%d with TTL), want 2 (0)", got, ttl)
		}

		// Within one SweepInterval of that sweep, writes do not sweep.
		if err := s.SetWithTTL(ctx, "short", nil, time.Nanosecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(SweepInterval / 2)
		if err := s.Set(ctx, "w2", nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := held(s); got != 4 {
			t.Fatalf("a write within the interval swept: %d entries, want 4", got)
		}
		time.Sleep(SweepInterval / 2)
		if err := s.Set(ctx, "w3", nil); err != nil {
			t.Fatal(err)
		}
		if got, ttl := held(s); got != 4 || ttl != 0 {
			t.Fatalf("after the next interval: %d entries (%d with TTL), want 4 (0)", got, ttl)
		}
	})
}
