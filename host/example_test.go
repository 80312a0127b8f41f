package host_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

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

// HandleHTTP runs one request through a Spin 1.x guest: a fresh
// instance, the request lowered into it, handle-http-request called and
// the response lifted and checked. This guest answers 200 with a
// content-type header and the request's URI, followed by the name of its
// first header (lower-cased by the ABI), as the body.
func ExampleModule_HandleHTTP() {
	ctx := context.Background()
	wasm, err := wasmtime.Wat2Wasm(`(module
	  (memory (export "memory") 1)
	  (global $bump (mut i32) (i32.const 1024))
	  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
	    (local $p i32)
	    (local.set $p (global.get $bump))
	    (global.set $bump (i32.add (global.get $bump) (local.get 3)))
	    (local.get $p))
	  (func (export "canonical_abi_free") (param i32 i32 i32))
	  (data (i32.const 16) "content-type")
	  (data (i32.const 32) "text/plain")
	  (func (export "handle-http-request")
	    (param $method i32) (param $uri i32) (param $uriLen i32) (param $hdrs i32) (param $nh i32)
	    (param i32 i32 i32 i32 i32) (result i32)
	    (local $name i32) (local $nameLen i32)
	    (local.set $name (i32.load (local.get $hdrs)))
	    (local.set $nameLen (i32.load offset=4 (local.get $hdrs)))
	    ;; body: uri then the first header's name, at 4096
	    (memory.copy (i32.const 4096) (local.get $uri) (local.get $uriLen))
	    (memory.copy (i32.add (i32.const 4096) (local.get $uriLen)) (local.get $name) (local.get $nameLen))
	    ;; one header: (16, 12, 32, 10) at 128
	    (i32.store (i32.const 128) (i32.const 16))
	    (i32.store (i32.const 132) (i32.const 12))
	    (i32.store (i32.const 136) (i32.const 32))
	    (i32.store (i32.const 140) (i32.const 10))
	    ;; return area at 64: status, some(headers), some(body)
	    (i32.store16 (i32.const 64) (i32.const 200))
	    (i32.store8 (i32.const 68) (i32.const 1))
	    (i32.store (i32.const 72) (i32.const 128))
	    (i32.store (i32.const 76) (i32.const 1))
	    (i32.store8 (i32.const 80) (i32.const 1))
	    (i32.store (i32.const 84) (i32.const 4096))
	    (i32.store (i32.const 88) (i32.add (local.get $uriLen) (local.get $nameLen)))
	    (i32.const 64)))`)
	if err != nil {
		log.Fatal(err)
	}
	engine, err := host.NewEngine(&host.Options{MaxInstances: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	mod, err := engine.Compile(ctx, host.Config{ID: "echo", Wasm: wasm})
	if err != nil {
		log.Fatal(err)
	}
	var h host.HTTPHandler = mod
	resp, err := h.HandleHTTP(ctx, &host.HTTPRequest{
		Method:  "GET",
		URI:     "/hello?x=1",
		Headers: []host.HTTPField{{Name: "X-Trace", Value: "1"}},
	}, &host.InstanceOptions{Timeout: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, resp.Headers, string(resp.Body))

	// A method the Spin 1.x ABI has no case for never reaches the guest.
	_, err = h.HandleHTTP(ctx, &host.HTTPRequest{Method: "PROPFIND", URI: "/"}, nil)
	fmt.Println(errors.Is(err, host.ErrMethodNotAllowed))
	// Output:
	// 200 [{content-type text/plain}] /hello?x=1x-trace
	// true
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
