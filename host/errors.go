package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Sentinel errors. Errors returned by this package wrap them together with
// the component id and the failing export or import; match them with
// errors.Is.
var (
	// ErrTrap reports that a guest failed: a wasm trap, an out-of-bounds
	// pointer or length, a lying canonical_abi_realloc, invalid UTF-8 in a
	// string the host reads, the memory limit, or an expired deadline (which
	// also matches context.DeadlineExceeded or context.Canceled). The
	// engine and other instances are unaffected.
	ErrTrap = errors.New("host: trap")
	// ErrMissingExport reports that a module does not export a function the
	// caller asked for.
	ErrMissingExport = errors.New("host: missing export")
	// ErrClosed is returned by methods of a closed Engine or Instance.
	ErrClosed = errors.New("host: closed")
)

// trapError builds the error for a failed guest call. hostErr is the error a
// host function recorded before trapping (nil if the guest trapped on its
// own); cause is what wasmtime returned.
func (st *instanceState) trapError(op string, cause error) error {
	if st.hostErr != nil {
		err := st.hostErr
		st.hostErr = nil
		return fmt.Errorf("%w in component %q, %s: %w", ErrTrap, st.comp.id, op, err)
	}
	if st.interrupted != nil {
		return fmt.Errorf("%w in component %q, %s: interrupted: %w", ErrTrap, st.comp.id, op, st.interrupted)
	}
	var trap *wasmtime.Trap
	if errors.As(cause, &trap) {
		if code := trap.Code(); code != nil && *code == wasmtime.Interrupt {
			// Epoch deadline reached without our callback deciding: it is the
			// instance deadline (or the caller's context).
			reason := st.ctx.Err()
			if reason == nil {
				reason = context.DeadlineExceeded
			}
			return fmt.Errorf("%w in component %q, %s: interrupted after %v: %w", ErrTrap, st.comp.id, op, time.Since(st.start).Round(time.Millisecond), reason)
		}
		return fmt.Errorf("%w in component %q, %s: %s", ErrTrap, st.comp.id, op, trap.Message())
	}
	return fmt.Errorf("%w in component %q, %s: %v", ErrTrap, st.comp.id, op, cause)
}
