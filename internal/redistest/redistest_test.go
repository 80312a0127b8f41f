package redistest_test

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/internal/redistest"
)

// command sends one inline command and returns the first reply line.
func command(t *testing.T, addr, cmd string) (string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if strings.HasPrefix(line, "$") && !strings.HasPrefix(line, "$-1") && err == nil {
		line, err = r.ReadString('\n')
	}
	return strings.TrimSpace(line), err
}

func TestStartStopRestart(t *testing.T) {
	tests := []struct {
		name      string
		opts      *redistest.Options
		kill      bool
		wantAfter string // GET k after the restart
	}{
		{name: "append-only survives a kill", opts: &redistest.Options{AppendOnly: true}, kill: true, wantAfter: "v"},
		{name: "append-only survives a stop", opts: &redistest.Options{AppendOnly: true}, wantAfter: "v"},
		{name: "no persistence loses data", opts: nil, kill: true, wantAfter: "$-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.Start(t, tt.opts)
			if !strings.HasPrefix(srv.URL, "redis://127.0.0.1:") || !strings.HasPrefix(srv.Addr, "127.0.0.1:") {
				t.Errorf("URL %q, Addr %q: want loopback", srv.URL, srv.Addr)
			}
			if got, err := command(t, srv.Addr, "SET k v"); err != nil || got != "+OK" {
				t.Fatalf("SET = %q, %v", got, err)
			}
			if tt.kill {
				srv.Kill(t)
			} else {
				srv.Stop(t)
			}
			if _, err := command(t, srv.Addr, "PING"); err == nil {
				t.Fatal("server still answers after it was stopped")
			}
			srv.Stop(t) // stopping a stopped server does nothing
			srv.Restart(t)
			if got, err := command(t, srv.Addr, "GET k"); err != nil || got != tt.wantAfter {
				t.Fatalf("GET k after restart = %q, %v; want %q", got, err, tt.wantAfter)
			}
			if _, err := os.Stat(filepath.Join(srv.Dir, "redis.log")); err != nil {
				t.Errorf("no log in the server's directory: %v", err)
			}
		})
	}
}
