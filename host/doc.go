// Package host runs Spin 1.x core WebAssembly modules with wasmtime: it
// compiles components, links the imports Spin modules declare, and makes a
// fresh, isolated instance per call. It is the only Spindle package whose
// API shows wasmtime types.
//
// # Compiling
//
// An [Engine] owns a wasmtime engine with the pooling instance allocator
// (Options.MaxInstances slots of Options.MaxMemory each, part of each freed
// memory kept resident for the next instance) and epoch interruption, plus a
// goroutine that advances the epoch every [EpochInterval]. Each slot
// reserves Options.MaxMemory (rounded up to 64 KiB) plus two [GuardSize]
// guards of address space, so an engine reserves at most MaxInstances ×
// (MaxMemory + 64 MiB) — 48 GiB with the defaults — and NewEngine refuses
// more than [MaxReservation] with an error instead of letting wasmtime
// abort the process. The price is explicit bounds checks in compiled code:
// a load/store loop (BenchmarkGuestMemoryLoop) ran 8.9–9.1 µs with a 4 GiB
// reservation and 13.8–14.2 µs with 128 MiB on the 2-core reference
// machine. When every slot is in use, Instantiate waits for a free one
// (until its context is done). [Engine.Compile]
// turns a [Config] into a [Module] whose imports are resolved
// once (a wasmtime InstancePre), so an instance costs a few microseconds;
// [Engine.CompileAll] compiles many in parallel, each distinct wasm once
// (concurrent Compile calls of the same bytes share one compilation too). With Options.CacheDir set, compiled code is kept on disk
// keyed by the SHA-256 of the wasm, the wasmtime-go version and the engine
// settings; each file carries a header with the SHA-256 of the wasm it was
// compiled from, of the engine settings and of its payload, is written
// atomically (temporary file + rename), and an entry that is corrupt, stale
// or made from other wasm is recompiled rather than loaded.
//
// A cache directory is trusted code: its entries are native code run
// without verification, so whoever can write there can run code in the
// host. Keep it per user and outside application directories
// ([DefaultCacheDir]); Compile creates it 0700 and ignores one that other
// users can write.
//
// Compile takes Spin 1.x core modules only. A WebAssembly component (the
// component-model preamble, version 0x0d layer 1, that Spin 2+ SDKs build)
// fails with one line naming Config.Source and matching [ErrComponent] and
// [ErrUnsupportedWasm]; bytes that are not WebAssembly at all fail with
// ErrUnsupportedWasm and what they look like (text format, HTML, a Git LFS
// pointer, ...).
//
// # Linking
//
// Every import a module declares is linked, so every Spin 1.x module
// instantiates:
//
//   - wasi_snapshot_preview1: wasmtime's WASI. The environment is
//     Config.Environment plus InstanceOptions.Env; Files are
//     preopened read-only; stdout and stderr go to the configured writers
//     or, by default, to the engine's Logger, one record per line tagged
//     with the component id (never to the host process's own stdout), at
//     most Options.MaxLogBytes per stream and instance, control bytes and
//     invalid UTF-8 replaced by U+FFFD, then one "guest output truncated"
//     record; stdin
//     is empty unless InstanceOptions.Stdin is set. A module that imports
//     nothing from WASI gets no WASI context at all (it could not reach
//     one), which saves its set-up and teardown on every instance.
//   - key-value: implemented as Spin v1.5.1 does
//     (v1.5.1:wit/ephemeral/key-value.wit); see below.
//   - spin-config.get-config: served from Config.Variables.
//   - anything else (outbound-redis, wasi-outbound-http, outbound-pg,
//     outbound-mysql, sqlite, llm, …, and Spindle's own imports when the
//     module declares them with a different signature): a stub with the
//     module's own signature that traps with "import M.N is not implemented
//     by Spindle" when called. [Module.Stubs] lists them.
//
// # The key-value ABI
//
// The old wit-bindgen canonical ABI: every result goes through a 16-byte
// return area passed by the guest, tag at +0 (0 ok, 1 error), payload at +4;
// an error is tag 0 store-table-full, 1 no-such-store, 2 access-denied,
// 3 invalid-store, 4 no-such-key, 5 io(string at +8/+12). Strings and lists
// the host returns are allocated in the guest with
// canonical_abi_realloc(0, 0, align, size) with their exact size and
// alignment (get-keys: the outer array first, align 4, then each key,
// align 1) and then belong to the guest. Decisions where Spin versions
// differ:
//
//   - a label not in KeyValueStores gives access-denied; a listed label the
//     Resolver does not know (kv.ErrNoSuchStore), or a nil Resolver, gives
//     no-such-store; other Resolver errors give io(message).
//   - an unknown store handle gives invalid-store (Spin v1.x), not a trap
//     (Spin v2+); close of an unknown handle is ignored.
//   - handles start at 0 and increase by one per open within an instance.
//     At most Options.MaxKeyValueHandles ([DefaultMaxKeyValueHandles]) are
//     open at once; another open gives store-table-full until the guest
//     closes one. Spin's runtime allows u32::MAX, which let a guest opening
//     in a loop grow the host's table past a gigabyte, outside MaxMemory.
//   - get of a missing key gives no-such-key; other store errors give
//     io(error text).
//
// # spin-config
//
// get-config of a defined key returns its value. A key that breaks Spin's
// key rules (lower-case letters, digits and single '_', starting with a
// letter) returns invalid-key; a valid key with no value returns
// other("unknown config path: no config for "<component>"."<key>"") as
// Spin v1.5.1 does (Spin v3 returns provider(...)). Neither traps.
//
// # Instances
//
// [Module.Instantiate] makes a fresh instance with its own store; per-call
// state (allowed labels, the handle table, the context) is the store's data,
// so nothing is shared between instances. If the module exports _initialize
// (a WASI reactor, such as a standard-Go GOOS=wasip1 guest) it is called;
// _start never is, as Spin's executor never calls it (WAGI callers call it
// themselves with [Instance.Call]). A guest that calls proc_exit(0) ends
// the call successfully; another status is an [*ExitError].
//
// The instance's deadline is the earlier of the context's deadline and
// its timeout from instantiation. One rule makes the timeouts compose:
// InstanceOptions.Timeout, when set, replaces the engine's
// Options.Timeout for that instance, longer or shorter; zero means the
// engine's ([DefaultTimeout] unless set); negative means none, at either
// level (the context still ends the call). On every epoch tick while guest code
// runs, a callback checks the deadline and the context: a guest past its
// deadline, or whose context was cancelled, is stopped within about one
// [EpochInterval], and the call fails with an error matching ErrTrap and
// context.DeadlineExceeded or context.Canceled. Key-value store calls get
// the same context, also ending at the deadline.
//
// Host functions are called through wasmtime's unchecked (raw value)
// interface and find the guest's memory and canonical_abi_realloc from
// exports cached at instantiation; Instance caches its view of linear
// memory and refreshes it after every call into the guest, which may grow
// it.
//
// [Module.Call] is a convenience for platforms that are not HTTP: a fresh
// instance, one call, closed again. [Instance.Alloc], [Instance.Write],
// [Instance.Read] and [Instance.Free] stay exported for such platforms
// alone: a custom trigger (Spin 1.x's Redis trigger calls
// handle-redis-message with a list<u8> payload) has to lower its
// arguments and lift its results itself. HTTP needs none of them.
//
// # HTTP
//
// [HTTPHandler] is the one HTTP-call interface: HandleHTTP(ctx, request,
// instance options) with plain Go types ([HTTPRequest], [HTTPResponse],
// [HTTPField]). [*Module] implements it with the Spin 1.x ABI
// (handle-http-request in the old wit-bindgen canonical ABI,
// v1.5.1:wit/ephemeral/spin-http.wit), the only place that ABI lives; a
// WebAssembly component's wasi:http/incoming-handler will implement the
// same interface, and package httptrigger calls nothing else.
//
// A request is lowered exactly as Spin's generated bindings do, one
// canonical_abi_realloc(0, 0, align, size) per string and list in their
// order (URI, header array, each name and value, the empty params, the
// body), all of them in one crossing into the engine; no timer is started
// per request (the epoch callback enforces the deadline). The method must
// be one of the ABI's seven ([ErrMethodNotAllowed] otherwise) and every
// string valid UTF-8 ([ErrInvalidRequest]); both are checked before the
// guest runs. The response is lifted and every guest allocation it names
// freed with the size and alignment it was made with. Its headers are
// bounded by HTTPRequest.MaxResponseHeaders and MaxResponseHeaderBytes
// (defaults [DefaultMaxResponseHeaders], [DefaultMaxResponseHeaderBytes];
// checked before the host allocates for them); its body by the guest's
// linear memory, where it had to fit (Options.MaxMemory). A malformed or
// oversized response, like a trap, is an error matching [ErrTrap].
//
// # Safety
//
// Every pointer and length from a guest is checked against linear memory
// with 64-bit arithmetic; a bad one, a realloc result outside memory,
// invalid UTF-8 in a key, label or config key, or a panic in a host
// function fails the guest call with an error matching [ErrTrap] that names
// the component and the import. The engine and other instances are never
// affected. Memory is limited per instance by Options.MaxMemory: a
// memory.grow beyond it fails, which most guests turn into a trap.
//
// Errors carry the wasm backtrace but never a native (Rust) one, and a trap
// costs the same whether or not RUST_BACKTRACE is set: the first NewEngine
// of a process turns off Rust's library backtrace capture (by making std's
// once-per-process decision under RUST_LIB_BACKTRACE=0, then restoring the
// environment). Panic messages still follow RUST_BACKTRACE.
//
// # Maintenance
//
// Pooling, InstancePre, unchecked calls, the epoch callback, the WASI
// context (built in one C call, output through wasi_config_set_stdout_custom)
// and the batched allocation HandleHTTP lowers requests with come from
// internal/wasmtimex, a cgo shim over
// wasmtime's C API whose layout tests fail if a wasmtime-go upgrade breaks
// it; revisit it on every upgrade.
package host
