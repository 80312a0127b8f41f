package host

/*
#include <stddef.h>
#include <stdint.h>

// Declarations from wasmtime's wasi.h / wasm.h (C API v39), which cgo cannot
// include from the module cache. wasmtime-go links libwasmtime.a.
typedef struct wasi_config_t wasi_config_t;
typedef struct spindle_byte_vec { size_t size; char *data; } spindle_byte_vec;
extern void wasi_config_set_stdout_custom(wasi_config_t *, ptrdiff_t (*)(void *, const unsigned char *, size_t), void *, void (*)(void *));
extern void wasi_config_set_stderr_custom(wasi_config_t *, ptrdiff_t (*)(void *, const unsigned char *, size_t), void *, void (*)(void *));
extern void wasm_byte_vec_new(spindle_byte_vec *, size_t, const char *);
extern void wasi_config_set_stdin_bytes(wasi_config_t *, spindle_byte_vec *);

// Go callbacks (stdio_export.go).
extern ptrdiff_t spindleStdioWrite(void *, int, unsigned char *, size_t);
extern void spindleStdioRelease(void *);

static ptrdiff_t spindle_stdout_write(void *d, const unsigned char *b, size_t n) {
	return spindleStdioWrite(d, 1, (unsigned char *)b, n);
}
static ptrdiff_t spindle_stderr_write(void *d, const unsigned char *b, size_t n) {
	return spindleStdioWrite(d, 2, (unsigned char *)b, n);
}
// One handle serves both streams; only stdout's finalizer releases it.
// Both streams are dropped together with the store, after the last write.
static void spindle_set_stdio(wasi_config_t *c, uintptr_t h) {
	wasi_config_set_stdout_custom(c, spindle_stdout_write, (void *)h, spindleStdioRelease);
	wasi_config_set_stderr_custom(c, spindle_stderr_write, (void *)h, NULL);
}
static void spindle_set_stdin(wasi_config_t *c, const char *p, size_t n) {
	spindle_byte_vec v;
	wasm_byte_vec_new(&v, n, p);
	wasi_config_set_stdin_bytes(c, &v);
}
*/
import "C"

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasiConfigPtr returns the C pointer inside a *wasmtime.WasiConfig.
// wasmtime-go v39 does not export it: WasiConfig is
// `struct{ _ptr *C.wasi_config_t }`, so the pointer is its first word.
// TestWasiConfigLayout fails if a wasmtime-go upgrade changes that.
func wasiConfigPtr(wc *wasmtime.WasiConfig) *C.wasi_config_t {
	return *(**C.wasi_config_t)(unsafe.Pointer(wc))
}

// setStdio directs the config's stdout and stderr to the writers and
// gives it stdin (nil: empty).
func setStdio(wc *wasmtime.WasiConfig, stdout, stderr io.Writer, stdin []byte) {
	p := wasiConfigPtr(wc)
	C.spindle_set_stdio(p, C.uintptr_t(cgo.NewHandle(&stdioSink{out: stdout, err: stderr})))
	if len(stdin) > 0 {
		C.spindle_set_stdin(p, (*C.char)(unsafe.Pointer(&stdin[0])), C.size_t(len(stdin)))
	}
	runtime.KeepAlive(wc)
	runtime.KeepAlive(stdin)
}

// maxLogLine bounds a buffered partial line of guest output.
const maxLogLine = 64 << 10

// lineLogger turns a guest output stream into log records, one per line,
// tagged with the component id and the stream name. It is safe for
// concurrent use.
type lineLogger struct {
	log       *slog.Logger
	component string
	stream    string

	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p...)
			if len(l.buf) >= maxLogLine {
				l.emit()
			}
			break
		}
		l.buf = append(l.buf, p[:i]...)
		l.emit()
		p = p[i+1:]
	}
	return n, nil
}

// Flush logs a trailing partial line.
func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit()
	}
}

func (l *lineLogger) emit() {
	l.log.LogAttrs(context.Background(), slog.LevelInfo, string(l.buf),
		slog.String("component", l.component), slog.String("stream", l.stream))
	l.buf = l.buf[:0]
}
