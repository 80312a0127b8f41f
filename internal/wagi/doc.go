// Package wagi implements the pure-Go parts of Spin's WAGI executor
// (v1.5.1:crates/trigger-http/src/wagi.rs, v1.5.1:crates/http/src/wagi/mod.rs): argv expansion, the CGI environment and the parsing of a guest's
// stdout into an HTTP response. httptrigger is its only user.
package wagi
