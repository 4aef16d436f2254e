/*
 * wasm.h - the embedding API of the WebAssembly engine.
 *
 * This is all a host (the SpacetimeDB module host, the spectest runner,
 * the CLI) needs.  It knows nothing of databases.
 *
 *   bytes --wasm_module_load--> WasmModule   (decode, validate, build trees)
 *   WasmModule + imports --wasm_instantiate--> WasmInstance (in a WasmStore)
 *   WasmInstance --wasm_instance_export--> WasmFuncInst --wasm_call--> results
 *
 * A WasmStore is the spec's "store": it owns every instance, memory,
 * table, global and host function created in it, plus the execution state
 * shared by all of them (operand stack, call depth, fuel, trap message).
 * Instances that import from each other must live in the same store.
 * wasm_store_free releases everything at once.
 *
 * Values cross the API as WasmCell, a 64-bit cell holding the raw bits:
 * i32 zero-extended, i64 as is, f32/f64 as their IEEE bit patterns.
 * References: 0 is null; a funcref is the WasmFuncInst pointer; an
 * externref is any non-zero 64-bit value chosen by the host.
 *
 * Errors: every fallible call fills a WasmError.  Its message uses the
 * spec's wording where the spec has one ("unexpected end", "type
 * mismatch", "out of bounds memory access", "unknown import"), so the
 * spectest runner can compare it with the expected text.
 *
 * Book: chapter 6, book/06-wasm-instances.md
 */
#ifndef TINYSTDB_WASM_H
#define TINYSTDB_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/status.h"
#include "module.h"

typedef uint64_t WasmCell;

typedef struct WasmStore WasmStore;
typedef struct WasmInstance WasmInstance;
typedef struct WasmFuncInst WasmFuncInst;
typedef struct WasmMemInst WasmMemInst;
typedef struct WasmTableInst WasmTableInst;
typedef struct WasmGlobalInst WasmGlobalInst;

/* ---- errors ------------------------------------------------------------ */

typedef struct WasmError {
    Status status;
    bool has_pos;
    uint32_t pos;        /* byte offset in the binary, when has_pos */
    char msg[256];       /* spec wording first, then details after ": " */
} WasmError;

/* Record an error and return `st` (so `return wasm_error(...)` reads well).
 * `err` may be NULL.  pos < 0 means no byte offset. */
Status wasm_error(WasmError *err, Status st, long pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- modules ------------------------------------------------------------ */

/* Decode only (no validation): the binary format, chapter 3. */
Status wasm_module_decode(const uint8_t *bytes, size_t len, WasmModule **out, WasmError *err);
/* Validate a decoded module: chapter 4. */
Status wasm_module_validate(const WasmModule *m, WasmError *err);
/* Decode + validate + build the execution trees.  On success the caller
 * owns *out and frees it with wasm_module_free. */
Status wasm_module_load(const uint8_t *bytes, size_t len, WasmModule **out, WasmError *err);
void wasm_module_free(WasmModule *m);

/* ---- stores ------------------------------------------------------------ */

typedef struct WasmStoreConfig {
    size_t stack_cells;        /* operand stack + locals, in cells (0: default 1M) */
    uint32_t max_call_depth;   /* 0: default 10000 */
    uint32_t max_memory_pages; /* cap on any memory of this store (0: 65536) */
} WasmStoreConfig;

/* NULL on out of memory.  cfg may be NULL for defaults. */
WasmStore *wasm_store_new(const WasmStoreConfig *cfg);
void wasm_store_free(WasmStore *s);

/* Fuel bounds the work of a call: each call is charged the instruction
 * count of the called function's body, and each branch back to a loop the
 * count of the loop's body, so fuel is an upper bound on the instructions
 * executed.  When it would go below zero the call traps with "out of
 * fuel".  UINT64_MAX (the default) means unlimited. */
void wasm_store_set_fuel(WasmStore *s, uint64_t fuel);
uint64_t wasm_store_fuel(const WasmStore *s);
/* Print every executed node, indented by depth (NULL: off). */
void wasm_store_set_trace(WasmStore *s, FILE *out);

/* ---- host objects ------------------------------------------------------ */

/* A host function receives its arguments in args[0..nparams) and writes
 * its results to results[0..nresults).  It returns ST_OK, or traps with
 * `return wasm_trap(store, "message")`. */
typedef Status (*WasmHostFn)(WasmStore *s, void *user, const WasmCell *args, WasmCell *results);

/* Types are copied.  NULL on out of memory. */
WasmFuncInst *wasm_host_func_new(WasmStore *s, const uint8_t *params, uint32_t nparams,
                                 const uint8_t *results, uint32_t nresults,
                                 WasmHostFn fn, void *user);
WasmMemInst *wasm_memory_new(WasmStore *s, WasmLimits limits);
WasmTableInst *wasm_table_new(WasmStore *s, WasmTableType type);
WasmGlobalInst *wasm_global_new(WasmStore *s, WasmGlobalType type, WasmCell value);

/* Set the trap message for the running call and return ST_TRAP. */
Status wasm_trap(WasmStore *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The instance whose code called the running host function (NULL when a
 * host function is called directly by wasm_call). */
WasmInstance *wasm_store_caller(const WasmStore *s);

/* ---- instances ------------------------------------------------------------ */

typedef struct WasmExtern {
    WasmExternKind kind;
    union {
        WasmFuncInst *func;
        WasmTableInst *table;
        WasmMemInst *memory;
        WasmGlobalInst *global;
    } u;
} WasmExtern;

/* Resolve one import: fill *out, or return ST_LINK after wasm_error(err,
 * ST_LINK, -1, "unknown import: ..."). The engine checks the type. */
typedef Status (*WasmResolveFn)(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err);

/* Link, allocate, initialise segments, run the start function.
 * ST_LINK: "unknown import" / "incompatible import type".
 * ST_TRAP: a segment was out of bounds or the start function trapped; as
 * the spec says, effects on imported objects before the trap remain.
 * The instance belongs to the store. */
Status wasm_instantiate(WasmStore *s, const WasmModule *m, WasmResolveFn resolve, void *user,
                        WasmInstance **out, WasmError *err);

Status wasm_instance_export(const WasmInstance *inst, const char *name, WasmExtern *out);
/* The same for a name of `len` bytes, which may contain NUL bytes (the
 * binary format allows any UTF-8 string as an export name). */
Status wasm_instance_export_n(const WasmInstance *inst, const char *name, size_t len,
                              WasmExtern *out);
const WasmModule *wasm_instance_module(const WasmInstance *inst);
/* Memory `idx` of the instance, or NULL. */
WasmMemInst *wasm_instance_memory(const WasmInstance *inst, uint32_t idx);

/* ---- calls --------------------------------------------------------------- */

const WasmFuncType *wasm_func_type(const WasmFuncInst *f);

/* Call f.  args must match its parameter types.  On ST_TRAP, err->msg is
 * the trap message ("integer divide by zero", "call stack exhausted",
 * "out of fuel", ...).  The store stays usable after a trap. */
Status wasm_call(WasmStore *s, WasmFuncInst *f, const WasmCell *args, WasmCell *results,
                 WasmError *err);

/* ---- memories, tables, globals ----------------------------------------- */

uint64_t wasm_memory_size(const WasmMemInst *mem);            /* bytes */
/* A pointer to [addr, addr+len) or NULL when any byte is out of bounds.
 * Valid until the memory grows. */
uint8_t *wasm_memory_ptr(WasmMemInst *mem, uint64_t addr, uint64_t len);
Status wasm_memory_read(WasmMemInst *mem, uint64_t addr, void *dst, size_t len);
Status wasm_memory_write(WasmMemInst *mem, uint64_t addr, const void *src, size_t len);
/* Grow by delta pages; the old size in pages, or -1 on failure. */
int64_t wasm_memory_grow(WasmMemInst *mem, uint32_t delta);

uint32_t wasm_table_size(const WasmTableInst *t);
Status wasm_table_get(const WasmTableInst *t, uint32_t idx, WasmCell *out);

WasmGlobalType wasm_global_type(const WasmGlobalInst *g);
WasmCell wasm_global_get(const WasmGlobalInst *g);
void wasm_global_set(WasmGlobalInst *g, WasmCell v);

/* ---- printing ------------------------------------------------------------ */

const char *wasm_valtype_name(uint8_t type);   /* "i32", "funcref", ... */

#endif
