package httptrigger

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/spindlekv/spindle/manifest"
)

// wellKnownPrefix is the path prefix of Spin's built-in endpoints; it is
// served before application routes.
const wellKnownPrefix = "/.well-known/spin/"

// wellKnown serves /.well-known/spin/<rest> for any method: "health"
// answers OK, "info" the application's name and version as JSON, anything
// else 404 with an empty body (spec §2.7).
func (h *Handler) wellKnown(w http.ResponseWriter, rest string) {
	switch rest {
	case "health":
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("OK")) //nolint:errcheck
	case "info":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(h.info) //nolint:errcheck
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// appInfo renders the info endpoint's body: pretty-printed JSON with
// name and, when not empty, version.
func appInfo(app *manifest.App) []byte {
	type info struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	}
	b, err := json.MarshalIndent(info{Name: app.Name, Version: app.Version}, "", "  ")
	if err != nil { // cannot happen for two strings
		return []byte("{}")
	}
	return b
}

const levelInfo = slog.LevelInfo

// levelFor logs a client that went away as a warning and anything else
// as an error.
func levelFor(err error) slog.Level {
	if errors.Is(err, context.Canceled) {
		return slog.LevelWarn
	}
	return slog.LevelError
}

func strAttr(k, v string) slog.Attr { return slog.String(k, v) }
func errAttr(err error) slog.Attr   { return slog.Any("err", err) }
