package manifest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestCorpusRequirement runs the corpus test in a child process from a
// directory with no corpus above it, as in a fresh clone. GitHub Actions
// sets CI=true on every run, so CI=true alone must skip; only
// SPINDLE_REQUIRE_CORPUS=1 (set by .ci/run) makes a missing corpus fail.
func TestCorpusRequirement(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CI=") && !strings.HasPrefix(kv, "SPINDLE_REQUIRE_CORPUS=") {
			base = append(base, kv)
		}
	}
	tests := []struct {
		name     string
		env      string
		wantFail bool
		wantOut  string
	}{
		{name: "CI=true skips", env: "CI=true", wantOut: "SKIP: manifest corpus"},
		{name: "SPINDLE_REQUIRE_CORPUS=1 fails", env: "SPINDLE_REQUIRE_CORPUS=1", wantFail: true, wantOut: "SPINDLE_REQUIRE_CORPUS=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestCorpusSpinManifests$", "-test.v")
			cmd.Dir = t.TempDir()
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
