package host

import (
	"context"
	"errors"
	"testing"
	"time"
)

// loopWAT exports spin, which writes one byte to stdout, then never
// returns.
const loopWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\08\00\00\00\01\00\00\00.")
  (func (export "spin")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
    (loop $l (br $l))))`

// signalWriter closes started on its first write.
type signalWriter struct{ started chan struct{} }

func (w *signalWriter) Write(p []byte) (int, error) {
	select {
	case <-w.started:
	default:
		close(w.started)
	}
	return len(p), nil
}

// hangBound is how long a test waits for something that must happen well
// within it before it reports a hang (not a speed check: without the fix
// the event never happens).
const hangBound = 20 * time.Second

// TestEngineCloseKeepsDeadlines checks that a guest running when the engine
// is closed is still stopped at its deadline, and by cancelling its
// context: Close must not stop the epoch ticker under running guests.
func TestEngineCloseKeepsDeadlines(t *testing.T) {
	tests := []struct {
		name   string
		cancel bool // stop the guest by cancelling its context
		want   error
	}{
		{"deadline", false, context.DeadlineExceeded},
		{"cancel", true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEngine(t, &Options{Timeout: 300 * time.Millisecond})
			out := &signalWriter{started: make(chan struct{})}
			c := compile(t, e, loopWAT, Config{Stdout: out})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			i, err := c.Instantiate(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer i.Close()
			result := make(chan error, 1)
			go func() {
				_, err := i.Call("spin")
				result <- err
			}()
			<-out.started // the guest is running
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.cancel {
				cancel()
			}
			select {
			case err := <-result:
				if !errors.Is(err, ErrTrap) || !errors.Is(err, tt.want) {
					t.Errorf("call after Engine.Close = %v, want ErrTrap and %v", err, tt.want)
				}
			case <-time.After(hangBound):
				t.Fatalf("guest still running %v after Engine.Close", hangBound)
			}
		})
	}
}

// TestEngineTickerStopsAfterLastInstance checks that the ticker a closed
// engine keeps for its open instances stops once the last one is closed.
func TestEngineTickerStopsAfterLastInstance(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, `(module)`, Config{})
	a, b := instantiate(t, c), instantiate(t, c)
	e.Close()
	a.Close()
	select {
	case <-e.done:
		t.Fatal("ticker stopped while an instance is open")
	case <-time.After(5 * EpochInterval):
	}
	b.Close()
	select {
	case <-e.done:
	case <-time.After(hangBound):
		t.Fatalf("ticker still running %v after the last instance closed", hangBound)
	}
}
