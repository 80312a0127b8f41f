package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Pooling configures wasmtime's pooling instance allocator. A zero field
// keeps wasmtime's default for it (shown in brackets).
type Pooling struct {
	// TotalCoreInstances is the number of instances that may exist at once
	// across all stores of the engine [1000].
	TotalCoreInstances uint32
	// TotalMemories is the number of linear memories that may exist at
	// once [1000].
	TotalMemories uint32
	// TotalTables is the number of tables that may exist at once [1000].
	TotalTables uint32
	// MaxUnusedWarmSlots is how many freed slots are kept warm [100].
	MaxUnusedWarmSlots uint32
	// MaxMemorySize is the largest size in bytes any linear memory may grow
	// to; memory.grow beyond it fails [4 GiB on 64-bit hosts].
	MaxMemorySize uint64
	// LinearMemoryKeepResident is how many bytes of each freed linear memory
	// stay mapped (zeroed with memset instead of unmapped) for reuse [0].
	// Keeping some resident is what lets instantiation scale across cores.
	LinearMemoryKeepResident uint64
	// TableKeepResident is the same for tables [0].
	TableKeepResident uint64
	// MaxCoreInstanceSize is the largest VMContext size in bytes [1 MiB].
	MaxCoreInstanceSize uint64
	// TableElements is the largest table size in elements [20000].
	TableElements uint64
	// TotalStacks is the number of async execution stacks in the pool
	// [1000]; each is a mapping plus a guard page.
	TotalStacks uint32
	// TotalGCHeaps is the number of GC heaps in the pool [1000].
	TotalGCHeaps uint32
	// TotalComponentInstances is the number of component instances in the
	// pool [1000].
	TotalComponentInstances uint32
	// MemoryReservation, if non-zero, sets the engine's virtual memory
	// reservation per linear memory (Config.memory_reservation); each
	// pool slot reserves this much address space [4 GiB on 64-bit hosts].
	MemoryReservation uint64
	// MemoryGuardSize is the size in bytes of the guard region after each
	// linear memory, used only when SetMemoryGuardSize is true (so that 0
	// can be chosen) [32 MiB on 64-bit hosts].
	MemoryGuardSize uint64
	// SetMemoryGuardSize makes MemoryGuardSize take effect.
	SetMemoryGuardSize bool
}

// EnablePooling switches cfg to the pooling instance allocator with limits
// p. Call it before wasmtime.NewEngineWithConfig(cfg). An engine whose pool
// is exhausted fails instantiation with an error (never blocks).
func EnablePooling(cfg *wasmtime.Config, p Pooling) error {
	if layoutErr != nil {
		return layoutErr
	}
	if cfg == nil {
		return fmt.Errorf("wasmtimex: enable pooling: nil config")
	}
	ptr := configPtr(cfg)
	if ptr == nil {
		return fmt.Errorf("wasmtimex: enable pooling: %w", ErrClosed)
	}
	C.spx_enable_pooling(ptr, C.spx_pooling{
		total_core_instances:        C.uint32_t(p.TotalCoreInstances),
		total_memories:              C.uint32_t(p.TotalMemories),
		total_tables:                C.uint32_t(p.TotalTables),
		max_unused_warm_slots:       C.uint32_t(p.MaxUnusedWarmSlots),
		max_memory_size:             C.uint64_t(p.MaxMemorySize),
		linear_memory_keep_resident: C.uint64_t(p.LinearMemoryKeepResident),
		table_keep_resident:         C.uint64_t(p.TableKeepResident),
		max_core_instance_size:      C.uint64_t(p.MaxCoreInstanceSize),
		table_elements:              C.uint64_t(p.TableElements),
		total_stacks:                C.uint32_t(p.TotalStacks),
		total_gc_heaps:              C.uint32_t(p.TotalGCHeaps),
		total_component_instances:   C.uint32_t(p.TotalComponentInstances),
		memory_reservation:          C.uint64_t(p.MemoryReservation),
		memory_guard_size:           C.uint64_t(p.MemoryGuardSize),
		set_guard:                   C.bool(p.SetMemoryGuardSize),
	})
	runtime.KeepAlive(cfg)
	return nil
}
