//go:build !unix

package host

// probeReservation is a no-op where the reservation cannot be probed.
func probeReservation(uint64) error { return nil }
