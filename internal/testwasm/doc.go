// Package testwasm compiles WebAssembly text for tests and holds the WAT
// pieces that test guests share: Alloc, a bump allocator, and Realloc, the
// canonical ABI's realloc built on it.
package testwasm
