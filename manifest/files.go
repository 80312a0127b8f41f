package manifest

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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
// Spin 1.5.1 does (spec §1.6), in a stable order:
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
//   - a pattern or source that is absolute or contains "..", or a
//     symbolic link resolving outside the manifest directory, fails with
//     ErrOutsideApp.
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

	var all []string // every regular file under the app dir, lazily
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
				if all, err = walkFiles(fsys, root, "."); err != nil {
					return nil, fmt.Errorf("manifest: component %q files: %w", c.ID, err)
				}
			}
			for _, rel := range all {
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
		files, err := walkFiles(fsys, root, src)
		if err != nil {
			return nil, fmt.Errorf("manifest: component %q files source %q: %w", c.ID, f.Source, err)
		}
		for _, rel := range files {
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
