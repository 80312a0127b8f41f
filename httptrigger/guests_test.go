package httptrigger_test

import (
	"fmt"
	"strings"

	"github.com/spindlekv/spindle/internal/testwasm"
)

// Hand-written WAT guests speaking the Spin 1.x ABI (v1.5.1:wit/ephemeral/spin-http.wit).

// Guests shared with host's tests live in internal/testwasm.
const (
	allocWAT    = testwasm.SpinAlloc
	echoWAT     = testwasm.SpinEcho
	recorderWAT = testwasm.SpinRecorder
)

// staticWAT returns a guest whose response is fixed: the return area
// (status, header tag/ptr/count, body tag/ptr/len) and extra data
// segments given as (offset, bytes) pairs.
func staticWAT(status, hTag, hPtr, hLen, bTag, bPtr, bLen uint32, data map[int]string) string {
	var segs strings.Builder
	for off, b := range data {
		fmt.Fprintf(&segs, "  (data (i32.const %d) \"%s\")\n", off, watBytes(b))
	}
	return fmt.Sprintf(`(module
  (memory (export "memory") 1)
`+allocWAT+`
  (func (export "canonical_abi_free") (param i32 i32 i32))
%s
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.store16 (i32.const 64) (i32.const %d))
    (i32.store8 (i32.const 68) (i32.const %d))
    (i32.store (i32.const 72) (i32.const %d))
    (i32.store (i32.const 76) (i32.const %d))
    (i32.store8 (i32.const 80) (i32.const %d))
    (i32.store (i32.const 84) (i32.const %d))
    (i32.store (i32.const 88) (i32.const %d))
    (i32.const 64)))`, segs.String(), status, hTag, hPtr, hLen, bTag, bPtr, bLen)
}

// watBytes escapes b for a WAT string literal.
func watBytes(b string) string {
	var s strings.Builder
	for i := 0; i < len(b); i++ {
		fmt.Fprintf(&s, "\\%02x", b[i])
	}
	return s.String()
}

// le32 encodes v as 4 little-endian bytes.
func le32(vs ...uint32) string {
	var s []byte
	for _, v := range vs {
		s = append(s, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return string(s)
}

// headersData lays out header tuples at 1024 with their strings from 1536
// and returns the data segments.
func headersData(pairs ...string) map[int]string {
	var arr, strs []byte
	next := uint32(1536)
	for _, p := range pairs {
		arr = append(arr, le32(next, uint32(len(p)))...)
		strs = append(strs, p...)
		next += uint32(len(p))
	}
	return map[int]string{1024: string(arr), 1536: string(strs)}
}

// kvGetWAT opens "default", gets the key named by the request's uri
// without its leading "/" and returns the value as the body (200), or
// 404 when the key is missing. A POST stores the body under that key.
const kvGetWAT = `(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "get" (func $get (param i32 i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
` + allocWAT + `
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (data (i32.const 16) "default")
  (func (export "handle-http-request")
    (param $m i32) (param $up i32) (param $ul i32) (param $hp i32) (param $hn i32)
    (param $pp i32) (param $pn i32) (param $bt i32) (param $bp i32) (param $bl i32) (result i32)
    (local $store i32)
    (call $open (i32.const 16) (i32.const 7) (i32.const 96))
    (if (i32.load8_u (i32.const 96)) (then unreachable))
    (local.set $store (i32.load (i32.const 100)))
    (i32.store8 (i32.const 68) (i32.const 0))
    (i32.store8 (i32.const 80) (i32.const 0))
    (if (i32.eq (local.get $m) (i32.const 1))
      (then
        (call $set (local.get $store) (i32.add (local.get $up) (i32.const 1)) (i32.sub (local.get $ul) (i32.const 1))
          (local.get $bp) (local.get $bl) (i32.const 96))
        (if (i32.load8_u (i32.const 96)) (then unreachable))
        (i32.store16 (i32.const 64) (i32.const 200))
        (return (i32.const 64))))
    (call $get (local.get $store) (i32.add (local.get $up) (i32.const 1)) (i32.sub (local.get $ul) (i32.const 1)) (i32.const 96))
    (if (i32.load8_u (i32.const 96))
      (then (i32.store16 (i32.const 64) (i32.const 404)))
      (else
        (i32.store16 (i32.const 64) (i32.const 200))
        (i32.store8 (i32.const 80) (i32.const 1))
        (i32.store (i32.const 84) (i32.load (i32.const 100)))
        (i32.store (i32.const 88) (i32.load (i32.const 104)))))
    (i32.const 64)))`

// loopWAT sets "started" in the "default" store, then spins forever.
const loopWAT = `(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
` + allocWAT + `
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (data (i32.const 16) "default")
  (data (i32.const 32) "started")
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $open (i32.const 16) (i32.const 7) (i32.const 96))
    (call $set (i32.load (i32.const 100)) (i32.const 32) (i32.const 7) (i32.const 32) (i32.const 7) (i32.const 96))
    (loop $forever (br $forever))
    (i32.const 64)))`

// trapWAT traps in handle-http-request.
const trapWAT = `(module
  (memory (export "memory") 1)
` + allocWAT + `
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    unreachable))`

// wagiEchoWAT is a WAGI program: it prints a Content-Type header, then
// its argv buffer, \x01, its environ buffer, \x01, and its stdin.
const wagiEchoWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 0) "Content-Type: text/plain\n\n")
  (data (i32.const 40) "\01")
  (func $write (param $p i32) (param $n i32)
    (i32.store (i32.const 200) (local.get $p))
    (i32.store (i32.const 204) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208))))
  (func (export "_start")
    (local $n i32)
    (call $write (i32.const 0) (i32.const 26))
    (drop (call $args_sizes_get (i32.const 100) (i32.const 104)))
    (drop (call $args_get (i32.const 1024) (i32.const 8192)))
    (call $write (i32.const 8192) (i32.load (i32.const 104)))
    (call $write (i32.const 40) (i32.const 1))
    (drop (call $environ_sizes_get (i32.const 108) (i32.const 112)))
    (drop (call $environ_get (i32.const 2048) (i32.const 32768)))
    (call $write (i32.const 32768) (i32.load (i32.const 112)))
    (call $write (i32.const 40) (i32.const 1))
    (block $eof (loop $read
      (i32.store (i32.const 216) (i32.const 131072))
      (i32.store (i32.const 220) (i32.const 65536))
      (drop (call $fd_read (i32.const 0) (i32.const 216) (i32.const 1) (i32.const 224)))
      (local.set $n (i32.load (i32.const 224)))
      (br_if $eof (i32.eqz (local.get $n)))
      (call $write (i32.const 131072) (local.get $n))
      (br $read)))))`

// wagiStaticWAT is a WAGI program printing out to stdout from entrypoint.
func wagiStaticWAT(entrypoint, out string) string {
	return fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "%s")
  (func (export %q)
    (i32.store (i32.const 200) (i32.const 1024))
    (i32.store (i32.const 204) (i32.const %d))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208)))))`,
		watBytes(out), entrypoint, len(out))
}
