package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv/sqlite"
)

// crashEnv names the environment variable that turns TestCrashChild into
// the writer process of TestCrash; its value is the database path.
const crashEnv = "SPINDLE_SQLITE_CRASH_CHILD"

// TestCrashChild is the child process of TestCrash: it sets keys one by one
// and prints each key once Set has returned. Without crashEnv it skips.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrash only")
	}
	db, err := sqlite.Open(path, nil)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	s, err := db.Store("default")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute) // the parent kills it long before
	for i := 0; time.Now().Before(deadline); i++ {
		k := fmt.Sprintf("key-%06d", i)
		if err := s.Set(ctx, k, crashValue(k)); err != nil {
			fmt.Println("ERROR", err)
			os.Exit(2)
		}
		fmt.Println(k) // os.Stdout is unbuffered: the line leaves at once
	}
	os.Exit(3)
}

func crashValue(k string) []byte { return []byte("value of " + k + strings.Repeat(".", len(k)*7)) }

// TestCrash kills a writer with SIGKILL at a random moment and checks that
// every key it acknowledged is in the file afterwards.
func TestCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	for round := range 3 {
		path := filepath.Join(dir, fmt.Sprintf("crash-%d.db", round))
		killAfter := 1 + rand.IntN(400)
		acked := runAndKill(t, path, killAfter)
		t.Logf("round %d: killed after %d acknowledged keys (target %d)", round, len(acked), killAfter)

		db := openDB(t, path, nil)
		s, err := db.Store("default")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range acked {
			v, err := s.Get(t.Context(), k)
			if err != nil {
				t.Fatalf("acknowledged key %q lost after SIGKILL: %v", k, err)
			}
			if string(v) != string(crashValue(k)) {
				t.Fatalf("acknowledged key %q = %q after SIGKILL", k, v)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runAndKill starts the child writing to path, kills it with SIGKILL once
// it has acknowledged killAfter keys, and returns the acknowledged keys.
func runAndKill(t *testing.T, path string, killAfter int) []string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ERROR") {
			t.Fatalf("child: %s", line)
		}
		if !strings.HasPrefix(line, "key-") {
			continue
		}
		acked = append(acked, line)
		if !killed && len(acked) >= killAfter {
			// SIGKILL: no deferred functions, no Close, no flush.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	// Lines the child printed before the kill landed are acknowledged too.
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended by itself (%v) after %d keys", err, len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("child acknowledged no key")
	}
	return acked
}
