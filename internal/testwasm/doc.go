// Package testwasm compiles WebAssembly text for tests.
package testwasm
