package host

/*
#include <stddef.h>
*/
import "C"

import (
	"io"
	"runtime/cgo"
	"unsafe"
)

// stdioSink receives the WASI stdout and stderr of one instance. The C
// side holds one cgo.Handle to it for both streams; the stdout stream's
// finalizer releases it when wasmtime drops the store.
type stdioSink struct {
	out, err io.Writer
}

// eio is returned to wasmtime (as a negated OS error code) when the
// embedder's writer fails.
const eio = 5

//export spindleStdioWrite
func spindleStdioWrite(data unsafe.Pointer, stream C.int, buf *C.uchar, n C.size_t) (ret C.ptrdiff_t) {
	defer func() {
		if recover() != nil {
			ret = -eio
		}
	}()
	s, ok := cgo.Handle(uintptr(data)).Value().(*stdioSink)
	if !ok {
		return -eio
	}
	if n == 0 {
		return 0
	}
	w := s.out
	if stream != 1 {
		w = s.err
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
	written, err := w.Write(b)
	if err != nil && written == 0 {
		return -eio
	}
	return C.ptrdiff_t(written)
}

//export spindleStdioRelease
func spindleStdioRelease(data unsafe.Pointer) {
	cgo.Handle(uintptr(data)).Delete()
}
