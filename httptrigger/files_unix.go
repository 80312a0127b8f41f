//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package httptrigger

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// lockName is the lock file of a snapshot directory. The guests see only
// the component directories beside it.
const lockName = "lock"

// lockDir creates dir's lock file and takes an exclusive flock on it,
// held until the returned file is closed (or the process dies).
func lockDir(dir string) (io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// stale reports whether dir's lock exists and no process holds it. A
// directory without a lock file (from an older Spindle, or one killed
// between MkdirTemp and locking) is left alone.
func stale(dir string) bool {
	f, err := os.Open(filepath.Join(dir, lockName))
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
