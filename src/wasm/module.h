/*
 * module.h - a decoded WebAssembly module: the decoder's output, the
 * validator's input, the tree builder's input.
 *
 * The structure mirrors the binary format's sections (spec 5.5), with one
 * convenience: every index space (functions, tables, memories, globals)
 * is a single array with the imported entries first, exactly as the spec
 * numbers them.  So `m->funcs[i]` is function index i whether it was
 * imported or defined, and `i >= m->nimported_funcs` means "defined here".
 *
 * Function bodies and constant expressions are kept as flat arrays of
 * WasmInsn: each instruction with its immediates already decoded (LEB128
 * is read once, here, never at run time).  `else` and `end` stay in the
 * array as ordinary instructions; the validator and the tree builder
 * recover the nesting.
 *
 * Ownership: a WasmModule owns everything it points to, including a copy
 * of the binary (data segment bytes point into it).  wasm_module_free()
 * releases it all.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#ifndef TINYSTDB_WASM_MODULE_H
#define TINYSTDB_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"

/* Value types, by their binary encoding (spec 5.3.1). */
enum {
    WASM_I32 = 0x7F,
    WASM_I64 = 0x7E,
    WASM_F32 = 0x7D,
    WASM_F64 = 0x7C,
    WASM_V128 = 0x7B,      /* recognised only to be rejected: no SIMD */
    WASM_FUNCREF = 0x70,
    WASM_EXTERNREF = 0x6F,
};

/* External kinds (spec 5.5.5). */
typedef enum WasmExternKind {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
} WasmExternKind;

/* Block types (spec 5.4.1): how WasmInsn.bt is to be read. */
enum {
    WASM_BT_EMPTY = 0,     /* 0x40: [] -> [] */
    WASM_BT_VAL = 1,       /* a single result, type in WasmInsn.a */
    WASM_BT_TYPE = 2,      /* a type index in WasmInsn.a: [params] -> [results] */
};

/* Segment modes (spec 2.5.7, 2.5.8). */
enum {
    WASM_SEG_ACTIVE = 0,
    WASM_SEG_PASSIVE = 1,
    WASM_SEG_DECLARATIVE = 2,   /* element segments only */
};

#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_PAGES 65536u

/* One decoded instruction.  Which fields mean what is given by the
 * opcode's WasmImm kind in opcodes.h. */
typedef struct WasmInsn {
    uint16_t op;       /* WasmOp */
    uint8_t bt;        /* WASM_BT_* for block/loop/if */
    uint8_t unused;
    uint32_t a, b;     /* immediates */
    uint32_t pos;      /* byte offset of the opcode in the binary */
    uint64_t c;        /* constant bits (i32 zero-extended, i64, f32/f64 raw) */
} WasmInsn;

typedef struct WasmExpr {
    WasmInsn *insns;   /* ends with OP_END */
    uint32_t count;
} WasmExpr;

typedef struct WasmFuncType {
    uint32_t nparams, nresults;
    uint8_t *types;    /* nparams parameter types, then nresults result types */
} WasmFuncType;

#define WASM_PARAMS(ft) ((ft)->types)
#define WASM_RESULTS(ft) ((ft)->types + (ft)->nparams)

typedef struct WasmLimits {
    uint32_t min, max;
    bool has_max;
} WasmLimits;

typedef struct WasmTableType {
    uint8_t elem_type;   /* WASM_FUNCREF or WASM_EXTERNREF */
    WasmLimits limits;
} WasmTableType;

typedef struct WasmGlobalType {
    uint8_t type;
    bool mutable_;
} WasmGlobalType;

typedef struct WasmName {
    char *s;             /* NUL-terminated copy; may also contain NULs */
    uint32_t len;
} WasmName;

typedef struct WasmImport {
    WasmName module, name;
    WasmExternKind kind;
    uint32_t index;      /* its index in the kind's index space */
} WasmImport;

typedef struct WasmExport {
    WasmName name;
    WasmExternKind kind;
    uint32_t index;
} WasmExport;

typedef struct WasmGlobal {
    WasmGlobalType type;
    WasmExpr init;       /* empty (count 0) for imported globals */
} WasmGlobal;

typedef struct WasmElem {
    uint8_t mode;        /* WASM_SEG_* */
    uint8_t elem_type;   /* WASM_FUNCREF or WASM_EXTERNREF */
    uint32_t table;      /* active only */
    WasmExpr offset;     /* active only */
    uint32_t count;
    WasmExpr *inits;     /* count constant expressions; the funcidx forms
                            are stored as `ref.func x; end` */
    uint32_t pos;        /* byte offset, for errors */
} WasmElem;

typedef struct WasmData {
    uint8_t mode;        /* WASM_SEG_ACTIVE or WASM_SEG_PASSIVE */
    uint32_t memory;
    WasmExpr offset;
    const uint8_t *bytes;/* points into WasmModule.binary */
    uint32_t len;
    uint32_t pos;
} WasmData;

typedef struct WasmCode {
    uint32_t nlocals;    /* declared locals, not counting parameters */
    uint8_t *local_types;
    WasmExpr body;
    uint32_t *labels;    /* br_table targets of this body (see IMM_BR_TABLE) */
    uint32_t nlabels;
    uint32_t pos, size;  /* where the body is in the binary */
} WasmCode;

typedef struct WasmCustom {
    WasmName name;
    const uint8_t *bytes;  /* payload after the name, points into binary */
    uint32_t len;
} WasmCustom;

struct TreeFunc;   /* built by tree.c after validation */

typedef struct WasmModule {
    uint8_t *binary;              /* owned copy of the input bytes */
    size_t binary_len;

    WasmFuncType *types;
    uint32_t ntypes;

    WasmImport *imports;
    uint32_t nimports;

    uint32_t *funcs;              /* type index of every function */
    uint32_t nfuncs, nimported_funcs;

    WasmTableType *tables;
    uint32_t ntables, nimported_tables;

    WasmLimits *mems;
    uint32_t nmems, nimported_mems;

    WasmGlobal *globals;
    uint32_t nglobals, nimported_globals;

    WasmExport *exports;
    uint32_t nexports;

    bool has_start;
    uint32_t start;

    WasmElem *elems;
    uint32_t nelems;

    WasmData *datas;
    uint32_t ndatas;
    bool has_datacount;
    uint32_t datacount;

    WasmCode *codes;              /* nfuncs - nimported_funcs bodies */
    uint32_t ncodes;

    WasmCustom *customs;
    uint32_t ncustoms;
    char **func_names;            /* from the "name" section; NULL or nfuncs
                                     entries, each possibly NULL */

    /* Built by the tree builder after validation: one TreeFunc per defined
     * function, all allocated in tree_arena (freed with the module). */
    struct TreeFunc **trees;
    Arena tree_arena;
} WasmModule;

/* The function type of function index `func` (imported or defined). */
static inline const WasmFuncType *wasm_module_func_type(const WasmModule *m, uint32_t func)
{
    return &m->types[m->funcs[func]];
}

#endif
