package wasmtimex_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// wasiEchoWAT is a WASI guest that reads its argv, environment, stdin and
// a preopened file and writes them back with fd_write, so a test sees what
// reached the guest only through the output writers. Every export returns
// the WASI errno of the first step that failed (0 if none).
//
// Memory map: iovec at 32, nwritten/nread at 40, opened fd at 48, counts
// at 0 and 4, guest file name at 256, pointer arrays at 1024, string
// buffer at 8192 (up to 64 KiB).
const wasiEchoWAT = `(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; write(fd, ptr, len): one fd_write of the whole range; errno.
  (func $write (export "write") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 32) (local.get $ptr))
    (i32.store (i32.const 36) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 40)))
  ;; copy(from, to): read from fd "from" until EOF, writing each chunk to "to".
  (func $copy (param $from i32) (param $to i32) (result i32)
    (local $e i32)
    (loop $more
      (i32.store (i32.const 32) (i32.const 8192))
      (i32.store (i32.const 36) (i32.const 4096))
      (local.set $e (call $fd_read (local.get $from) (i32.const 32) (i32.const 1) (i32.const 40)))
      (if (local.get $e) (then (return (local.get $e))))
      (if (i32.load (i32.const 40))
        (then
          (local.set $e (call $write (local.get $to) (i32.const 8192) (i32.load (i32.const 40))))
          (if (local.get $e) (then (return (local.get $e))))
          (br $more))))
    (i32.const 0))
  (func (export "echo_args") (param $fd i32) (result i32)
    (local $e i32)
    (local.set $e (call $args_sizes (i32.const 0) (i32.const 4)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $args_get (i32.const 1024) (i32.const 8192)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $write (local.get $fd) (i32.const 8192) (i32.load (i32.const 4))))
  (func (export "echo_env") (param $fd i32) (result i32)
    (local $e i32)
    (local.set $e (call $env_sizes (i32.const 0) (i32.const 4)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $env_get (i32.const 1024) (i32.const 8192)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $write (local.get $fd) (i32.const 8192) (i32.load (i32.const 4))))
  (func (export "echo_stdin") (param $fd i32) (result i32)
    (call $copy (i32.const 0) (local.get $fd)))
  ;; cat(len, oflags, rights): open the len-byte path at 256 in preopen
  ;; fd 3 and copy it to stdout.
  (func (export "cat") (param $len i32) (param $oflags i32) (param $rights i64) (result i32)
    (local $e i32)
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 256) (local.get $len)
      (local.get $oflags) (local.get $rights) (local.get $rights) (i32.const 0) (i32.const 48)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $copy (i32.load (i32.const 48)) (i32.const 1)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "nop"))
)`

// WASI errno values (wasi_snapshot_preview1).
const (
	wasiErrnoIO    = 29
	wasiErrnoNoent = 44
)

// WASI rights used by the tests.
const (
	rightFdRead  = 1 << 1
	rightFdWrite = 1 << 6
)

func wasiPre(tb testing.TB, e *wasmtime.Engine) *wasmtimex.InstancePre {
	tb.Helper()
	return newPre(tb, e, wasiEchoWAT, func(l *wasmtime.Linker) {
		if err := l.DefineWasi(); err != nil {
			tb.Fatal(err)
		}
	})
}

// configStore creates a store with cfg, closed at the end of the test.
func configStore(tb testing.TB, e *wasmtime.Engine, cfg *wasmtimex.StoreConfig) *wasmtimex.Store {
	tb.Helper()
	s, err := wasmtimex.NewStoreConfig(e, nil, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// callI32 calls export name with i32 arguments and returns its i32 result.
func callI32(tb testing.TB, s *wasmtimex.Store, inst wasmtimex.Instance, name string, args ...wasmtimex.Val) int32 {
	tb.Helper()
	f := mustFunc(tb, s, inst, name)
	v := make([]wasmtimex.Val, f.Len())
	copy(v, args)
	if err := f.Call(s, v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return v[0].I32()
}

func i32(v int32) wasmtimex.Val { return wasmtimex.ValI32(v) }

// TestNewStoreConfigWASI shows that argv, the environment (names and
// values paired in order) and stdin given to NewStoreConfig are what the
// guest reads, and that its fd 1 and fd 2 output reaches Stdout and Stderr
// respectively, byte for byte.
func TestNewStoreConfigWASI(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := wasiPre(t, e)
	stdin := bytes.Repeat([]byte("stdin bytes \x00\xff "), 700) // > 1 fd_read chunk
	tests := []struct {
		name   string
		wasi   wasmtimex.WASIConfig
		export string
		fd     int32
		want   string
	}{
		{"args to stdout", wasmtimex.WASIConfig{Args: []string{"prog", "a b", "", "ünï"}}, "echo_args", 1, "prog\x00a b\x00\x00ünï\x00"},
		{"no args", wasmtimex.WASIConfig{}, "echo_args", 1, ""},
		{"env pairs to stdout", wasmtimex.WASIConfig{
			EnvNames:  []string{"B", "A", "EMPTY", "EQ"},
			EnvValues: []string{"2", "1", "", "x=y"},
		}, "echo_env", 1, "B=2\x00A=1\x00EMPTY=\x00EQ=x=y\x00"},
		{"env to stderr", wasmtimex.WASIConfig{EnvNames: []string{"K"}, EnvValues: []string{"v"}}, "echo_env", 2, "K=v\x00"},
		{"stdin to stdout", wasmtimex.WASIConfig{Stdin: stdin}, "echo_stdin", 1, string(stdin)},
		{"stdin to stderr", wasmtimex.WASIConfig{Stdin: []byte("err")}, "echo_stdin", 2, "err"},
		{"empty stdin", wasmtimex.WASIConfig{}, "echo_stdin", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			w := tt.wasi
			w.Stdout, w.Stderr = &stdout, &stderr
			s := configStore(t, e, &wasmtimex.StoreConfig{WASI: &w})
			inst := instantiate(t, pre, s)
			if errno := callI32(t, s, inst, tt.export, i32(tt.fd)); errno != 0 {
				t.Fatalf("%s errno %d", tt.export, errno)
			}
			got, other := stdout.String(), stderr.String()
			if tt.fd == 2 {
				got, other = other, got
			}
			if got != tt.want {
				t.Errorf("fd %d received %q, want %q", tt.fd, got, tt.want)
			}
			if other != "" {
				t.Errorf("the other stream received %q, want nothing", other)
			}
		})
	}
}

// errWriter fails every write without writing.
type errWriter struct{ calls int }

func (w *errWriter) Write([]byte) (int, error) {
	w.calls++
	return 0, errors.New("test: writer refused")
}

// panicWriter panics on every write.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("test: writer panicked") }

// TestNewStoreConfigOutputFailures shows what the guest sees from fd_write
// when the output writer is nil (success, output discarded), fails without
// writing, or panics (errno io, and the process and store survive).
func TestNewStoreConfigOutputFailures(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := wasiPre(t, e)
	tests := []struct {
		name      string
		w         io.Writer
		wantErrno int32
	}{
		{"nil discards", nil, 0},
		{"error without writing", &errWriter{}, wasiErrnoIO},
		{"panic", panicWriter{}, wasiErrnoIO},
	}
	for _, tt := range tests {
		for _, fd := range []int32{1, 2} {
			t.Run(tt.name+"/fd"+string(rune('0'+fd)), func(t *testing.T) {
				w := &wasmtimex.WASIConfig{Args: []string{"some output"}}
				var other bytes.Buffer
				if fd == 1 {
					w.Stdout, w.Stderr = tt.w, &other
				} else {
					w.Stdout, w.Stderr = &other, tt.w
				}
				s := configStore(t, e, &wasmtimex.StoreConfig{WASI: w})
				inst := instantiate(t, pre, s)
				if errno := callI32(t, s, inst, "echo_args", i32(fd)); errno != tt.wantErrno {
					t.Errorf("fd_write errno = %d, want %d", errno, tt.wantErrno)
				}
				if ew, ok := tt.w.(*errWriter); ok && ew.calls == 0 {
					t.Error("the failing writer was never called")
				}
				if other.Len() != 0 {
					t.Errorf("the other stream received %q", other.String())
				}
				// The store keeps working, and the other stream is intact.
				if errno := callI32(t, s, inst, "echo_args", i32(3-fd)); errno != 0 || other.String() != "some output\x00" {
					t.Errorf("other stream after failure: errno %d, got %q", errno, other.String())
				}
			})
		}
	}
}

// goroutineID returns the id of the calling goroutine, from its stack
// header ("goroutine N [...").
func goroutineID() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// goroutineWriter records the goroutine each Write runs on.
type goroutineWriter struct{ ids []string }

func (w *goroutineWriter) Write(p []byte) (int, error) {
	w.ids = append(w.ids, goroutineID())
	return len(p), nil
}

// TestNewStoreConfigWriterGoroutine checks WASIConfig's documented promise
// that the guest's write waits for the writer: it has run by the time the
// call returns (wasmtime may run it on a thread, so a goroutine, of its own).
func TestNewStoreConfigWriterGoroutine(t *testing.T) {
	e := newEngine(t, nil, false)
	pre := wasiPre(t, e)
	w := &goroutineWriter{}
	s := configStore(t, e, &wasmtimex.StoreConfig{WASI: &wasmtimex.WASIConfig{Args: []string{"x"}, Stdout: w}})
	inst := instantiate(t, pre, s)
	if errno := callI32(t, s, inst, "echo_args", i32(1)); errno != 0 {
		t.Fatalf("errno %d", errno)
	}
	if len(w.ids) == 0 {
		t.Fatal("the writer was not called")
	}
}

// overWriter claims to have written more than it was given, which
// io.Writer forbids.
type overWriter struct{}

func (overWriter) Write(p []byte) (int, error) { return len(p) + 100, nil }

// TestNewStoreConfigWriterOverCount runs, in a child process, a guest
// whose Stdout writer returns n > len(p): the process must survive it
// (the write may fail).
func TestNewStoreConfigWriterOverCount(t *testing.T) {
	if os.Getenv("WASMTIMEX_TEST_OVERCOUNT_CHILD") == "1" {
		e := newEngine(t, nil, false)
		pre := wasiPre(t, e)
		s := configStore(t, e, &wasmtimex.StoreConfig{WASI: &wasmtimex.WASIConfig{Args: []string{"x"}, Stdout: overWriter{}}})
		inst := instantiate(t, pre, s)
		t.Logf("errno %d", callI32(t, s, inst, "echo_args", i32(1)))
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestNewStoreConfigWriterOverCount$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "WASMTIMEX_TEST_OVERCOUNT_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	if !strings.Contains(string(out), "panicked") {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	// wasmtime's Rust code panics ("cannot advance past remaining") if it
	// is given such a count, and the process aborts.
	t.Fatalf("a Stdout writer returning n > len(p) aborted the process: %v\n%s", err, out)
}

// releasedAfterOneGC runs fn with a fresh store data value and reports
// whether that value is unreachable after a single garbage collection. A
// store that was closed holds no reference to its data; one that was
// dropped unclosed keeps it (through wasmtime-go's store map) until its
// finalizer has run, which takes a second collection.
func releasedAfterOneGC(t *testing.T, fn func(data any)) bool {
	t.Helper()
	done := make(chan struct{})
	func() {
		d := &struct{ b [64]byte }{}
		runtime.AddCleanup(d, func(ch chan struct{}) { close(ch) }, done)
		fn(d)
	}()
	runtime.GC()
	select {
	case <-done:
		return true
	case <-time.After(10 * time.Second): // a bound on a hang, not a speed check
		return false
	}
}

// TestNewStoreConfigErrors shows that bad WASI set-ups are refused with a
// clear error, and that the store created for them is closed, not leaked.
func TestNewStoreConfigErrors(t *testing.T) {
	e := newEngine(t, nil, false)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir")
	tests := []struct {
		name    string
		wasi    wasmtimex.WASIConfig
		wantNUL bool
		wantMsg string // substring of the error
	}{
		{name: "more env names than values", wasi: wasmtimex.WASIConfig{EnvNames: []string{"A", "B"}, EnvValues: []string{"1"}}, wantMsg: "2 names, 1 values"},
		{name: "more env values than names", wasi: wasmtimex.WASIConfig{EnvValues: []string{"1"}}, wantMsg: "0 names, 1 values"},
		{name: "NUL in arg", wasi: wasmtimex.WASIConfig{Args: []string{"ok", "a\x00b"}}, wantNUL: true, wantMsg: "argument"},
		{name: "NUL in env name", wasi: wasmtimex.WASIConfig{EnvNames: []string{"A\x00"}, EnvValues: []string{"1"}}, wantNUL: true, wantMsg: "environment name"},
		{name: "NUL in env value", wasi: wasmtimex.WASIConfig{EnvNames: []string{"A"}, EnvValues: []string{"\x00"}}, wantNUL: true, wantMsg: "environment value"},
		{name: "NUL in host dir", wasi: wasmtimex.WASIConfig{Preopens: []wasmtimex.Preopen{{HostDir: dir + "\x00", GuestDir: "/"}}}, wantNUL: true, wantMsg: "directory"},
		{name: "NUL in guest dir", wasi: wasmtimex.WASIConfig{Preopens: []wasmtimex.Preopen{{HostDir: dir, GuestDir: "/\x00x"}}}, wantNUL: true, wantMsg: "guest directory"},
		{name: "invalid UTF-8 arg", wasi: wasmtimex.WASIConfig{Args: []string{"\xff"}}, wantMsg: "UTF-8"},
		{name: "invalid UTF-8 env", wasi: wasmtimex.WASIConfig{EnvNames: []string{"A"}, EnvValues: []string{"\xfe"}}, wantMsg: "UTF-8"},
		{name: "missing host dir", wasi: wasmtimex.WASIConfig{Preopens: []wasmtimex.Preopen{{HostDir: dir, GuestDir: "/a"}, {HostDir: missing, GuestDir: "/b"}}}, wantMsg: missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			released := releasedAfterOneGC(t, func(data any) {
				var s *wasmtimex.Store
				w := tt.wasi
				s, err = wasmtimex.NewStoreConfig(e, data, &wasmtimex.StoreConfig{WASI: &w})
				if s != nil {
					t.Errorf("NewStoreConfig returned a store with error %v", err)
					s.Close()
				}
			})
			if err == nil {
				t.Fatal("NewStoreConfig succeeded")
			}
			if got := errors.Is(err, wasmtimex.ErrNUL); got != tt.wantNUL {
				t.Errorf("errors.Is(%v, ErrNUL) = %v, want %v", err, got, tt.wantNUL)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if !released {
				t.Error("store data still referenced after the failed NewStoreConfig: the store was not closed")
			}
		})
	}
}

// TestNewStoreConfigPreopenFailureNoFDLeak repeats a set-up whose first
// directory opens and whose second is missing: the descriptor of the first
// must be closed with the half-built WASI context.
func TestNewStoreConfigPreopenFailureNoFDLeak(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	e := newEngine(t, nil, false)
	dir := t.TempDir()
	cfg := &wasmtimex.StoreConfig{WASI: &wasmtimex.WASIConfig{Preopens: []wasmtimex.Preopen{
		{HostDir: dir, GuestDir: "/a"},
		{HostDir: filepath.Join(dir, "missing"), GuestDir: "/b"},
	}}}
	fdCount := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	if _, err := wasmtimex.NewStoreConfig(e, nil, cfg); err == nil { // warm up
		t.Fatal("NewStoreConfig with a missing directory succeeded")
	}
	before := fdCount()
	for range 200 {
		if _, err := wasmtimex.NewStoreConfig(e, nil, cfg); err == nil {
			t.Fatal("NewStoreConfig with a missing directory succeeded")
		}
	}
	if after := fdCount(); after > before {
		t.Errorf("open file descriptors: %d before, %d after 200 failed set-ups", before, after)
	}
}

// TestNewStoreConfigPreopenErrorText checks the error for a directory
// that cannot be opened: it names the whole path, however long, and is a
// set-up error, not a *TrapError.
func TestNewStoreConfigPreopenErrorText(t *testing.T) {
	e := newEngine(t, nil, false)
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("d", 200), strings.Repeat("e", 200), strings.Repeat("f", 200))
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var bugs []string
	for _, host := range []string{filepath.Join(dir, "missing"), file, long} {
		_, err := wasmtimex.NewStoreConfig(e, nil, &wasmtimex.StoreConfig{WASI: &wasmtimex.WASIConfig{
			Preopens: []wasmtimex.Preopen{{HostDir: host, GuestDir: "/"}},
		}})
		if err == nil {
			t.Errorf("preopen of %s succeeded", host)
			continue
		}
		if !strings.Contains(err.Error(), host) {
			bugs = append(bugs, fmt.Sprintf("the error for a %d-byte path does not contain it (shim.c formats it into 512 bytes)", len(host)))
		}
		var te *wasmtimex.TrapError
		if errors.As(err, &te) {
			bugs = append(bugs, "the set-up error is a *TrapError (\"wasm trap: cannot preopen directory ...\")")
		}
	}
	if len(bugs) > 0 {
		t.Errorf("%s", strings.Join(slices.Compact(slices.Sorted(slices.Values(bugs))), "; "))
	}
}

// TestNewStoreConfigPreopens shows a preopened directory is readable by the
// guest through path_open/fd_read, and that it is read-only.
func TestNewStoreConfigPreopens(t *testing.T) {
	dir := t.TempDir()
	content := strings.Repeat("file contents\n", 500)
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, smallPool(), false)
	pre := wasiPre(t, e)
	tests := []struct {
		name      string
		path      string
		oflags    int32
		rights    int64
		wantErrno bool
		want      string
	}{
		{name: "read file", path: "f.txt", rights: rightFdRead, want: content},
		{name: "missing file", path: "nope.txt", rights: rightFdRead, wantErrno: true},
		{name: "create refused", path: "new.txt", oflags: 1 /* O_CREAT */, rights: rightFdWrite, wantErrno: true},
		{name: "write refused", path: "f.txt", rights: rightFdWrite, wantErrno: true},
		{name: "escape refused", path: "../x", rights: rightFdRead, wantErrno: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			s := configStore(t, e, &wasmtimex.StoreConfig{WASI: &wasmtimex.WASIConfig{
				Stdout:   &stdout,
				Preopens: []wasmtimex.Preopen{{HostDir: dir, GuestDir: "/"}},
			}})
			inst := instantiate(t, pre, s)
			mem, err := inst.Memory(s, "memory")
			if err != nil {
				t.Fatal(err)
			}
			data, err := mem.Data(s)
			if err != nil {
				t.Fatal(err)
			}
			copy(data[256:], tt.path)
			errno := callI32(t, s, inst, "cat", i32(int32(len(tt.path))), i32(tt.oflags), wasmtimex.ValI64(tt.rights))
			if tt.wantErrno {
				if errno == 0 {
					t.Errorf("cat %s succeeded (output %q)", tt.path, stdout.String())
				}
			} else if errno != 0 {
				t.Fatalf("cat %s errno %d", tt.path, errno)
			}
			if got := stdout.String(); got != tt.want {
				t.Errorf("output %.40q (%d bytes), want %.40q (%d bytes)", got, len(got), tt.want, len(tt.want))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Error("the guest created a file in a read-only preopen")
	}
	if got, err := os.ReadFile(filepath.Join(dir, "f.txt")); err != nil || string(got) != content {
		t.Errorf("host file changed: %v", err)
	}
	// Without the preopen, fd 3 does not exist.
	s := configStore(t, e, &wasmtimex.StoreConfig{WASI: &wasmtimex.WASIConfig{}})
	inst := instantiate(t, pre, s)
	if errno := callI32(t, s, inst, "cat", i32(1), i32(0), wasmtimex.ValI64(rightFdRead)); errno == 0 {
		t.Error("path_open without a preopen succeeded")
	}
}

var errStop = errors.New("test: epoch callback stops the guest")

// TestNewStoreConfigEpoch shows that EpochDeadline and OnEpoch set up by
// NewStoreConfig interrupt an infinite loop: OnEpoch returning (1, nil)
// lets the guest go on to the next tick, and its error ends the call.
func TestNewStoreConfigEpoch(t *testing.T) {
	e := newEngine(t, smallPool(), true)
	tickEpochs(t, e)
	pre := wasiPre(t, e)
	tests := []struct {
		name  string
		stopN int // OnEpoch fails on its stopN-th call
	}{
		{"stop at first tick", 1},
		{"continue twice then stop", 3},
		{"continue many times then stop", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			s := configStore(t, e, &wasmtimex.StoreConfig{
				EpochDeadline: 1,
				OnEpoch: func() (uint64, error) {
					calls++
					if calls == tt.stopN {
						return 0, errStop
					}
					return 1, nil
				},
				WASI: &wasmtimex.WASIConfig{}, // both set up in one call
			})
			inst := instantiate(t, pre, s)
			err := mustFunc(t, s, inst, "spin").Call(s, nil)
			if !errors.Is(err, errStop) {
				t.Fatalf("spin: %v, want errStop", err)
			}
			if calls != tt.stopN {
				t.Errorf("OnEpoch ran %d times, want %d", calls, tt.stopN)
			}
			// The store still runs calls that end in time.
			s.Wasmtime().SetEpochDeadline(1 << 40)
			if err := mustFunc(t, s, inst, "nop").Call(s, nil); err != nil {
				t.Errorf("nop after interrupt: %v", err)
			}
		})
	}
	t.Run("deadline without callback traps", func(t *testing.T) {
		s := configStore(t, e, &wasmtimex.StoreConfig{EpochDeadline: 1})
		inst := instantiate(t, newPre(t, e, `(module (func (export "spin") (loop $l (br $l))))`, nil), s)
		err := mustFunc(t, s, inst, "spin").Call(s, nil)
		var te *wasmtimex.TrapError
		if !errors.As(err, &te) || te.Code != wasmtimex.TrapInterrupt {
			t.Fatalf("spin: %v, want an interrupt trap", err)
		}
	})
	t.Run("nil config", func(t *testing.T) {
		e := newEngine(t, nil, false)
		s := configStore(t, e, nil)
		inst := instantiate(t, newPre(t, e, `(module (func (export "nop")))`, nil), s)
		if err := mustFunc(t, s, inst, "nop").Call(s, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// reallocWAT has a bump allocator as "realloc" that logs each call's four
// arguments, can be told to trap or to return a given pointer at its k-th
// call (fail_at), and grows memory (up to 64 pages) when it runs out.
//
// Memory map: call count at 0, log entries of 16 bytes (old ptr, old size,
// align, size) from 16 for the first 256 calls, blocks from 0x2000.
const reallocWAT = `(module
  (import "host" "pick" (func $pick (param i32 i32) (result i32)))
  (memory (export "memory") 1 64)
  (global $bump (mut i32) (i32.const 0x2000))
  (global $n (mut i32) (i32.const 0))
  (global $trap_at (mut i32) (i32.const -1))
  (global $bad_at (mut i32) (i32.const -1))
  (global $bad_ptr (mut i32) (i32.const 0))
  (global $use_host (mut i32) (i32.const 0))
  (func (export "fail_at") (param i32 i32 i32)
    (global.set $trap_at (local.get 0))
    (global.set $bad_at (local.get 1))
    (global.set $bad_ptr (local.get 2)))
  (func (export "use_host") (global.set $use_host (i32.const 1)))
  (func (export "size") (result i32) (i32.mul (memory.size) (i32.const 65536)))
  (func (export "realloc") (param $old i32) (param $oldsize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32) (local $k i32)
    (local.set $k (global.get $n))
    (if (i32.eq (local.get $k) (global.get $trap_at)) (then unreachable))
    (if (i32.lt_u (local.get $k) (i32.const 256))
      (then
        (local.set $p (i32.add (i32.const 16) (i32.shl (local.get $k) (i32.const 4))))
        (i32.store (local.get $p) (local.get $old))
        (i32.store offset=4 (local.get $p) (local.get $oldsize))
        (i32.store offset=8 (local.get $p) (local.get $align))
        (i32.store offset=12 (local.get $p) (local.get $size))))
    (global.set $n (i32.add (local.get $k) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $n))
    (if (i32.eq (local.get $k) (global.get $bad_at)) (then (return (global.get $bad_ptr))))
    (if (global.get $use_host) (then (return (call $pick (local.get $align) (local.get $size)))))
    (local.set $p (i32.and
      (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get $align))))
    (global.set $bump (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow (i32.add (i32.shr_u
                (i32.sub (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
                (i32.const 16)) (i32.const 1)))
              (i32.const -1))
          (then unreachable))))
    (local.get $p))
  (func (export "realloc2") (param i32 i32) (result i32) (i32.const 0x2000))
  (func (export "realloc_noresult") (param i32 i32 i32 i32))
  (func (export "realloc_i64") (param i64 i64 i64 i64) (result i64) (i64.const 0x2000))
  (func (export "realloc_f64") (param f64 f64 f64 f64) (result f64) (f64.const 0))
)`

const reallocBase = 0x2000 // where reallocWAT's first block goes
const reallocLogMax = 256  // reallocWAT logs this many calls

// pickState is the store data of the realloc guests: the host function
// "pick" hands out blocks from next and fails at its failAt-th call.
type pickState struct {
	next   uint32
	calls  int
	failAt int
}

var errPick = errors.New("test: pick refused")

// reallocPre compiles reallocWAT with a "pick" host function that
// allocates from the store's *pickState, calling back into the guest
// ("size") through the Caller to check its block fits.
func reallocPre(tb testing.TB, e *wasmtime.Engine) *wasmtimex.InstancePre {
	tb.Helper()
	return newPre(tb, e, reallocWAT, func(l *wasmtime.Linker) {
		k := wasmtime.KindI32
		err := wasmtimex.DefineFuncUnchecked(l, "host", "pick", []wasmtime.ValKind{k, k}, []wasmtime.ValKind{k},
			func(c *wasmtimex.Caller, v []wasmtimex.Val) error {
				ps, ok := c.Data().(*pickState)
				if !ok {
					return errors.New("pick: no store data")
				}
				ps.calls++
				if ps.calls == ps.failAt {
					return errPick
				}
				size, err := c.Func("size")
				if err != nil {
					return err
				}
				sv := make([]wasmtimex.Val, 1)
				if err := size.Call(c, sv); err != nil {
					return err
				}
				align, n := v[0].U32(), v[1].U32()
				p := (ps.next + align - 1) &^ (align - 1)
				if uint64(p)+uint64(n) > uint64(sv[0].U32()) {
					return errors.New("pick: out of memory")
				}
				ps.next = p + n
				v[0] = wasmtimex.ValI32(int32(p))
				return nil
			})
		if err != nil {
			tb.Fatal(err)
		}
	})
}

// reallocEnv is one instance of reallocWAT.
type reallocEnv struct {
	s       *wasmtimex.Store
	inst    wasmtimex.Instance
	realloc wasmtimex.Func
	mem     wasmtimex.Memory
}

func newReallocEnv(tb testing.TB, e *wasmtime.Engine, pre *wasmtimex.InstancePre, data *pickState) *reallocEnv {
	tb.Helper()
	s := newStore(tb, e, data)
	inst := instantiate(tb, pre, s)
	mem, err := inst.Memory(s, "memory")
	if err != nil {
		tb.Fatal(err)
	}
	return &reallocEnv{s: s, inst: inst, realloc: mustFunc(tb, s, inst, "realloc"), mem: mem}
}

func (r *reallocEnv) data(tb testing.TB) []byte {
	tb.Helper()
	d, err := r.mem.Data(r.s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// log returns the (old ptr, old size, align, size) arguments of the
// guest's realloc calls so far.
func (r *reallocEnv) log(tb testing.TB) [][4]uint32 {
	tb.Helper()
	d := r.data(tb)
	n := min(binary.LittleEndian.Uint32(d), reallocLogMax)
	out := make([][4]uint32, n)
	for k := range out {
		for j := range 4 {
			out[k][j] = binary.LittleEndian.Uint32(d[16+16*k+4*j:])
		}
	}
	return out
}

func (r *reallocEnv) calls(tb testing.TB) int {
	tb.Helper()
	return int(binary.LittleEndian.Uint32(r.data(tb)))
}

func (r *reallocEnv) failAt(tb testing.TB, trapAt, badAt int32, badPtr uint32) {
	tb.Helper()
	f := mustFunc(tb, r.s, r.inst, "fail_at")
	if err := f.Call(r.s, []wasmtimex.Val{i32(trapAt), i32(badAt), i32(int32(badPtr))}); err != nil {
		tb.Fatal(err)
	}
}

// wantLog is the realloc log that allocs should produce.
func wantLog(allocs []wasmtimex.Alloc) [][4]uint32 {
	out := make([][4]uint32, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, [4]uint32{0, 0, a.Align, a.Size})
	}
	return out
}

// checkBlocks checks that every block of allocs lies in view, that the
// Copy blocks hold their consecutive slices of data and that every other
// byte of view[reallocBase:fillEnd] still holds fill.
func checkBlocks(tb testing.TB, view []byte, allocs []wasmtimex.Alloc, data []byte, fillEnd int, fill byte) {
	tb.Helper()
	copied := make([]bool, len(view))
	off := 0
	for k, a := range allocs {
		if uint64(a.Ptr)+uint64(a.Size) > uint64(len(view)) {
			tb.Fatalf("block %d [%#x, +%d) outside memory of %d bytes", k, a.Ptr, a.Size, len(view))
		}
		if !a.Copy {
			continue
		}
		if got, want := view[a.Ptr:a.Ptr+a.Size], data[off:off+int(a.Size)]; !bytes.Equal(got, want) {
			tb.Errorf("block %d at %#x holds % x, want % x", k, a.Ptr, got, want)
		}
		for j := range a.Size {
			copied[a.Ptr+j] = true
		}
		off += int(a.Size)
	}
	for p := reallocBase; p < fillEnd && p < len(view); p++ {
		if !copied[p] && view[p] != fill {
			tb.Fatalf("byte %#x outside the Copy blocks changed to %#x", p, view[p])
		}
	}
}

// TestReallocManyOrderAndContents shows that ReallocMany calls realloc(0,
// 0, align, size) once per block in order, sets each Ptr to what realloc
// returned, copies consecutive slices of data into exactly the Copy blocks
// and returns a view of the whole memory, also after realloc grew it.
func TestReallocManyOrderAndContents(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := reallocPre(t, e)
	tests := []struct {
		name     string
		allocs   []wasmtimex.Alloc
		wantSize int // memory size after the calls
	}{
		{"mixed", []wasmtimex.Alloc{
			{Align: 1, Size: 5, Copy: true},
			{Align: 4, Size: 0, Copy: true},
			{Align: 8, Size: 16},
			{Align: 2, Size: 3, Copy: true},
			{Align: 4, Size: 7},
			{Align: 1, Size: 1, Copy: true},
			{Align: 8, Size: 24, Copy: true},
		}, 1 << 16},
		{"one block", []wasmtimex.Alloc{{Align: 1, Size: 11, Copy: true}}, 1 << 16},
		{"no copies", []wasmtimex.Alloc{{Align: 4, Size: 8}, {Align: 4, Size: 8}}, 1 << 16},
		{"grows memory", []wasmtimex.Alloc{
			{Align: 1, Size: 10, Copy: true},
			{Align: 8, Size: 3 << 16, Copy: true},
			{Align: 4, Size: 12, Copy: true},
		}, 4 << 16},
		{"grows without copy", []wasmtimex.Alloc{
			{Align: 16, Size: 2 << 16},
			{Align: 1, Size: 9, Copy: true},
		}, 3 << 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReallocEnv(t, e, pre, nil)
			const fill = 0xEE
			fillEnd := 1 << 16
			d := r.data(t)
			for p := reallocBase; p < fillEnd; p++ {
				d[p] = fill
			}
			var data []byte
			for _, a := range tt.allocs {
				if a.Copy {
					for range a.Size {
						data = append(data, byte(len(data)*7+1))
					}
				}
			}
			allocs := append([]wasmtimex.Alloc(nil), tt.allocs...)
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data)
			if err != nil || done != len(allocs) {
				t.Fatalf("ReallocMany: done %d of %d, %v", done, len(allocs), err)
			}
			if len(view) != tt.wantSize {
				t.Errorf("view is %d bytes, want %d", len(view), tt.wantSize)
			}
			if size := callI32(t, r.s, r.inst, "size"); int(size) != len(view) {
				t.Errorf("view is %d bytes, memory is %d", len(view), size)
			}
			if got, want := r.log(t), wantLog(tt.allocs); !slices.Equal(got, want) {
				t.Errorf("realloc calls %v, want %v", got, want)
			}
			next := uint32(reallocBase)
			for k, a := range allocs {
				want := (next + a.Align - 1) &^ (a.Align - 1)
				if a.Ptr != want {
					t.Errorf("block %d Ptr = %#x, want %#x (the allocator's answer)", k, a.Ptr, want)
				}
				next = want + a.Size
				if a.Align != tt.allocs[k].Align || a.Size != tt.allocs[k].Size || a.Copy != tt.allocs[k].Copy {
					t.Errorf("block %d changed from %+v to %+v", k, tt.allocs[k], a)
				}
			}
			checkBlocks(t, view, allocs, data, fillEnd, fill)
			if cur := r.data(t); len(cur) != len(view) || &cur[0] != &view[0] {
				t.Error("the returned view is not the memory's current contents")
			}
		})
	}
}

// TestReallocManyFailures shows where ReallocMany stops: bad input before
// any realloc call, a block outside memory at its index (ErrOutOfBounds,
// its Ptr set), a trap or host error at the call that failed.
func TestReallocManyFailures(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := reallocPre(t, e)
	three := func() []wasmtimex.Alloc {
		return []wasmtimex.Alloc{
			{Align: 4, Size: 8, Copy: true},
			{Align: 1, Size: 32, Copy: true},
			{Align: 8, Size: 4, Copy: true},
		}
	}
	data := bytes.Repeat([]byte{0x5A}, 44)
	const page = 1 << 16

	t.Run("data length mismatch", func(t *testing.T) {
		for _, d := range [][]byte{nil, data[:43], append(bytes.Clone(data), 0)} {
			r := newReallocEnv(t, e, pre, nil)
			_, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, three(), d)
			if err == nil || done != 0 {
				t.Errorf("%d bytes of data for 44: done %d, err %v; want an error", len(d), done, err)
			}
			if c := r.calls(t); c != 0 {
				t.Errorf("%d bytes of data: realloc called %d times before the error", len(d), c)
			}
		}
	})

	oob := []struct {
		name    string
		badAt   int32
		badPtr  uint32
		wantErr bool
	}{
		{"first block one byte past the end", 0, page - 8 + 1, true},
		{"middle block one byte past the end", 1, page - 32 + 1, true},
		{"last block far outside", 2, 10 * page, true},
		{"pointer plus size wraps 32 bits", 1, 0xFFFFFFF0, true},
		{"negative pointer", 2, 0x80000000, true},
		{"block ending exactly at the end", 1, page - 32, false},
	}
	for _, tt := range oob {
		t.Run(tt.name, func(t *testing.T) {
			r := newReallocEnv(t, e, pre, nil)
			r.failAt(t, -1, tt.badAt, tt.badPtr)
			allocs := three()
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("ReallocMany: %v", err)
				}
				checkBlocks(t, view, allocs, data, 0, 0)
				return
			}
			if !errors.Is(err, wasmtimex.ErrOutOfBounds) {
				t.Fatalf("err = %v, want ErrOutOfBounds", err)
			}
			if done != int(tt.badAt) {
				t.Errorf("done = %d, want %d", done, tt.badAt)
			}
			if allocs[done].Ptr != tt.badPtr {
				t.Errorf("bad block Ptr = %#x, want %#x", allocs[done].Ptr, tt.badPtr)
			}
			checkBlocks(t, view, allocs[:done], data, 0, 0) // earlier blocks made and filled
			for k := done + 1; k < len(allocs); k++ {
				if allocs[k].Ptr != 0 {
					t.Errorf("block %d after the failure has Ptr %#x", k, allocs[k].Ptr)
				}
			}
			if c := r.calls(t); c != done+1 {
				t.Errorf("realloc called %d times, want %d", c, done+1)
			}
			if len(view) != page {
				t.Errorf("view is %d bytes, want the memory's %d", len(view), page)
			}
		})
	}

	for k := range 3 {
		t.Run("trap at call "+string(rune('0'+k)), func(t *testing.T) {
			r := newReallocEnv(t, e, pre, nil)
			r.failAt(t, int32(k), -1, 0)
			allocs := three()
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data)
			var te *wasmtimex.TrapError
			if !errors.As(err, &te) || te.Code != wasmtimex.TrapUnreachableCodeReached {
				t.Fatalf("err = %v (%T), want an unreachable *TrapError", err, err)
			}
			if done != k {
				t.Errorf("done = %d, want %d", done, k)
			}
			if c := r.calls(t); c != k {
				t.Errorf("realloc completed %d calls, want %d", c, k)
			}
			checkBlocks(t, view, allocs[:done], data, 0, 0)
			// The store keeps working: the same call succeeds once realloc
			// stops trapping.
			r.failAt(t, -1, -1, 0)
			allocs = three()
			if _, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data); err != nil || done != 3 {
				t.Fatalf("ReallocMany after the trap: done %d, %v", done, err)
			}
		})
	}

	t.Run("out of memory traps", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		allocs := []wasmtimex.Alloc{{Align: 1, Size: 4}, {Align: 1, Size: 64 << 16}}
		_, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, nil)
		var te *wasmtimex.TrapError
		if !errors.As(err, &te) || done != 1 {
			t.Fatalf("done %d, err %v; want a trap at block 1", done, err)
		}
	})

	t.Run("wrong signature", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		for _, name := range []string{"realloc2", "realloc_noresult", "size", "fail_at"} {
			f := mustFunc(t, r.s, r.inst, name)
			if _, _, err := wasmtimex.ReallocMany(r.s, f, r.mem, three(), data); err == nil {
				t.Errorf("%s accepted as realloc", name)
			}
		}
		if c := r.calls(t); c != 0 {
			t.Errorf("realloc called %d times", c)
		}
	})

	t.Run("wrong value types", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		var accepted []string
		for _, name := range []string{"realloc_i64", "realloc_f64"} {
			f := mustFunc(t, r.s, r.inst, name)
			if _, _, err := wasmtimex.ReallocMany(r.s, f, r.mem, three(), data); err == nil {
				accepted = append(accepted, name)
			}
		}
		if len(accepted) > 0 {
			t.Errorf("ReallocMany accepts %v (4 parameters and 1 result, not i32) as realloc", accepted)
		}
	})

	t.Run("zero blocks", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, nil, nil)
		if err != nil || done != 0 || len(view) != page {
			t.Errorf("ReallocMany(no blocks) = %d-byte view, done %d, %v", len(view), done, err)
		}
		if _, _, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, []wasmtimex.Alloc{}, []byte{1}); err == nil {
			t.Error("no blocks with data accepted")
		}
		if c := r.calls(t); c != 0 {
			t.Errorf("realloc called %d times", c)
		}
	})

	t.Run("closed or other store", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		other := newReallocEnv(t, e, pre, nil)
		if _, _, err := wasmtimex.ReallocMany(r.s, r.realloc, other.mem, three(), data); !errors.Is(err, wasmtimex.ErrWrongStore) {
			t.Errorf("memory of another store: %v, want ErrWrongStore", err)
		}
		if _, _, err := wasmtimex.ReallocMany(other.s, r.realloc, r.mem, three(), data); !errors.Is(err, wasmtimex.ErrWrongStore) {
			t.Errorf("realloc of another store: %v, want ErrWrongStore", err)
		}
		r.s.Close()
		if _, _, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, three(), data); !errors.Is(err, wasmtimex.ErrClosed) {
			t.Errorf("closed store: %v, want ErrClosed", err)
		}
	})
}

// TestReallocManyNested shows that a realloc calling a host function
// defined with DefineFuncUnchecked (which calls back into the guest) works
// inside ReallocMany, sees the store's data, and that the host function's
// error ends ReallocMany at that block.
func TestReallocManyNested(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := reallocPre(t, e)
	allocs := func() []wasmtimex.Alloc {
		return []wasmtimex.Alloc{{Align: 4, Size: 6, Copy: true}, {Align: 8, Size: 10}, {Align: 2, Size: 3, Copy: true}}
	}
	data := []byte("abcdefxyz")
	for _, failAt := range []int{0, 1, 2, 3} {
		t.Run("host fails at call "+string(rune('0'+failAt)), func(t *testing.T) {
			ps := &pickState{next: 0x4000, failAt: failAt}
			r := newReallocEnv(t, e, pre, ps)
			if err := mustFunc(t, r.s, r.inst, "use_host").Call(r.s, nil); err != nil {
				t.Fatal(err)
			}
			a := allocs()
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, a, data)
			wantDone := len(a)
			if failAt > 0 {
				wantDone = failAt - 1
				if !errors.Is(err, errPick) {
					t.Fatalf("err = %v, want errPick", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if done != wantDone {
				t.Errorf("done = %d, want %d", done, wantDone)
			}
			want := []uint32{0x4000, 0x4008, 0x4012}
			for k := range done {
				if a[k].Ptr != want[k] {
					t.Errorf("block %d Ptr = %#x, want %#x (from the host function)", k, a[k].Ptr, want[k])
				}
			}
			if failAt == 0 {
				checkBlocks(t, view, a, data, 0, 0)
			}
		})
	}
}

// FuzzReallocMany runs ReallocMany with arbitrary block lists against the
// bump allocator: it never panics; it either completes, or stops with a
// trap (memory exhausted) at the block that failed; every block made lies
// in memory, holds its data if Copy, and realloc saw exactly the blocks'
// (align, size) in order.
func FuzzReallocMany(f *testing.F) {
	f.Add([]byte{0, 5, 0, 1, 3, 0, 16, 0}, byte(1))
	f.Add([]byte{1, 0, 0, 0}, byte(0))
	f.Add([]byte{}, byte(7))
	f.Add([]byte{3, 0xff, 0xff, 1, 2, 0xff, 0xff, 0, 1, 0x10, 0, 1}, byte(9))
	e := newEngine(f, smallPool(), false)
	pre := reallocPre(f, e)
	f.Fuzz(func(t *testing.T, spec []byte, seed byte) {
		// Each 4 bytes of spec is a block: alignment 1<<(b0&3) (or 1<<(b0>>2&7)
		// when b0&0x80), size b1|b2<<8, Copy b3&1.
		var allocs []wasmtimex.Alloc
		for k := 0; k+4 <= len(spec) && len(allocs) < reallocLogMax; k += 4 {
			align := uint32(1) << (spec[k] & 3)
			if spec[k]&0x80 != 0 {
				align = 1 << (spec[k] >> 2 & 7)
			}
			allocs = append(allocs, wasmtimex.Alloc{
				Align: align,
				Size:  uint32(spec[k+1]) | uint32(spec[k+2])<<8,
				Copy:  spec[k+3]&1 != 0,
			})
		}
		var data []byte
		for _, a := range allocs {
			if a.Copy {
				for range a.Size {
					data = append(data, seed)
					seed = seed*31 + 7
				}
			}
		}
		s, err := wasmtimex.NewStore(e, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		inst, err := pre.Instantiate(s)
		if err != nil {
			t.Fatal(err)
		}
		mem, err := inst.Memory(s, "memory")
		if err != nil {
			t.Fatal(err)
		}
		r := &reallocEnv{s: s, inst: inst, realloc: mustFunc(t, s, inst, "realloc"), mem: mem}
		orig := append([]wasmtimex.Alloc(nil), allocs...)
		view, done, err := wasmtimex.ReallocMany(s, r.realloc, mem, allocs, data)
		if done < 0 || done > len(allocs) {
			t.Fatalf("done = %d of %d", done, len(allocs))
		}
		if err != nil {
			var te *wasmtimex.TrapError
			if !errors.As(err, &te) || done == len(allocs) {
				t.Fatalf("done %d of %d, err %v (%T); want a trap before the end", done, len(allocs), err, err)
			}
		}
		if cur := r.data(t); len(view) != len(cur) {
			t.Fatalf("view is %d bytes, memory is %d", len(view), len(cur))
		}
		// Blocks made: in bounds, aligned as the allocator aligns, holding
		// their data. checkBlocks takes data from the start, which is what
		// the first done blocks consume.
		checkBlocks(t, view, allocs[:done], data, 0, 0)
		for k := range done {
			if allocs[k].Ptr%allocs[k].Align != 0 {
				t.Errorf("block %d Ptr %#x not aligned to %d", k, allocs[k].Ptr, allocs[k].Align)
			}
		}
		called := done // realloc calls that completed, plus the one that trapped
		if err != nil {
			called++
		}
		if got, want := r.log(t), wantLog(orig[:called]); !slices.Equal(got, want) {
			t.Fatalf("realloc calls %v, want %v", got, want)
		}
	})
}
