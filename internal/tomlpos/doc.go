// Package tomlpos reads TOML into a tree that remembers key order and the
// line and column of every key and value, and defines the one positioned
// error shape that the manifest and kv/runtimeconfig packages report.
//
// It is the only place in Spindle that uses go-toml's unstable parser API:
// when that API changes, this package is the one to edit. go-toml types
// never leave it. It is pure Go.
package tomlpos
