/*
 * tree_build.h - private to the tree builder (tree.c, tree_control.c):
 * the builder's state and the small operations everything else is made
 * of: emitting nodes, resolving jumps, tracking where each operand lives.
 * tree.c explains the method.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#ifndef TINYSTDB_WASM_TREE_BUILD_H
#define TINYSTDB_WASM_TREE_BUILD_H

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "../util/vec.h"
#include "module.h"
#include "tree.h"

#define NONE UINT32_MAX
#define WINDOW 32            /* at most this many entries away from home */
#define MAX_NODES (1u << 30)

enum { E_HOME, E_LOCAL, E_CONST };
enum { CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF };

typedef struct Entry {
    uint8_t kind;        /* E_HOME, E_LOCAL, E_CONST */
    uint32_t local;      /* E_LOCAL: which local */
    uint64_t value;      /* E_CONST: the bits */
} Entry;

/* A node under construction: its jump is a node index (NONE: none). */
typedef struct BNode {
    TreeNode n;
    uint32_t jump;
} BNode;

/* Nodes whose jump waits for a target, linked through the jump fields. */
typedef struct Chain {
    uint32_t head, tail; /* node indices, NONE when empty */
} Chain;

typedef struct Ctl {
    uint8_t kind;        /* CTL_* */
    bool live;           /* entered from reachable code */
    bool dead;           /* the rest of the current body cannot run */
    bool has_else;
    uint32_t height;     /* operand height below the block's params */
    uint32_t nparams, nresults;
    uint32_t node;       /* signpost or IF node */
    uint32_t cost;       /* loop: fuel charged per iteration */
    Chain ends;          /* branches to this block's end */
} Ctl;

typedef struct Build {
    const WasmModule *m;
    uint32_t sbase;
    VEC(BNode) nodes;
    VEC(Entry) stack;
    VEC(Ctl) ctls;
    VEC(uint32_t) end_at;  /* instruction index -> index of its `end` */
    VEC(uint32_t) open;    /* scratch for match_ends */
    Chain pending;         /* jumps to the next node emitted */
    uint32_t vlow;         /* entries below vlow are at home */
    uint32_t max_height;   /* operand cells the frame needs */
    uint32_t prod;         /* node that computed the top entry, or NONE */
    uint32_t barrier;      /* nodes below this index are final */
    uint32_t pos;          /* byte offset of the current instruction */
} Build;

/* ---- jumps waiting for their target --------------------------------------- */

static inline void chain_add(Build *b, Chain *c, uint32_t i)
{
    b->nodes.items[i].jump = NONE;
    if (c->head == NONE)
        c->head = i;
    else
        b->nodes.items[c->tail].jump = i;
    c->tail = i;
}

static inline void chain_append(Build *b, Chain *dst, Chain *src)
{
    if (src->head == NONE)
        return;
    if (dst->head == NONE)
        dst->head = src->head;
    else
        b->nodes.items[dst->tail].jump = src->head;
    dst->tail = src->tail;
    src->head = src->tail = NONE;
}

static inline void chain_resolve(Build *b, Chain *c, uint32_t target)
{
    for (uint32_t i = c->head; i != NONE;) {
        uint32_t next = b->nodes.items[i].jump;
        b->nodes.items[i].jump = target;
        i = next;
    }
    c->head = c->tail = NONE;
}

/* ---- emitting nodes ------------------------------------------------------- */

static inline TreeNode *node(Build *b, uint32_t idx)
{
    return &b->nodes.items[idx].n;
}

/* Append a node (room was reserved); it is where pending jumps go. */
static inline uint32_t emit(Build *b, unsigned op)
{
    uint32_t idx = (uint32_t)b->nodes.len++;
    BNode *bn = &b->nodes.items[idx];
    memset(bn, 0, sizeof *bn);
    bn->n.op = (uint16_t)op;
    bn->n.depth = (uint16_t)(b->ctls.len > 0xFFFF ? 0xFFFF : b->ctls.len ? b->ctls.len - 1 : 0);
    bn->n.pos = b->pos;
    bn->jump = NONE;
    b->prod = NONE;
    chain_resolve(b, &b->pending, idx);
    return idx;
}

/* Remove the last node, which must be the one that produced the top
 * entry, to fuse it into its consumer; the consumer takes its index, so
 * jumps already resolved to that index stay right. */
static inline TreeNode unemit_last(Build *b)
{
    assert(b->pending.head == NONE);
    b->nodes.len--;
    b->prod = NONE;
    return b->nodes.items[b->nodes.len].n;
}

/* ---- the operand stack ---------------------------------------------------- */

static inline uint32_t home(const Build *b, uint32_t h)
{
    return b->sbase + h;
}

static inline uint32_t height(const Build *b)
{
    return (uint32_t)b->stack.len;
}

/* Make sure the value of entry h is in its home slot. */
static inline void materialize(Build *b, uint32_t h)
{
    Entry *e = &b->stack.items[h];
    if (e->kind == E_LOCAL) {
        uint32_t i = emit(b, T_COPY);
        node(b, i)->d = home(b, h);
        node(b, i)->a = e->local;
    } else if (e->kind == E_CONST) {
        uint32_t i = emit(b, T_CONST);
        node(b, i)->d = home(b, h);
        node(b, i)->imm = e->value;
    }
    e->kind = E_HOME;
}

/* The slot holding entry h's value; constants are written home first. */
static inline uint32_t slot_of(Build *b, uint32_t h)
{
    Entry *e = &b->stack.items[h];
    if (e->kind == E_LOCAL)
        return e->local;
    materialize(b, h);
    return home(b, h);
}

static inline void push(Build *b, Entry e)
{
    if (height(b) - b->vlow >= WINDOW)
        materialize(b, b->vlow++);
    b->stack.items[b->stack.len++] = e;
    if (e.kind == E_HOME && b->vlow == height(b) - 1)
        b->vlow = height(b);
    if (height(b) > b->max_height)
        b->max_height = height(b);
}

static inline void push_home(Build *b)
{
    push(b, (Entry){.kind = E_HOME});
}

static inline void push_const(Build *b, uint64_t bits)
{
    push(b, (Entry){.kind = E_CONST, .value = bits});
}

static inline void pop_n(Build *b, uint32_t n)
{
    assert(n <= height(b));
    b->stack.len -= n;
    if (b->vlow > height(b))
        b->vlow = height(b);
}

static inline void materialize_top(Build *b, uint32_t n)
{
    for (uint32_t h = height(b) - n; h < height(b); h++)
        materialize(b, h);
}

/* Everything home: needed where control flow joins. */
static inline void flush_all(Build *b)
{
    materialize_top(b, height(b) - b->vlow);
    b->vlow = height(b);
}

/* Where `n` values on top of the stack can be read as one run of cells:
 * one value may stay wherever it is; several are moved home first. */
static inline uint32_t values_slot(Build *b, uint32_t n)
{
    if (n == 0)
        return 0;
    if (n == 1)
        return slot_of(b, height(b) - 1);
    materialize_top(b, n);
    return home(b, height(b) - n);
}

/* Was `e`, the entry at height h, computed by the last node emitted, with
 * no join point since?  Then that node may be changed: write elsewhere
 * (local.set) or be fused into its consumer (br_if, if). */
static inline bool computed_by_last_node(Build *b, const Entry *e, uint32_t h)
{
    return b->prod != NONE && b->prod == b->nodes.len - 1 && b->prod >= b->barrier &&
           e->kind == E_HOME && node(b, b->prod)->d == home(b, h);
}

/* A value-producing node writing the new top entry. */
static inline uint32_t emit_value(Build *b, unsigned op, uint32_t npop)
{
    uint32_t h = height(b) - npop;
    uint32_t i = emit(b, op);
    node(b, i)->d = home(b, h);
    pop_n(b, npop);
    push_home(b);
    b->prod = i;
    return i;
}

/* The control entry `depth` levels out (0: innermost). */
static inline Ctl *ctl_at(Build *b, uint32_t depth)
{
    return &b->ctls.items[b->ctls.len - 1 - depth];
}

/* tree_control.c: block, loop, if, else, end, br, br_if, br_table,
 * return, unreachable (instruction k of code). */
void tree_build_control(Build *b, const WasmCode *code, uint32_t k);

#endif
