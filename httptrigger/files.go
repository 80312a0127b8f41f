package httptrigger

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/manifest"
)

// ErrPrivateFiles: a component's files { source = ... } is the state
// directory, the snapshot directory or another of Options.PrivateDirs, or
// is inside one.
var ErrPrivateFiles = errors.New("httptrigger: files source is a private directory")

// StateDirName is the directory beside the manifest where Spin keeps its
// state (the default key-value store's SQLite file and logs); it is never
// exposed through files.
const StateDirName = ".spin"

// filesPrefix names the snapshot directories New makes under FilesDir.
const filesPrefix = "spindle-files-"

// files snapshots the files c's manifest entries select
// (manifest.ExpandFiles) into a directory of the handler's own, which the
// guest sees read-only at "/", as Spin does: the files are copied at New,
// so changes made to the app directory afterwards are not seen (Spin
// copies them too, into a temporary directory per app). Whatever is in a
// private directory (the app's .spin state directory, FilesDir,
// Options.PrivateDirs) is left out of globs, and a { source = ... } in one
// fails with ErrPrivateFiles. Apps loaded from an fs.FS cannot have files
// yet.
func (h *Handler) files(app *manifest.App, c *manifest.Component) ([]host.Mount, error) {
	if len(c.Files) == 0 {
		return nil, nil
	}
	if app.Dir == "" {
		return nil, fmt.Errorf("httptrigger: component %q: files are only supported for apps on disk (manifest.Load)", c.ID)
	}
	private := h.privateDirs(app)
	for _, f := range c.Files {
		if f.Source == "" {
			continue
		}
		real, err := filepath.EvalSymlinks(filepath.Join(app.Dir, filepath.FromSlash(f.Source)))
		if err != nil {
			continue // ExpandFiles reports it
		}
		if dir, ok := inside(real, private); ok {
			return nil, fmt.Errorf("%w: component %q files source %q is %s, which is never exposed to guests",
				ErrPrivateFiles, c.ID, f.Source, dir)
		}
	}
	mappings, err := app.ExpandFiles(c)
	if err != nil {
		return nil, fmt.Errorf("httptrigger: component %q: %w", c.ID, err)
	}
	if err := h.makeFilesDir(); err != nil {
		return nil, fmt.Errorf("httptrigger: component %q: files: %w", c.ID, err)
	}
	root, err := os.MkdirTemp(h.filesDir, "component-")
	if err != nil {
		return nil, fmt.Errorf("httptrigger: component %q: %w", c.ID, err)
	}
	skipped := 0
	for _, m := range mappings {
		real, err := filepath.EvalSymlinks(m.Source)
		if err != nil {
			return nil, fmt.Errorf("httptrigger: component %q: file %s: %w", c.ID, m.Destination, err)
		}
		if _, ok := inside(real, private); ok {
			skipped++
			continue
		}
		dst := filepath.Join(root, filepath.FromSlash(path.Clean("/"+m.Destination)))
		if err := copyFile(real, dst); err != nil {
			return nil, fmt.Errorf("httptrigger: component %q: file %s: %w", c.ID, m.Destination, err)
		}
	}
	if skipped > 0 {
		h.log.Warn("httptrigger: files in private directories are not exposed", "component", c.ID, "skipped", skipped)
	}
	return []host.Mount{{HostDir: root, GuestDir: "/"}}, nil
}

// privateDirs returns the real paths of the directories never exposed
// through files.
func (h *Handler) privateDirs(app *manifest.App) []string {
	dirs := append([]string{filepath.Join(app.Dir, StateDirName)}, h.opts.PrivateDirs...)
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if real, err := filepath.EvalSymlinks(d); err == nil {
			d = real
		}
		out = append(out, d)
	}
	// Snapshot directories (this handler's and others') are private too:
	// the last entry stands for every filesPrefix directory in it.
	parent := h.filesParent()
	if abs, err := filepath.Abs(parent); err == nil {
		parent = abs
	}
	if real, err := filepath.EvalSymlinks(parent); err == nil {
		parent = real
	}
	return append(out, filepath.Join(parent, filesPrefix+"*"))
}

// inside reports the first of dirs that p is, or is inside. A dir whose
// last element is filesPrefix+"*" matches every snapshot directory there.
func inside(p string, dirs []string) (string, bool) {
	for _, d := range dirs {
		if pre, ok := strings.CutSuffix(d, filesPrefix+"*"); ok {
			r, err := filepath.Rel(pre, p)
			if err == nil && (strings.HasPrefix(r, filesPrefix) || strings.HasPrefix(r, ".new-"+filesPrefix)) {
				return d, true
			}
			continue
		}
		r, err := filepath.Rel(d, p)
		if err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return d, true
		}
	}
	return "", false
}

// filesParent is the directory the snapshot directories are made in.
func (h *Handler) filesParent() string {
	if h.opts.FilesDir != "" {
		return h.opts.FilesDir
	}
	return os.TempDir()
}

// makeFilesDir makes the handler's snapshot directory, once, after
// removing those left by processes that died (whose lock is free). The
// directory is made under a name reclaimStale ignores, locked, and only
// then renamed into place, so another process starting at the same time
// never takes it for stale.
func (h *Handler) makeFilesDir() error {
	if h.filesDir != "" {
		return nil
	}
	parent := h.filesParent()
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return err
	}
	reclaimStale(parent, h.log)
	tmp, err := os.MkdirTemp(parent, ".new-"+filesPrefix)
	if err != nil {
		return err
	}
	lock, err := lockDir(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	dir := filepath.Join(parent, filesPrefix+strings.TrimPrefix(filepath.Base(tmp), ".new-"+filesPrefix))
	if err := os.Rename(tmp, dir); err != nil {
		lock.Close()
		os.RemoveAll(tmp)
		return err
	}
	h.filesDir, h.filesLock = dir, lock
	return nil
}

// releaseFiles removes the snapshot directory and drops its lock.
func (h *Handler) releaseFiles() error {
	if h.filesDir == "" {
		return nil
	}
	err := os.RemoveAll(h.filesDir)
	if h.filesLock != nil {
		h.filesLock.Close()
	}
	h.filesDir, h.filesLock = "", nil
	return err
}

// reclaimStale removes the snapshot directories under parent (and those
// killed before being renamed into place) whose lock no process holds:
// those of a process that was killed before Close.
func reclaimStale(parent string, log interface{ Warn(string, ...any) }) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(strings.TrimPrefix(e.Name(), ".new-"), filesPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if !stale(dir) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("httptrigger: cannot remove stale files snapshot", "dir", dir, "err", err)
		}
	}
}

// copyFile copies src to dst, read-only. On Linux io.Copy between files
// uses copy_file_range, which shares the blocks on file systems that can
// (btrfs, XFS) and copies in the kernel elsewhere.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	os.Remove(dst) // a later entry for the same guest path wins
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
