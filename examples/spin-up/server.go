package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spindlekv/spindle/httptrigger"
)

// newServer returns the HTTP server for h with the limits of f.
func newServer(h http.Handler, f *serverFlags, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(DefaultReadHeaderTimeout, positiveOr(f.readTimeout, DefaultReadHeaderTimeout)),
		ReadTimeout:       f.readTimeout,
		WriteTimeout:      f.writeTimeout,
		IdleTimeout:       f.idleTimeout,
		MaxHeaderBytes:    f.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func positiveOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// shutdown stops srv and h after SIGINT or SIGTERM: in-flight requests
// get grace to finish; then the connections still open (clients that
// stall their body or do not read their response) are closed, which
// cancels their requests and interrupts their guests, and h gets one more
// second to release them. Shutting down is never a failure: what could
// not finish is logged.
func shutdown(srv *http.Server, h *httptrigger.Handler, grace time.Duration, log *slog.Logger) {
	log.Info("shutting down", "grace", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("grace period over: closing the remaining connections", "err", err)
		srv.Close()
	}
	if ctx.Err() != nil {
		var cancel2 context.CancelFunc
		ctx, cancel2 = context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
	}
	if err := h.Close(ctx); err != nil {
		log.Warn("requests still running at exit", "err", err)
	}
}

// limitListener accepts at most n connections at once (n <= 0: no
// limit); further ones wait in the kernel's listen backlog, holding no
// descriptor of this process.
func limitListener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &limitedListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitedListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitedListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
