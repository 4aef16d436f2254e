/*
 * validate_code.c - type checking of function bodies (spec 3.3, and the
 * appendix "Validation Algorithm", which this file follows closely).
 *
 * A body is a flat array of instructions.  We walk it once, left to right,
 * keeping two explicit stacks instead of recursing (so a body nested a
 * million blocks deep cannot overflow the C stack):
 *
 *   - the operand stack holds the *types* of the values the code would
 *     have on its stack at run time, or VT_UNKNOWN;
 *   - the control stack holds one CtrlFrame per open block, loop, if or
 *     else, with the block's parameter and result types and the operand
 *     stack height at which the block began.
 *
 * Each instruction pops the types it consumes (checking them) and pushes
 * the types it produces.  A block may only pop what it pushed itself,
 * never below its frame's height.  After an instruction that never falls
 * through (unreachable, br, br_table, return) the rest of the block is
 * dead code: the stack is cut back to the frame's height and marked
 * "unreachable", after which popping from the empty stack yields
 * VT_UNKNOWN, a type that matches anything.  That is how dead code such as
 * `unreachable i32.add` type-checks, as the spec requires.
 *
 * Each instruction is checked in two steps: check_imm() looks at its
 * immediates (indices exist, alignment, reference declarations), then
 * type_insn() applies its typing rule.  Instructions with a fixed type
 * take it from the "params:results" column of opcodes.h.
 *
 * Growth of both stacks is bounded: the control stack by the number of
 * instructions, the operand stack by VALIDATE_MAX_VALS.
 *
 * Book: chapter 4, book/04-wasm-validation.md
 */
#include "validate.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "../util/alloc.h"
#include "opcodes.h"

/* ---- messages -------------------------------------------------------- */

/* Record "WHAT: OP in function F[: DETAIL]" at the current instruction.
 * WHAT is the spec's wording; the rest helps a person find the spot. */
static Status fail(Validator *v, Status st, const char *what, const char *fmt, ...)
{
    char detail[160] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    return wasm_error(v->err, st, (long)v->insn->pos, "%s: %s in function %u%s%s", what,
                      wasm_op_name(v->insn->op), v->func, fmt ? ": " : "", detail);
}

/* "unknown global 7: global.get in function 2" */
static Status fail_unknown(Validator *v, const char *space, uint32_t idx)
{
    char what[64];
    snprintf(what, sizeof what, "unknown %s %u", space, idx);
    return fail(v, ST_INVALID, what, NULL);
}

static Status mismatch(Validator *v, uint8_t expect, const char *found)
{
    return fail(v, ST_INVALID, "type mismatch", "expected %s, found %s",
                expect == VT_UNKNOWN ? "any value" : wasm_valtype_name(expect), found);
}

static Status nomem(Validator *v)
{
    return wasm_error(v->err, ST_NOMEM, -1, "out of memory while validating");
}

/* ---- the operand and control stacks ----------------------------------- */

static CtrlFrame *top(Validator *v)
{
    assert(v->ctrls.len > 0);
    return &v->ctrls.items[v->ctrls.len - 1];
}

static Status push_val(Validator *v, uint8_t t)
{
    if (v->vals.len >= VALIDATE_MAX_VALS)
        return fail(v, ST_LIMIT, "operand stack too deep", "more than %u values",
                    VALIDATE_MAX_VALS);
    return vec_push(&v->vals, t) == ST_OK ? ST_OK : nomem(v);
}

static Status push_vals(Validator *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        Status st = push_val(v, types[i]);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Pop one operand of type `expect` (VT_UNKNOWN: any type); `*actual`, if
 * wanted, gets the type that was there.  Below the frame's height there is
 * nothing to pop, unless the code is unreachable: then the stack is
 * polymorphic and yields VT_UNKNOWN, which matches everything. */
static Status pop_val(Validator *v, uint8_t expect, uint8_t *actual)
{
    const CtrlFrame *f = top(v);
    uint8_t t = VT_UNKNOWN;
    if (v->vals.len > f->height)
        t = v->vals.items[--v->vals.len];
    else if (!f->unreachable)
        return mismatch(v, expect, "nothing");
    if (t != expect && t != VT_UNKNOWN && expect != VT_UNKNOWN)
        return mismatch(v, expect, wasm_valtype_name(t));
    if (actual)
        *actual = t;
    return ST_OK;
}

/* Pop types[n-1], ..., types[0]: the last listed is on top. */
static Status pop_vals(Validator *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = n; i > 0; i--) {
        Status st = pop_val(v, types[i - 1], NULL);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Check that the stack ends with `types` without popping them: the
 * spec's push_vals(pop_vals(types)), used for br_table's targets. */
static Status peek_vals(Validator *v, const uint8_t *types, uint32_t n)
{
    const CtrlFrame *f = top(v);
    size_t avail = v->vals.len - f->height;
    for (uint32_t i = 1; i <= n; i++) {
        uint8_t expect = types[n - i];
        if (i > avail) {
            if (f->unreachable)
                return ST_OK;   /* the rest comes from the polymorphic bottom */
            return mismatch(v, expect, "nothing");
        }
        uint8_t t = v->vals.items[v->vals.len - i];
        if (t != expect && t != VT_UNKNOWN)
            return mismatch(v, expect, wasm_valtype_name(t));
    }
    return ST_OK;
}

/* Open a block whose signature is given by `sig` (params and results). */
static Status push_ctrl(Validator *v, uint16_t op, const CtrlFrame *sig)
{
    CtrlFrame f = *sig;
    f.op = op;
    f.unreachable = false;
    f.height = (uint32_t)v->vals.len;
    if (vec_push(&v->ctrls, f) != ST_OK)
        return nomem(v);
    return push_vals(v, f.params, f.nparams);
}

/* Close the innermost block: its results must be exactly what is left. */
static Status pop_ctrl(Validator *v, CtrlFrame *out)
{
    *out = *top(v);
    Status st = pop_vals(v, out->results, out->nresults);
    if (st != ST_OK)
        return st;
    if (v->vals.len != out->height)
        return fail(v, ST_INVALID, "type mismatch", "%zu extra value(s) at the end of the block",
                    v->vals.len - out->height);
    v->ctrls.len--;
    return ST_OK;
}

/* After br, br_table, return, unreachable: the rest of the block is dead. */
static void set_unreachable(Validator *v)
{
    CtrlFrame *f = top(v);
    v->vals.len = f->height;
    f->unreachable = true;
}

/* What a branch to frame `f` must carry: a loop's label is its start. */
static uint32_t label_types(const CtrlFrame *f, const uint8_t **types)
{
    *types = f->op == OP_LOOP ? f->params : f->results;
    return f->op == OP_LOOP ? f->nparams : f->nresults;
}

static const CtrlFrame *frame_at(Validator *v, uint32_t depth)
{
    assert(depth < v->ctrls.len);
    return &v->ctrls.items[v->ctrls.len - 1 - depth];
}

/* ---- small facts ----------------------------------------------------- */

/* Storage for the one-type signatures of `block (result t)` frames. */
static const uint8_t value_types[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64,
                                      WASM_FUNCREF, WASM_EXTERNREF};

static const uint8_t *value_type_ptr(uint32_t t)
{
    for (size_t i = 0; i < sizeof value_types; i++)
        if (value_types[i] == t)
            return &value_types[i];
    return NULL;
}

static bool is_num(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64 || t == VT_UNKNOWN;
}

static bool is_ref(uint8_t t)
{
    return t == WASM_FUNCREF || t == WASM_EXTERNREF || t == VT_UNKNOWN;
}

static uint8_t sig_letter_type(char c)
{
    switch (c) {
    case 'i': return WASM_I32;
    case 'I': return WASM_I64;
    case 'f': return WASM_F32;
    default: assert(c == 'F'); return WASM_F64;
    }
}

/* The natural alignment (log2 of the access width in bytes) of a load or
 * store; its memarg may promise less alignment, never more (spec 3.3.7). */
static uint32_t natural_align(unsigned op)
{
    switch (op) {
    case OP_I32_LOAD8_S: case OP_I32_LOAD8_U: case OP_I64_LOAD8_S: case OP_I64_LOAD8_U:
    case OP_I32_STORE8: case OP_I64_STORE8:
        return 0;
    case OP_I32_LOAD16_S: case OP_I32_LOAD16_U: case OP_I64_LOAD16_S: case OP_I64_LOAD16_U:
    case OP_I32_STORE16: case OP_I64_STORE16:
        return 1;
    case OP_I64_LOAD: case OP_F64_LOAD: case OP_I64_STORE: case OP_F64_STORE:
        return 3;
    default:   /* 32-bit accesses */
        return 2;
    }
}

static uint8_t local_type(const Validator *v, uint32_t idx)
{
    const WasmFuncType *ft = wasm_module_func_type(v->m, v->func);
    if (idx < ft->nparams)
        return WASM_PARAMS(ft)[idx];
    return v->code->local_types[idx - ft->nparams];
}

/* The signature of a block, loop or if, as a frame without op/height. */
static CtrlFrame block_sig(const Validator *v, const WasmInsn *in)
{
    CtrlFrame sig = {0};
    if (in->bt == WASM_BT_VAL) {
        sig.results = value_type_ptr(in->a);
        sig.nresults = 1;
    } else if (in->bt == WASM_BT_TYPE) {
        const WasmFuncType *ft = &v->m->types[in->a];
        sig.params = WASM_PARAMS(ft);
        sig.nparams = ft->nparams;
        sig.results = WASM_RESULTS(ft);
        sig.nresults = ft->nresults;
    }
    return sig;
}

/* ---- step 1: immediates ---------------------------------------------- */

static Status need_memory(Validator *v)
{
    return v->m->nmems > 0 ? ST_OK : fail_unknown(v, "memory", 0);
}

static Status need_table(Validator *v, uint32_t idx)
{
    return idx < v->m->ntables ? ST_OK : fail_unknown(v, "table", idx);
}

static Status need_elem(Validator *v, uint32_t idx)
{
    return idx < v->m->nelems ? ST_OK : fail_unknown(v, "elem segment", idx);
}

/* memory.init and data.drop: the binary must announce the segment count
 * up front (the data count section, spec 5.5.16) so that code, which comes
 * before the data section, can be checked in one pass. */
static Status need_data(Validator *v, uint32_t idx)
{
    if (idx >= v->m->ndatas)
        return fail_unknown(v, "data segment", idx);
    if (!v->m->has_datacount)
        return fail(v, ST_MALFORMED, "data count section required", NULL);
    return ST_OK;
}

/* Two reference types that must agree (table.copy, table.init). */
static Status same_ref(Validator *v, uint8_t dst, uint8_t src)
{
    return dst == src ? ST_OK : mismatch(v, dst, wasm_valtype_name(src));
}

static Status check_br_table(Validator *v, const WasmInsn *in)
{
    if ((uint64_t)in->a + in->b + 1 > v->code->nlabels)
        return fail(v, ST_MALFORMED, "malformed br_table", "targets out of range");
    for (uint32_t i = 0; i <= in->b; i++) {
        uint32_t depth = v->code->labels[in->a + i];
        if (depth >= v->ctrls.len)
            return fail_unknown(v, "label", depth);
    }
    return ST_OK;
}

static Status check_global(Validator *v, const WasmInsn *in)
{
    if (in->a >= v->m->nglobals)
        return fail_unknown(v, "global", in->a);
    if (in->op == OP_GLOBAL_SET && !v->m->globals[in->a].type.mutable_)
        return fail(v, ST_INVALID, "global is immutable", "global %u", in->a);
    return ST_OK;
}

static Status check_func(Validator *v, const WasmInsn *in)
{
    if (in->a >= v->m->nfuncs)
        return fail_unknown(v, "function", in->a);
    /* ref.func may only name functions the module mentions outside code
     * (spec 3.4.10, C.refs), so instantiation knows every function that
     * can escape as a reference. */
    if (in->op == OP_REF_FUNC && !v->declared[in->a])
        return fail(v, ST_INVALID, "undeclared function reference", "function %u", in->a);
    return ST_OK;
}

static Status check_memarg(Validator *v, const WasmInsn *in)
{
    Status st = need_memory(v);
    if (st == ST_OK && in->a > natural_align(in->op))
        st = fail(v, ST_INVALID, "alignment must not be larger than natural",
                  "2^%u > %u bytes", in->a, 1u << natural_align(in->op));
    return st;
}

static Status check_call_indirect(Validator *v, const WasmInsn *in)
{
    Status st = need_table(v, in->b);
    if (st == ST_OK && in->a >= v->m->ntypes)
        st = fail_unknown(v, "type", in->a);
    if (st == ST_OK)
        st = same_ref(v, WASM_FUNCREF, v->m->tables[in->b].elem_type);
    return st;
}

static Status check_local(Validator *v, uint32_t idx)
{
    uint64_t n = (uint64_t)wasm_module_func_type(v->m, v->func)->nparams + v->code->nlocals;
    return idx < n ? ST_OK : fail_unknown(v, "local", idx);
}

/* table.init x y: the segment's references must suit table x. */
static Status check_table_init(Validator *v, const WasmInsn *in)
{
    Status st = need_table(v, in->b);
    if (st == ST_OK)
        st = need_elem(v, in->a);
    if (st == ST_OK)
        st = same_ref(v, v->m->tables[in->b].elem_type, v->m->elems[in->a].elem_type);
    return st;
}

/* table.copy x y copies from table y into table x. */
static Status check_table_copy(Validator *v, const WasmInsn *in)
{
    Status st = need_table(v, in->a);
    if (st == ST_OK)
        st = need_table(v, in->b);
    if (st == ST_OK)
        st = same_ref(v, v->m->tables[in->a].elem_type, v->m->tables[in->b].elem_type);
    return st;
}

static Status check_imm(Validator *v, const WasmInsn *in, WasmImm imm)
{
    const WasmModule *m = v->m;
    Status st = ST_OK;
    switch (imm) {
    case IMM_BLOCK:
        if (in->bt == WASM_BT_TYPE && in->a >= m->ntypes)
            return fail_unknown(v, "type", in->a);
        if (in->bt == WASM_BT_VAL && !value_type_ptr(in->a))
            return fail(v, ST_MALFORMED, "malformed value type", "0x%02x", in->a);
        return ST_OK;
    case IMM_LABEL:
        return in->a < v->ctrls.len ? ST_OK : fail_unknown(v, "label", in->a);
    case IMM_BR_TABLE: return check_br_table(v, in);
    case IMM_FUNC: return check_func(v, in);
    case IMM_CALL_INDIRECT: return check_call_indirect(v, in);
    case IMM_LOCAL: return check_local(v, in->a);
    case IMM_GLOBAL: return check_global(v, in);
    case IMM_TABLE: return need_table(v, in->a);
    case IMM_MEMARG: return check_memarg(v, in);
    case IMM_MEMIDX: case IMM_MEM_MEM: return need_memory(v);
    case IMM_DATA_MEM:
        st = need_memory(v);
        return st == ST_OK ? need_data(v, in->a) : st;
    case IMM_DATA: return need_data(v, in->a);
    case IMM_ELEM_TABLE: return check_table_init(v, in);
    case IMM_ELEM: return need_elem(v, in->a);
    case IMM_TABLE_TABLE: return check_table_copy(v, in);
    case IMM_SELECT_T:
        if (in->a != 1)
            return fail(v, ST_INVALID, "invalid result arity", "select with %u types", in->a);
        if (!value_type_ptr(in->b))
            return fail(v, ST_MALFORMED, "malformed value type", "0x%02x", in->b);
        return ST_OK;
    case IMM_REFTYPE:
        if (in->a != WASM_FUNCREF && in->a != WASM_EXTERNREF)
            return fail(v, ST_MALFORMED, "malformed reference type", "0x%02x", in->a);
        return ST_OK;
    default:
        return ST_OK;
    }
}

/* ---- step 2: typing rules -------------------------------------------- */

/* A fixed signature from opcodes.h, e.g. "iI:" for i64.store. */
static Status apply_sig(Validator *v, const char *sig)
{
    const char *colon = sig;
    while (*colon != ':')
        colon++;
    for (const char *p = colon; p > sig; p--) {
        Status st = pop_val(v, sig_letter_type(p[-1]), NULL);
        if (st != ST_OK)
            return st;
    }
    for (const char *p = colon + 1; *p; p++) {
        Status st = push_val(v, sig_letter_type(*p));
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Pop up to three operands of known types, the top one first; a 0 type
 * means "no more operands". */
static Status pops(Validator *v, uint8_t a, uint8_t b, uint8_t c)
{
    Status st = a ? pop_val(v, a, NULL) : ST_OK;
    if (st == ST_OK && b)
        st = pop_val(v, b, NULL);
    if (st == ST_OK && c)
        st = pop_val(v, c, NULL);
    return st;
}

static Status do_block(Validator *v, const WasmInsn *in)
{
    CtrlFrame sig = block_sig(v, in);
    Status st = ST_OK;
    if (in->op == OP_IF)
        st = pop_val(v, WASM_I32, NULL);
    if (st == ST_OK)
        st = pop_vals(v, sig.params, sig.nparams);
    return st == ST_OK ? push_ctrl(v, in->op, &sig) : st;
}

static Status do_else(Validator *v)
{
    CtrlFrame f;
    if (top(v)->op != OP_IF)
        return fail(v, ST_MALFORMED, "else without if", NULL);
    Status st = pop_ctrl(v, &f);
    return st == ST_OK ? push_ctrl(v, OP_ELSE, &f) : st;
}

static Status do_end(Validator *v)
{
    CtrlFrame f;
    Status st = pop_ctrl(v, &f);
    if (st == ST_OK && f.op == OP_IF) {
        /* No else: an empty else branch must turn the params into the
         * results, so check it exactly as if it had been written. */
        st = push_ctrl(v, OP_ELSE, &f);
        if (st == ST_OK)
            st = pop_ctrl(v, &f);
    }
    if (st != ST_OK || v->ctrls.len == 0)
        return st;   /* the function's own end: nothing follows */
    return push_vals(v, f.results, f.nresults);
}

static Status do_br(Validator *v, uint32_t depth, bool conditional)
{
    const uint8_t *types;
    uint32_t n = label_types(frame_at(v, depth), &types);
    Status st = conditional ? pop_val(v, WASM_I32, NULL) : ST_OK;
    if (st == ST_OK)
        st = pop_vals(v, types, n);
    if (st != ST_OK)
        return st;
    if (conditional)
        return push_vals(v, types, n);   /* not taken: the values stay */
    set_unreachable(v);
    return ST_OK;
}

/* br_table: every target must take the same number of values, and the
 * values on the stack must suit each target's types (spec 3.3.8). */
static Status do_br_table(Validator *v, const WasmInsn *in)
{
    const uint32_t *targets = v->code->labels + in->a;
    const uint8_t *dtypes, *types;
    uint32_t arity = label_types(frame_at(v, targets[in->b]), &dtypes);
    Status st = pop_val(v, WASM_I32, NULL);
    for (uint32_t i = 0; st == ST_OK && i < in->b; i++) {
        uint32_t n = label_types(frame_at(v, targets[i]), &types);
        if (n != arity)
            return fail(v, ST_INVALID, "type mismatch", "br_table targets take %u and %u values",
                        n, arity);
        st = peek_vals(v, types, n);
    }
    if (st == ST_OK)
        st = pop_vals(v, dtypes, arity);
    if (st == ST_OK)
        set_unreachable(v);
    return st;
}

static Status do_call(Validator *v, const WasmFuncType *ft, bool indirect)
{
    Status st = indirect ? pop_val(v, WASM_I32, NULL) : ST_OK;
    if (st == ST_OK)
        st = pop_vals(v, WASM_PARAMS(ft), ft->nparams);
    return st == ST_OK ? push_vals(v, WASM_RESULTS(ft), ft->nresults) : st;
}

/* Untyped select is for numeric operands only; reference operands need
 * `select (result t)` so that the result type is known (spec 3.3.4). */
static Status do_select(Validator *v)
{
    uint8_t t1, t2;
    Status st = pop_val(v, WASM_I32, NULL);
    if (st == ST_OK)
        st = pop_val(v, VT_UNKNOWN, &t1);
    if (st == ST_OK)
        st = pop_val(v, VT_UNKNOWN, &t2);
    if (st != ST_OK)
        return st;
    if (!is_num(t1) || !is_num(t2))
        return fail(v, ST_INVALID, "type mismatch", "untyped select of %s",
                    wasm_valtype_name(is_num(t1) ? t2 : t1));
    if (t1 != t2 && t1 != VT_UNKNOWN && t2 != VT_UNKNOWN)
        return mismatch(v, t1, wasm_valtype_name(t2));
    return push_val(v, t1 == VT_UNKNOWN ? t2 : t1);
}

static Status do_ref_is_null(Validator *v)
{
    uint8_t t;
    Status st = pop_val(v, VT_UNKNOWN, &t);
    if (st == ST_OK && !is_ref(t))
        return fail(v, ST_INVALID, "type mismatch", "expected a reference, found %s",
                    wasm_valtype_name(t));
    return st == ST_OK ? push_val(v, WASM_I32) : st;
}

static Status type_insn(Validator *v, const WasmInsn *in, const WasmOpInfo *info)
{
    const WasmModule *m = v->m;
    Status st;
    switch (in->op) {
    case OP_UNREACHABLE: set_unreachable(v); return ST_OK;
    case OP_NOP: return ST_OK;
    case OP_BLOCK: case OP_LOOP: case OP_IF: return do_block(v, in);
    case OP_ELSE: return do_else(v);
    case OP_END: return do_end(v);
    case OP_BR: return do_br(v, in->a, false);
    case OP_BR_IF: return do_br(v, in->a, true);
    case OP_BR_TABLE: return do_br_table(v, in);
    case OP_RETURN: return do_br(v, (uint32_t)v->ctrls.len - 1, false);
    case OP_CALL: return do_call(v, wasm_module_func_type(m, in->a), false);
    case OP_CALL_INDIRECT: return do_call(v, &m->types[in->a], true);
    case OP_DROP: return pop_val(v, VT_UNKNOWN, NULL);
    case OP_SELECT: return do_select(v);
    case OP_SELECT_T:
        st = pops(v, WASM_I32, (uint8_t)in->b, (uint8_t)in->b);
        return st == ST_OK ? push_val(v, (uint8_t)in->b) : st;
    case OP_LOCAL_GET: return push_val(v, local_type(v, in->a));
    case OP_LOCAL_SET: return pop_val(v, local_type(v, in->a), NULL);
    case OP_LOCAL_TEE:
        st = pop_val(v, local_type(v, in->a), NULL);
        return st == ST_OK ? push_val(v, local_type(v, in->a)) : st;
    case OP_GLOBAL_GET: return push_val(v, m->globals[in->a].type.type);
    case OP_GLOBAL_SET: return pop_val(v, m->globals[in->a].type.type, NULL);
    case OP_TABLE_GET:
        st = pop_val(v, WASM_I32, NULL);
        return st == ST_OK ? push_val(v, m->tables[in->a].elem_type) : st;
    case OP_TABLE_SET: return pops(v, m->tables[in->a].elem_type, WASM_I32, 0);
    case OP_TABLE_GROW:
        st = pops(v, WASM_I32, m->tables[in->a].elem_type, 0);
        return st == ST_OK ? push_val(v, WASM_I32) : st;
    case OP_TABLE_FILL: return pops(v, WASM_I32, m->tables[in->a].elem_type, WASM_I32);
    case OP_REF_NULL: return push_val(v, (uint8_t)in->a);
    case OP_REF_IS_NULL: return do_ref_is_null(v);
    case OP_REF_FUNC: return push_val(v, WASM_FUNCREF);
    default:
        assert(info->sig[0] != '\0');
        return apply_sig(v, info->sig);
    }
}

/* ---- the body -------------------------------------------------------- */

static Status check_insn(Validator *v, const WasmInsn *in)
{
    const WasmOpInfo *info = wasm_op_info(in->op);
    if (!info)
        return fail(v, ST_MALFORMED, "illegal opcode", "0x%x", in->op);
    Status st = check_imm(v, in, info->imm);
    return st == ST_OK ? type_insn(v, in, info) : st;
}

Status validate_code_body(Validator *v, uint32_t func)
{
    const WasmModule *m = v->m;
    const WasmCode *code = &m->codes[func - m->nimported_funcs];
    const WasmFuncType *ft = wasm_module_func_type(m, func);
    v->func = func;
    v->code = code;
    v->vals.len = 0;
    v->ctrls.len = 0;
    if (code->body.count == 0)
        return wasm_error(v->err, ST_MALFORMED, code->pos, "END opcode expected: function %u",
                          func);
    v->insn = &code->body.insns[0];
    /* The body is a block whose results are the function's results; the
     * parameters are locals, not operands. */
    CtrlFrame sig = {.results = WASM_RESULTS(ft), .nresults = ft->nresults};
    Status st = push_ctrl(v, OP_BLOCK, &sig);
    for (uint32_t i = 0; st == ST_OK && i < code->body.count; i++) {
        v->insn = &code->body.insns[i];
        if (v->ctrls.len == 0)
            return fail(v, ST_MALFORMED, "operators remaining after end of function", NULL);
        st = check_insn(v, v->insn);
    }
    if (st == ST_OK && v->ctrls.len != 0)
        return fail(v, ST_MALFORMED, "END opcode expected", NULL);
    return st;
}

Status validate_code_check(const Validator *v)
{
    if (v->vals.len > VALIDATE_MAX_VALS)
        return ST_INVALID;
    for (size_t i = 0; i < v->vals.len; i++)
        if (v->vals.items[i] != VT_UNKNOWN && !value_type_ptr(v->vals.items[i]))
            return ST_INVALID;
    uint32_t below = 0;
    for (size_t i = 0; i < v->ctrls.len; i++) {
        const CtrlFrame *f = &v->ctrls.items[i];
        if (f->height < below || f->height > v->vals.len)
            return ST_INVALID;
        below = f->height;
    }
    return ST_OK;
}

void validate_code_fini(Validator *v)
{
    vec_fini(&v->vals);
    vec_fini(&v->ctrls);
}
