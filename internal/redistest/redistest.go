package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long Start waits for the server to answer PING.
// It is a failure deadline, not a measured assertion.
const startTimeout = 20 * time.Second

// Options configures a Server. The zero value is an in-memory server with
// persistence off.
type Options struct {
	// AppendOnly turns on the append-only file with appendfsync always, so
	// every acknowledged write survives a stop and restart of the server.
	AppendOnly bool
}

// Server is a redis-server child process. Its methods are safe for
// concurrent use, but a test normally drives it from one goroutine.
type Server struct {
	// Addr is the host:port the server listens on (127.0.0.1).
	Addr string
	// URL is a redis:// URL for database 0 of the server.
	URL string
	// Dir is the server's working directory (a t.TempDir).
	Dir string

	bin  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary returns the redis-server binary to use and whether it exists.
func Binary() (string, bool) {
	if b := os.Getenv("REDIS_SERVER_BIN"); b != "" {
		p, err := exec.LookPath(b)
		return p, err == nil
	}
	p, err := exec.LookPath("redis-server")
	return p, err == nil
}

// RequireEnv, set to 1, makes Start fail a test instead of skipping it
// when redis-server is absent. .ci/run sets it (it installs Redis);
// CI=true does not count, since every GitHub Actions run sets CI=true,
// fresh clones without Redis included.
const RequireEnv = "SPINDLE_REQUIRE_REDIS"

// Start launches a redis-server for the test and registers its shutdown with
// tb.Cleanup. It skips the test when the binary is absent (fails when
// SPINDLE_REQUIRE_REDIS=1). A nil opts means the zero Options.
func Start(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	bin, ok := Binary()
	if !ok {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatal("redistest: redis-server not found on PATH and " + RequireEnv + "=1; install it (apt-get install -y redis-server)")
		}
		tb.Skip("redistest: redis-server not found on PATH; skipping test that needs a real Redis (install: apt-get install -y redis-server)")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	dir := tb.TempDir()
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("redistest: find a free port: %v", err)
		}
		s := &Server{
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			URL:  fmt.Sprintf("redis://127.0.0.1:%d/0", port),
			Dir:  dir,
			bin:  bin,
		}
		s.args = []string{
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--save", "",
			"--dir", dir,
			"--daemonize", "no",
			"--logfile", filepath.Join(dir, "redis.log"),
			"--protected-mode", "no",
		}
		if o.AppendOnly {
			s.args = append(s.args, "--appendonly", "yes", "--appendfsync", "always")
		} else {
			s.args = append(s.args, "--appendonly", "no")
		}
		if lastErr = s.start(); lastErr == nil {
			tb.Cleanup(func() {
				if err := s.stop(syscall.SIGTERM); err != nil {
					tb.Errorf("redistest: stop: %v", err)
				}
			})
			return s
		}
	}
	tb.Fatalf("redistest: start redis-server: %v", lastErr)
	return nil
}

// Stop shuts the server down gracefully (SIGTERM: the append-only file, if
// any, is flushed) and waits for the process to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if err := s.stop(syscall.SIGTERM); err != nil {
		tb.Fatalf("redistest: stop: %v", err)
	}
}

// Kill stops the server with SIGKILL, as a crash would, and waits for the
// process to exit. Only writes already in the append-only file survive.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	if err := s.stop(syscall.SIGKILL); err != nil {
		tb.Fatalf("redistest: kill: %v", err)
	}
}

// Restart starts a stopped server again on the same address and directory,
// so that an append-only file written before the stop is reloaded.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.start(); err != nil {
		tb.Fatalf("redistest: restart: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Dir = s.Dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		if ping(s.Addr) == nil {
			break
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server exited during start-up: %s\n%s", out.String(), s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server did not answer PING on %s within %v\n%s", s.Addr, startTimeout, s.logTail())
		}
	}
	s.cmd, s.done = cmd, done
	return nil
}

func (s *Server) stop(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-s.done
	s.cmd, s.done = nil, nil
	return nil
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if err != nil {
		return ""
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

// ping sends an inline PING and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
