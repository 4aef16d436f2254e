/*
 * runtime.h - the engine's run-time structures (spec chapter 4.2, "runtime
 * structure"), shared by instance.c (which creates them) and the tree
 * interpreter (which reads and mutates them).  Hosts use wasm.h instead.
 *
 *   WasmStore ─┬─ operand stack (cells)      one per store, shared by calls
 *              ├─ instances ── funcs[] tables[] mems[] globals[] (pointers:
 *              │               imported objects are shared, not copied)
 *              └─ every object ever created (freed with the store)
 *
 * Invariants:
 *   - mem->size == (uint64_t)mem->pages * WASM_PAGE_SIZE, and data has at
 *     least size bytes; pages <= limits.max (when has_max) and <= the
 *     store's max_memory_pages.
 *   - table->size <= max when has_max; elems has size cells.
 *   - two WasmFuncInst have equal type_id exactly when their function types
 *     are equal (call_indirect compares ids, not structures).
 *
 * Book: chapter 6, book/06-wasm-instances.md
 */
#ifndef TINYSTDB_WASM_RUNTIME_H
#define TINYSTDB_WASM_RUNTIME_H

#include "wasm.h"

/* The most elements a table may have, whatever its limits say: a module
 * asking for more gets a clean error instead of exhausting memory. */
#define WASM_TABLE_MAX_ELEMS 10000000u

struct WasmMemInst {
    uint8_t *data;
    uint64_t size;          /* bytes */
    uint32_t pages;
    WasmLimits limits;
    uint32_t page_cap;      /* store's cap, copied at creation */
};

struct WasmTableInst {
    WasmCell *elems;
    uint32_t size;
    WasmTableType type;
};

struct WasmGlobalInst {
    WasmCell value;
    WasmGlobalType type;
};

struct WasmFuncInst {
    const WasmFuncType *type;
    uint32_t type_id;          /* canonical, see invariants */
    WasmInstance *inst;        /* defining instance; NULL for host functions */
    uint32_t index;            /* function index within inst->module */
    const struct TreeFunc *tree;  /* body; NULL for host functions */
    WasmHostFn host;
    void *host_data;
    WasmFuncType own_type;     /* storage for host function types */
};

struct WasmInstance {
    WasmStore *store;
    const WasmModule *module;
    WasmFuncInst **funcs;
    WasmTableInst **tables;
    WasmMemInst **mems;
    WasmGlobalInst **globals;
    /* Element segments as evaluated references; a dropped (or active,
     * after instantiation, or declarative) segment has length 0. */
    WasmCell **elem_refs;
    uint32_t *elem_len;
    /* Data segments: a dropped (or active, after instantiation) one has
     * length 0. */
    uint32_t *data_len;
    /* Canonical type id for each of the module's types. */
    uint32_t *type_ids;
};

/* Everything a store owns, in one list, freed with the store. */
typedef struct WasmObject WasmObject;

struct WasmStore {
    WasmCell *stack;           /* operand stack and locals */
    size_t stack_cells;
    WasmCell *sp;              /* next free cell */
    uint32_t depth, max_depth; /* current and maximum call depth */
    uint32_t max_memory_pages;
    uint64_t fuel;             /* UINT64_MAX: unlimited */
    FILE *trace;
    WasmInstance *caller;      /* instance of the innermost wasm frame */
    char trap_msg[160];
    uintptr_t c_stack_limit;   /* lowest C stack address we allow */
    WasmObject *objects;       /* owned objects */
    WasmFuncType *canon_types; /* interned types; index = type_id */
    uint32_t ncanon_types, canon_cap;
};

/* Intern a function type in the store; its id, or UINT32_MAX on ENOMEM. */
uint32_t store_type_id(WasmStore *s, const WasmFuncType *ft);

/* ---- provided by the tree interpreter (interp*.c, tree.c) ---------------- */

/* Build m->trees for every defined function (after validation), in
 * m->tree_arena; wasm_module_free releases them. */
Status tree_build_module(WasmModule *m, WasmError *err);

/* Call f with its arguments in args_results[0..nparams); on return the
 * results are in args_results[0..nresults).  The array must have room for
 * max(nparams, nresults) cells.  ST_TRAP leaves the message in
 * s->trap_msg; the operand stack is reset by the caller (wasm_call). */
Status interp_call(WasmStore *s, WasmFuncInst *f, WasmCell *args_results);

/* Evaluate a constant expression (global init, segment offset, element
 * init) in the context of a partially built instance. */
Status interp_const_expr(WasmInstance *inst, const WasmExpr *e, WasmCell *out);

#endif
