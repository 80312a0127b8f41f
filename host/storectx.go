package host

import (
	"context"
	"sync"
	"time"
)

// storeCtx is the context of an instance's key-value store calls: its
// context, also ended at the instance deadline (with cause errDeadline),
// so a hung store call cannot outlive the instance.
//
// The timer behind the deadline is only started if a store asks for
// Done, as a store call that can block does (database/sql, go-redis). A
// call that only checks Err or reads the deadline, such as kv/sqlite's
// point reads, never needs it, and neither does a request whose store
// calls all are of that kind: that is one timer less per request.
//
// Until Done is first called, Err is computed from the parent and the
// clock, and Value asks the parent; afterwards all three methods defer to
// a context.WithDeadlineCause, so the standard library treats it like
// one (context.AfterFunc and children register without a goroutine). It
// is safe for concurrent use.
type storeCtx struct {
	parent   context.Context
	deadline time.Time

	mu     sync.Mutex
	ctx    context.Context // nil until Done is first called
	cancel context.CancelFunc
}

func newStoreCtx(parent context.Context, deadline time.Time) *storeCtx {
	return &storeCtx{parent: parent, deadline: deadline}
}

// timed returns the context with the timer, making it on first use.
func (c *storeCtx) timed() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithDeadlineCause(c.parent, c.deadline, errDeadline)
	}
	return c.ctx
}

// made returns the context with the timer if it exists.
func (c *storeCtx) made() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// Deadline returns the instance deadline (never later than the parent's).
func (c *storeCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Done starts the timer if needed and returns its channel.
func (c *storeCtx) Done() <-chan struct{} { return c.timed().Done() }

// Err reports the parent's error, or context.DeadlineExceeded once the
// deadline has passed.
func (c *storeCtx) Err() error {
	if ctx := c.made(); ctx != nil {
		return ctx.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value returns the parent's values (and, once Done has been called, the
// standard library's own bookkeeping of the timed context).
func (c *storeCtx) Value(key any) any {
	if ctx := c.made(); ctx != nil {
		return ctx.Value(key)
	}
	return c.parent.Value(key)
}

// stop releases the timer, if one was started.
func (c *storeCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}
