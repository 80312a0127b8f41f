package manifest_test

import (
	"errors"
	"fmt"
	"testing/fstest"

	"github.com/spindlekv/spindle/manifest"
)

func ExampleParse() {
	const spinToml = `
spin_manifest_version = "1"
name = "spin-key-value"
version = "0.1.0"
trigger = { type = "http", base = "/test" }

[[component]]
id = "spin_key_value"
source = "main.wasm"
key_value_stores = ["default"]
[component.trigger]
route = "/..."
`
	app, err := manifest.Parse([]byte(spinToml), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(app.Name, "base", app.HTTPBase)
	for _, h := range app.HTTPTriggers {
		c, _ := app.Component(h.Component)
		fmt.Printf("%s -> %s (%s executor, stores %v)\n", h.Route, c.ID, h.Executor.Type, c.KeyValueStores)
	}
	// Output:
	// spin-key-value base /test
	// /... -> spin-key-value (spin executor, stores [default])
}

// A version 1 manifest is read as today's Spin reads it unless
// Options.V1Rules asks for Spin 1.5.1's checks: here, the HTTP trigger's
// base is optional (it defaults to "/") except under Spin1.
func ExampleOptions_v1Rules() {
	const spinToml = `spin_version = "1"
name = "legacy"
version = "1.0.0"
trigger = { type = "http" }

[[component]]
id = "go"
source = "legacy-go.wasm"
[component.trigger]
route = "/golang/..."
`
	app, err := manifest.Parse([]byte(spinToml), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("default rules: base", app.HTTPBase)
	_, err = manifest.Parse([]byte(spinToml), &manifest.Options{V1Rules: manifest.Spin1})
	fmt.Println("Spin1 rules:", err)
	// Output:
	// default rules: base /
	// Spin1 rules: spin.toml:4:11: missing field "base" in trigger
}

func ExampleParse_errors() {
	const spinToml = `spin_manifest_version = 2
[application]
name = "typo"

[[trigger.http]]
route = "/"
component = "hello"

[component.hello]
source = "hello.wasm"
key_value_store = ["default"]
`
	_, err := manifest.Parse([]byte(spinToml), nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, manifest.ErrUnknownField))
	var e *manifest.Error
	if errors.As(err, &e) {
		fmt.Println(e.Line, e.Column, e.Field)
	}
	// Output:
	// spin.toml:11:1: unknown field "key_value_store" in [component.hello]
	// true
	// 11 1 component.hello.key_value_store
}

func ExampleLoadFS() {
	fsys := fstest.MapFS{
		"app/spin.toml": {Data: []byte(`spin_manifest_version = 2
[application]
name = "embedded"
[[trigger.http]]
route = "/hello"
component = "hello"
[component.hello]
source = "hello.wasm"
`)},
		"app/hello.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00")},
	}
	app, err := manifest.LoadFS(fsys, "app/spin.toml", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	wasm, err := app.ReadSource(&app.Components[0])
	fmt.Println(len(wasm), err)
	// Output:
	// 8 <nil>
}

func ExampleApp_ResolveVariables() {
	app, err := manifest.Parse([]byte(`spin_manifest_version = 2
[application]
name = "vars"
[variables]
greeting = { default = "Hello" }
api_token = { required = true, secret = true }
[[trigger.http]]
route = "/"
component = "hello"
[component.hello]
source = "hello.wasm"
variables = { message = "{{ greeting }}, world", token = "{{ api_token }}" }
`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	provider := map[string]string{"api_token": "s3cret"} // e.g. from SPIN_VARIABLE_API_TOKEN
	vars, err := app.ResolveVariables("hello", func(name string) (string, bool) {
		v, ok := provider[name]
		return v, ok
	})
	fmt.Println(vars["message"], vars["token"], err)

	_, err = app.ResolveVariables("hello", nil)
	fmt.Println(errors.Is(err, manifest.ErrUnresolvedVariable))
	// Output:
	// Hello, world s3cret <nil>
	// true
}
