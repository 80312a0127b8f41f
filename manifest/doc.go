// Package manifest reads Spin application manifests (spin.toml) of
// version 1 and 2 into one plain Go model, [App].
//
// [Load] reads a file (or a directory's spin.toml), [LoadFS] reads from an
// fs.FS such as an embed.FS, and [Parse] reads bytes. Relative paths in a
// manifest resolve against the manifest's directory, never the process's
// working directory: [App.ReadSource] and [App.SourcePath] give a
// component's wasm, [App.ExpandFiles] the files it may see, and
// [App.ResolveVariables] renders its {{ variable }} templates.
//
// The package is pure Go (it builds with CGO_ENABLED=0), has no wasm
// dependency and shows no TOML-library types.
//
// # Errors
//
// Parsing reports every problem at once: the error is an [*Error] or an
// errors.Join of them, each with the file, line and column of the key or
// value at fault and a message close to Spin's, e.g.
//
//	spin.toml:12:3: unknown field "key_value_store" in [[component]]
//
// Match the kind of problem with errors.Is and the sentinels
// ([ErrUnknownField], [ErrMissingField], [ErrInvalidID], [ErrDuplicateID],
// [ErrUnsupportedVersion], …); get positions with errors.As.
//
// # Versions and rules
//
// The version is detected as Spin does
// (v3.1.2:crates/manifest/src/lib.rs): spin_manifest_version (or its
// older alias spin_version) equal to the string "1" or the integer 1
// means version 1, the integer 2 means version 2; anything else is
// [ErrUnsupportedVersion] naming the value found.
//
// Version 2 manifests are checked as Spin 3.1.2 checks them. Version 1
// manifests are checked and converted as today's Spin (3.1.2) does by
// default ([Spin3]), so a v1 manifest that Spin runs today loads
// unchanged; [Options].V1Rules = [Spin1] applies Spin 1.5.1's checks
// instead. Neither rule set is a subset of the other. The differences:
//
//   - Spin1: name, version, trigger, [[component]] and, for HTTP apps,
//     trigger.base are required; component ids are any unique string
//     (even with spaces) and are kept; namespace is accepted and kept in
//     App.Namespace; keys other than route and executor in an HTTP
//     [component.trigger] are ignored; executor type "http" is rejected;
//     store labels follow the 1.5.1 rule (snake words, each all-lower or
//     all-UPPER); a source URL must be https; a redis app trigger needs
//     address.
//   - Spin3: version, [[component]] and base are optional (base
//     defaults to "/"); ids are normalised to kebab-case ("snake_case"
//     -> "snake-case", "mixedCase" -> "mixedcase") or rejected;
//     namespace is an unknown field; allowed_outbound_hosts is accepted; an HTTP
//     [component.trigger] may only hold route and executor; "http" is an
//     alias of the spin executor; store labels may be kebab-case or
//     snake_case.
//   - Both reject duplicate component ids. (Spin 3.1.2 silently keeps the
//     later of two v1 components with one id; that loses a component, so
//     Spindle keeps Spin 1.5.1's error.)
//
// Either way the model is the one Spin 3 converts a v1 manifest to: a v1
// component's trigger becomes a trigger with id "trigger-<component id>";
// [component.config] becomes Component.Variables; allowed_http_hosts
// becomes AllowedOutboundHosts (host -> http://host and https://host,
// "self" -> http://self, "insecure:allow-all" -> http://*:*, https://*:*,
// http://self; plus redis://*:*, mysql://*:* and postgres://*:* when the
// component has no allowed_outbound_hosts key). A v1 manifest and the v2
// manifest Spin converts it to load to the same App, apart from
// ManifestVersion and positions.
//
// # Where Spindle decides
//
// Where the spec leaves a choice, this package does the following:
//
//   - HTTP trigger settings are checked when parsing, not when the trigger
//     starts: route is required (a string, or { private = true } in v2)
//     and, in v2, a [[trigger.http]] may hold only id, component, route
//     and executor. A trigger naming a missing component is an error
//     ([ErrMissingComponent]).
//   - A v2 [application.trigger.http] base is honoured, joined to every
//     route as in Spin 2.0–2.7 (Spin 3 refuses any base but "/").
//   - A base without a leading "/" gets one (Spin 2 behaviour; Spin 1.x
//     kept it and no route could match). Routes are kept raw; the HTTP
//     trigger compiles them with App.HTTPBase.
//   - A WAGI executor may name any entrypoint (Spin 1.x); Spin 3 only
//     runs _start.
//   - v2 triggers without an id get Spin's generated ids
//     ("<component>-<type>-trigger", else "<type>-trigger<N>"); an inline
//     component gets "<trigger id>-component", or "inline-component<N>"
//     inside a components map. Inline components follow the
//     [component.*] tables in App.Components.
//   - v2 keys Spindle has no use for are accepted and dropped:
//     [application.tool], [component.*.tool], dependencies and
//     dependencies_inherit_configuration. Other trigger types (redis,
//     timer, …) load into App.Triggers with their settings as plain Go
//     values.
//   - Component source paths are not shell-expanded (Spin 1.5.1 expanded
//     "~" and "$VAR"), and [App.ReadSource] never downloads a URL source.
//   - Templates (component config/variables) are checked when parsing: an
//     unmatched "{{" or an undeclared variable is [ErrInvalidTemplate].
//   - In files globs, "*" never matches "/" (in include and exclude
//     patterns alike); "**" matches any number of directories.
package manifest
