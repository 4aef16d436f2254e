/*
 * interp_entry.c - the ways into the interpreter: interp_call (from
 * wasm_call in store.c), and interp_const_expr (from instantiation).
 *
 * interp_call builds the first frame at s->sp - copies the arguments in,
 * zeroes the locals, writes a call record with no caller node (which is
 * how RETURN knows to leave interp_run) - and afterwards copies the
 * results out and puts the store's counters back, trap or not.  It is
 * also where the C stack is checked: the only way the interpreter
 * recurses in C is a host function calling wasm_call again.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include <stdio.h>

#include "interp.h"
#include "tree.h"

Status interp_trap(WasmStore *s, const char *msg)
{
    snprintf(s->trap_msg, sizeof s->trap_msg, "%s", msg);
    return ST_TRAP;
}

static Status call_host(WasmStore *s, WasmFuncInst *f, WasmCell *args_results)
{
    const WasmFuncType *ft = f->type;
    if ((size_t)(s->stack + s->stack_cells - s->sp) < ft->nresults)
        return interp_trap(s, "call stack exhausted");
    WasmInstance *caller = s->caller;
    s->caller = NULL;
    Status st = f->host(s, f->host_data, args_results, s->sp);
    s->caller = caller;
    if (st == ST_OK)
        memcpy(args_results, s->sp, ft->nresults * sizeof *args_results);
    return st;
}

Status interp_call(WasmStore *s, WasmFuncInst *f, WasmCell *args_results)
{
    char here;   /* its address tells how deep the C stack is */
    if ((uintptr_t)&here < s->c_stack_limit)
        return interp_trap(s, "call stack exhausted");
    if (f->host)
        return call_host(s, f, args_results);
    const TreeFunc *t = f->tree;
    WasmCell *fp = s->sp, *sp = s->sp;
    uint32_t depth = s->depth;
    bool unlimited = s->fuel == UINT64_MAX;
    if (depth >= s->max_depth || (size_t)(s->stack + s->stack_cells - fp) < t->frame_cells)
        return interp_trap(s, "call stack exhausted");
    if (s->fuel < t->cost)
        return interp_trap(s, "out of fuel");
    s->fuel -= t->cost;
    memcpy(fp, args_results, t->nparams * sizeof *fp);
    zero_cells(fp + t->nparams, t->nlocals);
    WasmCell *rec = fp + t->rec;
    rec[0] = rec[1] = rec[2] = 0;   /* no node to continue at: return to C */
    s->depth = depth + 1;
    Status st = interp_run(s, f, fp);
    if (st == ST_OK)
        memcpy(args_results, fp, t->nresults * sizeof *fp);
    s->sp = sp;
    s->depth = depth;
    if (unlimited)
        s->fuel = UINT64_MAX;
    return st;
}

/* Constant expressions (spec 3.3.10): one value-producing instruction,
 * then end.  Validation made sure of it. */
Status interp_const_expr(WasmInstance *inst, const WasmExpr *e, WasmCell *out)
{
    *out = 0;
    for (uint32_t i = 0; i < e->count; i++) {
        const WasmInsn *in = &e->insns[i];
        switch (in->op) {
        case OP_I32_CONST: case OP_F32_CONST: *out = (uint32_t)in->c; break;
        case OP_I64_CONST: case OP_F64_CONST: *out = in->c; break;
        case OP_REF_NULL: *out = 0; break;
        case OP_REF_FUNC: *out = (uintptr_t)inst->funcs[in->a]; break;
        case OP_GLOBAL_GET: *out = inst->globals[in->a]->value; break;
        case OP_END: return ST_OK;
        default: return ST_INVALID;
        }
    }
    return ST_INVALID;
}
