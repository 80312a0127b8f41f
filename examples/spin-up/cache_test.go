package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDefaultCacheOutsideApp checks that without --cache-dir compiled
// modules go to the per-user cache (host.DefaultCacheDir), never into the
// application's directory: a cache entry there is native code the host
// would run, shipped by whoever ships the app.
func TestDefaultCacheOutsideApp(t *testing.T) {
	app := newAppDir(t)
	userCache := t.TempDir()
	cmd := command(t, "--listen", "127.0.0.1:0", "-f", app)
	cmd.Env = append(cmd.Env, "XDG_CACHE_HOME="+userCache, "HOME="+userCache)
	r := startCmd(t, cmd, nil)
	r.stop(t)
	entries, err := os.ReadDir(filepath.Join(userCache, "spindle", "modules"))
	if err != nil || len(entries) != 1 {
		t.Errorf("user cache holds %v (%v), want one entry\nstderr:\n%s", entries, err, r.stderr)
	}
	err = filepath.WalkDir(app, func(path string, d os.DirEntry, err error) error {
		if err == nil && filepath.Ext(path) == ".cwasm" {
			t.Errorf("cache entry written inside the app: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
