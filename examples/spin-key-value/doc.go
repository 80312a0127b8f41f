// Command spin-key-value is the key-value tutorial's Spin component
// ("Persistent Data: Spin"), written in standard Go with the spinguest SDK
// instead of TinyGo. Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o main.wasm .
//
// and serve it with spin up, or from the repository root with
//
//	go run ./examples/spin-up --build -f examples/spin-key-value
//
// The request path is the key in the "default" store: POST stores the body,
// GET returns the value (404 when missing, as in the tutorial's Rust
// version; the TinyGo version answers 500), DELETE removes it (200 even when
// missing), HEAD answers 200 or 404, and any other method gets 405 "method
// not allowed". Built for any other platform the command only prints how to
// build it.
package main
