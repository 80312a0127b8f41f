package testwasm

import "encoding/binary"

// Spin 1.x HTTP guests (v1.5.1:wit/ephemeral/spin-http.wit) shared by the
// tests of host, which call them through Module.HandleHTTP, and of
// httptrigger, which serve them through the Handler.

// SpinAlloc is a bump allocator exporting canonical_abi_realloc (returns
// align for size 0, like the SDKs) and a no-op canonical_abi_free. The
// heap starts at 4096 and grows memory as needed.
const SpinAlloc = `
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

// SpinEcho answers 200 with header x-echo: yes and a body describing the
// request it got:
//
//	method=<index>\nuri=<uri>\n<name>: <value>\n...params=<n>\nbody=<tag>\n\n<body>
const SpinEcho = `(module
  (memory (export "memory") 1)
` + SpinAlloc + `
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

// SpinRecorder records every canonical_abi_realloc and canonical_abi_free
// call as a 16-byte entry (kind 1 = realloc: align, size, ptr; kind 2 =
// free: ptr, size, align) and, on each free, stores the whole log in the
// "default" key-value store under "abi-log". Its response has two headers
// (a: 1, bb: 22) and the body "body!", all allocated through its own
// realloc, so the test can check that each is freed with the right size
// and alignment.
const SpinRecorder = `(module
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

// Kinds of the entries in SpinRecorder's log.
const (
	ABIRealloc = 1 // A, B, C: align, size, returned pointer
	ABIFree    = 2 // A, B, C: pointer, size, align
)

// ABICall is one 16-byte entry of SpinRecorder's log.
type ABICall struct{ Kind, A, B, C uint32 }

// ParseABILog decodes the log SpinRecorder stores under "abi-log".
func ParseABILog(raw []byte) []ABICall {
	var calls []ABICall
	for i := 0; i+16 <= len(raw); i += 16 {
		calls = append(calls, ABICall{binary.LittleEndian.Uint32(raw[i:]), binary.LittleEndian.Uint32(raw[i+4:]),
			binary.LittleEndian.Uint32(raw[i+8:]), binary.LittleEndian.Uint32(raw[i+12:])})
	}
	return calls
}

// RecorderResponseFrees returns the frees a host must make after lifting
// SpinRecorder's response, given the guest's six reallocs for it (the
// header array (4, 32), "a", "1", "bb", "22", then the body (1, 5)): each
// header string (ptr, len, 1), then the array (ptr, 32, 4), then the body
// (ptr, 5, 1), as v1.5.1:sdk/go/http/spin-http.c frees them.
func RecorderResponseFrees(reallocs []ABICall) []ABICall {
	ptr := func(i int) uint32 { return reallocs[i].C }
	return []ABICall{
		{ABIFree, ptr(1), 1, 1}, {ABIFree, ptr(2), 1, 1}, {ABIFree, ptr(3), 2, 1}, {ABIFree, ptr(4), 2, 1},
		{ABIFree, ptr(0), 32, 4}, {ABIFree, ptr(5), 5, 1},
	}
}
