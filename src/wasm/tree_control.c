/*
 * tree_control.c - the tree builder's half for structured control:
 * block, loop, if/else, end, and the branches.
 *
 * At a block, loop or if every operand is moved home first ("flush"),
 * so the code after the construct finds values in the same slots however
 * it was reached.  A branch knows its target's label arity (params for a
 * loop, results otherwise): it moves that many values from the top of the
 * stack to the target's home slots, unless they are there already, and a
 * branch to a loop carries the loop's fuel cost.  A forward branch gets
 * its target when the builder reaches the block's end: until then the
 * branch waits in the block's `ends` chain.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include "tree_build.h"

/* ---- blocks and branches -------------------------------------------------- */

static void block_arity(const Build *b, const WasmInsn *in, uint32_t *np, uint32_t *nr)
{
    *np = 0;
    *nr = in->bt == WASM_BT_VAL ? 1 : 0;
    if (in->bt == WASM_BT_TYPE) {
        *np = b->m->types[in->a].nparams;
        *nr = b->m->types[in->a].nresults;
    }
}

/* What a branch to label `depth` must do: move `count` cells from `src`
 * to `dst` (0: nothing to move), charge `fuel`, go to the label. */
typedef struct Branch {
    Ctl *target;
    uint32_t src, dst, count, arity, fuel;
} Branch;

static Branch branch_prepare(Build *b, uint32_t depth)
{
    Branch br = {.target = ctl_at(b, depth)};
    Ctl *t = br.target;
    br.arity = t->kind == CTL_LOOP ? t->nparams : t->nresults;
    br.src = values_slot(b, br.arity);
    br.dst = t->kind == CTL_FUNC ? 0 : home(b, t->height);
    br.count = br.src == br.dst ? 0 : br.arity;
    br.fuel = t->kind == CTL_LOOP ? t->cost : 0;
    return br;
}

static uint32_t emit_return(Build *b, uint32_t src, uint32_t nresults)
{
    uint32_t i = emit(b, T_RETURN);
    node(b, i)->a = src;
    node(b, i)->c = nresults;
    node(b, i)->b = b->sbase - TREE_RECORD_CELLS;
    return i;
}

/* Point node i's jump at the branch target. */
static void link_jump(Build *b, uint32_t i, const Branch *br)
{
    node(b, i)->c = br->fuel;
    if (br->target->kind == CTL_LOOP)   /* backward: the loop's first node */
        b->nodes.items[i].jump = br->target->node + 1;
    else                                /* forward: known at the end */
        chain_add(b, &br->target->ends, i);
}

/* An unconditional branch (or the return it is, for the function label). */
static uint32_t emit_br(Build *b, const Branch *br)
{
    if (br->target->kind == CTL_FUNC)
        return emit_return(b, br->src, br->arity);
    uint32_t i = emit(b, T_BR);
    node(b, i)->a = br->src;
    node(b, i)->d = br->dst;
    node(b, i)->b = br->count;
    link_jump(b, i, br);
    return i;
}

static void set_dead(Build *b)
{
    ctl_at(b, 0)->dead = true;
}

static void do_br(Build *b, uint32_t depth)
{
    Branch br = branch_prepare(b, depth);
    emit_br(b, &br);
    set_dead(b);
}

/* Node kind and operands of a condition consumed by br_if or if: fuse
 * the compare (or i32.eqz) that computed it when that is safe. */
typedef struct Cond {
    unsigned op;
    uint32_t a, b;
    uint64_t imm;
    bool fused;
    TreeNode cmp;   /* the compare node, when fused */
} Cond;

static unsigned fused_op(unsigned cmp, bool is_if)
{
    switch (cmp) {
#define X(name)                                                                \
    case T_##name: return is_if ? T_IF_##name : T_BR_IF_##name;                \
    case T_##name##_RI: return is_if ? T_IF_##name##_RI : T_BR_IF_##name##_RI;
        TREE_I32_CMPS(X)
#undef X
    case T_I32_EQZ: return is_if ? T_IF_NOT : T_BR_UNLESS;
    default: return 0;
    }
}

static Cond take_condition(Build *b, bool is_if)
{
    Cond c = {.op = is_if ? T_IF : T_BR_IF};
    uint32_t h = height(b) - 1;
    if (computed_by_last_node(b, &b->stack.items[h], h) && fused_op(node(b, b->prod)->op, is_if)) {
        c.cmp = unemit_last(b);
        c.fused = true;
        c.op = fused_op(c.cmp.op, is_if);
        c.a = c.cmp.a;
        c.b = c.cmp.b;
        c.imm = c.cmp.imm;
    } else {
        c.a = slot_of(b, h);
    }
    pop_n(b, 1);
    return c;
}

static uint32_t emit_cond(Build *b, const Cond *c)
{
    uint32_t i = emit(b, c->op);
    node(b, i)->a = c->a;
    node(b, i)->b = c->b;
    node(b, i)->imm = c->imm;
    return i;
}

static void do_br_if(Build *b, uint32_t depth)
{
    Cond c = take_condition(b, false);
    Branch br = branch_prepare(b, depth);
    if (br.count == 0 && br.target->kind != CTL_FUNC) {
        link_jump(b, emit_cond(b, &c), &br);
        return;
    }
    /* Values must move (or this is a return): "unless the condition
     * holds, skip the next node", then a BR (or RETURN) that does it. */
    if (c.fused) {   /* compute the condition after all */
        uint32_t i = emit(b, c.cmp.op);
        *node(b, i) = c.cmp;
        c.a = c.cmp.d;
    }
    uint32_t skip = emit(b, T_BR_UNLESS);
    node(b, skip)->a = c.a;
    emit_br(b, &br);
    chain_add(b, &b->pending, skip);   /* lands after the BR */
}

static void do_br_table(Build *b, const WasmCode *code, const WasmInsn *in)
{
    uint32_t index = slot_of(b, height(b) - 1);
    pop_n(b, 1);
    const uint32_t *labels = code->labels + in->a;
    Branch first = branch_prepare(b, labels[in->b]);   /* moves values home */
    uint32_t i = emit(b, T_BR_TABLE);
    node(b, i)->a = index;
    node(b, i)->b = in->b;
    for (uint32_t k = 0; k <= in->b; k++) {   /* its children: one per label */
        Branch br = branch_prepare(b, labels[k]);
        br.src = first.src;
        br.count = br.src == br.dst ? 0 : br.arity;
        node(b, emit_br(b, &br))->depth++;
    }
    set_dead(b);
}

static void do_block(Build *b, const WasmInsn *in, uint8_t kind, uint32_t k)
{
    Ctl c = {.kind = kind, .live = true};
    block_arity(b, in, &c.nparams, &c.nresults);
    c.ends.head = c.ends.tail = NONE;
    if (ctl_at(b, 0)->dead) {
        c.live = false;
        c.dead = true;
        b->ctls.items[b->ctls.len++] = c;
        return;
    }
    Cond cond = {0};
    if (kind == CTL_IF)
        cond = take_condition(b, true);
    flush_all(b);   /* a join point: every value home */
    c.height = height(b) - c.nparams;
    c.cost = b->end_at.items[k] - k;
    if (kind == CTL_IF) {
        c.node = emit_cond(b, &cond);   /* its jump: the else branch */
    } else {
        c.node = emit(b, kind == CTL_LOOP ? T_LOOP : T_BLOCK);
        node(b, c.node)->b = c.nparams;
        node(b, c.node)->c = c.nresults;
    }
    b->ctls.items[b->ctls.len++] = c;
    b->barrier = (uint32_t)b->nodes.len;
}

/* Leave the stack as the code after a block (or an else) sees it. */
static void reset_stack(Build *b, uint32_t h, uint32_t n)
{
    b->stack.len = h;
    for (uint32_t i = 0; i < n; i++)
        b->stack.items[b->stack.len++] = (Entry){.kind = E_HOME};
    b->vlow = height(b);
    if (height(b) > b->max_height)
        b->max_height = height(b);
    b->barrier = (uint32_t)b->nodes.len;
    b->prod = NONE;
}

static void do_else(Build *b)
{
    Ctl *c = ctl_at(b, 0);
    if (!c->live)
        return;
    if (!c->dead)
        materialize_top(b, c->nresults);
    uint32_t i = emit(b, T_ELSE);   /* ends the then branch: a jump to the end */
    node(b, i)->depth--;
    chain_add(b, &c->ends, i);
    chain_add(b, &b->pending, c->node);   /* the IF's jump: the else branch */
    c->has_else = true;
    c->dead = false;
    reset_stack(b, c->height, c->nparams);
}

static void do_end(Build *b)
{
    Ctl c = b->ctls.items[--b->ctls.len];
    if (!c.live)
        return;
    if (c.kind == CTL_FUNC) {
        if (!c.dead)
            emit_return(b, values_slot(b, c.nresults), c.nresults);
        return;
    }
    if (!c.dead)
        materialize_top(b, c.nresults);
    if (c.kind == CTL_IF && !c.has_else)
        chain_add(b, &b->pending, c.node);   /* false: straight to the end */
    chain_append(b, &b->pending, &c.ends);
    reset_stack(b, c.height, c.nresults);
    /* The code after the block runs if the body falls off its end or
     * anything jumps there. */
    ctl_at(b, 0)->dead = c.dead && b->pending.head == NONE;
}

void tree_build_control(Build *b, const WasmCode *code, uint32_t k)
{
    const WasmInsn *in = &code->body.insns[k];
    bool structure = in->op == OP_BLOCK || in->op == OP_LOOP || in->op == OP_IF ||
                     in->op == OP_ELSE || in->op == OP_END;
    if (!structure && ctl_at(b, 0)->dead)
        return;   /* unreachable code is not built */
    switch (in->op) {
    case OP_BLOCK: do_block(b, in, CTL_BLOCK, k); break;
    case OP_LOOP: do_block(b, in, CTL_LOOP, k); break;
    case OP_IF: do_block(b, in, CTL_IF, k); break;
    case OP_ELSE: do_else(b); break;
    case OP_END: do_end(b); break;
    case OP_UNREACHABLE: emit(b, T_UNREACHABLE); set_dead(b); break;
    case OP_BR: do_br(b, in->a); break;
    case OP_BR_IF: do_br_if(b, in->a); break;
    case OP_BR_TABLE: do_br_table(b, code, in); break;
    case OP_RETURN: do_br(b, (uint32_t)b->ctls.len - 1); break;
    default: assert(!"not a control instruction");
    }
}
