package httptrigger

import (
	"bytes"
	"context"
	"net/http"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/internal/wagi"
)

// serveWagi runs t's component with the WAGI executor (spec §4): argv and
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
	// timeout, enforced by the epoch callback.
	ctx := r.Context()
	var stdout bytes.Buffer
	resp, err := h.runWagi(ctx, t, &host.InstanceOptions{
		Args:    wagi.Argv(t.executor.Argv, path, r.URL.RawQuery),
		Env:     env,
		Stdin:   body,
		Stdout:  &stdout,
		Timeout: h.opts.Timeout,
	}, &stdout)
	if err != nil {
		h.log.LogAttrs(ctx, levelFor(err), "httptrigger: request failed",
			strAttr("component", t.id), strAttr("method", r.Method), strAttr("path", path), errAttr(err))
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	for _, line := range resp.Skipped {
		h.log.LogAttrs(ctx, levelInfo, "httptrigger: ignored WAGI header line", strAttr("component", t.id), strAttr("line", line))
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

func (h *Handler) runWagi(ctx context.Context, t *target, opts *host.InstanceOptions, stdout *bytes.Buffer) (*wagi.Response, error) {
	inst, err := t.comp.Instantiate(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer inst.Close()
	if _, err := inst.Call(t.executor.Entrypoint); err != nil {
		// host.Instance.Call already treats proc_exit(0) as a normal end
		// (spec §4.4); any other status is a *host.ExitError.
		return nil, err
	}
	return wagi.ParseOutput(stdout.Bytes())
}
