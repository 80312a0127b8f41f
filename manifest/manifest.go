package manifest

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/spindlekv/spindle/internal/tomlpos"
)

// Defaults used when the manifest or the Options leave a value out.
const (
	// DefaultFile is the manifest file name used in errors by Parse, and
	// the file Load reads when given a directory.
	DefaultFile = "spin.toml"
	// DefaultHTTPBase is the HTTP base path when the manifest sets none.
	DefaultHTTPBase = "/"
	// DefaultWagiEntrypoint is the export a WAGI component runs when its
	// executor names none.
	DefaultWagiEntrypoint = "_start"
	// DefaultWagiArgv is the argv template of a WAGI component when its
	// executor names none.
	DefaultWagiArgv = "${SCRIPT_NAME} ${ARGS}"
)

// Executor types of an HTTP trigger.
const (
	// ExecutorSpin runs the component's handle-http-request export (Spin's
	// default executor; manifest v2 also calls it "http").
	ExecutorSpin = "spin"
	// ExecutorWagi runs the component as a WAGI (CGI-style) program.
	ExecutorWagi = "wagi"
)

// Rules selects how a version 1 manifest is checked and converted. Version
// 2 manifests are always checked as Spin 3.1.2 checks them.
//
// The two rule sets differ in both directions, which is why they are
// named after Spin versions rather than "strict" and "lax": Spin 1.5.1
// requires keys that Spin 3 makes optional (version, base, [[component]])
// but accepts what Spin 3 refuses (namespace, component ids with spaces,
// extra keys in an HTTP [component.trigger]).
type Rules int

const (
	// Spin3 checks v1 manifests as today's Spin (3.1.2) does before
	// converting them to v2 (v3.1.2:crates/manifest/src/schema/v1.rs,
	// v3.1.2:crates/manifest/src/compat.rs): version, [[component]] and
	// the HTTP trigger's base are optional (base defaults to
	// DefaultHTTPBase, as in Spin 2 and 3); component ids are normalised
	// to kebab-case (snake_case -> snake-case, mixedCase -> mixedcase) or
	// rejected; namespace is an unknown field; allowed_outbound_hosts is
	// accepted; an HTTP [component.trigger] may only hold route and
	// executor. Duplicate ids are still rejected (Spin 3.1.2 silently
	// keeps the later one, which loses a component). This is the default.
	Spin3 Rules = iota
	// Spin1 checks v1 manifests as Spin 1.5.1 does
	// (v1.5.1:crates/loader/src/local/config.rs): name, version, trigger,
	// [[component]] and, for HTTP, base are required; component ids are
	// any unique string and are kept as written; namespace is accepted;
	// unknown keys in an HTTP [component.trigger] are ignored; executor
	// type "http" is rejected.
	Spin1
)

// DefaultV1Rules is the Rules a zero Options uses for version 1
// manifests: a v1 manifest that today's Spin runs loads by default
// (duplicate component ids aside).
const DefaultV1Rules = Spin3

// Options configures Parse, Load and LoadFS. A nil *Options is the same
// as a zero one. They copy the Options; the caller keeps ownership and
// may reuse or change them afterwards.
type Options struct {
	// File names the manifest in error messages. Default DefaultFile.
	// Load and LoadFS ignore it and use the path they read.
	File string
	// Dir is the directory relative paths in the manifest (component
	// sources, files, build workdir) resolve against; it is made
	// absolute by Parse. Empty and FS nil: methods that read files
	// return ErrNoBaseDir. Load and LoadFS ignore it.
	Dir string
	// FS, if not nil, is where relative paths resolve instead of Dir:
	// they are looked up from the root of FS. Load and LoadFS ignore it.
	FS fs.FS
	// V1Rules selects the rules for version 1 manifests. Default
	// DefaultV1Rules (Spin3); Spin1 applies Spin 1.5.1's checks.
	V1Rules Rules
}

// Position is a place in the manifest text: Line and Column, both
// starting at 1. The zero Position means "unknown". It is the same type
// as runtimeconfig.Position.
type Position = tomlpos.Position

// App is a parsed, validated manifest of either version.
//
// An App is a plain value: the caller owns it and may read it from many
// goroutines at once; its methods only read it. Mutating it while other
// goroutines call its methods is a data race.
type App struct {
	// ManifestVersion is 1 or 2, as detected from the file.
	ManifestVersion int
	// Name, Version and Description describe the application.
	Name, Version, Description string
	// Authors lists the application's authors.
	Authors []string
	// Namespace is the deprecated v1 namespace (Spin1 rules only).
	Namespace string
	// Variables are the application variables by name.
	Variables map[string]Variable
	// Components are in manifest order (for v2, inline trigger
	// components follow the [component.*] tables, in trigger order).
	Components []Component
	// HTTPBase is the base path every HTTP route is joined to: the v1
	// trigger's base or v2's [application.trigger.http] base, with a
	// leading "/" added if missing; DefaultHTTPBase when unset. Routes
	// are not compiled here.
	HTTPBase string
	// HTTPTriggers are the HTTP triggers in manifest order.
	HTTPTriggers []HTTPTrigger
	// Triggers are the triggers of every other type (redis, timer, …),
	// kept generically so such manifests still load.
	Triggers []Trigger
	// TriggerSettings holds the application-level settings per trigger
	// type: v1's trigger table minus "type" (and minus "base" for HTTP),
	// or v2's [application.trigger.<type>] tables. Values are string,
	// int64, float64, bool, []any or map[string]any.
	TriggerSettings map[string]map[string]any
	// Dir is the absolute directory of the manifest when it was loaded
	// with Load or parsed with Options.Dir; "" otherwise.
	Dir string

	fsys fs.FS  // where relative paths resolve when Dir is ""
	root string // directory of the manifest inside fsys
	file string // Options.File, for errors
}

// Variable is an application variable declaration, a plain value.
// Exactly one of Required and HasDefault is true.
type Variable struct {
	// Default is the value used when no provider has one.
	Default string
	// HasDefault reports whether the manifest gave a default.
	HasDefault bool
	// Required is set when the variable must come from a provider.
	Required bool
	// Secret marks values that must not be logged.
	Secret bool
	// Pos is where the variable is declared.
	Pos Position
}

// Component is one wasm component and what it may access. It is a plain
// value owned by its App; the App's concurrency rules apply.
type Component struct {
	// ID identifies the component (for v2 and Spin3-converted v1,
	// kebab-case).
	ID string
	// Description is free text.
	Description string
	// Source says where the wasm comes from.
	Source Source
	// Files are the files made visible to the guest; see App.ExpandFiles.
	Files []FileMount
	// ExcludeFiles are globs removed from what Files selects.
	ExcludeFiles []string
	// Environment holds the guest's environment variables.
	Environment map[string]string
	// KeyValueStores are the store labels the component may open.
	KeyValueStores []string
	// SQLiteDatabases are the database labels the component may open.
	SQLiteDatabases []string
	// AIModels are the models the component may use.
	AIModels []string
	// AllowedOutboundHosts are v2-style outbound permissions; a v1
	// allowed_http_hosts list is converted as Spin 3 does (host ->
	// http://host and https://host, "insecure:allow-all" -> http://*:*,
	// https://*:*, http://self) and, when the component has no
	// allowed_outbound_hosts key, redis://*:*, mysql://*:* and
	// postgres://*:* are added.
	AllowedOutboundHosts []string
	// Variables are the component's config templates (v1
	// [component.config], v2 [component.<id>.variables]) by key; see
	// App.ResolveVariables.
	Variables map[string]string
	// Build is how to build the component; nil when not given.
	Build *Build
	// Pos is where the component is declared.
	Pos Position
}

// Source is where a component's wasm comes from: a Path relative to the
// manifest directory, a URL with a Digest, or a registry Package.
type Source struct {
	// Path is the file path as written in the manifest.
	Path string
	// URL and Digest ("sha256:<hex>") describe a download.
	URL, Digest string
	// Registry, Package and Version describe a registry package (v2).
	Registry, Package, Version string
}

// FileMount is one element of a component's files list: either a glob
// Pattern, or a Source directory placed at Destination in the guest.
type FileMount struct {
	// Pattern is a glob relative to the manifest directory.
	Pattern string
	// Source is a directory relative to the manifest directory.
	Source string
	// Destination is the absolute guest path Source is placed at.
	Destination string
}

// Build is a component's build configuration.
type Build struct {
	// Command is the build command; a string in the manifest becomes a
	// single element (run it with a shell).
	Command []string
	// Workdir is the directory to run it in, relative to the manifest
	// directory; "" means the manifest directory.
	Workdir string
	// Watch are globs for rebuild-on-change tools.
	Watch []string
}

// HTTPTrigger routes requests to a component; a plain value owned by its
// App.
type HTTPTrigger struct {
	// ID is the trigger id (v1: "trigger-<component id>"; v2: as written
	// or generated like Spin: "<component>-http-trigger" or
	// "http-trigger<N>").
	ID string
	// Component is the id of the component it runs.
	Component string
	// Route is the raw route as written (not joined to HTTPBase); "" for
	// a private route.
	Route string
	// Private is set for route = { private = true } (v2).
	Private bool
	// Executor says how the component is run.
	Executor Executor
	// Pos is where the trigger is declared.
	Pos Position
}

// Executor says how an HTTP component is run.
type Executor struct {
	// Type is ExecutorSpin or ExecutorWagi (v2's "http" becomes
	// ExecutorSpin).
	Type string
	// Entrypoint is the WAGI export to call; DefaultWagiEntrypoint when
	// not given. Empty for the Spin executor.
	Entrypoint string
	// Argv is the WAGI argv template; DefaultWagiArgv when not given.
	// Empty for the Spin executor.
	Argv string
}

// Trigger is a trigger of a type other than HTTP; a plain value owned by
// its App.
type Trigger struct {
	// Type is the trigger type, e.g. "redis" or "timer".
	Type string
	// ID is the trigger id (v1: "trigger-<component id>").
	ID string
	// Component is the component it runs; "" when the trigger uses a
	// Components map instead.
	Component string
	// Components maps names to component ids (v2 "components").
	Components map[string]string
	// Config holds every other key of the trigger. Values are string,
	// int64, float64, bool, []any or map[string]any.
	Config map[string]any
	// Pos is where the trigger is declared.
	Pos Position
}

// Load reads and parses the manifest at path. If path is a directory,
// its spin.toml is read. Relative paths in the manifest resolve against
// the manifest's directory (App.Dir), never the working directory.
// opts may be nil; its File, Dir and FS are ignored.
func Load(path string, opts *Options) (*App, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, DefaultFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	o := copyOptions(opts)
	o.File, o.Dir, o.FS = path, filepath.Dir(path), nil
	return Parse(data, &o)
}

// LoadFS reads and parses the manifest called name in fsys, for apps
// shipped in an embed.FS or similar. Relative paths resolve against
// path.Dir(name) inside fsys; App.Dir is "". opts may be nil; its File,
// Dir and FS are ignored.
func LoadFS(fsys fs.FS, name string, opts *Options) (*App, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	o := copyOptions(opts)
	o.File, o.Dir, o.FS = name, "", nil
	app, err := Parse(data, &o)
	if err != nil {
		return nil, err
	}
	app.fsys, app.root = fsys, path.Dir(name)
	return app, nil
}

func copyOptions(opts *Options) Options {
	if opts == nil {
		return Options{}
	}
	return *opts
}

// Parse parses and validates a manifest of either version. It reports
// every problem it finds at once: the error is an *Error or an
// errors.Join of them. opts may be nil.
func Parse(data []byte, opts *Options) (*App, error) {
	o := copyOptions(opts)
	if o.File == "" {
		o.File = DefaultFile
	}
	root, err := parseTOML(o.File, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: o.File, rules: o.V1Rules}
	app := d.decode(root)
	if len(d.errs) > 0 {
		return nil, tomlpos.Join(d.errs)
	}
	app.file = o.File
	if o.FS != nil {
		app.fsys, app.root = o.FS, "."
	} else if o.Dir != "" {
		dir, err := filepath.Abs(o.Dir)
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		app.Dir = dir
	}
	return app, nil
}

// Component returns the component with the given id.
func (a *App) Component(id string) (*Component, bool) {
	for i := range a.Components {
		if a.Components[i].ID == id {
			return &a.Components[i], true
		}
	}
	return nil, false
}

// SourcePath returns the absolute host path of c's wasm file. It fails
// with ErrRemoteSource for a URL or registry source, and with
// ErrNoBaseDir when the app has no directory on disk (parsed from bytes
// without Options.Dir, or loaded from an fs.FS).
func (a *App) SourcePath(c *Component) (string, error) {
	if c.Source.Path == "" {
		return "", a.remoteSource(c)
	}
	if a.Dir == "" {
		return "", fmt.Errorf("component %q: %w", c.ID, ErrNoBaseDir)
	}
	p := filepath.FromSlash(c.Source.Path)
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	return filepath.Join(a.Dir, p), nil
}

// ReadSource reads c's wasm file, from disk or from the app's fs.FS. It
// fails with ErrRemoteSource for a URL or registry source (this package
// never downloads) and ErrNoBaseDir when the app has nowhere to read
// from; other errors wrap the fs error and name the component.
func (a *App) ReadSource(c *Component) ([]byte, error) {
	if c.Source.Path == "" {
		return nil, a.remoteSource(c)
	}
	if a.fsys != nil {
		name := path.Join(a.root, c.Source.Path)
		data, err := fs.ReadFile(a.fsys, name)
		if err != nil {
			return nil, fmt.Errorf("manifest: component %q source: %w", c.ID, err)
		}
		return data, nil
	}
	p, err := a.SourcePath(c)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("manifest: component %q source: %w", c.ID, err)
	}
	return data, nil
}

// remoteSource is the error for a component whose source is not a local
// file: one line naming the manifest, the component and its source, and
// saying what Spindle runs instead.
func (a *App) remoteSource(c *Component) error {
	var what string
	switch s := c.Source; {
	case s.URL != "":
		what = fmt.Sprintf("the URL %s (digest %s)", s.URL, s.Digest)
	case s.Package != "":
		what = fmt.Sprintf("the registry package %s@%s", s.Package, s.Version)
		if s.Registry != "" {
			what += " from " + s.Registry
		}
	default:
		what = "empty"
	}
	file := a.file
	if file == "" {
		file = DefaultFile
	}
	return tomlpos.Errorf(file, c.Pos, "", ErrRemoteSource,
		"component %q: source is %s; Spindle runs only a local wasm file (source = \"path/to/file.wasm\"), it does not download", c.ID, what)
}
