package manifest_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/manifest"
)

// TestExpandFilesSymlinkRule: one rule for symbolic links, in globs and
// sources alike: a link resolving inside the app directory stands for its
// target (file or directory, absolute or relative link); a selected link
// resolving outside it, dangling, or making a loop is an error naming the
// link and its target; unselected or excluded links are ignored.
func TestExpandFilesSymlinkRule(t *testing.T) {
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret": "s", "dir/s.txt": "s"})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"static/a.txt": "a", "real/f.txt": "f"})
	links := map[string]string{
		"static/rel-in.txt": "a.txt",
		"static/abs-in.txt": filepath.Join(dir, "static", "a.txt"),
		"static/dir-in":     "../real",
		"bad/abs-out.txt":   filepath.Join(outside, "secret"),
		"bad2/rel-out.txt":  "../" + strings.Repeat("../", strings.Count(dir, string(filepath.Separator))) + strings.TrimPrefix(filepath.Join(outside, "secret"), string(filepath.Separator)),
		"bad3/dir-out":      filepath.Join(outside, "dir"),
		"bad4/dangling":     "nothing-here",
		"bad5/loop":         "..",
	}
	for name, target := range links {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, filepath.FromSlash(name))), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Skip("symlinks unavailable:", err)
		}
	}
	tests := []struct {
		name, files, exclude string
		want                 []string // destinations
		err                  error    // errors.Is target; nil with wantErr means any
		wantErr              string   // substring naming the link
	}{
		{name: "links inside", files: `["static/**/*"]`,
			want: []string{"/static/a.txt", "/static/abs-in.txt", "/static/dir-in/f.txt", "/static/rel-in.txt"}},
		{name: "dir link as source", files: `[{ source = "static/dir-in", destination = "/d" }]`, want: []string{"/d/f.txt"}},
		{name: "absolute link outside", files: `["bad/*"]`, err: manifest.ErrOutsideApp, wantErr: "bad/abs-out.txt -> " + outside},
		{name: "relative link outside", files: `["bad2/*"]`, err: manifest.ErrOutsideApp, wantErr: "bad2/rel-out.txt -> ../"},
		{name: "dir link outside by glob", files: `["bad3/**/*"]`, err: manifest.ErrOutsideApp, wantErr: "bad3/dir-out -> " + outside},
		{name: "dir link outside by source", files: `[{ source = "bad3", destination = "/" }]`, err: manifest.ErrOutsideApp, wantErr: "bad3/dir-out"},
		{name: "dir link outside as source", files: `[{ source = "bad3/dir-out", destination = "/" }]`, err: manifest.ErrOutsideApp, wantErr: "bad3/dir-out"},
		{name: "dangling", files: `["bad4/*"]`, err: fs.ErrNotExist, wantErr: "bad4/dangling -> nothing-here"},
		{name: "loop", files: `["bad5/**/*"]`, wantErr: "bad5/loop -> .. makes a loop"},
		{name: "excluded bad link", files: `["bad/*", "static/a.txt"]`, exclude: `["bad/abs-out.txt"]`, want: []string{"/static/a.txt"}},
		{name: "unselected bad links", files: `["static/a.txt"]`, want: []string{"/static/a.txt"}},
		// A "**" pattern reaches below a directory link, never below a
		// link to a file or a dangling one: those it must match by name.
		{name: "file links a ** pattern does not select", files: `["bad/**/*.png", "bad2/**/*.png", "bad4/**/*.png", "static/a.txt"]`, want: []string{"/static/a.txt"}},
		{name: "dir link a ** pattern selects below", files: `["bad3/**/*.png"]`, err: manifest.ErrOutsideApp, wantErr: "bad3/dir-out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exclude := tt.exclude
			if exclude == "" {
				exclude = "[]"
			}
			app := filesApp(t, dir, tt.files, exclude)
			got, err := app.ExpandFiles(&app.Components[0])
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.err != nil && !errors.Is(err, tt.err)) {
					t.Fatalf("err = %v, want one matching %v and naming %q", err, tt.err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var dests []string
			for _, m := range got {
				dests = append(dests, m.Destination)
			}
			slices.Sort(dests)
			if !slices.Equal(dests, tt.want) {
				t.Errorf("got %v, want %v", dests, tt.want)
			}
		})
	}
}
