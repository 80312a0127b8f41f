package redistest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRequireRedis runs TestStartStopRestart in a child process with no
// redis-server to find. GitHub Actions sets CI=true on every run, fresh
// clones without Redis included, so CI=true alone must skip; only
// SPINDLE_REQUIRE_REDIS=1 (set by .ci/run, which installs Redis) makes
// the missing binary fail.
func TestRequireRedis(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CI=") && !strings.HasPrefix(kv, "SPINDLE_REQUIRE_REDIS=") && !strings.HasPrefix(kv, "REDIS_SERVER_BIN=") {
			base = append(base, kv)
		}
	}
	base = append(base, "REDIS_SERVER_BIN=/nonexistent/redis-server")
	tests := []struct {
		name     string
		env      string
		wantFail bool
		wantOut  string
	}{
		{name: "CI=true skips", env: "CI=true", wantOut: "--- SKIP"},
		{name: "SPINDLE_REQUIRE_REDIS=1 fails", env: "SPINDLE_REQUIRE_REDIS=1", wantFail: true, wantOut: "SPINDLE_REQUIRE_REDIS=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestStartStopRestart$", "-test.v")
			cmd.Env = append(base, tt.env)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("child failed = %v (%v), want %v; output:\n%s", failed, err, tt.wantFail, out)
			}
			if !strings.Contains(string(out), tt.wantOut) {
				t.Errorf("output does not contain %q:\n%s", tt.wantOut, out)
			}
		})
	}
}
