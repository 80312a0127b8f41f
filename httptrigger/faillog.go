package httptrigger

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// DefaultFailureLogInterval is the default Options.FailureLogInterval: at
// most one "request failed" record per component per second.
const DefaultFailureLogInterval = time.Second

// failureLog limits the "request failed" records of one component: the
// first failure is logged in full, and then at most one per interval; the
// failures left out meanwhile are counted and reported, as "suppressed",
// on the next record (or by Close).
type failureLog struct {
	mu         sync.Mutex
	last       time.Time // when the last record was written
	suppressed int64
}

// allow reports whether a failure at now may be logged, and how many were
// left out since the previous record.
func (f *failureLog) allow(now time.Time, interval time.Duration) (bool, int64) {
	if interval < 0 {
		return true, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.last.IsZero() && now.Sub(f.last) < interval {
		f.suppressed++
		return false, 0
	}
	n := f.suppressed
	f.last, f.suppressed = now, 0
	return true, n
}

// take returns and clears the count of failures left out.
func (f *failureLog) take() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.suppressed
	f.suppressed = 0
	return n
}

// logFailure logs a request of t that failed with err (a trap, a bad
// response, a deadline, a client gone), rate-limited per component by
// Options.FailureLogInterval.
func (h *Handler) logFailure(ctx context.Context, t *target, r *http.Request, path string, err error) {
	level := levelFor(err)
	if !h.log.Enabled(ctx, level) {
		return
	}
	ok, suppressed := t.limits.fails.allow(time.Now(), h.opts.FailureLogInterval)
	if !ok {
		return
	}
	attrs := [5]slog.Attr{strAttr("component", t.id), strAttr("method", r.Method), strAttr("path", path), errAttr(err)}
	n := 4
	if suppressed > 0 {
		attrs[n] = slog.Int64("suppressed", suppressed)
		n++
	}
	h.log.LogAttrs(ctx, level, "httptrigger: request failed", attrs[:n]...)
}

// flushFailures logs, for each component, the failures left out since its
// last record (called by Close).
func (h *Handler) flushFailures() {
	for id, l := range h.limits {
		if n := l.fails.take(); n > 0 {
			h.log.LogAttrs(context.Background(), slog.LevelError, "httptrigger: request failures not logged",
				strAttr("component", id), slog.Int64("suppressed", n))
		}
	}
}
