package manifest

import (
	"errors"

	"github.com/spindlekv/spindle/internal/tomlpos"
)

// Sentinel errors. Every problem found while parsing is an [*Error] whose
// chain contains one of these, so callers match with errors.Is.
var (
	// ErrSyntax reports text that is not valid TOML.
	ErrSyntax = errors.New("manifest: invalid TOML")
	// ErrUnsupportedVersion reports a spin_manifest_version (or
	// spin_version) other than "1", 1 or 2, or a missing one.
	ErrUnsupportedVersion = errors.New("manifest: unsupported manifest version")
	// ErrUnknownField reports a key the manifest format does not define.
	ErrUnknownField = errors.New("manifest: unknown field")
	// ErrMissingField reports a required key that is absent.
	ErrMissingField = errors.New("manifest: missing field")
	// ErrInvalidType reports a value of the wrong TOML type.
	ErrInvalidType = errors.New("manifest: invalid type")
	// ErrInvalidValue reports a value of the right type that breaks a rule
	// (a bad URL, digest, executor, host, file mount, route …).
	ErrInvalidValue = errors.New("manifest: invalid value")
	// ErrInvalidID reports a component id, store label, variable name or
	// other identifier that breaks the identifier rules.
	ErrInvalidID = errors.New("manifest: invalid identifier")
	// ErrDuplicateID reports two components (or triggers) with one id.
	ErrDuplicateID = errors.New("manifest: duplicate id")
	// ErrMissingComponent reports a trigger naming a component that the
	// manifest does not define.
	ErrMissingComponent = errors.New("manifest: missing component")
	// ErrInvalidVariable reports a variable declaration that has neither
	// or both of required = true and a default.
	ErrInvalidVariable = errors.New("manifest: invalid variable")
	// ErrInvalidTemplate reports a config/variables template with an
	// unmatched "{{" or naming an undeclared variable.
	ErrInvalidTemplate = errors.New("manifest: invalid template")

	// ErrUnresolvedVariable is returned by [App.ResolveVariables] when a
	// required variable has no value.
	ErrUnresolvedVariable = errors.New("manifest: no value for required variable")
	// ErrUnknownComponent is returned by [App] methods given a component
	// id or pointer that is not part of the app.
	ErrUnknownComponent = errors.New("manifest: unknown component")
	// ErrRemoteSource is returned by [App.ReadSource] and
	// [App.SourcePath] for a component whose source is a URL or registry
	// package: this package never downloads. The error is an [*Error] at
	// the component, naming the URL or package.
	ErrRemoteSource = errors.New("manifest: remote component source")
	// ErrNoBaseDir is returned when a relative path must be resolved but
	// the app was parsed from bytes with neither Options.Dir nor
	// Options.FS.
	ErrNoBaseDir = errors.New("manifest: no base directory for relative paths")
	// ErrOutsideApp is returned by [App.ExpandFiles] for a file pattern or
	// file that lies outside the application directory.
	ErrOutsideApp = errors.New("manifest: path outside the application directory")
)

// Error is one problem in a manifest, with the place it was found.
// Parse, Load and LoadFS return a single *Error or, when there are
// several problems, an errors.Join of them all (in document order);
// use errors.As to get the first and errors.Is to match a sentinel.
//
// Its fields are File (the manifest file name as given to Load or
// LoadFS, or Options.File, "spin.toml" by default, for Parse), Line and
// Column (1-based; a problem with no better place, such as a missing
// top-level key, points at 1:1, as Spin does), Field (the dotted path of
// the offending key, e.g. "component.hello.key_value_stores" or
// "component[2].id"; "" for the whole document) and Err (the problem; its
// chain contains one of the package's sentinel errors). Error formats it
// as "file:line:column: message". It is the same type as
// runtimeconfig.Error.
//
// Error values are immutable once returned and safe for concurrent use.
type Error = tomlpos.Error

// problem is an error message tied to a sentinel; its text does not
// repeat the sentinel's, so messages read like Spin's.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }
