// Package guestbuild builds standard-Go Spin guests for the examples'
// tests.
package guestbuild
