/*
 * store.h - private glue between store.c and instance.c.
 *
 * Hosts use wasm.h and the interpreter uses runtime.h; this header is only
 * for the two files that create run-time objects.  It declares:
 *
 *   - the store's ownership list (store_own): every heap object created in
 *     a store is recorded once, with its kind, and freed by
 *     wasm_store_free.  Nothing is ever freed earlier, so a pointer to a
 *     store object (a funcref in a table, an imported memory) stays valid
 *     for the life of the store;
 *   - the allocators that report *why* they failed (store_alloc_memory,
 *     store_alloc_table), used by instantiation, whose errors must say
 *     "the store's page cap" rather than just NULL;
 *   - the consistency checks the tests call (store_check, instance_check).
 *
 * Book: chapter 6, book/06-wasm-instances.md
 */
#ifndef TINYSTDB_WASM_STORE_H
#define TINYSTDB_WASM_STORE_H

#include "runtime.h"

/* A table may not have more elements than this (80 MB of cells).  The
 * format allows 2^32-1; a hostile module asking for that would otherwise
 * make us allocate 32 GiB. */

/* What an owned object is, so wasm_store_free knows how to free it. */
typedef enum StoreObjKind {
    STORE_OBJ_BLOCK,      /* one plain allocation (function or global blocks) */
    STORE_OBJ_HOST_FUNC,  /* WasmFuncInst with its own copied type */
    STORE_OBJ_MEMORY,
    STORE_OBJ_TABLE,
    STORE_OBJ_INSTANCE,
} StoreObjKind;

/* Hand `obj` to the store.  On ST_NOMEM the object is freed at once, so
 * the caller never has to clean up after a failed hand-over. */
Status store_own(WasmStore *s, StoreObjKind kind, void *obj);

/* Create a memory / table owned by the store.  ST_LIMIT (with a message)
 * when the size exceeds the store's caps, ST_NOMEM when allocation fails. */
Status store_alloc_memory(WasmStore *s, WasmLimits limits, WasmMemInst **out, WasmError *err);
Status store_alloc_table(WasmStore *s, WasmTableType type, WasmTableInst **out, WasmError *err);

/* ST_OK when every owned memory and table and the stack obey the
 * invariants of runtime.h, and interned types are pairwise distinct. */
Status store_check(const WasmStore *s);

/* Implemented in instance.c. */
void instance_free(WasmInstance *inst);
/* ST_OK when a fully instantiated instance is consistent: every index
 * space entry set, function type ids agree with the module's types. */
Status instance_check(const WasmInstance *inst);

#endif
