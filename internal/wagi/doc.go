// Package wagi implements the pure-Go parts of Spin's WAGI executor (spec
// §4): argv expansion, the CGI environment and the parsing of a guest's
// stdout into an HTTP response. httptrigger is its only user.
package wagi
