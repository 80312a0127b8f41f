//go:build wasip1

package main

import "github.com/spindlekv/spindle/examples/spinguest"

func init() {
	// The host calls _initialize, which runs init functions; main never runs.
	spinguest.Handle(handle)
}

func main() {}
