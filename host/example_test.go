package host_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// greeterWAT reads the config variable "message", prints it, and stores it
// under "greeting" in the "default" key-value store.
const greeterWAT = `(module
  (import "spin-config" "get-config" (func $get_config (param i32 i32 i32)))
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 1024))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get 3)))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (data (i32.const 16) "message")
  (data (i32.const 32) "default")
  (data (i32.const 48) "greeting")
  (data (i32.const 60) "\n")
  (func (export "run") (result i32)
    (local $msg i32) (local $len i32) (local $store i32)
    ;; get-config("message") -> return area at 64
    (call $get_config (i32.const 16) (i32.const 7) (i32.const 64))
    (if (i32.load8_u (i32.const 64)) (then (return (i32.const 1))))
    (local.set $msg (i32.load (i32.const 68)))
    (local.set $len (i32.load (i32.const 72)))
    ;; print it, then a newline (one iovec each: WASI may write only
    ;; the first of several)
    (i32.store (i32.const 96) (local.get $msg))
    (i32.store (i32.const 100) (local.get $len))
    (i32.store (i32.const 104) (i32.const 60))
    (i32.store (i32.const 108) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 96) (i32.const 1) (i32.const 112)))
    (drop (call $fd_write (i32.const 1) (i32.const 104) (i32.const 1) (i32.const 112)))
    ;; open("default"), then set("greeting", message)
    (call $open (i32.const 32) (i32.const 7) (i32.const 64))
    (if (i32.load8_u (i32.const 64)) (then (return (i32.const 2))))
    (local.set $store (i32.load (i32.const 68)))
    (call $set (local.get $store) (i32.const 48) (i32.const 8) (local.get $msg) (local.get $len) (i32.const 64))
    (i32.load8_u (i32.const 64))))`

func Example() {
	ctx := context.Background()
	wasm, err := wasmtime.Wat2Wasm(greeterWAT)
	if err != nil {
		log.Fatal(err)
	}
	engine, err := host.NewEngine(&host.Options{MaxInstances: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()

	store := memory.New()
	defer store.Close()
	comp, err := engine.Compile(ctx, host.Config{
		ID:             "greeter",
		Wasm:           wasm,
		KeyValueStores: []string{"default"},
		Stores:         kv.Stores{"default": store},
		Variables:      map[string]string{"message": "Hello from WAT"},
		Stdout:         os.Stdout,
	})
	if err != nil {
		log.Fatal(err)
	}
	// A fresh instance per call, as Spin does per request.
	res, err := comp.Call(ctx, nil, "run")
	if err != nil {
		log.Fatal(err)
	}
	v, err := store.Get(ctx, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("run returned %d; stored %q\n", res[0], v)
	// Output:
	// Hello from WAT
	// run returned 0; stored "Hello from WAT"
}

// An Instance exposes the old canonical ABI's building blocks: allocate in
// the guest, write, call, read back.
func ExampleInstance() {
	ctx := context.Background()
	wasm, err := wasmtime.Wat2Wasm(`(module
	  (memory (export "memory") 1)
	  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 256))
	  (func (export "canonical_abi_free") (param i32 i32 i32))
	  ;; upper-case ASCII in place
	  (func (export "upper") (param $p i32) (param $n i32)
	    (local $c i32)
	    (block $done (loop $l
	      (br_if $done (i32.eqz (local.get $n)))
	      (local.set $c (i32.load8_u (local.get $p)))
	      (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
	        (then (i32.store8 (local.get $p) (i32.sub (local.get $c) (i32.const 32)))))
	      (local.set $p (i32.add (local.get $p) (i32.const 1)))
	      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
	      (br $l)))))`)
	if err != nil {
		log.Fatal(err)
	}
	engine, err := host.NewEngine(&host.Options{MaxInstances: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	comp, err := engine.Compile(ctx, host.Config{ID: "upper", Wasm: wasm})
	if err != nil {
		log.Fatal(err)
	}
	inst, err := comp.Instantiate(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()
	msg := []byte("hello, spindle")
	ptr, err := inst.Alloc(1, uint32(len(msg)))
	if err != nil {
		log.Fatal(err)
	}
	if err := inst.Write(ptr, msg); err != nil {
		log.Fatal(err)
	}
	if _, err := inst.Call("upper", uint64(ptr), uint64(len(msg))); err != nil {
		log.Fatal(err)
	}
	out, err := inst.Read(ptr, uint32(len(msg)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output: HELLO, SPINDLE
}

// AllocMany lowers several strings in one crossing into the engine, with
// one canonical_abi_realloc call per string, in order, as the Spin ABI
// requires.
func ExampleInstance_AllocMany() {
	ctx := context.Background()
	wasm, err := wasmtime.Wat2Wasm(`(module
	  (memory (export "memory") 1)
	  (global $bump (mut i32) (i32.const 1024))
	  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
	    (local $p i32)
	    (local.set $p (global.get $bump))
	    (global.set $bump (i32.add (global.get $bump) (local.get 3)))
	    (local.get $p))
	  ;; total length of n (ptr, len) pairs at $arr
	  (func (export "total") (param $arr i32) (param $n i32) (result i32)
	    (local $sum i32)
	    (block $done (loop $l
	      (br_if $done (i32.eqz (local.get $n)))
	      (local.set $sum (i32.add (local.get $sum) (i32.load offset=4 (local.get $arr))))
	      (local.set $arr (i32.add (local.get $arr) (i32.const 8)))
	      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
	      (br $l)))
	    (local.get $sum)))`)
	if err != nil {
		log.Fatal(err)
	}
	engine, err := host.NewEngine(&host.Options{MaxInstances: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	comp, err := engine.Compile(ctx, host.Config{ID: "total", Wasm: wasm})
	if err != nil {
		log.Fatal(err)
	}
	inst, err := comp.Instantiate(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()

	words := []string{"fresh", "instance", "per", "request"}
	var data []byte
	var blocks []host.Block
	for _, w := range words {
		blocks = append(blocks, host.Block{Align: 1, Size: uint32(len(w)), Copy: true})
		data = append(data, w...)
	}
	// The (ptr, len) array is allocated last and written once the
	// strings' addresses are known.
	blocks = append(blocks, host.Block{Align: 4, Size: uint32(8 * len(words))})
	if err := inst.AllocMany(blocks, data); err != nil {
		log.Fatal(err)
	}
	arr := make([]byte, 0, 8*len(words))
	for _, b := range blocks[:len(words)] {
		arr = binary.LittleEndian.AppendUint32(arr, b.Ptr)
		arr = binary.LittleEndian.AppendUint32(arr, b.Size)
	}
	table := blocks[len(words)].Ptr
	if err := inst.Write(table, arr); err != nil {
		log.Fatal(err)
	}
	res, err := inst.Call("total", uint64(table), uint64(len(words)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res[0], "bytes in", len(words), "strings")
	// Output: 23 bytes in 4 strings
}

// A WebAssembly component (what Spin 2+ SDKs build) fails Compile with an
// error that names the file and matches host.ErrComponent.
func ExampleErrComponent() {
	engine, err := host.NewEngine(&host.Options{MaxInstances: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	component := []byte("\x00asm\x0d\x00\x01\x00") // the component preamble
	_, err = engine.Compile(context.Background(), host.Config{ID: "api", Source: "api.wasm", Wasm: component})
	fmt.Println(err)
	fmt.Println(errors.Is(err, host.ErrComponent), errors.Is(err, host.ErrUnsupportedWasm))
	// Output:
	// host: compile component "api": api.wasm is a WebAssembly component (Spin 2+ SDK); Spindle runs Spin 1.x core modules
	// true true
}
