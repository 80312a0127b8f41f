package httptrigger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/spindlekv/spindle/host"
)

// Defaults of the per-component and in-flight limits (Options fields left
// zero). Spin has none of these limits; they are Spindle's.
const (
	// DefaultMaxConcurrentPerComponent is how many requests one component
	// may run at once: a quarter of the engine's default pool
	// (host.DefaultMaxInstances), so one busy or looping component leaves
	// three quarters of the instance slots to the others.
	DefaultMaxConcurrentPerComponent = host.DefaultMaxInstances / 4
	// DefaultMaxBodyBytesInFlight is how many request-body bytes the
	// handler buffers at once, over all requests: six bodies of
	// DefaultMaxBodyBytes, or thousands of small ones.
	DefaultMaxBodyBytesInFlight = 64 << 20
)

// ErrBusy is the cause recorded when a request gave up waiting for its
// component's share of the concurrency limit or for room in the
// in-flight body budget; the client gets 503 Service Unavailable.
var ErrBusy = errors.New("httptrigger: component busy")

// componentLimits is the per-component state shared by every route of one
// component: its concurrency share and its failure-log limiter.
type componentLimits struct {
	// slots holds one token per running request; nil means no limit.
	slots chan struct{}
	fails failureLog
}

// setLimitDefaults fills the zero limit fields with their defaults.
func (o *Options) setLimitDefaults() {
	if o.MaxConcurrentPerComponent == 0 {
		o.MaxConcurrentPerComponent = DefaultMaxConcurrentPerComponent
	}
	if o.MaxBodyBytesInFlight == 0 {
		o.MaxBodyBytesInFlight = DefaultMaxBodyBytesInFlight
	}
	if o.MaxWagiOutputBytes == 0 {
		o.MaxWagiOutputBytes = DefaultMaxWagiOutputBytes
	}
	if o.FailureLogInterval == 0 {
		o.FailureLogInterval = DefaultFailureLogInterval
	}
}

// componentLimits returns the limits of component id, made on first use.
func (h *Handler) componentLimits(id string) *componentLimits {
	if l, ok := h.limits[id]; ok {
		return l
	}
	l := &componentLimits{}
	if n := h.opts.MaxConcurrentPerComponent; n > 0 {
		l.slots = make(chan struct{}, n)
	}
	h.limits[id] = l
	return l
}

// admission is what admit took for one request; done gives it back. It is
// a value so that admitting a request allocates nothing.
type admission struct {
	slots chan struct{}
	bytes int64
	h     *Handler
}

// done releases what admit took.
func (a admission) done() {
	if a.bytes > 0 {
		a.h.bodies.release(a.bytes)
	}
	if a.slots != nil {
		<-a.slots
	}
}

// admit takes, in this order, one of t's component slots and room in the
// in-flight body budget for r's body, waiting for each until r's context
// ends or the request's timeout (Options.Timeout, else the engine's) has
// passed since start. It returns a status
// other than 0 when r must be answered without running the guest: 503 when
// it gave up waiting, 413 when the declared body is over MaxBodyBytes.
//
// The body budget is taken after the slot, so a request that waits for
// its component holds no body bytes, and before the body is read, so the
// bytes buffered at once never exceed MaxBodyBytesInFlight. A body of
// unknown length reserves MaxBodyBytes.
func (h *Handler) admit(r *http.Request, t *target, start time.Time) (admission, int) {
	a := admission{h: h}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	wait := func() <-chan time.Time {
		if h.wait < 0 {
			return nil // no timeout: only the context ends the wait
		}
		if timer == nil {
			timer = time.NewTimer(time.Until(start.Add(h.wait)))
		}
		return timer.C
	}
	if s := t.limits.slots; s != nil {
		select {
		case s <- struct{}{}:
		default:
			select {
			case s <- struct{}{}:
			case <-r.Context().Done():
				return a, http.StatusServiceUnavailable
			case <-wait():
				h.logFailure(r.Context(), t, r, r.URL.Path, fmt.Errorf("%w: all %d of its concurrent requests (MaxConcurrentPerComponent) still running after %v", ErrBusy, cap(s), h.wait))
				return a, http.StatusServiceUnavailable
			}
		}
		a.slots = s
	}
	n := h.bodyReservation(r)
	if n < 0 {
		a.done()
		return admission{}, http.StatusRequestEntityTooLarge
	}
	if n > 0 && h.bodies.size > 0 {
		if !h.bodies.acquire(r.Context(), n, wait) {
			if r.Context().Err() == nil {
				h.logFailure(r.Context(), t, r, r.URL.Path, fmt.Errorf("%w: no room for a %d-byte body in MaxBodyBytesInFlight (%d) after %v", ErrBusy, n, h.bodies.size, h.wait))
			}
			a.done()
			return admission{}, http.StatusServiceUnavailable
		}
		a.bytes = n
	}
	return a, 0
}

// bodyReservation is how many bytes r's body may take once buffered: its
// declared length, MaxBodyBytes when the length is unknown, 0 without a
// body, and -1 when the declared length is over MaxBodyBytes.
func (h *Handler) bodyReservation(r *http.Request) int64 {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return 0
	}
	limit := h.opts.MaxBodyBytes
	switch {
	case limit >= 0 && r.ContentLength > limit:
		return -1
	case r.ContentLength > 0:
		return r.ContentLength
	case limit >= 0:
		return limit
	}
	return h.bodies.size // no body limit: the whole budget
}

// byteBudget is a weighted semaphore over bytes, first come first served.
// size 0 means no budget (acquire is not called).
type byteBudget struct {
	size int64

	mu      sync.Mutex
	used    int64
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed once the bytes are granted
}

// acquire reserves n bytes (at most the whole budget), waiting until ctx
// ends or wait fires; it reports whether the bytes were granted.
func (b *byteBudget) acquire(ctx context.Context, n int64, wait func() <-chan time.Time) bool {
	n = min(n, b.size)
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+n <= b.size {
		b.used += n
		b.mu.Unlock()
		return true
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	var timeout <-chan time.Time
	if wait != nil {
		timeout = wait()
	}
	select {
	case <-w.ready:
		return true
	case <-ctx.Done():
	case <-timeout:
	}
	b.mu.Lock()
	select {
	case <-w.ready: // granted meanwhile: give it back
		b.used -= w.n
	default:
		for i, x := range b.waiters {
			if x == w {
				b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
				break
			}
		}
	}
	b.grant()
	b.mu.Unlock()
	return false
}

// release gives back n bytes taken by acquire.
func (b *byteBudget) release(n int64) {
	n = min(n, b.size)
	b.mu.Lock()
	b.used -= n
	b.grant()
	b.mu.Unlock()
}

// grant wakes the waiters at the front of the queue that now fit. b.mu is
// held.
func (b *byteBudget) grant() {
	for len(b.waiters) > 0 {
		w := b.waiters[0]
		if b.used+w.n > b.size {
			return
		}
		b.used += w.n
		close(w.ready)
		b.waiters[0] = nil
		b.waiters = b.waiters[1:]
	}
}
