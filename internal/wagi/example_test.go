package wagi_test

import (
	"fmt"

	"github.com/spindlekv/spindle/internal/wagi"
)

func ExampleParseOutput() {
	resp, err := wagi.ParseOutput([]byte("Content-Type: text/plain\r\nStatus: 201 Created\r\n\r\nmade it"))
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"), string(resp.Body))
	fmt.Println(wagi.Argv(wagi.DefaultArgv, "/cgi/run", "a=1&b=2"))
	// Output:
	// 201 text/plain made it
	// [/cgi/run a=1 b=2]
}
