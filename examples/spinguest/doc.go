// Package spinguest is a guest-side SDK for writing Spin 1.x HTTP
// components in standard Go (GOOS=wasip1 GOARCH=wasm, Go 1.24 or later),
// built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o main.wasm .
//
// It speaks the Spin 1.x core-module ABI (v1.5.1:wit/ephemeral/*.wit): the module it produces
// has the exports and imports of a TinyGo- or Rust-built Spin module (see
// "Hosts must call _initialize" for the one difference). Its API follows the TinyGo SDK's spin_http and
// key_value packages with Go-style names:
//
//	func init() {
//		spinguest.Handle(func(w http.ResponseWriter, r *http.Request) {
//			store, err := spinguest.Open("default")
//			if err != nil {
//				http.Error(w, err.Error(), http.StatusInternalServerError)
//				return
//			}
//			defer store.Close()
//			...
//		})
//	}
//
//	func main() {}
//
// Register the handler from an init function: the host calls the
// reactor's _initialize export, which starts the Go runtime and runs package
// initialisers, but never main.
//
// # Hosts must call _initialize
//
// A Go reactor traps if any export (canonical_abi_realloc,
// handle-http-request) is called before _initialize: the Go runtime prints
// "runtime: wasmexport function called before runtime initialization" and
// executes unreachable. Spindle's host calls _initialize on every fresh
// instance, as the WASI reactor convention asks. Spin 1.x's executor is
// described (v1.5.1:sdk/rust/src/lib.rs) as instantiating the module and calling
// handle-http-request directly; a host that does so without calling
// _initialize cannot run these modules, whereas TinyGo and Rust modules
// need no initialisation call. Within that limit the module is
// interchangeable with a TinyGo- or Rust-built one: same exports, same
// imports, same bytes.
//
// # What the package exports to the host
//
// Importing the package makes the module export handle-http-request,
// canonical_abi_realloc and canonical_abi_free, and import the key-value
// module's open, get, set, delete, exists, get-keys and close.
//
// Requests: the method, headers and body arrive as in Spin's Go SDK v1.3+:
// the URL is built from the spin-full-url header (from the Host header and
// the uri when that header is missing), RequestURI is the uri (path and
// query), RemoteAddr is spin-client-addr, and every header tuple is added to
// Request.Header in order. Responses: status defaults to 200; each header
// name is sent once with its first value (Spin keeps one value per name);
// headers are none when the handler set none, and the body is none when it
// wrote nothing. A Content-Length set by the handler is dropped (the host
// computes it). A handler that panics answers 500 and the panic is printed
// to stderr.
//
// # Memory
//
// Go's garbage collector does not move memory, but frees what nothing
// references. Every block canonical_abi_realloc hands to the host is pinned
// in a table keyed by its address until the host frees it with
// canonical_abi_free, or until the guest takes it over (request data and
// key-value results become ordinary Go slices). Addresses coming from the
// host are looked up in that table and never converted to pointers, so a
// wrong address is an error (a 500 response), not a wild read. The response
// return area is a package-level buffer. Alignments above 8 are not
// supported (the ABI uses 1, 4 and 8).
//
// # Other builds
//
// The package compiles on every platform so that go vet and go test work
// on a whole repository; outside GOOS=wasip1, Handle does nothing and Open
// returns an error matching ErrNotGuest. Test handler functions with
// net/http/httptest, or run the built module through Spindle's httptrigger
// against an in-memory store.
package spinguest
