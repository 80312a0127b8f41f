package wasmtimex_test

import (
	"bytes"
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
