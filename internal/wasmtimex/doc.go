// Package wasmtimex is a small cgo shim to the parts of the wasmtime C API
// that wasmtime-go v39 does not wrap but that a fresh-instance-per-request
// host needs to be fast:
//
//   - EnablePooling: the pooling instance allocator (with linear memory kept
//     resident between uses), so instantiation reuses pre-mapped slots;
//   - InstancePre: imports resolved once per module, instantiated many times
//     (wasmtime_linker_instantiate_pre), export types cached per module —
//     with pooling about 4× cheaper than wasmtime.Linker.Instantiate;
//   - Func.Call: wasmtime_func_call_unchecked with raw values — about 40×
//     cheaper than wasmtime.Func.Call (no reflection, no allocation, no
//     global lock);
//   - Memory.Data: a direct view of linear memory;
//   - DefineFuncUnchecked: host functions called through
//     wasmtime_linker_define_func_unchecked and one cgo callback, with the
//     caller's exports (realloc, memory) reachable through Caller;
//   - SetEpochDeadlineCallback: a Go function consulted at every epoch
//     deadline, which can extend the deadline or stop the guest with a Go
//     error (for example ctx.Err()).
//
// And, because what a request costs is mostly the number of crossings
// between Go and C, each phase of a request in one call:
//
//   - NewStoreConfig: a store with its WASI context (argv, environment,
//     stdin, preopens, output writers), epoch deadline and callback, all
//     reached through the store's own handle (no handle or finalizer of
//     their own);
//   - InstancePre.InstantiateExports: instantiation together with the
//     lookup of a fixed ExportList;
//   - ReallocMany: many realloc calls with their copies and bounds checks;
//   - Func.CallWithMemory and Caller.MemoryView: a call that hands the
//     instance's memory to the host functions it reaches and back to the
//     caller.
//
// Everything else (engines, configs, modules, linkers, WASI) stays with
// wasmtime-go; this package takes its objects and reaches their C pointers.
// Only (*wasmtime.Store).Context is exported for that; the other pointers
// are read from the unexported first field of wasmtime-go's wrapper structs
// with unsafe (layout.go). The C declarations in shim.h are copied by hand
// from the v39 headers because cgo cannot put the module cache on the
// include path. Both are checked: at start-up the package verifies the
// wrapper layouts and returns ErrLayout from every entry point if they
// changed, and the tests compare shim.h's structs with the ones wasmtime-go
// compiled from the real headers. This package must be revisited on every
// wasmtime-go upgrade.
//
// The benchmarks in bench_test.go measure each of these beside its
// wasmtime-go equivalent in the same run. BenchmarkKeepResident shows the
// cost of Pooling.LinearMemoryKeepResident: freed memory up to that size is
// zeroed with memset when an instance is dropped, so a large value makes
// every instance of a guest with a large memory pay for it.
//
// # Errors across the guest
//
// A Go error returned by a host function or an epoch callback travels to the
// Func.Call (or InstancePre.Instantiate) that entered the guest: the guest
// traps with the error's text, and the Go error itself (matchable with
// errors.Is/As) is handed back through a per-OS-thread slot in the C shim,
// which is correct because wasm execution, host callbacks and trap unwinding
// all happen on the calling thread. Panics in host functions and epoch
// callbacks are recovered and become such errors. Guest traps are returned as
// *TrapError (with a TrapCode where wasmtime has one), WASI proc_exit as
// *ExitError.
//
// # Safety
//
// Instance, Func and Memory are plain values naming an object in one store;
// using them with another store returns ErrWrongStore instead of tripping
// wasmtime's process-aborting assertion, and using a closed Store returns
// ErrClosed. Func only admits functions whose parameters and results are
// i32, i64, f32 or f64, and Call checks the value slice's length, so raw
// values can never be misread as references. Memory.Data's slice aliases
// guest memory and is invalidated by any call into the guest.
//
// Stores are created with NewStore or NewStoreConfig. A host function finds its store's data
// (Caller.Data) through a second per-OS-thread slot that Func.Call and
// InstancePre.Instantiate set for the duration of the call (saved and
// restored, so nested calls work), which costs no global lookup. So guests
// must be entered through this package: a host function reached through
// wasmtime-go's Func.Call or Linker.Instantiate sees no data (Caller.Data is
// nil, Caller-based calls return ErrWrongStore), and its error comes back as
// wasmtime-go's trap text only. Host functions defined with wasmtime-go's
// FuncNew/FuncWrap still work in these stores (wasmtime-go's Caller.Data
// returns the same data), but a panic in one of them is not propagated by
// Func.Call the way wasmtime-go's own Call propagates it.
//
// A Store must not be closed while it runs guest code (Close returns
// ErrStoreBusy then), and an InstancePre must not be closed from inside a
// host function running in one of its instantiations.
package wasmtimex
