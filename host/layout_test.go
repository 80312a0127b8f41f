package host

import (
	"reflect"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

const reflectPointer = reflect.Pointer

func reflectTypeOfWasiConfig() reflect.Type { return reflect.TypeFor[wasmtime.WasiConfig]() }
