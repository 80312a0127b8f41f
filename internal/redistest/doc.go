// Package redistest runs a real redis-server for tests.
//
// [Start] launches redis-server as a child process of the test binary, bound
// to 127.0.0.1 on a free port, with its working directory (and any
// append-only file) in a temporary directory, and stops it in t.Cleanup. No
// daemon outlives the test.
//
// When the redis-server binary is not on PATH, Start skips the test with a
// visible message, unless the environment variable CI is "true", in which
// case it fails the test: CI must run the Redis tests. On Debian and Ubuntu
// the binary comes from the redis-server package
// (apt-get install -y redis-server). The environment variable
// REDIS_SERVER_BIN overrides the binary used.
package redistest
