package httptrigger_test

import (
	"fmt"
	"strings"
)

// Hand-written WAT guests speaking the Spin 1.x ABI (v1.5.1:wit/ephemeral/spin-http.wit).

// allocWAT is a bump allocator exporting canonical_abi_realloc (returns
// align for size 0, like the SDKs) and a no-op canonical_abi_free. The
// heap starts at 4096 and grows memory as needed.
const allocWAT = `
  (global $heap (mut i32) (i32.const 4096))
  (func $realloc (export "canonical_abi_realloc") (param $old i32) (param $oldsz i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get $size)) (then (return (local.get $align))))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (block $ok
      (loop $grow
        (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
        (br $grow)))
    (local.get $p))
`

// echoWAT answers 200 with header x-echo: yes and a body describing the
// request it got:
//
//	method=<index>\nuri=<uri>\n<name>: <value>\n...params=<n>\nbody=<tag>\n\n<body>
const echoWAT = `(module
  (memory (export "memory") 1)
` + allocWAT + `
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (global $out (mut i32) (i32.const 0))
  (func $put (param $src i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $src) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))
  (func $putb (param $b i32)
    (i32.store8 (global.get $out) (local.get $b))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))
  (data (i32.const 16) "method=")
  (data (i32.const 32) "uri=")
  (data (i32.const 40) ": ")
  (data (i32.const 48) "params=")
  (data (i32.const 56) "body=")
  (data (i32.const 128) "x-echoyes")
  ;; header tuple at 144: name (128, 6), value (134, 3)
  (data (i32.const 144) "\80\00\00\00\06\00\00\00\86\00\00\00\03\00\00\00")
  (func (export "handle-http-request")
    (param $m i32) (param $up i32) (param $ul i32) (param $hp i32) (param $hn i32)
    (param $pp i32) (param $pn i32) (param $bt i32) (param $bp i32) (param $bl i32) (result i32)
    (local $total i32) (local $i i32) (local $e i32) (local $start i32)
    ;; size the output
    (local.set $total (i32.add (i32.const 64) (i32.add (local.get $ul) (local.get $bl))))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $hn)))
      (local.set $e (i32.add (local.get $hp) (i32.mul (local.get $i) (i32.const 16))))
      (local.set $total (i32.add (local.get $total)
        (i32.add (i32.const 3) (i32.add (i32.load offset=4 (local.get $e)) (i32.load offset=12 (local.get $e))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $start (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $total)))
    (global.set $out (local.get $start))
    (call $put (i32.const 16) (i32.const 7))
    (call $putb (i32.add (i32.const 48) (local.get $m)))
    (call $putb (i32.const 10))
    (call $put (i32.const 32) (i32.const 4))
    (call $put (local.get $up) (local.get $ul))
    (call $putb (i32.const 10))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $hn)))
      (local.set $e (i32.add (local.get $hp) (i32.mul (local.get $i) (i32.const 16))))
      (call $put (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
      (call $put (i32.const 40) (i32.const 2))
      (call $put (i32.load offset=8 (local.get $e)) (i32.load offset=12 (local.get $e)))
      (call $putb (i32.const 10))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $put (i32.const 48) (i32.const 7))
    (call $putb (i32.add (i32.const 48) (local.get $pn)))
    (call $putb (i32.const 10))
    (call $put (i32.const 56) (i32.const 5))
    (call $putb (i32.add (i32.const 48) (local.get $bt)))
    (call $putb (i32.const 10))
    (call $putb (i32.const 10))
    (call $put (local.get $bp) (local.get $bl))
    ;; return area at 64
    (i32.store16 (i32.const 64) (i32.const 200))
    (i32.store8 (i32.const 68) (i32.const 1))
    (i32.store (i32.const 72) (i32.const 144))
    (i32.store (i32.const 76) (i32.const 1))
    (i32.store8 (i32.const 80) (i32.const 1))
    (i32.store (i32.const 84) (local.get $start))
    (i32.store (i32.const 88) (i32.sub (global.get $out) (local.get $start)))
    (i32.const 64)))`

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

// recorderWAT records every canonical_abi_realloc and canonical_abi_free
// call as a 16-byte entry (kind 1 = realloc: align, size, ptr; kind 2 =
// free: ptr, size, align) and, on each free, stores the whole log in the
// "default" key-value store under "abi-log". Its response has two headers
// (a: 1, bb: 22) and the body "body!", all allocated through its own
// realloc, so the test can check that each is freed with the right size
// and alignment.
const recorderWAT = `(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 4096))
  (global $log (mut i32) (i32.const 131072))
  (global $store (mut i32) (i32.const 0))
  (data (i32.const 16) "default")
  (data (i32.const 32) "abi-log")
  (data (i32.const 48) "abb122body!")
  (func $rec (param $kind i32) (param $a i32) (param $b i32) (param $c i32)
    (i32.store (global.get $log) (local.get $kind))
    (i32.store offset=4 (global.get $log) (local.get $a))
    (i32.store offset=8 (global.get $log) (local.get $b))
    (i32.store offset=12 (global.get $log) (local.get $c))
    (global.set $log (i32.add (global.get $log) (i32.const 16))))
  (func $alloc (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get $size)) (then (return (local.get $align))))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func $realloc (export "canonical_abi_realloc") (param $old i32) (param $oldsz i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (call $alloc (local.get $align) (local.get $size)))
    (call $rec (i32.const 1) (local.get $align) (local.get $size) (local.get $p))
    (local.get $p))
  (func (export "canonical_abi_free") (param $ptr i32) (param $size i32) (param $align i32)
    (call $rec (i32.const 2) (local.get $ptr) (local.get $size) (local.get $align))
    (call $set (global.get $store) (i32.const 32) (i32.const 7)
      (i32.const 131072) (i32.sub (global.get $log) (i32.const 131072)) (i32.const 96)))
  (func $dup (param $src i32) (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $len)))
    (memory.copy (local.get $p) (local.get $src) (local.get $len))
    (local.get $p))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local $arr i32)
    (call $open (i32.const 16) (i32.const 7) (i32.const 96))
    (if (i32.load8_u (i32.const 96)) (then unreachable))
    (global.set $store (i32.load (i32.const 100)))
    (local.set $arr (call $realloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 32)))
    (i32.store (local.get $arr) (call $dup (i32.const 48) (i32.const 1)))
    (i32.store offset=4 (local.get $arr) (i32.const 1))
    (i32.store offset=8 (local.get $arr) (call $dup (i32.const 51) (i32.const 1)))
    (i32.store offset=12 (local.get $arr) (i32.const 1))
    (i32.store offset=16 (local.get $arr) (call $dup (i32.const 49) (i32.const 2)))
    (i32.store offset=20 (local.get $arr) (i32.const 2))
    (i32.store offset=24 (local.get $arr) (call $dup (i32.const 52) (i32.const 2)))
    (i32.store offset=28 (local.get $arr) (i32.const 2))
    (i32.store16 (i32.const 64) (i32.const 201))
    (i32.store8 (i32.const 68) (i32.const 1))
    (i32.store (i32.const 72) (local.get $arr))
    (i32.store (i32.const 76) (i32.const 2))
    (i32.store8 (i32.const 80) (i32.const 1))
    (i32.store (i32.const 84) (call $dup (i32.const 54) (i32.const 5)))
    (i32.store (i32.const 88) (i32.const 5))
    (i32.const 64)))`

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
