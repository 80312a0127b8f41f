package manifest

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// FileMapping is one file to make visible to a guest; a plain value the
// caller owns.
type FileMapping struct {
	// Source is the file on the host: an absolute path for apps on disk,
	// or a path inside the app's fs.FS for apps from LoadFS or
	// Options.FS.
	Source string
	// Destination is the absolute, slash-separated guest path.
	Destination string
}

// ExpandFiles lists the files c's files and exclude_files select, as
// Spin 1.5.1 does (v1.5.1:crates/loader/src/local/assets.rs), in a stable order:
//
//   - a pattern is a glob relative to the manifest directory ("*", "?",
//     "[...]" within one path segment and "**" for any number of
//     segments); only regular files match (a bare directory name
//     selects nothing: write "dir/**/*"), each placed at its path
//     relative to the manifest directory ("static/a.txt" -> guest
//     "/static/a.txt");
//   - a { source, destination } placement takes every file under the
//     source directory, placed under destination;
//   - an exclude_files glob, matched against the file's path relative to
//     the manifest directory, removes the file;
//   - a pattern or source that is absolute or contains "..", fails with
//     ErrOutsideApp.
//
// Symbolic links (apps on disk) follow one rule, for globs and sources
// alike: a link whose target, fully resolved, is inside the manifest
// directory stands for its target at the link's path (a link to a file
// is that file, a link to a directory is that directory and its files);
// a link an entry selects (a glob matching the link's path or a path
// under it, or a link under a source directory) that resolves outside
// the manifest directory fails with ErrOutsideApp, and one that does not
// resolve (dangling, or a loop) fails with an error matching
// fs.ErrNotExist or naming the loop; each error names the link and its
// target. Links nothing selects, or that exclude_files removes, are
// ignored. A glob selects a link to a file (or a dangling link) only by
// the link's own path; it reaches a link to a directory through the paths
// below it too. For an app loaded from an fs.FS (LoadFS) the fs.FS itself
// decides what a link means: confine it there (os.Root.FS, for one)
// when the tree is not trusted.
//
// When two entries map to the same guest path the later one wins.
// ExpandFiles reads the directory tree each time it is called.
func (a *App) ExpandFiles(c *Component) ([]FileMapping, error) {
	if len(c.Files) == 0 {
		return nil, nil
	}
	var fsys fs.FS
	var root string
	switch {
	case a.fsys != nil:
		fsys, root = a.fsys, a.root
	case a.Dir != "":
		fsys, root = os.DirFS(a.Dir), "."
	default:
		return nil, fmt.Errorf("manifest: files of component %q: %w", c.ID, ErrNoBaseDir)
	}
	hostPath := func(rel string) string {
		if a.fsys != nil {
			return path.Join(root, rel)
		}
		return filepath.Join(a.Dir, filepath.FromSlash(rel))
	}
	var excludes []string
	for _, x := range c.ExcludeFiles {
		p, err := cleanPattern(x)
		if err != nil {
			return nil, fmt.Errorf("manifest: component %q exclude_files %q: %w", c.ID, x, err)
		}
		excludes = append(excludes, p)
	}
	excluded := func(rel string) bool {
		for _, x := range excludes {
			if matchGlob(x, rel) {
				return true
			}
		}
		return false
	}

	var all []walked // every file under the app dir, lazily
	var out []FileMapping
	index := map[string]int{}
	add := func(rel, dest string) error {
		if excluded(rel) {
			return nil
		}
		if err := a.checkInside(rel); err != nil {
			return fmt.Errorf("manifest: component %q file %q: %w", c.ID, rel, err)
		}
		m := FileMapping{Source: hostPath(rel), Destination: dest}
		if i, ok := index[dest]; ok {
			out[i] = m
			return nil
		}
		index[dest] = len(out)
		out = append(out, m)
		return nil
	}
	for _, f := range c.Files {
		if f.Pattern != "" {
			p, err := cleanPattern(f.Pattern)
			if err != nil {
				return nil, fmt.Errorf("manifest: component %q files %q: %w", c.ID, f.Pattern, err)
			}
			if all == nil {
				if all, err = a.walk(fsys, root, "."); err != nil {
					return nil, fmt.Errorf("manifest: component %q files: %w", c.ID, err)
				}
			}
			for _, w := range all {
				rel := w.rel
				if w.err != nil {
					if excluded(rel) {
						continue
					}
					// A refused link fails the pattern only if the pattern
					// selects it: by its own name, or, for a link to a
					// directory, by a path below it.
					if matchGlob(p, rel) || (w.dir && matchUnder(strings.Split(p, "/"), strings.Split(rel, "/"))) {
						return nil, fmt.Errorf("manifest: component %q files %q: %w", c.ID, f.Pattern, w.err)
					}
					continue
				}
				if matchGlob(p, rel) {
					if err := add(rel, "/"+rel); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		src, err := cleanRelative(f.Source)
		if err != nil {
			return nil, fmt.Errorf("manifest: component %q files source %q: %w", c.ID, f.Source, err)
		}
		fi, err := fs.Stat(fsys, path.Join(root, src))
		if err != nil {
			return nil, fmt.Errorf("manifest: component %q files source %q: %w", c.ID, f.Source, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("manifest: component %q files source %q: %w", c.ID, f.Source,
				&problem{kind: ErrInvalidValue, msg: "source must be a directory"})
		}
		files, err := a.walk(fsys, root, src)
		if err != nil {
			return nil, fmt.Errorf("manifest: component %q files source %q: %w", c.ID, f.Source, err)
		}
		for _, w := range files {
			rel := w.rel
			if w.err != nil {
				if excluded(rel) {
					continue
				}
				return nil, fmt.Errorf("manifest: component %q files source %q: %w", c.ID, f.Source, w.err)
			}
			under := strings.TrimPrefix(strings.TrimPrefix(rel, src), "/")
			if src == "." {
				under = rel
			}
			if err := add(rel, path.Join(f.Destination, under)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// checkInside refuses a file on disk whose real path (after symbolic
// links) is outside the app directory.
func (a *App) checkInside(rel string) error {
	if a.fsys != nil {
		return nil
	}
	dir, err := filepath.EvalSymlinks(a.Dir)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(a.Dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	r, err := filepath.Rel(dir, real)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return ErrOutsideApp
	}
	return nil
}

// walked is one file found under a directory, or (err set) a symbolic
// link that breaks the rule of ExpandFiles.
type walked struct {
	rel string // slash-separated, relative to the manifest directory
	err error
	// dir reports that a refused link (err != nil) points at a directory,
	// so a pattern can select it through the paths below it.
	dir bool
}

// walk lists the files under dir (relative to the manifest directory):
// for apps on disk following symbolic links as ExpandFiles says, for
// apps in an fs.FS with walkFiles.
func (a *App) walk(fsys fs.FS, root, dir string) ([]walked, error) {
	if a.fsys != nil {
		rels, err := walkFiles(fsys, root, dir)
		out := make([]walked, len(rels))
		for i, r := range rels {
			out[i] = walked{rel: r}
		}
		return out, err
	}
	base, err := filepath.EvalSymlinks(a.Dir)
	if err != nil {
		return nil, err
	}
	start := filepath.Join(a.Dir, filepath.FromSlash(dir))
	real, err := filepath.EvalSymlinks(start)
	if err != nil {
		return nil, err
	}
	if !within(base, real) {
		target, _ := os.Readlink(start)
		return nil, fmt.Errorf("%w: %s -> %s", ErrOutsideApp, dir, target)
	}
	out := []walked{}
	err = walkDisk(base, a.Dir, dir, []string{real}, &out)
	return out, err
}

// walkDisk appends to out the files under rel (a directory whose real
// path is the last of stack, the real paths of the directories walked
// through), following symbolic links that stay inside base.
func walkDisk(base, appDir, rel string, stack []string, out *[]walked) error {
	entries, err := os.ReadDir(filepath.Join(appDir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := path.Join(rel, e.Name())
		full := filepath.Join(appDir, filepath.FromSlash(r))
		realDir := filepath.Join(stack[len(stack)-1], e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(full)
			real, err := filepath.EvalSymlinks(full)
			if err != nil {
				*out = append(*out, walked{rel: r, err: fmt.Errorf("symbolic link %s -> %s: %w", r, target, err)})
				continue
			}
			if !within(base, real) {
				fi, err := os.Stat(real)
				*out = append(*out, walked{rel: r, err: fmt.Errorf("%w: symbolic link %s -> %s", ErrOutsideApp, r, target), dir: err == nil && fi.IsDir()})
				continue
			}
			fi, err := os.Stat(real)
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				if slices.Contains(stack, real) {
					*out = append(*out, walked{rel: r, err: fmt.Errorf("symbolic link %s -> %s makes a loop", r, target), dir: true})
					continue
				}
				if err := walkDisk(base, appDir, r, append(stack, real), out); err != nil {
					return err
				}
			case fi.Mode().IsRegular():
				*out = append(*out, walked{rel: r})
			}
			continue
		}
		switch {
		case e.IsDir():
			if err := walkDisk(base, appDir, r, append(stack, realDir), out); err != nil {
				return err
			}
		case typ.IsRegular():
			*out = append(*out, walked{rel: r})
		}
	}
	return nil
}

// within reports whether real is dir or inside it (both real paths).
func within(dir, real string) bool {
	r, err := filepath.Rel(dir, real)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

// matchUnder reports whether the pattern p could match a path below n
// (n followed by one or more segments).
func matchUnder(p, n []string) bool {
	for len(n) > 0 {
		if len(p) == 0 {
			return false
		}
		if p[0] == "**" {
			return true
		}
		if ok, err := path.Match(p[0], n[0]); err != nil || !ok {
			return false
		}
		p, n = p[1:], n[1:]
	}
	return len(p) > 0
}

// walkFiles lists the regular files (and symbolic links to files) under
// dir, relative to root, slash-separated, in lexical order.
func walkFiles(fsys fs.FS, root, dir string) ([]string, error) {
	out := []string{}
	err := fs.WalkDir(fsys, path.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := fs.Stat(fsys, p)
			if err != nil || !fi.Mode().IsRegular() {
				return nil // dangling links and links to directories select nothing
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		rel := p
		if root != "." {
			rel = strings.TrimPrefix(p, root+"/")
		}
		out = append(out, rel)
		return nil
	})
	return out, err
}

// cleanRelative cleans a slash-separated relative path, refusing one
// that is absolute or leaves its base with "..".
func cleanRelative(p string) (string, error) {
	p = strings.ReplaceAll(p, `\`, "/")
	if isAbsPath(p) {
		return "", ErrOutsideApp
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", ErrOutsideApp
		}
	}
	return path.Clean(p), nil
}

// cleanPattern checks a glob: relative, no "..", well formed.
func cleanPattern(p string) (string, error) {
	c, err := cleanRelative(p)
	if err != nil {
		return "", err
	}
	for _, seg := range strings.Split(c, "/") {
		if _, err := path.Match(seg, ""); err != nil {
			return "", &problem{kind: ErrInvalidValue, msg: fmt.Sprintf("bad glob pattern %q", p)}
		}
	}
	return c, nil
}

// matchGlob matches a slash-separated relative path against a cleaned
// pattern in which "**" is a whole segment matching any number of
// segments and other segments follow path.Match.
func matchGlob(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(p, n []string) bool {
	for len(p) > 0 {
		if p[0] == "**" {
			for len(p) > 1 && p[1] == "**" {
				p = p[1:]
			}
			for i := 0; i <= len(n); i++ {
				if matchSegments(p[1:], n[i:]) {
					return true
				}
			}
			return false
		}
		if len(n) == 0 {
			return false
		}
		if ok, err := path.Match(p[0], n[0]); err != nil || !ok {
			return false
		}
		p, n = p[1:], n[1:]
	}
	return len(n) == 0
}
