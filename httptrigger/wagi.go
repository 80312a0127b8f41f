package httptrigger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/internal/wagi"
)

// DefaultMaxWagiOutputBytes is the default Options.MaxWagiOutputBytes:
// 16 MiB of stdout (headers and body) per WAGI request. Spin buffers a WAGI
// guest's stdout without limit.
const DefaultMaxWagiOutputBytes = 16 << 20

// ErrWagiOutputTooLarge is the cause of a WAGI request that failed because
// its guest wrote more than Options.MaxWagiOutputBytes to stdout.
var ErrWagiOutputTooLarge = errors.New("httptrigger: WAGI output exceeds MaxWagiOutputBytes")

// wagiStdout buffers a WAGI guest's stdout up to max bytes (negative: no
// limit). The first write past it fails, and stop is called so that the
// guest is interrupted at its next epoch tick even if it ignores the
// error.
type wagiStdout struct {
	buf  bytes.Buffer
	max  int64
	stop context.CancelCauseFunc
	err  error // set once the limit is passed
}

func (o *wagiStdout) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if o.max >= 0 && int64(o.buf.Len())+int64(len(p)) > o.max {
		o.err = fmt.Errorf("%w (%d bytes)", ErrWagiOutputTooLarge, o.max)
		o.stop(o.err)
		return 0, o.err
	}
	return o.buf.Write(p)
}

// serveWagi runs t's component with the WAGI executor (v1.5.1:crates/trigger-http/src/wagi.rs): argv and
// the CGI environment, the body on stdin, stdout parsed into the response.
// Any method is accepted.
func (h *Handler) serveWagi(w http.ResponseWriter, r *http.Request, t *target, path string) {
	body, status := h.readBody(r)
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	uri := uriOf(r, path)
	env := wagi.Env(wagi.Request{
		R: r, Path: path, RawQuery: r.URL.RawQuery, ScriptName: t.pattern.ScriptName(), BodyLen: len(body),
		Spin: t.spinValues(r, path, uri),
	})
	// The same deadline mechanism as the Spin executor: the instance's
	// timeout, enforced by the epoch callback. The output cap cancels the
	// context, which stops the guest at its next epoch tick.
	ctx, stop := context.WithCancelCause(r.Context())
	defer stop(nil)
	stdout := &wagiStdout{max: h.opts.MaxWagiOutputBytes, stop: stop}
	resp, err := h.runWagi(ctx, t, &host.InstanceOptions{
		Args:    wagi.Argv(t.executor.Argv, path, r.URL.RawQuery),
		Env:     env,
		Stdin:   body,
		Stdout:  stdout,
		Timeout: h.opts.Timeout,
	}, stdout)
	if err != nil {
		h.logFailure(ctx, t, r, path, err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if n := len(resp.Skipped); n > 0 {
		// One record per response, however many lines the guest wrote:
		// the first line (cut and sanitised as guest text) and the count.
		first := resp.Skipped[0]
		if len(first) > 256 {
			first = first[:256]
		}
		h.log.LogAttrs(ctx, levelInfo, "httptrigger: ignored WAGI header lines", strAttr("component", t.id),
			slog.Int("count", n), strAttr("first", strings.ToValidUTF8(first, "\uFFFD")))
	}
	hdr := w.Header()
	for k, vs := range resp.Header {
		hdr[k] = vs
	}
	w.WriteHeader(resp.Status)
	if len(resp.Body) > 0 {
		w.Write(resp.Body) //nolint:errcheck // the client may have gone; nothing to do
	}
}

func (h *Handler) runWagi(ctx context.Context, t *target, opts *host.InstanceOptions, stdout *wagiStdout) (*wagi.Response, error) {
	inst, err := t.comp.Instantiate(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer inst.Close()
	if _, err := inst.Call(t.executor.Entrypoint); err != nil {
		// host.Instance.Call already treats proc_exit(0) as a normal end
		// (v1.5.1:crates/trigger-http/src/wagi.rs); any other status is a *host.ExitError.
		if stdout.err != nil && !errors.Is(err, ErrWagiOutputTooLarge) {
			err = fmt.Errorf("%w: %w", stdout.err, err)
		}
		return nil, err
	}
	if stdout.err != nil { // the guest ignored the failed write and ended
		return nil, stdout.err
	}
	return wagi.ParseOutput(stdout.buf.Bytes())
}
