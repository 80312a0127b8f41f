package httptrigger

import (
	"encoding/json"
	"net/http"

	"github.com/spindlekv/spindle/manifest"
)

// wellKnownPrefix is the path prefix of Spin's built-in endpoints; it is
// served before application routes.
const wellKnownPrefix = "/.well-known/spin/"

// wellKnown serves /.well-known/spin/<rest> for any method: "health"
// answers OK, "info" the application's name and version as JSON, anything
// else 404 with an empty body, as Spin does (v1.5.1:crates/http/src/lib.rs,
// v1.5.1:crates/http/src/app_info.rs).
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
