//go:build unix

package host

import "syscall"

// probeReservation maps n bytes of inaccessible, unreserved address space
// and unmaps it again: a cheap check that wasmtime's pool reservation of
// the same size will succeed.
func probeReservation(n uint64) error {
	if n == 0 || n != uint64(int(n)) {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return err
	}
	return syscall.Munmap(b)
}
