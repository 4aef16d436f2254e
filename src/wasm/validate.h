/*
 * validate.h - the validator's private interface, shared by validate.c
 * (module-level rules: limits, indices, constant expressions, exports) and
 * validate_code.c (the type checker for function bodies).
 *
 * A Validator lives for one wasm_module_validate() call.  Its operand
 * stack and control stack are allocated once and reused for every
 * function body, so validating a module costs a few allocations in total,
 * not one per function or instruction.
 *
 * Invariants while a body is being checked (spec appendix "Validation
 * Algorithm"):
 *   - vals.len >= ctrls.items[ctrls.len - 1].height: an instruction can
 *     never pop a value that belongs to an enclosing block;
 *   - heights are non-decreasing from the bottom frame to the top;
 *   - vals.len <= VALIDATE_MAX_VALS.
 * validate_code_check() verifies them (used by tests).
 *
 * Book: chapter 4, book/04-wasm-validation.md
 */
#ifndef TINYSTDB_WASM_VALIDATE_H
#define TINYSTDB_WASM_VALIDATE_H

#include "../util/vec.h"
#include "wasm.h"

/* The operand type "Unknown" of the spec's algorithm: what an instruction
 * pops from the empty stack of unreachable code.  It matches every type.
 * Real value types are never 0 (they are the bytes 0x7F, 0x6F, ...). */
#define VT_UNKNOWN 0

/* A hard cap on the operand stack of one function, an implementation
 * limit: without it, a small hostile body (a million calls to a function
 * with a thousand results) could ask for gigabytes. */
#define VALIDATE_MAX_VALS (1u << 20)

/* One entry of the control stack: an open block, loop, if/else, or the
 * function body itself (op OP_BLOCK at the bottom). */
typedef struct CtrlFrame {
    uint16_t op;              /* OP_BLOCK, OP_LOOP, OP_IF or OP_ELSE */
    bool unreachable;         /* after br/return/unreachable: stack is polymorphic */
    uint32_t height;          /* operand stack height when the block started */
    const uint8_t *params;    /* start types, nparams of them */
    const uint8_t *results;   /* end types, nresults of them */
    uint32_t nparams, nresults;
} CtrlFrame;

typedef struct Validator {
    const WasmModule *m;
    WasmError *err;
    const uint8_t *declared;  /* declared[f] != 0: `ref.func f` allowed in code */
    VEC(uint8_t) vals;        /* operand stack: value types or VT_UNKNOWN */
    VEC(CtrlFrame) ctrls;     /* control stack, innermost frame last */
    uint32_t func;            /* function index being checked */
    const WasmInsn *insn;     /* instruction being checked (for messages) */
    const WasmCode *code;     /* body being checked */
} Validator;

/* Check the body of defined function `func` (an index in the function
 * index space, >= m->nimported_funcs). */
Status validate_code_body(Validator *v, uint32_t func);
/* ST_OK when the stacks satisfy the invariants above. */
Status validate_code_check(const Validator *v);
/* Release the stacks. */
void validate_code_fini(Validator *v);

#endif
