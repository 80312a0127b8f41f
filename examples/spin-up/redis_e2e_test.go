package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spindlekv/spindle/internal/redistest"
)

// TestRedisSharedByTwoRunners runs two spin-up processes on one runtime
// config file whose default store is a real redis-server. A value POSTed
// through one runner is read through the other. Redis is then killed (as a
// crash would): requests that need the store answer 500. Once Redis is
// restarted on the same port, requests succeed again through both runners
// without restarting them, and every write acknowledged before the crash is
// still there (appendonly yes, appendfsync always).
//
// Without a redis-server binary the test skips, unless SPINDLE_REQUIRE_REDIS=1.
func TestRedisSharedByTwoRunners(t *testing.T) {
	srv := redistest.Start(t, &redistest.Options{AppendOnly: true})
	rc := filepath.Join(t.TempDir(), "runtime-config.toml")
	config := fmt.Sprintf("[key_value_store.default]\ntype = \"redis\"\nurl = %q\n", srv.URL)
	if err := os.WriteFile(rc, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	a := start(t, "-f", newAppDir(t), "--runtime-config-file", rc, "--state-dir", "")
	b := start(t, "-f", newAppDir(t), "--runtime-config-file", rc, "--state-dir", "")

	a.replay(t, []step{{"POST", "/test/shared", "written through a", 200, ""}})
	b.replay(t, []step{
		{"GET", "/test/shared", "", 200, "written through a"},
		{"POST", "/test/from-b", "written through b", 200, ""},
		{"HEAD", "/test/missing", "", 404, ""},
	})
	a.replay(t, []step{{"GET", "/test/from-b", "", 200, "written through b"}})

	srv.Kill(t)
	for _, r := range []*runner{a, b} {
		for _, s := range []step{
			{method: "GET", path: "/test/shared"},
			{method: "POST", path: "/test/during-outage", body: "lost"},
		} {
			status, body := r.do(t, s.method, s.path, s.body)
			if status != 500 {
				t.Errorf("%s %s with Redis down = %d %q, want 500", s.method, s.path, status, body)
			}
			t.Logf("%s %s with Redis down: %d %q", s.method, s.path, status, body)
		}
	}

	srv.Restart(t)
	a.replay(t, []step{
		{"GET", "/test/shared", "", 200, "written through a"},
		{"GET", "/test/from-b", "", 200, "written through b"},
		{"HEAD", "/test/during-outage", "", 404, ""},
		{"POST", "/test/after", "after the restart", 200, ""},
	})
	b.replay(t, []step{
		{"GET", "/test/after", "", 200, "after the restart"},
		{"GET", "/test/shared", "", 200, "written through a"},
	})
	a.stop(t)
	b.stop(t)
}
