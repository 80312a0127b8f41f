// Command spin-up serves a Spin application the way `spin up` (Spin 1.x)
// does, built only on Spindle's public packages: manifest, kv/runtimeconfig
// (and through it kv/sqlite and kv/redis), host and httptrigger.
//
//	spin-up [-f spin.toml|dir] [--listen 127.0.0.1:3000] [--state-dir DIR]
//	        [--runtime-config-file FILE] [--key-value KEY=VALUE]... [--build]
//	        [--cache-dir DIR] [--read-timeout D] [--write-timeout D]
//	        [--idle-timeout D] [--max-header-bytes N] [--max-connections N]
//	        [--shutdown-timeout D]
//
// Start-up, in order: with --build, each component's build command is run
// with sh -c in its workdir (the manifest directory unless the manifest
// names one), output streamed, as spin build does; the manifest is loaded
// and every local wasm file checked; the listen address is bound; the
// key-value stores are opened (the runtime config's, plus "default": SQLite
// at <state-dir>/sqlite_key_value.db); --key-value pairs are written into
// the default store (split at the first '='); every component is compiled
// (through a compiled-module cache in the user's cache directory,
// spindle/modules under os.UserCacheDir, or --cache-dir);
// then the routes are printed as Spin prints them and requests are served,
// each logged with method, path, status and duration.
//
// The state directory is --state-dir when given (an explicit "" means none:
// the default store is then in memory), else the runtime config's
// state_dir, else .spin beside the manifest; relative paths are made
// absolute against the working directory.
//
// Every connection is bounded in time (Spindle's limits; spin up sets
// none): --read-timeout (DefaultReadTimeout) for reading a whole request,
// --write-timeout (DefaultWriteTimeout) from the end of its headers to the
// end of its response, --idle-timeout (DefaultIdleTimeout) for idle
// keep-alive connections, plus --max-header-bytes
// (DefaultMaxHeaderBytes) and --max-connections (DefaultMaxConnections:
// further connections wait in the listen backlog, so a flood of clients
// cannot exhaust the process's descriptors). 0 turns a limit off.
//
// SIGINT or SIGTERM shuts down gracefully: the server stops accepting
// connections and waits up to --shutdown-timeout (ShutdownTimeout) for
// in-flight requests; connections still open then (clients stalling their
// body or not reading their response) are closed, which interrupts their
// guests, and the handler, engine and stores are closed. Shutting down
// exits with status 0, within the grace period plus about a second. Any
// start-up failure ends the command with status 1 and a one-line
// "spin-up: ..." message on stderr.
//
// The files snapshot is placed in the state directory (when there is one)
// and a stale one is reclaimed at the next start; the state and cache
// directories are never exposed through files.
//
// --cache-dir is a Spindle extension; Spin's own wasmtime cache is
// configured differently (spin up --cache FILE).
//
// The cache directory is trusted code: its entries are native code that
// spin-up runs without verifying, so it is never in the application
// directory (an app's author could otherwise ship code that runs in the
// host) and must not be writable by anyone but the user running spin-up.
package main
