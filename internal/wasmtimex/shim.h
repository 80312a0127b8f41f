// Declarations of the parts of the wasmtime v39 C API that package wasmtimex
// uses. The real headers ship inside the wasmtime-go module and cannot be put
// on cgo's include path, so the types and prototypes below are copied by hand
// from wasmtime-go v39.0.1 build/include (wasm.h, wasmtime/*.h). Struct
// layouts must match those headers exactly; layout_test.go checks the sizes.
// Revisit this file on every wasmtime-go upgrade.

#ifndef SPINDLE_WASMTIMEX_SHIM_H
#define SPINDLE_WASMTIMEX_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// ---- opaque types ----
typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_caller wasmtime_caller_t;
typedef struct wasmtime_instance_pre wasmtime_instance_pre_t;
typedef struct wasmtime_pooling_allocation_config_t wasmtime_pooling_allocation_config_t;

// ---- vectors (wasm.h WASM_DECLARE_VEC) ----
typedef struct wasm_byte_vec_t {
  size_t size;
  char *data;
} wasm_byte_vec_t;
typedef struct wasm_valtype_vec_t {
  size_t size;
  wasm_valtype_t **data;
} wasm_valtype_vec_t;

// ---- value types: must match wasmtime/extern.h, wasmtime/instance.h, wasmtime/val.h ----
typedef struct wasmtime_func {
  uint64_t store_id;
  void *__private;
} wasmtime_func_t;

typedef struct wasmtime_memory {
  struct {
    uint64_t store_id;
    uint32_t __private1;
  };
  uint32_t __private2;
} wasmtime_memory_t;

typedef struct wasmtime_global {
  uint64_t store_id;
  uint32_t __private1;
  uint32_t __private2;
  uint32_t __private3;
} wasmtime_global_t;

typedef struct wasmtime_table {
  struct {
    uint64_t store_id;
    uint32_t __private1;
  };
  uint32_t __private2;
} wasmtime_table_t;

typedef struct wasmtime_instance {
  uint64_t store_id;
  size_t __private;
} wasmtime_instance_t;

typedef uint8_t wasmtime_extern_kind_t;
#define WASMTIME_EXTERN_FUNC 0
#define WASMTIME_EXTERN_MEMORY 3

typedef union wasmtime_extern_union {
  wasmtime_func_t func;
  wasmtime_global_t global;
  wasmtime_table_t table;
  wasmtime_memory_t memory;
  void *sharedmemory;
} wasmtime_extern_union_t;

typedef struct wasmtime_extern {
  wasmtime_extern_kind_t kind;
  wasmtime_extern_union_t of;
} wasmtime_extern_t;

// wasmtime_val_raw_t is a 16-byte, 8-byte-aligned union (val.h asserts this);
// every member is stored little-endian starting at byte 0.
typedef union wasmtime_val_raw {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  uint8_t v128[16];
  uint32_t anyref;
  uint32_t externref;
  void *funcref;
} wasmtime_val_raw_t;

typedef uint8_t wasmtime_trap_code_t;
typedef uint8_t wasmtime_update_deadline_kind_t;
#define WASMTIME_UPDATE_DEADLINE_CONTINUE 0

typedef wasm_trap_t *(*wasmtime_func_unchecked_callback_t)(
    void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *args_and_results,
    size_t num_args_and_results);

// ---- prototypes (wasm.h) ----
extern void wasm_byte_vec_delete(wasm_byte_vec_t *);
extern void wasm_trap_message(const wasm_trap_t *, wasm_byte_vec_t *out);
extern void wasm_trap_delete(wasm_trap_t *);
extern wasm_valtype_t *wasm_valtype_new(uint8_t kind);
extern uint8_t wasm_valtype_kind(const wasm_valtype_t *);
extern void wasm_valtype_vec_new(wasm_valtype_vec_t *out, size_t, wasm_valtype_t *const[]);
extern wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results);
extern const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *);
extern const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *);
extern void wasm_functype_delete(wasm_functype_t *);

// ---- prototypes (wasmtime/*.h) ----
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasmtime_error_message(const wasmtime_error_t *, wasm_byte_vec_t *message);
extern bool wasmtime_error_exit_status(const wasmtime_error_t *, int *status);
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern wasm_trap_t *wasmtime_trap_new(const char *msg, size_t msg_len);
extern bool wasmtime_trap_code(const wasm_trap_t *, wasmtime_trap_code_t *code);

extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *);
extern void wasmtime_store_epoch_deadline_callback(
    wasmtime_store_t *store,
    wasmtime_error_t *(*func)(wasmtime_context_t *context, void *data,
                              uint64_t *epoch_deadline_delta,
                              wasmtime_update_deadline_kind_t *update_kind),
    void *data, void (*finalizer)(void *));
extern wasmtime_context_t *wasmtime_caller_context(wasmtime_caller_t *);
extern bool wasmtime_caller_export_get(wasmtime_caller_t *, const char *name,
                                       size_t name_len, wasmtime_extern_t *item);

extern wasmtime_error_t *wasmtime_linker_instantiate_pre(
    const wasmtime_linker_t *, const wasmtime_module_t *, wasmtime_instance_pre_t **);
extern wasmtime_error_t *wasmtime_linker_define_func_unchecked(
    wasmtime_linker_t *linker, const char *module, size_t module_len,
    const char *name, size_t name_len, const wasm_functype_t *ty,
    wasmtime_func_unchecked_callback_t cb, void *data, void (*finalizer)(void *));
extern void wasmtime_instance_pre_delete(wasmtime_instance_pre_t *);
extern wasmtime_error_t *wasmtime_instance_pre_instantiate(
    const wasmtime_instance_pre_t *, wasmtime_context_t *store,
    wasmtime_instance_t *instance, wasm_trap_t **trap_ptr);
extern bool wasmtime_instance_export_get(wasmtime_context_t *,
                                         const wasmtime_instance_t *,
                                         const char *name, size_t name_len,
                                         wasmtime_extern_t *item);
extern wasm_functype_t *wasmtime_func_type(const wasmtime_context_t *, const wasmtime_func_t *);
extern wasmtime_error_t *wasmtime_func_call_unchecked(
    wasmtime_context_t *, const wasmtime_func_t *, wasmtime_val_raw_t *args_and_results,
    size_t args_and_results_len, wasm_trap_t **trap);
extern uint8_t *wasmtime_memory_data(const wasmtime_context_t *, const wasmtime_memory_t *);
extern size_t wasmtime_memory_data_size(const wasmtime_context_t *, const wasmtime_memory_t *);

extern wasmtime_pooling_allocation_config_t *wasmtime_pooling_allocation_config_new(void);
extern void wasmtime_pooling_allocation_config_delete(wasmtime_pooling_allocation_config_t *);
extern void wasmtime_pooling_allocation_strategy_set(wasm_config_t *, const wasmtime_pooling_allocation_config_t *);
extern void wasmtime_pooling_allocation_config_max_unused_warm_slots_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_table_keep_resident_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_total_memories_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_tables_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_core_instances_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_max_memory_size_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_max_core_instance_size_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_table_elements_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_config_memory_reservation_set(wasm_config_t *, uint64_t);
extern void wasmtime_pooling_allocation_config_total_stacks_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_gc_heaps_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_component_instances_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_config_memory_guard_size_set(wasm_config_t *, uint64_t);
extern void wasmtime_context_set_epoch_deadline(wasmtime_context_t *, uint64_t ticks_beyond_current);

// ---- prototypes (wasi.h) ----
typedef struct wasi_config_t wasi_config_t;
extern wasi_config_t *wasi_config_new(void);
extern void wasi_config_delete(wasi_config_t *);
extern bool wasi_config_set_argv(wasi_config_t *, size_t argc, const char *argv[]);
extern bool wasi_config_set_env(wasi_config_t *, size_t envc, const char *names[], const char *values[]);
extern void wasm_byte_vec_new(wasm_byte_vec_t *out, size_t, const char *);
extern void wasi_config_set_stdin_bytes(wasi_config_t *, wasm_byte_vec_t *binary);
extern void wasi_config_set_stdout_custom(wasi_config_t *, ptrdiff_t (*)(void *, const unsigned char *, size_t), void *, void (*)(void *));
extern void wasi_config_set_stderr_custom(wasi_config_t *, ptrdiff_t (*)(void *, const unsigned char *, size_t), void *, void (*)(void *));
extern bool wasi_config_preopen_dir(wasi_config_t *, const char *host_path, const char *guest_path, size_t dir_perms, size_t file_perms);
extern wasmtime_error_t *wasmtime_context_set_wasi(wasmtime_context_t *, wasi_config_t *);

// ---- helpers defined in shim.c ----

// Pooling mirrors wasmtimex.Pooling; a zero field keeps wasmtime's default.
typedef struct spx_pooling {
  uint32_t total_core_instances;
  uint32_t total_memories;
  uint32_t total_tables;
  uint32_t max_unused_warm_slots;
  uint64_t max_memory_size;
  uint64_t linear_memory_keep_resident;
  uint64_t table_keep_resident;
  uint64_t max_core_instance_size;
  uint64_t table_elements;
  uint32_t total_stacks;
  uint32_t total_gc_heaps;
  uint32_t total_component_instances;
  uint64_t memory_reservation;
  uint64_t memory_guard_size;
  bool set_guard;
} spx_pooling;
void spx_enable_pooling(wasm_config_t *cfg, spx_pooling p);

// Outcome of a call into wasm. At most one of err/trap is set; the caller owns
// and must free it. host_err is a cgo.Handle (0 if none) of the Go error that
// a host function or epoch callback returned, which caused the failure.
// stale is a leftover handle from a failure nobody collected (0 if none).
typedef struct spx_result {
  wasmtime_error_t *err;
  wasm_trap_t *trap;
  uintptr_t host_err;
  uintptr_t stale;
  wasmtime_instance_t inst;  // set by spx_instantiate on success
} spx_result;

// store is the cgo.Handle of the entered store's Go state; host functions
// called during the call receive it.
spx_result spx_instantiate(const wasmtime_instance_pre_t *pre, wasmtime_context_t *cx,
                           uintptr_t store);
spx_result spx_call(wasmtime_context_t *cx, wasmtime_func_t f,
                    wasmtime_val_raw_t *vals, size_t n, uintptr_t store);

typedef struct spx_mem {
  uint8_t *data;
  size_t size;
} spx_mem;

// spx_call that also names m, the memory of f's instance: host functions
// called meanwhile receive its contents, and so does the caller after the
// call.
typedef struct spx_mem_result {
  spx_result r;
  spx_mem mem;
} spx_mem_result;
spx_mem_result spx_call_mem(wasmtime_context_t *cx, wasmtime_func_t f,
                            wasmtime_val_raw_t *vals, size_t n, uintptr_t store,
                            wasmtime_memory_t m);

// Export lookup. kind_out is set to the extern kind, or 255 if absent.
typedef struct spx_export {
  uint8_t kind;
  wasmtime_extern_union_t of;
} spx_export;
spx_export spx_instance_export(wasmtime_context_t *cx, wasmtime_instance_t inst,
                               const char *name, size_t name_len);
spx_export spx_caller_export(wasmtime_caller_t *caller, const char *name, size_t name_len);

// spx_instantiate, then on success the lookup of n exports: names holds
// their bytes back to back, lens their lengths; out[i] gets export i.
spx_result spx_instantiate_exports(const wasmtime_instance_pre_t *pre, wasmtime_context_t *cx,
                                   uintptr_t store, const char *names, const size_t *lens,
                                   size_t n, spx_export *out);

// Function type: counts and kinds (up to 255 each); returns false if any
// param/result is not i32/i64/f32/f64.
typedef struct spx_functype_info {
  uint32_t nparams;
  uint32_t nresults;
  bool numeric;
  bool all_i32;
} spx_functype_info;
spx_functype_info spx_func_info(wasmtime_context_t *cx, wasmtime_func_t f);


spx_mem spx_memory_data(wasmtime_context_t *cx, wasmtime_memory_t m);

wasmtime_error_t *spx_define_func_unchecked(wasmtime_linker_t *l,
    const char *module, size_t module_len, const char *name, size_t name_len,
    const uint8_t *params, size_t nparams, const uint8_t *results, size_t nresults,
    uintptr_t handle);

// The epoch callback and the WASI output streams of a store reach its Go
// state through the store's own handle, which Go deletes after the store:
// no finalizer, no handle of their own.
void spx_set_epoch_callback(wasmtime_store_t *store, uintptr_t handle);

// Store set-up done in one call (see wasmtimex.StoreConfig). strs holds
// NUL-terminated strings: nargs arguments, then nenv name/value pairs, then
// npreopens host/guest directory pairs.
typedef struct spx_store_config {
  uint64_t epoch_deadline;  // 0: leave as is
  uintptr_t handle;         // the store's Go state
  bool epoch_callback;
  bool wasi;
  bool stdout_custom, stderr_custom;
  size_t nargs, nenv, npreopens;
  size_t stdin_len;
} spx_store_config;
// Outcome of spx_store_setup: a code, the index of the failing directory
// (SPX_SETUP_PREOPEN), and wasmtime's error (SPX_SETUP_WASMTIME; the
// caller frees it).
#define SPX_SETUP_OK 0
#define SPX_SETUP_NOMEM 1
#define SPX_SETUP_ARGS 2
#define SPX_SETUP_ENV 3
#define SPX_SETUP_PREOPEN 4
#define SPX_SETUP_WASMTIME 5
typedef struct spx_setup_result {
  int code;
  int64_t index;
  wasmtime_error_t *err;
} spx_setup_result;
spx_setup_result spx_store_setup(wasmtime_store_t *store, spx_store_config c,
                                 const char *strs, const char *stdin_data);

// One allocation of spx_realloc_many; layout mirrors wasmtimex.Alloc.
typedef struct spx_alloc {
  uint32_t align;
  uint32_t size;
  uint32_t ptr;   // out
  uint8_t copy;   // contents are the next size bytes of data
} spx_alloc;

// Result of spx_realloc_many: done allocations completed; if r has no
// error and done < n, allocation `done` returned a range outside memory
// (its ptr is set). mem/mem_size: the memory after the last realloc.
typedef struct spx_many_result {
  spx_result r;
  size_t done;
  uint8_t *mem;
  size_t mem_size;
} spx_many_result;
spx_many_result spx_realloc_many(wasmtime_context_t *cx, wasmtime_func_t f, wasmtime_memory_t m,
                                 spx_alloc *a, size_t n, const uint8_t *data, uintptr_t store);

#endif
