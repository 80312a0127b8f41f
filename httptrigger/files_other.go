//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package httptrigger

import "io"

// lockDir does nothing where flock is not available: stale snapshot
// directories are not reclaimed there.
func lockDir(string) (io.Closer, error) { return io.NopCloser(nil), nil }

// stale reports false: without flock a live snapshot cannot be told from
// a stale one.
func stale(string) bool { return false }
