// Package httptrigger serves a Spin application as an [http.Handler].
//
// [New] takes a loaded manifest ([manifest.App]), a [host.Engine] and a
// [kv.Resolver] for the key-value store labels, compiles every component
// an HTTP trigger uses and checks everything a request would otherwise
// fail on. [Handler.ServeHTTP] then routes each request to a component
// and runs it in a fresh, isolated instance, as Spin does: no state
// survives between requests except in the stores.
//
//	app, _ := manifest.Load("spin.toml", nil)
//	engine, _ := host.NewEngine(nil)
//	h, err := httptrigger.New(ctx, app, engine, kv.Stores{"default": store}, nil)
//	...
//	http.ListenAndServe(addr, h)
//	...
//	h.Close(ctx) // then engine.Close() and the stores
//
// The behaviour follows Spin v1.5.1, the last release of the 1.x ABI the
// components speak; the spec sections named below are those of Spindle's
// SPIN-COMPAT.md.
//
// # Routing (v1.5.1:crates/http/src/routes.rs)
//
// A route is joined to the application base (one trailing "/" stripped
// from each, a leading "/" added); a route ending in "/..." is a wildcard
// that matches its prefix and everything below it. Matching is on the raw,
// still percent-encoded path, ignoring one trailing "/" and the query. An
// exact route beats any wildcard; among wildcards the longest prefix
// wins, whatever the manifest order. No match gives 404 with an empty
// body. v2.5+ syntax (":name" segments, "/*") is not interpreted: such
// routes are matched literally, as in 1.x. Triggers with
// route = { private = true } are not served.
//
// Where Spindle departs from Spin 1.5.1:
//   - two routes that compile to the same pattern (e.g. "/a" and "/a/")
//     make New fail with [ErrRouteConflict]; Spin logs them and lets the
//     later one win, silently hiding a component;
//   - a base without a leading "/" gets one (as in Spin 2.x); Spin 1.x
//     produced routes that could never match.
//
// Paths under /.well-known/spin/ are answered before routing, for any
// method (v1.5.1:crates/http/src/lib.rs): "health" gives 200 "OK", "info" the app's name and
// version as pretty-printed JSON, anything else 404.
//
// # Spin executor
//
// The Handler builds a [host.HTTPRequest] and hands it to the component
// through [host.HTTPHandler], the one HTTP-call interface of package host
// (which lowers it into handle-http-request and lifts the response, the
// Spin 1.x ABI; see its doc): the Handler never touches guest memory. It
// decides what the guest is given: the method; uri = raw path and query;
// the client's headers followed by the seven spin-* headers
// (spin-path-info, spin-full-url, spin-matched-route, spin-base-path,
// spin-raw-component-route, spin-component-route, spin-client-addr, in
// that order, as Spin v1.5.1 adds them); and the body. Client headers go
// one tuple per value, names lower-cased. Go does not keep the order in
// which headers arrived, so they are passed host first (taken from
// Request.Host; Go keeps it out of Request.Header), then sorted by name,
// values in arrival order. spin-full-url uses the Host header (or
// "localhost") and https when Request.TLS is set; spin-client-addr is
// Request.RemoteAddr.
//
// It maps the outcome to a status: the body is read first, as Spin does,
// then a method other than GET, POST, PUT, DELETE, PATCH, HEAD and
// OPTIONS gets 405 without the guest running ([host.ErrMethodNotAllowed]);
// any other failure (a trap, an expired deadline, a malformed response, a
// status outside 100..=600, a request header that is not UTF-8, more
// response headers than [Options.MaxResponseHeaders] or
// [Options.MaxResponseHeaderBytes] allow) gives 500 with an empty body,
// logged with the component id and the cause.
//
// It decides which of the guest's headers are sent. They are set, not
// added, so for a repeated name the last value wins. The server owns the
// framing: a guest's transfer-encoding and connection are dropped, and
// its content-length is kept only when it is the body's length (for HEAD
// and 304 with no body, any valid length), so a guest cannot truncate or
// mis-frame a response. As in Spin, only the guest's headers are sent:
// net/http is kept from adding a Content-Type sniffed from the body.
//
// # WAGI executor (v1.5.1:crates/trigger-http/src/wagi.rs)
//
// executor = { type = "wagi" } runs the entrypoint export (default
// "_start") with argv from the argv template (default
// "${SCRIPT_NAME} ${ARGS}"), the CGI environment of v1.5.1:crates/http/src/wagi/mod.rs plus the
// component's environment, and the body on stdin. Standard output is
// parsed as compose_response in that file does (Content-Type, Status, Location; 302 for a Location
// without Status; 502 for a malformed Status; 500 with Spin's message when
// none of the three is present). proc_exit(0) is a normal end; another
// exit status, a trap or empty output gives 500 with an empty body. Any
// method is accepted. A custom entrypoint is honoured as in Spin 1.x.
//
// # Files
//
// A component's files and exclude_files are expanded by
// [manifest.App.ExpandFiles] (Spin 1.5.1 rules, one rule for symbolic
// links) and copied, at New, into a snapshot directory owned by the
// Handler that the guest sees read-only at "/": changes made to the app
// directory afterwards are not seen, as in Spin, which copies them too
// (v1.5.1:crates/loader/src/local/assets.rs). The app's .spin state
// directory, the snapshot directories and [Options.PrivateDirs] are never
// exposed: globs skip what is inside them, and a { source = ... } in one
// fails New with [ErrPrivateFiles]. The snapshot is a "spindle-files-*"
// directory under [Options.FilesDir] (default os.TempDir()), holding a
// lock (flock) while in use; Close removes it, and New removes those left
// by processes that died. Apps loaded from an fs.FS cannot have files yet.
//
// # Limits
//
// Spin buffers request bodies without limit and sets no deadline; an
// embedding server cannot afford either. A body over
// [Options.MaxBodyBytes] (default [DefaultMaxBodyBytes]) gets 413 without
// running the guest; the buffer grows with the bytes that arrive, never
// from the client's Content-Length. Each request's instance runs under
// [Options.Timeout], which replaces the engine's host.Options.Timeout for
// this handler (zero means the engine's, 30 s by default); for both
// executors the instance's epoch callback stops the guest at the
// deadline, and its key-value calls get a context that ends there too (no
// timer is started per request unless a store call needs one). A client
// that goes away cancels the request's context, which interrupts the
// guest. Response headers are bounded as above (defaults
// [host.DefaultMaxResponseHeaders] and
// [host.DefaultMaxResponseHeaderBytes]); a response body by the guest's
// linear memory (host.Options.MaxMemory). Throughout, zero means the
// default and a negative value means no limit.
//
// Spindle adds limits Spin does not have, so that one component or client
// cannot take what the others need:
//   - each component runs at most [Options.MaxConcurrentPerComponent]
//     requests at once (default [DefaultMaxConcurrentPerComponent], a
//     quarter of the engine's default pool), over all its routes; a
//     request over the share waits, holding no instance slot and no body,
//     until one is free or Timeout has passed since it arrived, then gets
//     503;
//   - request bodies buffered at once, over all requests, stay within
//     [Options.MaxBodyBytesInFlight] (default
//     [DefaultMaxBodyBytesInFlight]): a request reserves its
//     Content-Length (MaxBodyBytes when unknown) after taking its
//     component slot and before its body is read, waiting like for a slot;
//   - a WAGI guest's stdout is capped at [Options.MaxWagiOutputBytes]
//     (default [DefaultMaxWagiOutputBytes]); past it the guest is stopped
//     and the request gets 500, logged with [ErrWagiOutputTooLarge];
//   - "request failed" records are rate-limited per component by
//     [Options.FailureLogInterval] (default [DefaultFailureLogInterval]):
//     the first failure is logged in full, later ones at most once per
//     interval with the number left out ("suppressed"), and Close logs the
//     rest. Guest stdout and stderr lines are capped per instance by the
//     engine (host.Options.MaxLogBytes).
//
// # Variables and stores
//
// Component variables (v1 [component.config], v2 variables) are rendered
// once, in New, from [Options.Variables] (default: the environment
// variables SPIN_VARIABLE_<NAME>, then SPIN_CONFIG_<NAME>) and the
// manifest's defaults. Every key_value_stores label must resolve through
// the Resolver: like Spin ≥ 1.3, New refuses to start otherwise, with one
// "Component <id> uses store '<label>'" error per label
// ([ErrUndefinedStore]).
package httptrigger
