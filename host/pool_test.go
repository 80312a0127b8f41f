package host

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestManyEngines creates 64 engines with default options at once: the
// per-slot reservation follows MaxMemory, so they all fit in the address
// space and the process survives.
func TestManyEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("reserves address space for 64 pools")
	}
	var engines []*Engine
	defer func() {
		for _, e := range engines {
			e.Close()
		}
	}()
	for n := range 64 {
		e, err := NewEngine(&Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("engine %d: %v", n, err)
		}
		engines = append(engines, e)
	}
	// Each one still runs guests.
	for _, e := range []*Engine{engines[0], engines[len(engines)-1]} {
		c := compile(t, e, `(module (memory (export "memory") 1) (func (export "f") (result i32) (i32.store (i32.const 65532) (i32.const 7)) (i32.load (i32.const 65532))))`, Config{})
		if got := call(t, instantiate(t, c), "f"); got[0] != 7 {
			t.Errorf("f() = %d, want 7", got[0])
		}
	}
}

func TestNewEngineReservationErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		contain string
	}{
		{name: "memory above 4 GiB", opts: Options{MaxMemory: 4<<30 + 1}, contain: "4 GiB"},
		{name: "pool above MaxReservation", opts: Options{MaxInstances: 1 << 20}, contain: "MaxReservation"},
		{name: "huge memory and pool", opts: Options{MaxInstances: 1 << 30, MaxMemory: 4 << 30}, contain: "MaxReservation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			e, err := NewEngine(&tt.opts)
			if err == nil {
				e.Close()
				t.Fatal("NewEngine succeeded")
			}
			if !strings.Contains(err.Error(), tt.contain) {
				t.Errorf("error %q does not mention %q", err, tt.contain)
			}
		})
	}
}

// TestMaxMemoryEnforced checks that a guest cannot grow past MaxMemory
// now that the reservation is MaxMemory-sized.
func TestMaxMemoryEnforced(t *testing.T) {
	e := testEngine(t, &Options{MaxMemory: 4 << 16})
	c := compile(t, e, `(module (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))`, Config{})
	i := instantiate(t, c)
	if got := call(t, i, "grow", 3); int32(got[0]) != 1 {
		t.Fatalf("grow(3) = %d, want 1", int32(got[0]))
	}
	if got := call(t, i, "grow", 1); int32(got[0]) != -1 {
		t.Fatalf("grow past MaxMemory = %d, want -1", int32(got[0]))
	}
	if _, err := i.Call("load", 4<<16); !errors.Is(err, ErrTrap) {
		t.Fatalf("load past memory: %v, want ErrTrap", err)
	}
	if got := call(t, i, "load", 4<<16-4); got[0] != 0 {
		t.Fatalf("load at the end = %d", got[0])
	}
}

// TestInstantiateWaitsForSlot fills a two-slot pool: a third Instantiate
// waits, fails with the context's error when it expires, and succeeds once
// an instance is closed.
func TestInstantiateWaitsForSlot(t *testing.T) {
	e := testEngine(t, &Options{MaxInstances: 2})
	c := compile(t, e, `(module (memory (export "memory") 1) (func (export "f")))`, Config{})
	a, b := instantiate(t, c), instantiate(t, c)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if i, err := c.Instantiate(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		if i != nil {
			i.Close()
		}
		t.Fatalf("Instantiate on a full pool: %v, want DeadlineExceeded", err)
	}
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	if _, err := c.Instantiate(cctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Instantiate with a cancelled ctx: %v, want Canceled", err)
	}

	got := make(chan error, 1)
	go func() {
		i, err := c.Instantiate(t.Context(), nil)
		if err == nil {
			_, err = i.Call("f")
			i.Close()
		}
		got <- err
	}()
	a.Close()
	if err := <-got; err != nil {
		t.Fatalf("waiting Instantiate: %v", err)
	}
	// Failed instantiations give their slot back: a trapping start function
	// fails twice as often as there are slots, then a good one still fits.
	trap := compile(t, e, `(module (func $s unreachable) (start $s))`, Config{ID: "trap"})
	for range 5 {
		if _, err := trap.Instantiate(t.Context(), nil); !errors.Is(err, ErrTrap) {
			t.Fatalf("trapping start: %v, want ErrTrap", err)
		}
	}
	b.Close()
	for range 2 {
		instantiate(t, c)
	}
}

// TestInstantiateWaitUnblockedByEngineClose checks that a waiter gets
// ErrClosed when the engine closes.
func TestInstantiateWaitUnblockedByEngineClose(t *testing.T) {
	e := testEngine(t, &Options{MaxInstances: 1})
	c := compile(t, e, `(module)`, Config{})
	instantiate(t, c)
	got := make(chan error, 1)
	go func() {
		_, err := c.Instantiate(t.Context(), nil)
		got <- err
	}()
	e.Close()
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter after Engine.Close: %v, want ErrClosed", err)
	}
}
