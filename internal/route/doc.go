// Package route compiles and matches Spin HTTP routes with the semantics of
// Spin v1.5.1 (v1.5.1:crates/http/src/routes.rs): a route is joined to the application base, a
// trailing "/..." makes it a wildcard, exact patterns beat wildcards and the
// longest wildcard prefix wins. It also computes the values of the spin-*
// headers (v1.5.1:crates/trigger-http/src/lib.rs) that depend on the route.
//
// It is pure Go with no wasm dependency so that it can be tested and fuzzed
// quickly; httptrigger is its only user.
package route
