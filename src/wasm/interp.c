/*
 * interp.c - the tree-walking interpreter: runs the trees of tree.c.
 *
 * One C function, interp_run(), executes a whole chain of wasm calls
 * within one instance without C recursion.  Its state lives in C locals
 * the compiler keeps in registers:
 *
 *   n            the node being executed; the next one is n + 1 (the tree
 *                is stored in preorder) unless n jumps
 *   fp           the current frame (a pointer into s->stack)
 *   mbase/msize  memory 0 of the instance, re-read after anything that
 *                may grow it (memory.grow, a call that leaves this loop)
 *   fuel, depth  copies of s->fuel / s->depth, written back on exit and
 *                around calls that leave this loop
 *
 * Dispatch is by computed goto (a GNU C extension that gcc and clang
 * accept in -std=c11): every node kind has a label, `labels[]` maps
 * kinds to labels, and each handler ends by jumping straight to the next
 * node's handler.  Compared with one `switch`, every handler gets its
 * own indirect jump, which the CPU predicts better.
 *
 * Frames (see tree.h) sit back to back on the store's stack.  A call
 * does not copy arguments: the caller's argument slots become the
 * callee's first locals.
 *
 *        caller frame                          callee frame
 *   ... | locals | rec | s0 s1 [arg0 arg1] ...
 *                              ^ callee fp: | p0 p1 | locals | rec | s0 ...
 *
 * The call record (three cells after the callee's locals) holds the node
 * where the caller continues, the caller's fp and the caller's TreeFunc;
 * a record with no node marks the frame interp_call() created.  RETURN
 * copies the results to fp[0..) - the caller's argument slots, where the
 * caller expects them - and pops the frame.  Calls to a host function or
 * to another instance's function (an import, or a table entry) leave the
 * loop: they are ordinary C calls (host->fn, or interp_call() again), so
 * inside one interp_run() the instance, its memory and its globals never
 * change.
 *
 * Traps set a message and leave interp_run() at once: the whole chain of
 * wasm frames of this activation is abandoned in one step (no unwinding),
 * and interp_call() restores the store's counters.
 *
 * Limits: the call depth (s->max_depth) and the stack space
 * (s->stack_cells) are checked on every call; the C stack only grows when
 * a call leaves the loop, and interp_call() compares the address of a
 * local with s->c_stack_limit.  All three trap with "call stack
 * exhausted".  Fuel is charged in advance per region: a call pays for the
 * instructions of the whole function body, a branch back to a loop for
 * those of the loop body, so straight-line code needs no checks at all.
 *
 * Tracing: when s->trace is set, interp_run() dispatches through a table
 * whose every entry is the TRACE label, which prints the node and then
 * jumps to the real handler.  Without tracing the cost is nothing.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include "interp.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "tree.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "memory accesses assume a little-endian host (wasm memory is little-endian)"
#endif

static WasmMemInst no_memory;   /* size 0: every access traps */

static void trace_node(WasmStore *s, const TreeFunc *t, const TreeNode *n,
                       const WasmCell *fp, uint32_t depth)
{
    fprintf(s->trace, "%*s", (int)(2 * (depth + n->depth)) % 120, "");
    fprintf(s->trace, "[f%" PRIu32 " @%ld] ", t->func_index, (long)(n - t->nodes));
    tree_print_node(s->trace, t, n, fp);
    fputc('\n', s->trace);
}

Status interp_run(WasmStore *s, WasmFuncInst *f, WasmCell *fp)
{
    static const void *const labels[T__COUNT] = {
#define X(name, code, text, imm, sig) [T_##name] = &&L_##name,
        WASM_OPCODES(X)
#undef X
#define X(name) [T_##name##_RI] = &&L_##name##_RI,
        TREE_INT_BINOPS(X)
#undef X
#define X(name)                                                                \
    [T_BR_IF_##name] = &&L_BR_IF_##name, [T_BR_IF_##name##_RI] = &&L_BR_IF_##name##_RI, \
    [T_IF_##name] = &&L_IF_##name, [T_IF_##name##_RI] = &&L_IF_##name##_RI,
        TREE_I32_CMPS(X)
#undef X
        [T_CALL_IMPORT] = &&L_CALL_IMPORT, [T_COPY] = &&L_COPY, [T_CONST] = &&L_CONST,
        [T_BR_UNLESS] = &&L_BR_UNLESS, [T_IF_NOT] = &&L_IF_NOT,
    };
    static const void *trace_labels[T__COUNT];
    const void *const *table = labels;
    if (s->trace) {
        for (unsigned i = 0; i < T__COUNT; i++)
            trace_labels[i] = &&L_TRACE;
        table = trace_labels;
    }

    const TreeNode *n;
    const TreeFunc *ct = f->tree, *callee_tree;   /* current function, callee */
    WasmFuncInst *callee;
    WasmInstance *const inst = f->inst;
    WasmMemInst *const mem = inst->module->nmems ? inst->mems[0] : &no_memory;
    uint8_t *mbase = mem->data;
    uint64_t msize = mem->size;
    uint64_t fuel = s->fuel;
    uint32_t depth = s->depth;
    const uint32_t base_depth = depth, max_depth = s->max_depth;
    WasmCell *const stack_end = s->stack + s->stack_cells;
    const char *msg;
    Status st;

#define DISPATCH() goto *table[n->op]
#define JUMP(to)                                                               \
    do {                                                                       \
        n = (to);                                                              \
        DISPATCH();                                                            \
    } while (0)
#define NEXT() JUMP(n + 1)   /* the tree is in preorder */
#define TRAP(text)                                                             \
    do {                                                                       \
        msg = (text);                                                          \
        goto trap;                                                             \
    } while (0)
#define CHARGE(cost)                                                           \
    do {                                                                       \
        if (fuel < (cost))                                                     \
            TRAP("out of fuel");                                               \
        fuel -= (cost);                                                        \
    } while (0)
#define TAKE_BRANCH()                                                          \
    do {                                                                       \
        CHARGE(n->c);                                                          \
        JUMP(n->jump);                                                         \
    } while (0)
#define A fp[n->a]
#define B fp[n->b]
#define D fp[n->d]
#define OOB "out of bounds memory access"
#define TABLE_OOB "out of bounds table access"

    JUMP(ct->entry);

L_TRACE:
    trace_node(s, ct, n, fp, depth - base_depth);
    goto *labels[n->op];

    /* ---- control ------------------------------------------------------ */
L_UNREACHABLE:
    TRAP("unreachable");
L_BLOCK:
L_LOOP:
    NEXT();   /* signposts: the body follows */
L_ELSE:
    JUMP(n->jump);   /* the end of a then branch: skip the else branch */
L_IF:
    JUMP((uint32_t)A ? n + 1 : n->jump);
L_IF_NOT:
    JUMP((uint32_t)A ? n->jump : n + 1);
L_BR:
    for (uint32_t i = 0; i < n->b; i++)
        fp[n->d + i] = fp[n->a + i];
    TAKE_BRANCH();
L_BR_IF:
    if ((uint32_t)A)
        TAKE_BRANCH();
    NEXT();
L_BR_UNLESS:
    if (!(uint32_t)A)
        TAKE_BRANCH();
    NEXT();
L_BR_TABLE: {
    uint32_t i = (uint32_t)A;
    n += 1 + (i < n->b ? i : n->b);   /* its BR children follow it */
    if (n->op == T_BR && n->b == 0 && n->c == 0)
        n = n->jump;   /* nothing to move or charge: straight there */
    DISPATCH();
}

#define CMP_BRANCH(NAME, T, OP)                                                \
    L_BR_IF_##NAME:                                                            \
    if ((T)A OP (T)B)                                                          \
        TAKE_BRANCH();                                                         \
    NEXT();                                                                    \
    L_BR_IF_##NAME##_RI:                                                       \
    if ((T)A OP (T)n->imm)                                                     \
        TAKE_BRANCH();                                                         \
    NEXT();                                                                    \
    L_IF_##NAME:                                                               \
    JUMP((T)A OP (T)B ? n + 1 : n->jump);                                      \
    L_IF_##NAME##_RI:                                                          \
    JUMP((T)A OP (T)n->imm ? n + 1 : n->jump);
    CMP_BRANCH(I32_EQ, uint32_t, ==)
    CMP_BRANCH(I32_NE, uint32_t, !=)
    CMP_BRANCH(I32_LT_S, int32_t, <)
    CMP_BRANCH(I32_LT_U, uint32_t, <)
    CMP_BRANCH(I32_GT_S, int32_t, >)
    CMP_BRANCH(I32_GT_U, uint32_t, >)
    CMP_BRANCH(I32_LE_S, int32_t, <=)
    CMP_BRANCH(I32_LE_U, uint32_t, <=)
    CMP_BRANCH(I32_GE_S, int32_t, >=)
    CMP_BRANCH(I32_GE_U, uint32_t, >=)

L_CALL:
    callee_tree = n->func;
    goto enter;
L_CALL_IMPORT:
    callee = inst->funcs[n->imm];
    goto call_out;
L_CALL_INDIRECT: {
    WasmTableInst *t = inst->tables[n->imm];
    uint32_t i = (uint32_t)A;
    if (i >= t->size)
        TRAP("undefined element");
    callee = (WasmFuncInst *)(uintptr_t)t->elems[i];
    if (!callee) {   /* the spec's interpreter names the element */
        snprintf(s->trap_msg, sizeof s->trap_msg, "uninitialized element %" PRIu32, i);
        st = ST_TRAP;
        goto failed;
    }
    if (callee->type_id != inst->type_ids[n->b])
        TRAP("indirect call type mismatch");
    if (callee->inst != inst)   /* a host function, or another instance's */
        goto call_out;
    callee_tree = callee->tree;
    goto enter;
}
/* BOOK: enter */
enter: {
    /* A call within this instance: push a frame, no C recursion. */
    const TreeFunc *t = callee_tree;
    WasmCell *nfp = fp + n->d;   /* the arguments become the callee's params */
    if (depth >= max_depth || (size_t)(stack_end - nfp) < t->frame_cells)
        TRAP("call stack exhausted");
    CHARGE(t->cost);
    depth++;
    zero_cells(nfp + t->nparams, t->nlocals);   /* locals start at zero */
    WasmCell *rec = nfp + t->rec;
    rec[0] = (uintptr_t)(n + 1);   /* where the caller continues */
    rec[1] = (uintptr_t)fp;
    rec[2] = (uintptr_t)ct;
    fp = nfp;
    ct = t;
    JUMP(t->entry);
}
/* BOOK-END: enter */
call_out: {
    /* A host function, or a function of another instance (whose memory
     * and globals are not ours): an ordinary C call. */
    WasmCell *args = fp + n->d;
    uint32_t np = callee->type->nparams, nr = callee->type->nresults;
    s->sp = args + np + nr;   /* anything nested starts above us */
    s->fuel = fuel;
    s->depth = depth;
    if (callee->host) {
        s->caller = inst;
        st = callee->host(s, callee->host_data, args, args + np);
        if (st == ST_OK)
            memmove(args, args + np, nr * sizeof *args);
    } else {
        st = interp_call(s, callee, args);
    }
    fuel = s->fuel;
    if (st != ST_OK)
        goto failed;
    mbase = mem->data;   /* it may have grown */
    msize = mem->size;
    NEXT();
}
/* BOOK: return */
L_RETURN: {
    /* Read the record first: the results may overwrite it. */
    WasmCell *rec = fp + n->b;
    const TreeNode *cont = (const TreeNode *)(uintptr_t)rec[0];
    WasmCell *caller_fp = (WasmCell *)(uintptr_t)rec[1];
    const TreeFunc *caller = (const TreeFunc *)(uintptr_t)rec[2];
    for (uint32_t i = 0; i < n->c; i++)
        fp[i] = fp[n->a + i];
    if (!cont)
        goto done;
    depth--;
    fp = caller_fp;
    ct = caller;
    JUMP(cont);
}
/* BOOK-END: return */

    /* ---- values, locals, globals -------------------------------------- */
L_COPY:
    D = A;
    NEXT();
L_CONST:
    D = n->imm;
    NEXT();
L_SELECT:
    D = (uint32_t)fp[n->c] ? A : B;
    NEXT();
L_GLOBAL_GET:
    D = inst->globals[n->imm]->value;
    NEXT();
L_GLOBAL_SET:
    inst->globals[n->imm]->value = A;
    NEXT();

    /* ---- integer arithmetic: one macro per operator makes both forms - */
#define I32_OP2(NAME, CHECK, EXPR)                                             \
    L_##NAME : {                                                               \
        uint32_t x = (uint32_t)A, y = (uint32_t)B;                             \
        CHECK;                                                                 \
        D = (uint32_t)(EXPR);                                                  \
        NEXT();                                                                \
    }                                                                          \
    L_##NAME##_RI : {                                                          \
        uint32_t x = (uint32_t)A, y = (uint32_t)n->imm;                        \
        CHECK;                                                                 \
        D = (uint32_t)(EXPR);                                                  \
        NEXT();                                                                \
    }
#define I64_OP2(NAME, CHECK, EXPR)                                             \
    L_##NAME : {                                                               \
        uint64_t x = A, y = B;                                                 \
        CHECK;                                                                 \
        D = (EXPR);                                                            \
        NEXT();                                                                \
    }                                                                          \
    L_##NAME##_RI : {                                                          \
        uint64_t x = A, y = n->imm;                                            \
        CHECK;                                                                 \
        D = (EXPR);                                                            \
        NEXT();                                                                \
    }
#define I32_BIN(NAME, EXPR) I32_OP2(NAME, (void)0, EXPR)
#define I64_BIN(NAME, EXPR) I64_OP2(NAME, (void)0, EXPR)
#define S32(v) ((int32_t)(v))
#define S64(v) ((int64_t)(v))
/* Division traps; the checks run before C's operator could misbehave. */
#define NONZERO(y)                                                             \
    if ((y) == 0)                                                              \
    TRAP("integer divide by zero")
#define NO_OVERFLOW(x, y, MIN, MINUS1)                                         \
    NONZERO(y);                                                                \
    if ((x) == (MIN) && (y) == (MINUS1))                                       \
    TRAP("integer overflow")
    I32_BIN(I32_EQ, x == y)
    I32_BIN(I32_NE, x != y)
    I32_BIN(I32_LT_S, S32(x) < S32(y))
    I32_BIN(I32_LT_U, x < y)
    I32_BIN(I32_GT_S, S32(x) > S32(y))
    I32_BIN(I32_GT_U, x > y)
    I32_BIN(I32_LE_S, S32(x) <= S32(y))
    I32_BIN(I32_LE_U, x <= y)
    I32_BIN(I32_GE_S, S32(x) >= S32(y))
    I32_BIN(I32_GE_U, x >= y)
    I32_BIN(I32_ADD, x + y)
    I32_BIN(I32_SUB, x - y)
    I32_BIN(I32_MUL, x * y)
    I32_BIN(I32_AND, x & y)
    I32_BIN(I32_OR, x | y)
    I32_BIN(I32_XOR, x ^ y)
    I32_BIN(I32_SHL, x << (y & 31))
    I32_BIN(I32_SHR_S, S32(x) >> (y & 31))
    I32_BIN(I32_SHR_U, x >> (y & 31))
    I32_BIN(I32_ROTL, (x << (y & 31)) | (x >> ((32 - y) & 31)))
    I32_BIN(I32_ROTR, (x >> (y & 31)) | (x << ((32 - y) & 31)))
    I32_OP2(I32_DIV_S, NO_OVERFLOW(x, y, 0x80000000u, UINT32_MAX), S32(x) / S32(y))
    I32_OP2(I32_DIV_U, NONZERO(y), x / y)
    I32_OP2(I32_REM_S, NONZERO(y), y == UINT32_MAX ? 0 : S32(x) % S32(y))
    I32_OP2(I32_REM_U, NONZERO(y), x % y)
    I64_BIN(I64_EQ, x == y)
    I64_BIN(I64_NE, x != y)
    I64_BIN(I64_LT_S, S64(x) < S64(y))
    I64_BIN(I64_LT_U, x < y)
    I64_BIN(I64_GT_S, S64(x) > S64(y))
    I64_BIN(I64_GT_U, x > y)
    I64_BIN(I64_LE_S, S64(x) <= S64(y))
    I64_BIN(I64_LE_U, x <= y)
    I64_BIN(I64_GE_S, S64(x) >= S64(y))
    I64_BIN(I64_GE_U, x >= y)
    I64_BIN(I64_ADD, x + y)
    I64_BIN(I64_SUB, x - y)
    I64_BIN(I64_MUL, x * y)
    I64_BIN(I64_AND, x & y)
    I64_BIN(I64_OR, x | y)
    I64_BIN(I64_XOR, x ^ y)
    I64_BIN(I64_SHL, x << (y & 63))
    I64_BIN(I64_SHR_S, (uint64_t)(S64(x) >> (y & 63)))
    I64_BIN(I64_SHR_U, x >> (y & 63))
    I64_BIN(I64_ROTL, (x << (y & 63)) | (x >> ((64 - y) & 63)))
    I64_BIN(I64_ROTR, (x >> (y & 63)) | (x << ((64 - y) & 63)))
    I64_OP2(I64_DIV_S, NO_OVERFLOW(x, y, F64_SIGN, UINT64_MAX), (uint64_t)(S64(x) / S64(y)))
    I64_OP2(I64_DIV_U, NONZERO(y), x / y)
    I64_OP2(I64_REM_S, NONZERO(y), y == UINT64_MAX ? 0 : (uint64_t)(S64(x) % S64(y)))
    I64_OP2(I64_REM_U, NONZERO(y), x % y)

    /* ---- one-operand integer operators ---------------------------------- */
#define UNARY(NAME, T, EXPR)                                                   \
    L_##NAME : {                                                               \
        T x = (T)A;                                                            \
        D = (EXPR);                                                            \
        NEXT();                                                                \
    }
    UNARY(I32_EQZ, uint32_t, x == 0)
    UNARY(I64_EQZ, uint64_t, x == 0)
    UNARY(I32_CLZ, uint32_t, x ? (uint32_t)__builtin_clz(x) : 32)
    UNARY(I32_CTZ, uint32_t, x ? (uint32_t)__builtin_ctz(x) : 32)
    UNARY(I32_POPCNT, uint32_t, (uint32_t)__builtin_popcount(x))
    UNARY(I64_CLZ, uint64_t, x ? (uint64_t)__builtin_clzll(x) : 64)
    UNARY(I64_CTZ, uint64_t, x ? (uint64_t)__builtin_ctzll(x) : 64)
    UNARY(I64_POPCNT, uint64_t, (uint64_t)__builtin_popcountll(x))
    UNARY(I32_EXTEND8_S, uint32_t, (uint32_t)(int8_t)x)
    UNARY(I32_EXTEND16_S, uint32_t, (uint32_t)(int16_t)x)
    UNARY(I64_EXTEND8_S, uint64_t, (uint64_t)(int8_t)x)
    UNARY(I64_EXTEND16_S, uint64_t, (uint64_t)(int16_t)x)
    UNARY(I64_EXTEND32_S, uint64_t, (uint64_t)(int32_t)x)
    UNARY(I32_WRAP_I64, uint64_t, (uint32_t)x)
    UNARY(I64_EXTEND_I32_S, uint32_t, (uint64_t)S32(x))
    UNARY(I64_EXTEND_I32_U, uint32_t, (uint64_t)x)
    UNARY(REF_IS_NULL, uint64_t, x == 0)

    /* ---- floats ------------------------------------------------------- */
#define F32_BIN(NAME, EXPR)                                                    \
    L_##NAME : {                                                               \
        float x = cell_to_f32(A), y = cell_to_f32(B);                          \
        D = (EXPR);                                                            \
        NEXT();                                                                \
    }
#define F64_BIN(NAME, EXPR)                                                    \
    L_##NAME : {                                                               \
        double x = cell_to_f64(A), y = cell_to_f64(B);                         \
        D = (EXPR);                                                            \
        NEXT();                                                                \
    }
    F32_BIN(F32_EQ, x == y)
    F32_BIN(F32_NE, x != y)
    F32_BIN(F32_LT, x < y)
    F32_BIN(F32_GT, x > y)
    F32_BIN(F32_LE, x <= y)
    F32_BIN(F32_GE, x >= y)
    F32_BIN(F32_ADD, f32_to_cell(x + y))
    F32_BIN(F32_SUB, f32_to_cell(x - y))
    F32_BIN(F32_MUL, f32_to_cell(x * y))
    F32_BIN(F32_DIV, f32_to_cell(x / y))
    F64_BIN(F64_EQ, x == y)
    F64_BIN(F64_NE, x != y)
    F64_BIN(F64_LT, x < y)
    F64_BIN(F64_GT, x > y)
    F64_BIN(F64_LE, x <= y)
    F64_BIN(F64_GE, x >= y)
    F64_BIN(F64_ADD, f64_to_cell(x + y))
    F64_BIN(F64_SUB, f64_to_cell(x - y))
    F64_BIN(F64_MUL, f64_to_cell(x * y))
    F64_BIN(F64_DIV, f64_to_cell(x / y))
L_F32_MIN:
    D = f32_min(A, B);
    NEXT();
L_F32_MAX:
    D = f32_max(A, B);
    NEXT();
L_F64_MIN:
    D = f64_min(A, B);
    NEXT();
L_F64_MAX:
    D = f64_max(A, B);
    NEXT();
    /* Sign operations work on the bits: they never touch a NaN payload. */
L_F32_COPYSIGN:
    D = ((uint32_t)A & ~F32_SIGN) | ((uint32_t)B & F32_SIGN);
    NEXT();
L_F64_COPYSIGN:
    D = (A & ~F64_SIGN) | (B & F64_SIGN);
    NEXT();
    UNARY(F32_ABS, uint32_t, x & ~F32_SIGN)
    UNARY(F32_NEG, uint32_t, x ^ F32_SIGN)
    UNARY(F64_ABS, uint64_t, x & ~F64_SIGN)
    UNARY(F64_NEG, uint64_t, x ^ F64_SIGN)
    UNARY(F32_CEIL, WasmCell, f32_to_cell(f32_round(cell_to_f32(x), 0)))
    UNARY(F32_FLOOR, WasmCell, f32_to_cell(f32_round(cell_to_f32(x), 1)))
    UNARY(F32_TRUNC, WasmCell, f32_to_cell(f32_round(cell_to_f32(x), 2)))
    UNARY(F32_NEAREST, WasmCell, f32_to_cell(f32_round(cell_to_f32(x), 3)))
    UNARY(F32_SQRT, WasmCell, f32_to_cell(sqrtf(cell_to_f32(x))))
    UNARY(F64_CEIL, WasmCell, f64_to_cell(f64_round(cell_to_f64(x), 0)))
    UNARY(F64_FLOOR, WasmCell, f64_to_cell(f64_round(cell_to_f64(x), 1)))
    UNARY(F64_TRUNC, WasmCell, f64_to_cell(f64_round(cell_to_f64(x), 2)))
    UNARY(F64_NEAREST, WasmCell, f64_to_cell(f64_round(cell_to_f64(x), 3)))
    UNARY(F64_SQRT, WasmCell, f64_to_cell(sqrt(cell_to_f64(x))))

    /* ---- conversions ---------------------------------------------------- */
    /* float -> int traps outside (lo, hi); f32 operands are widened to
     * double, which is exact, so one set of bounds serves both. */
#define TRUNC(NAME, GET, lo, hi, T)                                            \
    L_##NAME : {                                                               \
        double v = GET(A);                                                     \
        if (isnan(v))                                                          \
            TRAP("invalid conversion to integer");                             \
        if (!(v > (lo) && v < (hi)))                                           \
            TRAP("integer overflow");                                          \
        D = (T)v;                                                              \
        NEXT();                                                                \
    }
#define I32_MIN_LO -2147483649.0
#define I64_MIN_LO -9223372036854777856.0
    TRUNC(I32_TRUNC_F32_S, cell_to_f32, I32_MIN_LO, 2147483648.0, uint32_t)
    TRUNC(I32_TRUNC_F64_S, cell_to_f64, I32_MIN_LO, 2147483648.0, uint32_t)
    TRUNC(I32_TRUNC_F32_U, cell_to_f32, -1.0, 4294967296.0, uint32_t)
    TRUNC(I32_TRUNC_F64_U, cell_to_f64, -1.0, 4294967296.0, uint32_t)
    TRUNC(I64_TRUNC_F32_S, cell_to_f32, I64_MIN_LO, 9223372036854775808.0, int64_t)
    TRUNC(I64_TRUNC_F64_S, cell_to_f64, I64_MIN_LO, 9223372036854775808.0, int64_t)
    TRUNC(I64_TRUNC_F32_U, cell_to_f32, -1.0, 18446744073709551616.0, uint64_t)
    TRUNC(I64_TRUNC_F64_U, cell_to_f64, -1.0, 18446744073709551616.0, uint64_t)
    UNARY(I32_TRUNC_SAT_F32_S, WasmCell, (uint32_t)sat_i32_f64(cell_to_f32(x)))
    UNARY(I32_TRUNC_SAT_F64_S, WasmCell, (uint32_t)sat_i32_f64(cell_to_f64(x)))
    UNARY(I32_TRUNC_SAT_F32_U, WasmCell, sat_u32_f64(cell_to_f32(x)))
    UNARY(I32_TRUNC_SAT_F64_U, WasmCell, sat_u32_f64(cell_to_f64(x)))
    UNARY(I64_TRUNC_SAT_F32_S, WasmCell, (uint64_t)sat_i64_f64(cell_to_f32(x)))
    UNARY(I64_TRUNC_SAT_F64_S, WasmCell, (uint64_t)sat_i64_f64(cell_to_f64(x)))
    UNARY(I64_TRUNC_SAT_F32_U, WasmCell, sat_u64_f64(cell_to_f32(x)))
    UNARY(I64_TRUNC_SAT_F64_U, WasmCell, sat_u64_f64(cell_to_f64(x)))
    UNARY(F32_CONVERT_I32_S, uint32_t, f32_to_cell((float)S32(x)))
    UNARY(F32_CONVERT_I32_U, uint32_t, f32_to_cell((float)x))
    UNARY(F32_CONVERT_I64_S, uint64_t, f32_to_cell((float)S64(x)))
    UNARY(F32_CONVERT_I64_U, uint64_t, f32_to_cell((float)x))
    UNARY(F64_CONVERT_I32_S, uint32_t, f64_to_cell((double)S32(x)))
    UNARY(F64_CONVERT_I32_U, uint32_t, f64_to_cell((double)x))
    UNARY(F64_CONVERT_I64_S, uint64_t, f64_to_cell((double)S64(x)))
    UNARY(F64_CONVERT_I64_U, uint64_t, f64_to_cell((double)x))
    UNARY(F32_DEMOTE_F64, WasmCell, f32_to_cell((float)cell_to_f64(x)))
    UNARY(F64_PROMOTE_F32, WasmCell, f64_to_cell((double)cell_to_f32(x)))

    /* ---- memory: one 64-bit compare per access --------------------------- */
#define LOAD(NAME, T, SIZE, CONV)                                              \
    L_##NAME : {                                                               \
        uint64_t ea = (uint64_t)(uint32_t)A + n->imm;                          \
        if (ea + SIZE > msize)                                                 \
            TRAP(OOB);                                                         \
        T v;                                                                   \
        memcpy(&v, mbase + ea, SIZE);                                          \
        D = CONV;                                                              \
        NEXT();                                                                \
    }
#define STORE(NAME, T, SIZE)                                                   \
    L_##NAME : {                                                               \
        uint64_t ea = (uint64_t)(uint32_t)A + n->imm;                          \
        if (ea + SIZE > msize)                                                 \
            TRAP(OOB);                                                         \
        T v = (T)B;                                                            \
        memcpy(mbase + ea, &v, SIZE);                                          \
        NEXT();                                                                \
    }
    LOAD(I32_LOAD, uint32_t, 4, v)
    LOAD(I64_LOAD, uint64_t, 8, v)
    LOAD(F32_LOAD, uint32_t, 4, v)
    LOAD(F64_LOAD, uint64_t, 8, v)
    LOAD(I32_LOAD8_S, int8_t, 1, (uint32_t)v)
    LOAD(I32_LOAD8_U, uint8_t, 1, v)
    LOAD(I32_LOAD16_S, int16_t, 2, (uint32_t)v)
    LOAD(I32_LOAD16_U, uint16_t, 2, v)
    LOAD(I64_LOAD8_S, int8_t, 1, (uint64_t)v)
    LOAD(I64_LOAD8_U, uint8_t, 1, v)
    LOAD(I64_LOAD16_S, int16_t, 2, (uint64_t)v)
    LOAD(I64_LOAD16_U, uint16_t, 2, v)
    LOAD(I64_LOAD32_S, int32_t, 4, (uint64_t)v)
    LOAD(I64_LOAD32_U, uint32_t, 4, v)
    STORE(I32_STORE, uint32_t, 4)
    STORE(I64_STORE, uint64_t, 8)
    STORE(F32_STORE, uint32_t, 4)
    STORE(F64_STORE, uint64_t, 8)
    STORE(I32_STORE8, uint8_t, 1)
    STORE(I32_STORE16, uint16_t, 2)
    STORE(I64_STORE8, uint8_t, 1)
    STORE(I64_STORE16, uint16_t, 2)
    STORE(I64_STORE32, uint32_t, 4)
L_MEMORY_SIZE:
    D = mem->pages;
    NEXT();
L_MEMORY_GROW:
    D = (uint32_t)wasm_memory_grow(mem, (uint32_t)A);   /* -1 on failure */
    mbase = mem->data;
    msize = mem->size;
    NEXT();
L_MEMORY_FILL:
    if (!interp_memory_fill(mem, (uint32_t)A, (uint32_t)B, (uint32_t)fp[n->c]))
        TRAP(OOB);
    NEXT();
L_MEMORY_COPY:
    if (!interp_memory_copy(mem, (uint32_t)A, (uint32_t)B, (uint32_t)fp[n->c]))
        TRAP(OOB);
    NEXT();
L_MEMORY_INIT:
    if (!interp_memory_init(inst, (uint32_t)n->imm, (uint32_t)A, (uint32_t)B, (uint32_t)fp[n->c]))
        TRAP(OOB);
    NEXT();
L_DATA_DROP:
    inst->data_len[n->imm] = 0;
    NEXT();

    /* ---- references and tables ----------------------------------------- */
L_REF_FUNC:
    D = (uintptr_t)inst->funcs[n->imm];
    NEXT();
L_TABLE_GET: {
    WasmTableInst *t = inst->tables[n->imm];
    if ((uint32_t)A >= t->size)
        TRAP(TABLE_OOB);
    D = t->elems[(uint32_t)A];
    NEXT();
}
L_TABLE_SET: {
    WasmTableInst *t = inst->tables[n->imm];
    if ((uint32_t)A >= t->size)
        TRAP(TABLE_OOB);
    t->elems[(uint32_t)A] = B;
    NEXT();
}
L_TABLE_SIZE:
    D = inst->tables[n->imm]->size;
    NEXT();
L_TABLE_GROW:
    D = interp_table_grow(inst->tables[n->imm], A, (uint32_t)B);
    NEXT();
L_TABLE_FILL:
    if (!interp_table_fill(inst->tables[n->imm], (uint32_t)A, B, (uint32_t)fp[n->c]))
        TRAP(TABLE_OOB);
    NEXT();
L_TABLE_COPY:
    if (!interp_table_copy(inst->tables[n->imm >> 32], inst->tables[(uint32_t)n->imm],
                           (uint32_t)A, (uint32_t)B, (uint32_t)fp[n->c]))
        TRAP(TABLE_OOB);
    NEXT();
L_TABLE_INIT:
    if (!interp_table_init(inst, (uint32_t)n->imm, (uint32_t)(n->imm >> 32), (uint32_t)A,
                           (uint32_t)B, (uint32_t)fp[n->c]))
        TRAP(TABLE_OOB);
    NEXT();
L_ELEM_DROP:
    inst->elem_len[n->imm] = 0;
    NEXT();

    /* ---- kinds the builder never makes ---------------------------------- */
L_END: L_NOP: L_DROP: L_SELECT_T:
L_LOCAL_GET: L_LOCAL_SET: L_LOCAL_TEE: L_REF_NULL:
L_I32_CONST: L_I64_CONST: L_F32_CONST: L_F64_CONST:
L_I32_REINTERPRET_F32: L_I64_REINTERPRET_F64: L_F32_REINTERPRET_I32: L_F64_REINTERPRET_I64:
    assert(!"node kind is never built");
    TRAP("internal error: bad node");

done:
    s->fuel = fuel;
    return ST_OK;
trap:
    st = interp_trap(s, msg);
failed:
    s->fuel = fuel;
    return st;
}
