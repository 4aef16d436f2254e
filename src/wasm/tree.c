/*
 * tree.c - the tree builder: turns each validated function body (a flat
 * array of WasmInsn) into a TreeFunc (see tree.h for the node layout).
 *
 * One pass over the instructions, with three pieces of state (all in
 * Build, tree_build.h):
 *
 *  - the control stack (Ctl): one entry per open block/loop/if, plus the
 *    function itself, as in the validator (spec 3.3.5);
 *  - the operand stack (Entry): where each operand value lives right
 *    now.  An entry is either at its home slot (sbase + height), or still
 *    in a local ("local.get x" was not copied anywhere), or a constant not
 *    yet written anywhere.  Consumers read locals and constants directly;
 *    an entry is "materialized" (copied home) only when it must be: at
 *    block boundaries, before a call, when its local is about to be
 *    overwritten, or when too many entries are pending (WINDOW);
 *  - forward jumps waiting for their target.  A branch to the end of a
 *    block is emitted before the builder has seen that end, so each block
 *    keeps its waiting branches in `ends`; at the `end` they move to
 *    `pending`, the jumps to "whatever node comes next", which the next
 *    node emitted resolves.  Both are chains threaded through the jump
 *    fields themselves (the classic backpatching trick): no allocation.
 *
 * This file handles the function as a whole and the instructions that
 * compute (locals, calls, operators); tree_control.c handles blocks and
 * branches.  Code after br/return/unreachable is not built at all (it
 * cannot run); the builder only tracks its nesting to find the matching
 * else/end.  Node-producing helpers never fail: build_func reserves room
 * for the worst case of each instruction before handling it.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include "tree_build.h"

#include "../util/alloc.h"
#include "wasm.h"

/* ---- locals, calls, plain operators ---------------------------------------- */

static void do_local_set(Build *b, uint32_t x, bool tee)
{
    Entry e = b->stack.items[height(b) - 1];
    uint32_t h = height(b) - 1;
    pop_n(b, 1);
    /* Entries still reading local x must take their copy first. */
    for (uint32_t k = b->vlow; k < height(b); k++)
        if (b->stack.items[k].kind == E_LOCAL && b->stack.items[k].local == x)
            materialize(b, k);
    Entry after = e;
    if (e.kind == E_LOCAL && e.local != x) {
        uint32_t i = emit(b, T_COPY);
        node(b, i)->d = x;
        node(b, i)->a = e.local;
        after = (Entry){.kind = E_LOCAL, .local = x};
    } else if (e.kind == E_CONST) {
        uint32_t i = emit(b, T_CONST);
        node(b, i)->d = x;
        node(b, i)->imm = e.value;
    } else if (e.kind == E_HOME) {
        if (computed_by_last_node(b, &e, h)) {   /* that node writes x instead */
            node(b, b->prod)->d = x;
            after = (Entry){.kind = E_LOCAL, .local = x};
        } else {
            uint32_t i = emit(b, T_COPY);
            node(b, i)->d = x;
            node(b, i)->a = home(b, h);
        }
    }
    if (tee)
        push(b, after);
}

static void do_call(Build *b, const WasmFuncType *ft, unsigned op, uint32_t table,
                    uint32_t type, uint64_t func)
{
    uint32_t index = 0;
    if (op == T_CALL_INDIRECT) {
        index = slot_of(b, height(b) - 1);
        pop_n(b, 1);
    }
    uint32_t h = height(b);
    /* A host callee writes its results above the arguments. */
    if (h + ft->nresults > b->max_height)
        b->max_height = h + ft->nresults;
    materialize_top(b, ft->nparams);
    uint32_t i = emit(b, op);
    node(b, i)->d = home(b, h - ft->nparams);
    node(b, i)->a = index;
    node(b, i)->b = type;
    node(b, i)->imm = op == T_CALL_INDIRECT ? table : func;
    if (op == T_CALL)   /* trees of this module were all allocated up front */
        b->nodes.items[i].n.func = b->m->trees[func - b->m->nimported_funcs];
    pop_n(b, ft->nparams);
    for (uint32_t k = 0; k < ft->nresults; k++)
        push_home(b);
}

static unsigned ri_form(unsigned op)
{
    switch (op) {
#define X(name) case T_##name: return T_##name##_RI;
        TREE_INT_BINOPS(X)
#undef X
    default: return 0;
    }
}

static bool commutes(unsigned op)
{
    switch (op) {
    case T_I32_ADD: case T_I32_MUL: case T_I32_AND: case T_I32_OR: case T_I32_XOR:
    case T_I32_EQ: case T_I32_NE:
    case T_I64_ADD: case T_I64_MUL: case T_I64_AND: case T_I64_OR: case T_I64_XOR:
    case T_I64_EQ: case T_I64_NE:
        return true;
    default:
        return false;
    }
}

/* A node reading `nargs` operands (slots a, b, c) and producing
 * `nresults` (0 or 1) values. */
static uint32_t do_operator(Build *b, unsigned op, uint32_t nargs, uint32_t nresults)
{
    uint32_t h = height(b) - nargs;
    uint32_t slots[3] = {0, 0, 0};
    uint64_t imm = 0;
    const Entry *x = &b->stack.items[h], *y = x + 1;
    if (nargs == 2 && ri_form(op) && (y->kind == E_CONST || (x->kind == E_CONST && commutes(op)))) {
        bool swap = y->kind != E_CONST;   /* k op v computes the same as v op k */
        imm = swap ? x->value : y->value;
        slots[0] = slot_of(b, swap ? h + 1 : h);
        op = ri_form(op);
    } else {
        for (uint32_t k = 0; k < nargs; k++)
            slots[k] = slot_of(b, h + k);
    }
    uint32_t i = nresults ? emit_value(b, op, nargs) : emit(b, op);
    if (!nresults)
        pop_n(b, nargs);
    node(b, i)->a = slots[0];
    node(b, i)->b = slots[1];
    node(b, i)->c = slots[2];
    node(b, i)->imm = imm;
    return i;
}

/* ---- one instruction ---------------------------------------------------------- */

static unsigned tree_op_of(unsigned code)
{
    switch (code) {
#define X(name, code, text, imm, sig) case code: return T_##name;
        WASM_OPCODES(X)
#undef X
    default: return T__COUNT;
    }
}

/* Operand and result counts from the opcode table's "ii:i" signature. */
static void sig_counts(const char *sig, uint32_t *nargs, uint32_t *nresults)
{
    const char *colon = strchr(sig, ':');
    assert(colon);
    *nargs = (uint32_t)(colon - sig);
    *nresults = (uint32_t)strlen(colon + 1);
}


static void build_insn(Build *b, const WasmCode *code, uint32_t k)
{
    const WasmInsn *in = &code->body.insns[k];
    const WasmOpInfo *info = wasm_op_info(in->op);
    unsigned op = tree_op_of(in->op);
    uint64_t ab = (uint64_t)in->a << 32 | in->b;
    uint32_t nargs, nres;
    switch (in->op) {
    case OP_NOP: return;
    case OP_DROP: pop_n(b, 1); return;
    case OP_CALL:
        do_call(b, wasm_module_func_type(b->m, in->a),
                in->a < b->m->nimported_funcs ? T_CALL_IMPORT : T_CALL, 0, 0, in->a);
        return;
    case OP_CALL_INDIRECT:
        do_call(b, &b->m->types[in->a], T_CALL_INDIRECT, in->b, in->a, 0);
        return;
    case OP_SELECT: case OP_SELECT_T: do_operator(b, T_SELECT, 3, 1); return;
    case OP_LOCAL_GET: push(b, (Entry){.kind = E_LOCAL, .local = in->a}); return;
    case OP_LOCAL_SET: do_local_set(b, in->a, false); return;
    case OP_LOCAL_TEE: do_local_set(b, in->a, true); return;
    case OP_I32_CONST: case OP_F32_CONST: push_const(b, (uint32_t)in->c); return;
    case OP_I64_CONST: case OP_F64_CONST: push_const(b, in->c); return;
    case OP_REF_NULL: push_const(b, 0); return;
    /* Same bits in a cell: nothing to do. */
    case OP_I32_REINTERPRET_F32: case OP_F32_REINTERPRET_I32:
    case OP_I64_REINTERPRET_F64: case OP_F64_REINTERPRET_I64:
        return;
    case OP_GLOBAL_GET: case OP_TABLE_SIZE: case OP_REF_FUNC:
        node(b, do_operator(b, op, 0, 1))->imm = in->a;
        return;
    case OP_GLOBAL_SET: node(b, do_operator(b, op, 1, 0))->imm = in->a; return;
    case OP_TABLE_GET: node(b, do_operator(b, op, 1, 1))->imm = in->a; return;
    case OP_TABLE_SET: node(b, do_operator(b, op, 2, 0))->imm = in->a; return;
    case OP_TABLE_GROW: node(b, do_operator(b, op, 2, 1))->imm = in->a; return;
    case OP_TABLE_FILL: case OP_MEMORY_INIT:
        node(b, do_operator(b, op, 3, 0))->imm = in->a;
        return;
    case OP_TABLE_COPY: case OP_TABLE_INIT: node(b, do_operator(b, op, 3, 0))->imm = ab; return;
    case OP_ELEM_DROP: case OP_DATA_DROP: node(b, do_operator(b, op, 0, 0))->imm = in->a; return;
    case OP_REF_IS_NULL: do_operator(b, op, 1, 1); return;
    default: break;
    }
    assert(info && info->sig[0] != '\0');
    sig_counts(info->sig, &nargs, &nres);
    uint32_t i = do_operator(b, op, nargs, nres);
    if (info->imm == IMM_MEMARG)
        node(b, i)->imm = in->b;   /* the offset; the alignment is only a hint */
}

static bool is_control(unsigned op)
{
    switch (op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF: case OP_ELSE: case OP_END:
    case OP_UNREACHABLE: case OP_BR: case OP_BR_IF: case OP_BR_TABLE: case OP_RETURN:
        return true;
    default:
        return false;
    }
}

/* ---- one function ------------------------------------------------------------ */

/* end_at[k] = index of the `end` closing the block/loop/if at k. */
static Status match_ends(Build *b, const WasmExpr *body)
{
    b->end_at.len = 0;
    b->open.len = 0;
    if (vec_reserve(&b->end_at, body->count) != ST_OK ||
        vec_reserve(&b->open, body->count) != ST_OK)
        return ST_NOMEM;
    b->end_at.len = body->count;
    for (uint32_t k = 0; k < body->count; k++) {
        unsigned op = body->insns[k].op;
        b->end_at.items[k] = k;
        if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF)
            b->open.items[b->open.len++] = k;
        else if (op == OP_END && b->open.len > 0)
            b->end_at.items[b->open.items[--b->open.len]] = k;
    }
    return ST_OK;
}

/* Room for the worst case of instruction k, so emitting cannot fail. */
static Status reserve_for(Build *b, const WasmCode *code, uint32_t k)
{
    const WasmInsn *in = &code->body.insns[k];
    size_t nodes = WINDOW + 8, cells = 2;
    if (in->op == OP_BR_TABLE)
        nodes += (size_t)in->b + 1;
    if (in->op == OP_CALL)
        cells += wasm_module_func_type(b->m, in->a)->nresults;
    if (in->op == OP_CALL_INDIRECT)
        cells += b->m->types[in->a].nresults;
    if ((in->op == OP_END || in->op == OP_ELSE) && b->ctls.len > 0)
        cells += ctl_at(b, 0)->nresults + ctl_at(b, 0)->nparams;
    if (b->nodes.len + nodes > MAX_NODES)
        return ST_LIMIT;
    if (vec_reserve(&b->nodes, b->nodes.len + nodes) != ST_OK ||
        vec_reserve(&b->stack, b->stack.len + cells) != ST_OK ||
        vec_reserve(&b->ctls, b->ctls.len + 1) != ST_OK)
        return ST_NOMEM;
    return ST_OK;
}

/* Copy the built nodes into the module's arena, jumps as pointers. */
/* Where a jump to node i really leads: past nodes that only jump on (an
 * else, a br with nothing to move or charge).  Those only ever jump
 * forward, so the walk ends. */
static uint32_t final_target(const Build *b, uint32_t i)
{
    while (i < b->nodes.len) {
        const BNode *bn = &b->nodes.items[i];
        bool plain_br = bn->n.op == T_BR && bn->n.b == 0 && bn->n.c == 0;
        if (bn->n.op != T_ELSE && !plain_br)
            break;
        assert(bn->jump > i);
        i = bn->jump;
    }
    return i;
}

static Status finish(Build *b, WasmModule *m, TreeFunc *t)
{
    uint32_t n = (uint32_t)b->nodes.len;
    t->nodes = arena_calloc(&m->tree_arena, n, sizeof *t->nodes);
    if (!t->nodes)
        return ST_NOMEM;
    t->nnodes = n;
    for (uint32_t i = 0; i < n; i++) {
        const BNode *bn = &b->nodes.items[i];
        t->nodes[i] = bn->n;
        uint32_t to = bn->n.op == T_CALL ? NONE : final_target(b, bn->jump);
        if (bn->n.op != T_CALL)
            t->nodes[i].jump = to < n ? &t->nodes[to] : NULL;
    }
    t->entry = &t->nodes[0];
    t->frame_cells = b->sbase + b->max_height;
    return ST_OK;
}

static Status build_func(Build *b, WasmModule *m, uint32_t defined)
{
    const WasmCode *code = &m->codes[defined];
    uint32_t fidx = m->nimported_funcs + defined;
    const WasmFuncType *ft = wasm_module_func_type(m, fidx);
    uint64_t sbase = (uint64_t)ft->nparams + code->nlocals + TREE_RECORD_CELLS;
    if (sbase + code->body.count > INT32_MAX)
        return ST_LIMIT;
    TreeFunc *t = m->trees[defined];
    *t = (TreeFunc){.func_index = fidx, .nparams = ft->nparams, .nresults = ft->nresults,
                    .nlocals = code->nlocals, .rec = (uint32_t)sbase - TREE_RECORD_CELLS,
                    .sbase = (uint32_t)sbase, .cost = code->body.count};
    b->sbase = (uint32_t)sbase;
    b->nodes.len = b->stack.len = b->ctls.len = 0;
    b->pending.head = b->pending.tail = NONE;
    b->vlow = b->max_height = b->barrier = 0;
    b->prod = NONE;
    Status st = match_ends(b, &code->body);
    if (st != ST_OK || (st = vec_reserve(&b->ctls, 1)) != ST_OK)
        return st;
    b->ctls.items[b->ctls.len++] = (Ctl){.kind = CTL_FUNC, .live = true, .nresults = ft->nresults,
                                         .ends = {NONE, NONE}};
    for (uint32_t k = 0; k < code->body.count && b->ctls.len > 0; k++) {
        const WasmInsn *in = &code->body.insns[k];
        if ((st = reserve_for(b, code, k)) != ST_OK)
            return st;
        b->pos = in->pos;
        if (is_control(in->op))
            tree_build_control(b, code, k);
        else if (!ctl_at(b, 0)->dead)
            build_insn(b, code, k);
    }
    assert(b->ctls.len == 0 && b->pending.head == NONE);
    return finish(b, m, t);
}

Status tree_build_module(WasmModule *m, WasmError *err)
{
    Build b = {.m = m};
    Status st = ST_OK;
    uint32_t i = 0;
    m->trees = arena_calloc(&m->tree_arena, m->ncodes ? m->ncodes : 1, sizeof *m->trees);
    if (!m->trees) {
        st = ST_NOMEM;
        goto fail;
    }
    /* All TreeFuncs first, so a call node can point at its callee's. */
    for (i = 0; i < m->ncodes; i++)
        if (!(m->trees[i] = arena_calloc(&m->tree_arena, 1, sizeof *m->trees[i]))) {
            st = ST_NOMEM;
            goto fail;
        }
    for (i = 0; i < m->ncodes; i++)
        if ((st = build_func(&b, m, i)) != ST_OK)
            goto fail;
fail:
    vec_fini(&b.nodes);
    vec_fini(&b.stack);
    vec_fini(&b.ctls);
    vec_fini(&b.end_at);
    vec_fini(&b.open);
    if (st == ST_NOMEM)
        return wasm_error(err, st, -1, "out of memory building function %u", i);
    if (st != ST_OK)
        return wasm_error(err, st, -1, "function %u is too large to run", i);
    return ST_OK;
}
