package wasmtimex_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// The fast path a host takes per request: a pooling engine and an
// InstancePre built once, then a fresh store and instance per request, raw
// calls both ways, and a host function that reads guest memory.
func Example() {
	cfg := wasmtime.NewConfig()
	if err := wasmtimex.EnablePooling(cfg, wasmtimex.Pooling{
		TotalCoreInstances:       10,
		TotalMemories:            10,
		TotalTables:              10,
		MaxMemorySize:            1 << 20,
		LinearMemoryKeepResident: 64 << 10,
	}); err != nil {
		panic(err)
	}
	engine := wasmtime.NewEngineWithConfig(cfg)
	defer engine.Close()

	wasm, err := wasmtime.Wat2Wasm(`(module
	  (import "env" "log" (func $log (param i32 i32)))
	  (memory (export "memory") 1)
	  (data (i32.const 8) "hi from the guest")
	  (func (export "run") (param i32) (result i32)
	    (call $log (i32.const 8) (i32.const 17))
	    (i32.mul (local.get 0) (i32.const 2))))`)
	if err != nil {
		panic(err)
	}
	module, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		panic(err)
	}
	linker := wasmtime.NewLinker(engine)
	i32 := wasmtime.KindI32
	err = wasmtimex.DefineFuncUnchecked(linker, "env", "log", []wasmtime.ValKind{i32, i32}, nil,
		func(c *wasmtimex.Caller, v []wasmtimex.Val) error {
			mem, err := c.Memory("memory")
			if err != nil {
				return err
			}
			data, err := mem.Data(c)
			if err != nil {
				return err
			}
			ptr, n := uint64(v[0].U32()), uint64(v[1].U32())
			if ptr+n > uint64(len(data)) {
				return errors.New("log: out of bounds")
			}
			prefix := c.Data().(string)
			fmt.Println(prefix + string(data[ptr:ptr+n]))
			return nil
		})
	if err != nil {
		panic(err)
	}
	pre, err := wasmtimex.NewInstancePre(linker, module)
	if err != nil {
		panic(err)
	}
	defer pre.Close()
	linker.Close() // the InstancePre keeps what it needs
	module.Close()

	for req := range 2 {
		store, err := wasmtimex.NewStore(engine, fmt.Sprintf("request %d: ", req))
		if err != nil {
			panic(err)
		}
		inst, err := pre.Instantiate(store)
		if err != nil {
			panic(err)
		}
		run, err := inst.Func(store, "run")
		if err != nil {
			panic(err)
		}
		vals := []wasmtimex.Val{wasmtimex.ValI32(int32(20 + req))}
		if err := run.Call(store, vals); err != nil {
			panic(err)
		}
		fmt.Println("result:", vals[0].I32())
		store.Close() // returns the instance's slot to the pool
	}
	// Output:
	// request 0: hi from the guest
	// result: 40
	// request 1: hi from the guest
	// result: 42
}

// An epoch callback turns a runaway guest into an ordinary Go error.
func ExampleSetEpochDeadlineCallback() {
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(true)
	engine := wasmtime.NewEngineWithConfig(cfg)
	defer engine.Close()
	module, err := wasmtime.NewModule(engine, must(wasmtime.Wat2Wasm(`(module (func (export "spin") (loop $l (br $l))))`)))
	if err != nil {
		panic(err)
	}
	pre, err := wasmtimex.NewInstancePre(wasmtime.NewLinker(engine), module)
	if err != nil {
		panic(err)
	}
	defer pre.Close()
	store, err := wasmtimex.NewStore(engine, nil)
	if err != nil {
		panic(err)
	}
	defer store.Close()

	errBudget := errors.New("out of time budget")
	ticks := 0
	err = wasmtimex.SetEpochDeadlineCallback(store, func() (uint64, error) {
		ticks++
		if ticks == 5 {
			return 0, errBudget
		}
		// Continue; a delta of 0 re-checks at the next epoch check. A real
		// host returns 1 and ticks the engine from a timer goroutine.
		return 0, nil
	})
	if err != nil {
		panic(err)
	}
	store.Wasmtime().SetEpochDeadline(1)
	engine.IncrementEpoch()
	inst, err := pre.Instantiate(store)
	if err != nil {
		panic(err)
	}
	spin, err := inst.Func(store, "spin")
	if err != nil {
		panic(err)
	}
	err = spin.Call(store, nil)
	fmt.Println(errors.Is(err, errBudget), ticks, strings.Contains(err.Error(), "out of time budget"))
	// Output: true 5 true
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
