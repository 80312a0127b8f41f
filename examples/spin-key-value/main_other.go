//go:build !wasip1

package main

import (
	"fmt"
	"os"
)

// main explains how to build the component when the package is built for
// the host platform (it exists so that go build ./... works everywhere).
func main() {
	fmt.Fprintln(os.Stderr, "spin-key-value is a Spin component: build it with\n"+
		"\tGOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o main.wasm .\n"+
		"and serve it with: go run ./examples/spin-up --build -f examples/spin-key-value")
	os.Exit(2)
}
