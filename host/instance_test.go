package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// wasiImports and wasiExports forward WASI functions through exports so
// tests can drive them.
const wasiImports = `
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
`

const wasiExports = `
  (func (export "environ_sizes_get") (param i32 i32) (result i32) (call $env_sizes (local.get 0) (local.get 1)))
  (func (export "environ_get") (param i32 i32) (result i32) (call $env_get (local.get 0) (local.get 1)))
  (func (export "args_sizes_get") (param i32 i32) (result i32) (call $args_sizes (local.get 0) (local.get 1)))
  (func (export "args_get") (param i32 i32) (result i32) (call $args_get (local.get 0) (local.get 1)))
  (func (export "fd_read") (param i32 i32 i32 i32) (result i32)
    (call $fd_read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "path_open") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
    (call $path_open (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
      (local.get 5) (local.get 6) (local.get 7) (local.get 8)))
`

var wasiGuest = "(module " + wasiImports + guestPrelude + wasiExports + ")"

// readStrings reads a WASI argv/environ block of n NUL-terminated strings.
func readStrings(t *testing.T, i *Instance, sizesFn, getFn string) []string {
	t.Helper()
	out, _ := put(t, i, 4, make([]byte, 8))
	if r := call(t, i, sizesFn, out, out+4); r[0] != 0 {
		t.Fatalf("%s errno %d", sizesFn, r[0])
	}
	sz := read(t, i, uint32(out), 8)
	n, size := binary.LittleEndian.Uint32(sz), binary.LittleEndian.Uint32(sz[4:])
	ptrs, _ := put(t, i, 4, make([]byte, 4*n+4))
	buf, _ := put(t, i, 1, make([]byte, size+1))
	if r := call(t, i, getFn, ptrs, buf); r[0] != 0 {
		t.Fatalf("%s errno %d", getFn, r[0])
	}
	var res []string
	for _, s := range strings.Split(string(read(t, i, uint32(buf), size)), "\x00") {
		if s != "" {
			res = append(res, s)
		}
	}
	return res
}

func TestWASIEnvironmentArgsStdin(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, wasiGuest, Config{Environment: map[string]string{"A": "1", "B": "component"}})
	i, err := c.Instantiate(t.Context(), &InstanceOptions{
		Args:  []string{"/path", "x=y"},
		Env:   map[string]string{"B": "instance", "C": "3"},
		Stdin: []byte("request body"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	if got, want := strings.Join(readStrings(t, i, "environ_sizes_get", "environ_get"), " "), "A=1 B=instance C=3"; got != want {
		t.Errorf("environment = %q, want %q", got, want)
	}
	if got, want := strings.Join(readStrings(t, i, "args_sizes_get", "args_get"), " "), "/path x=y"; got != want {
		t.Errorf("argv = %q, want %q", got, want)
	}
	buf, _ := put(t, i, 1, make([]byte, 64))
	iov, _ := put(t, i, 4, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, uint32(buf)), 64))
	nread, _ := put(t, i, 4, make([]byte, 4))
	if r := call(t, i, "fd_read", 0, iov, 1, nread); r[0] != 0 {
		t.Fatalf("fd_read(stdin) errno %d", r[0])
	}
	n := binary.LittleEndian.Uint32(read(t, i, uint32(nread), 4))
	if got := read(t, i, uint32(buf), n); string(got) != "request body" {
		t.Errorf("stdin = %q", got)
	}
}

func TestWASIFilesReadOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test.txt"), []byte("text for test"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := testEngine(t, nil)
	c := compile(t, e, wasiGuest, Config{Files: []Mount{{HostDir: dir, GuestDir: "/"}}})
	i := instantiate(t, c)
	const rightsRead = 1 << 1 // fd_read
	const rightsWrite = 1 << 6
	open := func(name string, oflags, rights uint64) (uint32, uint64) {
		p, n := put(t, i, 1, []byte(name))
		fdOut, _ := put(t, i, 4, make([]byte, 4))
		r := call(t, i, "path_open", 3, 0, p, n, oflags, rights, rights, 0, fdOut)
		return binary.LittleEndian.Uint32(read(t, i, uint32(fdOut), 4)), r[0]
	}
	fd, errno := open("test.txt", 0, rightsRead)
	if errno != 0 {
		t.Fatalf("path_open(test.txt) errno %d", errno)
	}
	buf, _ := put(t, i, 1, make([]byte, 64))
	iov, _ := put(t, i, 4, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, uint32(buf)), 64))
	nread, _ := put(t, i, 4, make([]byte, 4))
	if r := call(t, i, "fd_read", uint64(fd), iov, 1, nread); r[0] != 0 {
		t.Fatalf("fd_read errno %d", r[0])
	}
	if got := read(t, i, uint32(buf), binary.LittleEndian.Uint32(read(t, i, uint32(nread), 4))); string(got) != "text for test" {
		t.Errorf("file contents = %q", got)
	}
	if _, errno := open("new.txt", 1 /* O_CREAT */, rightsWrite); errno == 0 {
		t.Error("creating a file in a read-only mount succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Error("guest created a file on the host")
	}
}

func TestGuestOutputLogged(t *testing.T) {
	var logs bytes.Buffer
	e := testEngine(t, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c := compile(t, e, guestWAT(""), Config{ID: "printer"})
	i := instantiate(t, c)
	for _, fd := range []uint64{1, 2} {
		msg := []byte("line one\npartial")
		p, n := put(t, i, 1, msg)
		iov, _ := put(t, i, 4, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, uint32(p)), uint32(n)))
		nw, _ := put(t, i, 4, make([]byte, 4))
		if r := call(t, i, "fd-write", fd, iov, 1, nw); r[0] != 0 {
			t.Fatalf("fd_write(%d) errno %d", fd, r[0])
		}
	}
	i.Close()
	out := logs.String()
	for _, want := range []string{
		`msg="line one" component=printer stream=stdout`,
		`msg=partial component=printer stream=stdout`,
		`msg="line one" component=printer stream=stderr`,
		`msg=partial component=printer stream=stderr`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
}

func TestInitializeCalledStartNot(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, `(module
	  (memory (export "memory") 1)
	  (global $init (mut i32) (i32.const 0))
	  (func (export "_initialize") (global.set $init (i32.add (global.get $init) (i32.const 1))))
	  (func (export "_start") unreachable)
	  (func (export "initialized") (result i32) (global.get $init)))`, Config{})
	i := instantiate(t, c)
	if r := call(t, i, "initialized"); r[0] != 1 {
		t.Errorf("_initialize ran %d times, want 1", r[0])
	}
}

func TestInitializeTrap(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, `(module (func (export "_initialize") unreachable))`, Config{ID: "adv"})
	_, err := c.Instantiate(t.Context(), nil)
	checkTrap(t, err, "_initialize")
}

func TestStubImports(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, `(module
	  (import "outbound-redis" "get" (func $rget (param i32 i32 i32 i32 i32)))
	  (import "llm" "infer" (func (param i32 i32 i32 i32 i32 i32 f32 i32 f32 i32 f32 i32)))
	  (import "wasi-outbound-http" "request" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
	  (import "key-value" "open" (func $bad_open (param i64) (result i32)))
	  (import "wasi_snapshot_preview1" "no_such_call" (func $nope))
	  (memory (export "memory") 1)
	  (func (export "redis") (call $rget (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
	  (func (export "bad-open") (result i32) (call $bad_open (i64.const 1)))
	  (func (export "nope") (call $nope)))`, Config{ID: "adv"})
	want := []string{"outbound-redis.get", "llm.infer", "wasi-outbound-http.request", "key-value.open", "wasi_snapshot_preview1.no_such_call"}
	if got := c.Stubs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Stubs() = %q, want %q", got, want)
	}
	i := instantiate(t, c)
	for name, imp := range map[string]string{"redis": "outbound-redis.get", "bad-open": "key-value.open", "nope": "wasi_snapshot_preview1.no_such_call"} {
		_, err := i.Call(name)
		checkTrap(t, err, "import "+imp+" is not implemented by Spindle")
	}
}

func TestSpinConfig(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, guestWAT(""), Config{ID: "cfg", Variables: map[string]string{"message": "I'm a teapot", "empty": ""}})
	h := newHarness(t, c)
	tests := []struct {
		name    string
		key     string
		wantTag int // -1: ok
		want    string
	}{
		{name: "defined", key: "message", wantTag: -1, want: "I'm a teapot"},
		{name: "defined empty", key: "empty", wantTag: -1, want: ""},
		{name: "undefined", key: "missing", wantTag: int(cfgErrOther), want: `unknown config path: no config for "cfg"."missing"`},
		{name: "upper case", key: "Message", wantTag: int(cfgErrInvalidKey), want: `invalid key "Message"`},
		{name: "empty key", key: "", wantTag: int(cfgErrInvalidKey), want: "must not be empty"},
		{name: "double underscore", key: "a__b", wantTag: int(cfgErrInvalidKey), want: "consecutive underscores"},
		{name: "leading digit", key: "1a", wantTag: int(cfgErrInvalidKey), want: "must start with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, n := h.str(tt.key)
			before := h.allocs()
			got, _ := h.do("get-config", p, n)
			allocs := h.allocsSince(before + 1)
			if tt.wantTag < 0 {
				if got[0] != 0 || !bytes.Equal(got[1:4], []byte{0xAA, 0xAA, 0xAA}) || !bytes.Equal(got[12:], []byte{0xAA, 0xAA, 0xAA, 0xAA}) {
					t.Fatalf("area = % x, want ok", got)
				}
				v := read(t, h.i, le32(got[4:]), le32(got[8:]))
				if string(v) != tt.want {
					t.Errorf("value = %q, want %q", v, tt.want)
				}
				if len(allocs) != 1 || allocs[0] != [2]uint32{1, uint32(len(tt.want))} {
					t.Errorf("realloc calls = %v", allocs)
				}
				return
			}
			if got[0] != 1 || int(got[4]) != tt.wantTag || !bytes.Equal(got[5:8], []byte{0xAA, 0xAA, 0xAA}) {
				t.Fatalf("area = % x, want err tag %d", got, tt.wantTag)
			}
			msg := string(read(t, h.i, le32(got[8:]), le32(got[12:])))
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
	kp, kn := put(t, h.i, 1, []byte{0xff})
	_, err := h.i.Call("get-config", kp, kn, uint64(newRet(t, h.i)))
	if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), "spin-config.get-config") {
		t.Errorf("invalid UTF-8 key: error = %v, want a trap naming spin-config.get-config", err)
	}
}

func TestCallRawValues(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, `(module
	  (func (export "mix") (param i32 i64 f32 f64) (result i32 i64 f32 f64)
	    (i32.sub (i32.const 0) (local.get 0)) (i64.mul (local.get 1) (i64.const 2))
	    (f32.neg (local.get 2)) (f64.add (local.get 3) (f64.const 1))))`, Config{})
	i := instantiate(t, c)
	r := call(t, i, "mix", 5, 1<<40, uint64(math.Float32bits(1.5)), math.Float64bits(2.5))
	want := []uint64{uint64(uint32(0xFFFFFFFB)), 1 << 41, uint64(math.Float32bits(-1.5)), math.Float64bits(3.5)}
	for k := range want {
		if r[k] != want[k] {
			t.Errorf("result %d = %#x, want %#x", k, r[k], want[k])
		}
	}
	if _, err := i.Call("mix", 1); err == nil {
		t.Error("Call with too few arguments succeeded")
	}
	if _, err := i.Call("nope"); !errors.Is(err, ErrMissingExport) {
		t.Errorf("Call(nope) error = %v, want ErrMissingExport", err)
	}
	if _, err := i.Alloc(1, 1); !errors.Is(err, ErrMissingExport) {
		t.Errorf("Alloc without realloc error = %v, want ErrMissingExport", err)
	}
	if err := i.Free(0, 0, 1); !errors.Is(err, ErrMissingExport) {
		t.Errorf("Free without free error = %v, want ErrMissingExport", err)
	}
	if _, err := i.Read(0, 1); !errors.Is(err, ErrMissingExport) {
		t.Errorf("Read without memory error = %v, want ErrMissingExport", err)
	}
	if c.HasExport("mix") != true || c.HasExport("nope") != false {
		t.Error("HasExport is wrong")
	}
}

func TestReadWriteBounds(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, guestWAT(""), Config{ID: "adv"})
	i := instantiate(t, c)
	for _, tt := range []struct {
		name   string
		ptr, n uint32
	}{
		{name: "past end", ptr: 65536, n: 1},
		{name: "overflow", ptr: 0xFFFFFFFF, n: 2},
	} {
		_, err := i.Read(tt.ptr, tt.n)
		checkTrap(t, err, "out of bounds")
		err = i.Write(tt.ptr, make([]byte, tt.n))
		checkTrap(t, err, "out of bounds")
	}
	if err := i.Write(65535, []byte{7}); err != nil {
		t.Fatal(err)
	}
	if b := read(t, i, 65535, 1); b[0] != 7 {
		t.Errorf("Read back %v", b)
	}
	// The view is refreshed after a guest call that grows memory.
	p, err := i.Alloc(1, 3<<16)
	if err != nil {
		t.Fatal(err)
	}
	if err := i.Write(p+3<<16-1, []byte{9}); err != nil {
		t.Fatalf("write at the end of grown memory: %v", err)
	}
	if err := i.Free(p, 3<<16, 1); err != nil {
		t.Fatal(err)
	}
}

func TestContextCancelInterrupts(t *testing.T) {
	a := newAdv(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	i, err := a.c.Instantiate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = i.Call("spin")
	checkTrap(t, err, "interrupted")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if _, err := i.Call("boom"); !errors.Is(err, context.Canceled) {
		t.Errorf("Call after cancel: error = %v, want context.Canceled", err)
	}
	if _, err := a.c.Instantiate(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Instantiate with cancelled ctx: error = %v", err)
	}
	a.healthy(t)
}

func TestClosed(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, guestWAT(""), Config{})
	i := instantiate(t, c)
	if err := i.Close(); err != nil {
		t.Fatal(err)
	}
	if err := i.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := i.Call("close", 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Call after Close = %v", err)
	}
	if _, err := i.Alloc(1, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Alloc after Close = %v", err)
	}
	if _, err := i.Read(0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close = %v", err)
	}
	if err := i.Write(0, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	if err := i.Free(0, 0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Free after Close = %v", err)
	}
	c2 := compile(t, e, guestWAT(""), Config{})
	live := instantiate(t, c2)
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Instantiate(t.Context(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Instantiate after Module.Close = %v", err)
	}
	if _, err := live.Alloc(1, 8); err != nil {
		t.Errorf("instance made before Module.Close: %v", err)
	}
	e.Close()
	if err := e.Close(); err != nil {
		t.Fatal("second Engine.Close:", err)
	}
	if _, err := c.Instantiate(t.Context(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Instantiate after Engine.Close = %v", err)
	}
	if _, err := e.Compile(t.Context(), Config{Wasm: []byte("(module)")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Compile after Engine.Close = %v", err)
	}
}

func TestPoolExhaustedThenReused(t *testing.T) {
	e := testEngine(t, &Options{MaxInstances: 2})
	c := compile(t, e, guestWAT(""), Config{})
	a, b := instantiate(t, c), instantiate(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	if _, err := c.Instantiate(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third instance in a pool of 2: %v, want DeadlineExceeded", err)
	}
	a.Close()
	b.Close()
	for range 10 { // slots come back when instances are closed
		i := instantiate(t, c)
		i.Close()
	}
}

// fdCount counts this process's open file descriptors.
func fdCount(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

func TestNoLeaks(t *testing.T) {
	e := testEngine(t, &Options{MaxInstances: 4})
	s := memory.New()
	c := compile(t, e, guestWAT(""), Config{
		KeyValueStores: []string{"default"},
		Stores:         kv.Stores{"default": s},
		Files:          []Mount{{HostDir: t.TempDir(), GuestDir: "/"}},
	})
	run := func() {
		h := newHarness(t, c)
		hd := uint64(h.open("default"))
		kp, kn := h.str("k")
		h.do("set", hd, kp, kn, kp, kn)
		h.do("get", hd, kp, kn)
		h.i.Close()
	}
	run() // warm up lazily started goroutines and descriptors
	runtime.GC()
	g0, fd0 := runtime.NumGoroutine(), fdCount(t)
	for range 300 { // far more than the pool's 4 slots
		run()
	}
	runtime.GC()
	if g1 := runtime.NumGoroutine(); g1 > g0 {
		t.Errorf("goroutines: %d before, %d after 300 instances", g0, g1)
	}
	if fd1 := fdCount(t); fd1 > fd0 {
		t.Errorf("open file descriptors: %d before, %d after 300 instances", fd0, fd1)
	}
}

// TestConcurrentInstances hammers one component from many goroutines
// (run with -race).
func TestConcurrentInstances(t *testing.T) {
	e := testEngine(t, &Options{MaxInstances: 16})
	s := memory.New()
	c := compile(t, e, guestWAT(""), Config{KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": s}})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 20 {
				i, err := c.Instantiate(context.Background(), nil)
				if err != nil {
					t.Error(err)
					return
				}
				h := &harness{t: t, i: i}
				hd := uint64(h.open("default"))
				kp, kn := h.str("shared")
				vp, vn := h.str(strings.Repeat("v", g+n))
				h.do("set", hd, kp, kn, vp, vn)
				if got, _ := h.do("get", hd, kp, kn); got[0] != 0 {
					t.Errorf("get = % x", got)
				}
				i.Close()
			}
		}()
	}
	wg.Wait()
}

func TestProcExit(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, `(module
	  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
	  (memory (export "memory") 1)
	  (func (export "_start") (call $exit (i32.const 0)))
	  (func (export "fail") (result i32) (call $exit (i32.const 3)) (i32.const 7)))`, Config{ID: "adv"})
	i := instantiate(t, c)
	if _, err := i.Call("_start"); err != nil {
		t.Errorf("proc_exit(0): %v, want success", err)
	}
	_, err := c.Call(t.Context(), nil, "fail")
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Status != 3 || exit.Module != "adv" {
		t.Fatalf("proc_exit(3): error = %v, want *ExitError with status 3", err)
	}
	checkTrap(t, err, "exited with status 3")
}

func TestNewEngineOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    *Options
		wantErr string
	}{
		{name: "nil means defaults", opts: nil},
		{name: "negative memory", opts: &Options{MaxMemory: -1}, wantErr: "MaxMemory"},
		{name: "negative instances", opts: &Options{MaxInstances: -1}, wantErr: "MaxInstances"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := NewEngine(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewEngine error = %v, want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.opts.MaxMemory != DefaultMaxMemory || e.opts.Timeout != DefaultTimeout || e.opts.MaxInstances != DefaultMaxInstances || e.Wasmtime() == nil {
				t.Errorf("defaults not applied: %+v", e.opts)
			}
		})
	}
}

func TestInitialMemoryOverLimit(t *testing.T) {
	e := testEngine(t, &Options{MaxMemory: 1 << 20})
	// Caught at start-up: the module can never instantiate.
	_, err := e.Compile(t.Context(), Config{ID: "adv", Wasm: testwasm.Wat(t, `(module (memory (export "memory") 32))`)}) // 2 MiB
	if err == nil || !strings.Contains(err.Error(), `"adv"`) || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("Compile of a module needing 2 MiB with a 1 MiB limit: %v, want an error naming the component and the limit", err)
	}
	newAdvOn(t, e).healthy(t)
}

func TestDefineImports(t *testing.T) {
	e := testEngine(t, &Options{DefineImports: func(l *wasmtime.Linker) error {
		return l.FuncWrap("my-platform", "answer", func() int32 { return 42 })
	}})
	c := compile(t, e, `(module
	  (import "my-platform" "answer" (func $answer (result i32)))
	  (import "outbound-redis" "get" (func (param i32 i32 i32 i32 i32)))
	  (func (export "ask") (result i32) (call $answer)))`, Config{})
	if got := c.Stubs(); len(got) != 1 || got[0] != "outbound-redis.get" {
		t.Errorf("Stubs() = %q, want only outbound-redis.get", got)
	}
	r, err := c.Call(t.Context(), nil, "ask")
	if err != nil || r[0] != 42 {
		t.Fatalf("ask = %v, %v; want 42", r, err)
	}
	failing := testEngine(t, &Options{DefineImports: func(*wasmtime.Linker) error { return errors.New("nope") }})
	if _, err := failing.Compile(t.Context(), Config{ID: "x", Wasm: testwasm.Wat(t, "(module)")}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Compile with failing DefineImports: %v", err)
	}
}

func TestCompileValidatesConfig(t *testing.T) {
	e := testEngine(t, nil)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := e.Compile(t.Context(), Config{
		ID:        "bad",
		Wasm:      testwasm.Wat(t, "(module)"),
		Variables: map[string]string{"Bad": "v", "also__bad": "v", "fine": "v"},
		Files: []Mount{
			{HostDir: filepath.Join(t.TempDir(), "missing"), GuestDir: "/a"},
			{HostDir: file, GuestDir: "/b"},
			{HostDir: t.TempDir(), GuestDir: ""},
		},
	})
	if err == nil {
		t.Fatal("Compile with a bad config succeeded")
	}
	for _, want := range []string{`"bad"`, `variable "Bad"`, `variable "also__bad"`, `mount at "/a"`, "not a directory", "empty GuestDir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"fine"`) {
		t.Errorf("error names a valid variable: %v", err)
	}
}

// TestStdioHandleReleased checks that the cgo handle behind an instance's
// stdout/stderr is released when the instance is closed: the writer then
// becomes garbage.
func TestStdioHandleReleased(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, guestWAT(""), Config{})
	var mu sync.Mutex
	released := 0
	const n = 20
	for range n {
		w := new(bytes.Buffer)
		runtime.AddCleanup(w, func(struct{}) { mu.Lock(); released++; mu.Unlock() }, struct{}{})
		i, err := c.Instantiate(t.Context(), &InstanceOptions{Stdout: w})
		if err != nil {
			t.Fatal(err)
		}
		i.Close()
	}
	for range 100 {
		runtime.GC()
		mu.Lock()
		done := released == n
		mu.Unlock()
		if done {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("%d of %d stdout writers released after Close", released, n)
}

// TestCloseRacesWithUse closes an engine while other goroutines compile and
// instantiate: each call either works or fails with ErrClosed, never panics.
func TestCloseRacesWithUse(t *testing.T) {
	e := testEngine(t, &Options{MaxInstances: 8})
	wasm := testwasm.Wat(t, guestWAT(""))
	c := compile(t, e, guestWAT(""), Config{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if i, err := c.Instantiate(context.Background(), nil); err == nil {
					i.Close()
				} else if !errors.Is(err, ErrClosed) {
					t.Errorf("Instantiate: %v", err)
				}
				if _, err := e.Compile(context.Background(), Config{Wasm: wasm}); err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("Compile: %v", err)
				}
			}
		}()
	}
	e.Close()
	wg.Wait()
}

// closingWriter closes its instance from inside a guest write.
type closingWriter struct {
	i   *Instance
	err error
}

func (w *closingWriter) Write(p []byte) (int, error) {
	w.err = w.i.Close()
	return len(p), nil
}

func TestCloseFromGuestOutput(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, guestWAT(""), Config{})
	w := &closingWriter{}
	i, err := c.Instantiate(t.Context(), &InstanceOptions{Stdout: w})
	if err != nil {
		t.Fatal(err)
	}
	w.i = i
	p, n := put(t, i, 1, []byte("x"))
	iov, _ := put(t, i, 4, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, uint32(p)), uint32(n)))
	nw, _ := put(t, i, 4, make([]byte, 4))
	call(t, i, "fd-write", 1, iov, 1, nw)
	if w.err == nil {
		t.Error("Close from inside a guest call succeeded")
	}
	if err := i.Close(); err != nil {
		t.Fatalf("Close after the call: %v", err)
	}
}
