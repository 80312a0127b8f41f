package manifest

import "github.com/spindlekv/spindle/internal/tomlpos"

// The TOML tree comes from internal/tomlpos, the one positioned-TOML
// reader shared with kv/runtimeconfig; these short names keep the
// decoder readable.
type (
	node = tomlpos.Node
	kind = tomlpos.Kind
)

const (
	kindString  = tomlpos.String
	kindInteger = tomlpos.Integer
	kindBool    = tomlpos.Bool
	kindArray   = tomlpos.Array
	kindTable   = tomlpos.Table
)

// parseTOML parses data into a tree; a syntax error is an *Error
// matching ErrSyntax.
func parseTOML(file string, data []byte) (*node, error) {
	return tomlpos.Parse(file, data, ErrSyntax)
}
