package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dial opens a raw connection to r's server.
func (r *runner) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// slowBody starts a request whose body never arrives.
func slowBody(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.WriteString(c, "POST /test/stuck HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab"); err != nil {
		t.Fatal(err)
	}
}

// idle sends one complete request on c, reads the answer and leaves the
// keep-alive connection idle.
func idle(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.WriteString(c, "GET /.well-known/spin/health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// closedByServer reports whether the server closes c (rather than the
// generous deadline, which only keeps a broken server from hanging the
// test, passing first).
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestServerTimeouts: a client that stalls its body is cut off at
// --read-timeout, an idle keep-alive connection at --idle-timeout.
func TestServerTimeouts(t *testing.T) {
	r := start(t, "-f", newAppDir(t), "--read-timeout", "300ms", "--idle-timeout", "300ms")
	slow, still := r.dial(t), r.dial(t)
	slowBody(t, slow)
	idle(t, still)
	if !closedByServer(slow) {
		t.Error("connection with a stalled body still open")
	}
	if !closedByServer(still) {
		t.Error("idle keep-alive connection still open")
	}
	r.stop(t)
}

// TestShutdownStuckClients: SIGTERM with clients that stall their body
// and idle keep-alive connections ends after --shutdown-timeout with
// exit status 0, the stuck connections closed.
func TestShutdownStuckClients(t *testing.T) {
	r := start(t, "-f", newAppDir(t), "--shutdown-timeout", "500ms")
	var conns []net.Conn
	for range 5 {
		c := r.dial(t)
		slowBody(t, c)
		conns = append(conns, c)
		c = r.dial(t)
		idle(t, c)
		conns = append(conns, c)
	}
	r.signal(t, syscall.SIGTERM) // checks exit status 0
	if !strings.Contains(r.stderr.String(), "closing the remaining connections") {
		t.Errorf("no forced-close message in stderr:\n%s", r.stderr)
	}
	for i, c := range conns {
		if !closedByServer(c) {
			t.Errorf("connection %d still open after exit", i)
		}
	}
}

// TestMaxConnections: past --max-connections a connection is not served
// until another one closes.
func TestMaxConnections(t *testing.T) {
	r := start(t, "-f", newAppDir(t), "--max-connections", "1")
	first := r.dial(t)
	idle(t, first) // the one connection, kept open
	second := r.dial(t)
	if _, err := io.WriteString(second, "GET /.well-known/spin/health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	second.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := second.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second connection answered while the first is open (err %v)", err)
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(second), nil)
	if err != nil {
		t.Fatalf("second connection after the first closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	r.stop(t)
}
