package httptrigger_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing/fstest"

	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/manifest"
)

// ExampleOptions_limits sets the limits Spindle adds to Spin's: a WAGI
// guest writing 2 MiB to stdout past a 1 MiB cap is stopped and its
// request answered 500; the other limits are set the same way.
func ExampleOptions_limits() {
	ctx := context.Background()
	app, err := manifest.LoadFS(fstest.MapFS{
		"spin.toml":  {Data: []byte(v1App("/", "/...", "") + "executor = { type = \"wagi\" }\n")},
		"guest.wasm": {Data: mustWasm(wagiFloodWAT(32))}, // 32 chunks of 64 KiB
	}, "spin.toml", nil)
	if err != nil {
		panic(err)
	}
	h, err := httptrigger.New(ctx, app, sharedEngine, nil, &httptrigger.Options{
		Logger:                    quietLogger(),
		MaxWagiOutputBytes:        1 << 20,  // stdout of one WAGI request
		MaxConcurrentPerComponent: 16,       // requests one component runs at once
		MaxBodyBytesInFlight:      32 << 20, // request bodies buffered at once
	})
	if err != nil {
		panic(err)
	}
	defer h.Close(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code)
	// Output: 500
}
