package host

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type ctxKey struct{}

func TestStoreCtx(t *testing.T) {
	t.Run("before the deadline", func(t *testing.T) {
		parent := context.WithValue(t.Context(), ctxKey{}, "v")
		d := time.Now().Add(time.Hour)
		c := newStoreCtx(parent, d)
		defer c.stop()
		if err := c.Err(); err != nil {
			t.Fatalf("Err = %v", err)
		}
		if got, ok := c.Deadline(); !ok || !got.Equal(d) {
			t.Fatalf("Deadline = %v, %t", got, ok)
		}
		if c.Value(ctxKey{}) != "v" {
			t.Fatal("parent's value lost before Done")
		}
		if c.made() != nil {
			t.Fatal("Err, Deadline or Value started the timer")
		}
		select {
		case <-c.Done():
			t.Fatal("Done closed early")
		default:
		}
		if c.Value(ctxKey{}) != "v" {
			t.Fatal("parent's value lost after Done")
		}
	})
	t.Run("deadline passed, timer never started", func(t *testing.T) {
		c := newStoreCtx(t.Context(), time.Now().Add(-time.Millisecond))
		defer c.stop()
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("deadline reached with the timer", func(t *testing.T) {
		c := newStoreCtx(t.Context(), time.Now().Add(20*time.Millisecond))
		defer c.stop()
		fired := make(chan struct{})
		context.AfterFunc(c, func() { close(fired) })
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("Done not closed at the deadline")
		}
		<-fired
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err = %v, want DeadlineExceeded", err)
		}
		if cause := context.Cause(c); !errors.Is(cause, errDeadline) {
			t.Fatalf("Cause = %v, want the instance deadline", cause)
		}
	})
	t.Run("parent cancelled", func(t *testing.T) {
		for _, timer := range []bool{false, true} {
			parent, cancel := context.WithCancel(t.Context())
			c := newStoreCtx(parent, time.Now().Add(time.Hour))
			if timer {
				c.Done()
			}
			cancel()
			if err := c.Err(); !errors.Is(err, context.Canceled) {
				t.Errorf("timer %t: Err = %v, want Canceled", timer, err)
			}
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("timer %t: Done not closed", timer)
			}
			c.stop()
		}
	})
	t.Run("stop releases the timer", func(t *testing.T) {
		c := newStoreCtx(t.Context(), time.Now().Add(time.Hour))
		done := c.Done()
		c.stop()
		select {
		case <-done:
		default:
			t.Fatal("stop left the timer running")
		}
		c.stop() // idempotent
	})
	t.Run("concurrent use", func(t *testing.T) {
		c := newStoreCtx(t.Context(), time.Now().Add(time.Hour))
		defer c.stop()
		var wg sync.WaitGroup
		chans := make([]<-chan struct{}, 8)
		for i := range chans {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = c.Err()
				chans[i] = c.Done()
				_ = c.Value(ctxKey{})
			}()
		}
		wg.Wait()
		for _, ch := range chans[1:] {
			if ch != chans[0] {
				t.Fatal("Done returned different channels")
			}
		}
	})
}
