// C half of package wasmtimex: thin wrappers that return results by value
// (so Go passes no pointers to its own stack), the trampolines that call the
// Go callbacks, and the per-thread slot that carries a host function's Go
// error across wasmtime's unwinding back to the spx_call that started it.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "_cgo_export.h"
#include "shim.h"

// spx_pending holds the cgo.Handle of the Go error that made the innermost
// failing host function (or epoch callback) on this OS thread trap. Wasm
// execution, host callbacks and the unwinding between them all run on the
// calling thread, so the next spx_call/spx_instantiate to return on this
// thread is the one the failure unwinds to.
static __thread uintptr_t spx_pending;

// spx_current is the cgo.Handle of the Go state of the store that the
// innermost spx_call/spx_instantiate on this OS thread entered (0 if none).
// Host functions run inside that call, on this thread, in that store, so
// the trampoline hands it to them: this is how a Caller finds its store
// without a global lookup. Saved and restored around each call for nesting.
static __thread uintptr_t spx_current;

// spx_mem_cur is the memory that the innermost spx_call_mem on this thread
// named (spx_has_mem false if none, or if the innermost call is a plain
// spx_call): host functions receive its current contents, so they need no
// call of their own to find them. Saved and restored around each call.
static __thread bool spx_has_mem;
static __thread wasmtime_memory_t spx_mem_cur;

static void spx_set_pending(uintptr_t h) {
  if (spx_pending != 0) {
    spxDeleteHandle(spx_pending);
  }
  spx_pending = h;
}

void spx_enable_pooling(wasm_config_t *cfg, spx_pooling p) {
  wasmtime_pooling_allocation_config_t *pc = wasmtime_pooling_allocation_config_new();
  if (p.total_core_instances) wasmtime_pooling_allocation_config_total_core_instances_set(pc, p.total_core_instances);
  if (p.total_memories) wasmtime_pooling_allocation_config_total_memories_set(pc, p.total_memories);
  if (p.total_tables) wasmtime_pooling_allocation_config_total_tables_set(pc, p.total_tables);
  if (p.max_unused_warm_slots) wasmtime_pooling_allocation_config_max_unused_warm_slots_set(pc, p.max_unused_warm_slots);
  if (p.max_memory_size) wasmtime_pooling_allocation_config_max_memory_size_set(pc, (size_t)p.max_memory_size);
  if (p.linear_memory_keep_resident) wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pc, (size_t)p.linear_memory_keep_resident);
  if (p.table_keep_resident) wasmtime_pooling_allocation_config_table_keep_resident_set(pc, (size_t)p.table_keep_resident);
  if (p.max_core_instance_size) wasmtime_pooling_allocation_config_max_core_instance_size_set(pc, (size_t)p.max_core_instance_size);
  if (p.total_stacks) wasmtime_pooling_allocation_config_total_stacks_set(pc, p.total_stacks);
  if (p.total_gc_heaps) wasmtime_pooling_allocation_config_total_gc_heaps_set(pc, p.total_gc_heaps);
  if (p.total_component_instances) wasmtime_pooling_allocation_config_total_component_instances_set(pc, p.total_component_instances);
  if (p.table_elements) wasmtime_pooling_allocation_config_table_elements_set(pc, (size_t)p.table_elements);
  wasmtime_pooling_allocation_strategy_set(cfg, pc);
  wasmtime_pooling_allocation_config_delete(pc);
  if (p.memory_reservation) wasmtime_config_memory_reservation_set(cfg, p.memory_reservation);
  if (p.set_guard) wasmtime_config_memory_guard_size_set(cfg, p.memory_guard_size);
}

static spx_result spx_finish(wasmtime_error_t *err, wasm_trap_t *trap, uintptr_t stale) {
  spx_result r = {0};
  r.err = err;
  r.trap = trap;
  r.stale = stale;
  uintptr_t pending = spx_pending;
  spx_pending = 0;
  if (err != NULL || trap != NULL) {
    r.host_err = pending;
  } else if (pending != 0) {
    // The guest returned normally although a host function failed below
    // it: something in between (a host function entered without wasmtimex)
    // swallowed that failure. It is not this call's error; drop it.
    if (r.stale == 0) {
      r.stale = pending;
    } else {
      spxDeleteHandle(pending);
    }
  }
  return r;
}

static uintptr_t spx_take_stale(void) {
  uintptr_t s = spx_pending;
  spx_pending = 0;
  return s;
}

// spx_entry saves what a call into wasm changes in this thread's state.
typedef struct spx_entry {
  uintptr_t stale;  // a leftover pending handle, taken on entry
  uintptr_t current;
  bool has_mem;
  wasmtime_memory_t mem;
} spx_entry;

// spx_enter records that guest code of the store with handle store runs on
// this thread from now on, with memory *m for host functions (NULL: none).
static spx_entry spx_enter(uintptr_t store, const wasmtime_memory_t *m) {
  spx_entry e = {spx_take_stale(), spx_current, spx_has_mem, spx_mem_cur};
  spx_current = store;
  spx_has_mem = m != NULL;
  if (m != NULL) spx_mem_cur = *m;
  return e;
}

// spx_leave restores what spx_enter saved and builds the call's result.
static spx_result spx_leave(spx_entry e, wasmtime_error_t *err, wasm_trap_t *trap) {
  spx_current = e.current;
  spx_has_mem = e.has_mem;
  spx_mem_cur = e.mem;
  return spx_finish(err, trap, e.stale);
}

spx_result spx_instantiate(const wasmtime_instance_pre_t *pre, wasmtime_context_t *cx,
                           uintptr_t store) {
  wasm_trap_t *trap = NULL;
  wasmtime_instance_t inst = {0, 0};
  spx_entry e = spx_enter(store, NULL);
  wasmtime_error_t *err = wasmtime_instance_pre_instantiate(pre, cx, &inst, &trap);
  spx_result r = spx_leave(e, err, trap);
  r.inst = inst;
  return r;
}

spx_result spx_call(wasmtime_context_t *cx, wasmtime_func_t f,
                    wasmtime_val_raw_t *vals, size_t n, uintptr_t store) {
  wasm_trap_t *trap = NULL;
  spx_entry e = spx_enter(store, NULL);
  wasmtime_error_t *err = wasmtime_func_call_unchecked(cx, &f, vals, n, &trap);
  return spx_leave(e, err, trap);
}

spx_mem_result spx_call_mem(wasmtime_context_t *cx, wasmtime_func_t f,
                            wasmtime_val_raw_t *vals, size_t n, uintptr_t store,
                            wasmtime_memory_t m) {
  wasm_trap_t *trap = NULL;
  spx_entry e = spx_enter(store, &m);
  wasmtime_error_t *err = wasmtime_func_call_unchecked(cx, &f, vals, n, &trap);
  spx_mem_result out;
  out.r = spx_leave(e, err, trap);
  out.mem.data = wasmtime_memory_data(cx, &m);
  out.mem.size = wasmtime_memory_data_size(cx, &m);
  return out;
}

spx_export spx_instance_export(wasmtime_context_t *cx, wasmtime_instance_t inst,
                               const char *name, size_t name_len) {
  wasmtime_extern_t item;
  spx_export r;
  if (!wasmtime_instance_export_get(cx, &inst, name, name_len, &item)) {
    r.kind = 255;
    return r;
  }
  r.kind = item.kind;
  r.of = item.of;
  return r;
}

spx_export spx_caller_export(wasmtime_caller_t *caller, const char *name, size_t name_len) {
  wasmtime_extern_t item;
  spx_export r;
  if (!wasmtime_caller_export_get(caller, name, name_len, &item)) {
    r.kind = 255;
    return r;
  }
  r.kind = item.kind;
  r.of = item.of;
  return r;
}

spx_result spx_instantiate_exports(const wasmtime_instance_pre_t *pre, wasmtime_context_t *cx,
                                   uintptr_t store, const char *names, const size_t *lens,
                                   size_t n, spx_export *out) {
  spx_result r = spx_instantiate(pre, cx, store);
  if (r.err != NULL || r.trap != NULL) return r;
  for (size_t i = 0; i < n; i++) {
    wasmtime_extern_t item;
    if (wasmtime_instance_export_get(cx, &r.inst, names, lens[i], &item)) {
      out[i].kind = item.kind;
      out[i].of = item.of;
    } else {
      out[i].kind = 255;
    }
    names += lens[i];
  }
  return r;
}

static bool spx_numeric(const wasm_valtype_vec_t *v) {
  for (size_t i = 0; i < v->size; i++) {
    uint8_t k = wasm_valtype_kind(v->data[i]);
    if (k > 3) return false;  // WASM_I32, WASM_I64, WASM_F32, WASM_F64
  }
  return true;
}

static bool spx_all_i32(const wasm_valtype_vec_t *v) {
  for (size_t i = 0; i < v->size; i++) {
    if (wasm_valtype_kind(v->data[i]) != 0) return false;  // WASM_I32
  }
  return true;
}

spx_functype_info spx_func_info(wasmtime_context_t *cx, wasmtime_func_t f) {
  spx_functype_info r;
  wasm_functype_t *ty = wasmtime_func_type(cx, &f);
  const wasm_valtype_vec_t *ps = wasm_functype_params(ty);
  const wasm_valtype_vec_t *rs = wasm_functype_results(ty);
  r.nparams = (uint32_t)ps->size;
  r.nresults = (uint32_t)rs->size;
  r.numeric = spx_numeric(ps) && spx_numeric(rs);
  r.all_i32 = spx_all_i32(ps) && spx_all_i32(rs);
  wasm_functype_delete(ty);
  return r;
}

spx_mem spx_memory_data(wasmtime_context_t *cx, wasmtime_memory_t m) {
  spx_mem r;
  r.data = wasmtime_memory_data(cx, &m);
  r.size = wasmtime_memory_data_size(cx, &m);
  return r;
}

static wasm_trap_t *spx_host_trampoline(void *env, wasmtime_caller_t *caller,
                                        wasmtime_val_raw_t *vals, size_t n) {
  wasmtime_context_t *cx = wasmtime_caller_context(caller);
  uint8_t *mem = NULL;
  size_t mem_size = 0;
  if (spx_has_mem) {
    mem = wasmtime_memory_data(cx, &spx_mem_cur);
    mem_size = wasmtime_memory_data_size(cx, &spx_mem_cur);
  }
  struct spxHostCall_return r =
      spxHostCall((uintptr_t)env, spx_current, caller, cx, vals, n, mem, mem_size, spx_has_mem);
  if (r.r1 != 0) {
    spx_set_pending(r.r1);
  }
  return r.r0;
}

static void spx_finalize_handle(void *env) {
  spxDeleteHandle((uintptr_t)env);
}

static void spx_valtypes(wasm_valtype_vec_t *out, const uint8_t *kinds, size_t n) {
  wasm_valtype_t *tmp[n > 0 ? n : 1];
  for (size_t i = 0; i < n; i++) tmp[i] = wasm_valtype_new(kinds[i]);
  wasm_valtype_vec_new(out, n, tmp);
}

wasmtime_error_t *spx_define_func_unchecked(wasmtime_linker_t *l,
    const char *module, size_t module_len, const char *name, size_t name_len,
    const uint8_t *params, size_t nparams, const uint8_t *results, size_t nresults,
    uintptr_t handle) {
  wasm_valtype_vec_t ps, rs;
  spx_valtypes(&ps, params, nparams);
  spx_valtypes(&rs, results, nresults);
  wasm_functype_t *ty = wasm_functype_new(&ps, &rs);
  wasmtime_error_t *err = wasmtime_linker_define_func_unchecked(
      l, module, module_len, name, name_len, ty, spx_host_trampoline,
      (void *)handle, spx_finalize_handle);
  wasm_functype_delete(ty);
  return err;
}

static wasmtime_error_t *spx_epoch_trampoline(wasmtime_context_t *cx, void *data,
                                              uint64_t *delta,
                                              wasmtime_update_deadline_kind_t *kind) {
  (void)cx;
  struct spxEpoch_return r = spxEpoch((uintptr_t)data);
  *kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
  if (r.r1 != NULL) {
    if (r.r2 != 0) spx_set_pending(r.r2);
    return r.r1;
  }
  *delta = r.r0;
  return NULL;
}

void spx_set_epoch_callback(wasmtime_store_t *store, uintptr_t handle) {
  wasmtime_store_epoch_deadline_callback(store, spx_epoch_trampoline,
                                         (void *)handle, NULL);
}

static ptrdiff_t spx_stdout_write(void *d, const unsigned char *b, size_t n) {
  return spxStdioWrite((uintptr_t)d, 1, (unsigned char *)b, n);
}

static ptrdiff_t spx_stderr_write(void *d, const unsigned char *b, size_t n) {
  return spxStdioWrite((uintptr_t)d, 2, (unsigned char *)b, n);
}

// spx_next returns the string after the NUL-terminated s.
static const char *spx_next(const char *s) {
  while (*s) s++;
  return s + 1;
}

// spx_wasi_config fills w; it returns SPX_SETUP_OK or the failure's code,
// and for a preopen the index of the directory in *index.
static int spx_wasi_config(wasi_config_t *w, spx_store_config c, const char *strs,
                           const char *stdin_data, int64_t *index) {
  size_t n = c.nargs > c.nenv ? c.nargs : c.nenv;
  const char **a = NULL, **b = NULL;
  if (n > 0) {
    a = malloc(n * sizeof(char *));
    b = malloc(n * sizeof(char *));
    if (a == NULL || b == NULL) {
      free(a);
      free(b);
      return SPX_SETUP_NOMEM;
    }
  }
  const char *s = strs;
  int code = SPX_SETUP_OK;
  if (c.nargs > 0) {
    for (size_t i = 0; i < c.nargs; i++, s = spx_next(s)) a[i] = s;
    if (!wasi_config_set_argv(w, c.nargs, a)) code = SPX_SETUP_ARGS;
  }
  if (code == SPX_SETUP_OK && c.nenv > 0) {
    for (size_t i = 0; i < c.nenv; i++) {
      a[i] = s;
      s = spx_next(s);
      b[i] = s;
      s = spx_next(s);
    }
    if (!wasi_config_set_env(w, c.nenv, a, b)) code = SPX_SETUP_ENV;
  }
  free(a);
  free(b);
  for (size_t i = 0; code == SPX_SETUP_OK && i < c.npreopens; i++) {
    const char *host = s;
    const char *guest = spx_next(host);
    s = spx_next(guest);
    // read-only: WASMTIME_WASI_DIR_PERMS_READ, WASMTIME_WASI_FILE_PERMS_READ
    if (!wasi_config_preopen_dir(w, host, guest, 1, 1)) {
      code = SPX_SETUP_PREOPEN;
      *index = (int64_t)i;
    }
  }
  if (code != SPX_SETUP_OK) return code;
  if (c.stdin_len > 0) {
    wasm_byte_vec_t v;
    wasm_byte_vec_new(&v, c.stdin_len, stdin_data);
    wasi_config_set_stdin_bytes(w, &v);
  }
  if (c.stdout_custom) wasi_config_set_stdout_custom(w, spx_stdout_write, (void *)c.handle, NULL);
  if (c.stderr_custom) wasi_config_set_stderr_custom(w, spx_stderr_write, (void *)c.handle, NULL);
  return SPX_SETUP_OK;
}

spx_setup_result spx_store_setup(wasmtime_store_t *store, spx_store_config c,
                                 const char *strs, const char *stdin_data) {
  spx_setup_result r = {SPX_SETUP_OK, -1, NULL};
  wasmtime_context_t *cx = wasmtime_store_context(store);
  if (c.wasi) {
    wasi_config_t *w = wasi_config_new();
    r.code = spx_wasi_config(w, c, strs, stdin_data, &r.index);
    if (r.code != SPX_SETUP_OK) {
      wasi_config_delete(w);
      return r;
    }
    r.err = wasmtime_context_set_wasi(cx, w);  // takes ownership of w
    if (r.err != NULL) {
      r.code = SPX_SETUP_WASMTIME;
      return r;
    }
  }
  if (c.epoch_deadline) wasmtime_context_set_epoch_deadline(cx, c.epoch_deadline);
  if (c.epoch_callback) spx_set_epoch_callback(store, c.handle);
  return r;
}

spx_many_result spx_realloc_many(wasmtime_context_t *cx, wasmtime_func_t f, wasmtime_memory_t m,
                                 spx_alloc *a, size_t n, const uint8_t *data, uintptr_t store) {
  spx_many_result out = {0};
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *err = NULL;
  spx_entry e = spx_enter(store, &m);
  size_t off = 0;
  for (; out.done < n; out.done++) {
    spx_alloc *b = &a[out.done];
    wasmtime_val_raw_t v[4] = {0};
    v[2].i32 = (int32_t)b->align;
    v[3].i32 = (int32_t)b->size;
    err = wasmtime_func_call_unchecked(cx, &f, v, 4, &trap);
    if (err != NULL || trap != NULL) break;
    b->ptr = (uint32_t)v[0].i32;
    out.mem = wasmtime_memory_data(cx, &m);
    out.mem_size = wasmtime_memory_data_size(cx, &m);
    if ((uint64_t)b->ptr + (uint64_t)b->size > (uint64_t)out.mem_size) break;
    if (b->copy) {
      if (b->size > 0) memcpy(out.mem + b->ptr, data + off, b->size);
      off += b->size;
    }
  }
  out.r = spx_leave(e, err, trap);
  out.mem = wasmtime_memory_data(cx, &m);
  out.mem_size = wasmtime_memory_data_size(cx, &m);
  return out;
}
