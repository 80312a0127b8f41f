//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package httptrigger_test

import (
	"os"
	"syscall"
	"testing"
)

// holdLock takes the flock a live process holds on its snapshot's lock
// file, until the returned function is called.
func holdLock(t *testing.T, name string) func() {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}
