/*
 * tree_dump.c - looking at trees: node names, the one-line node printer
 * shared by `tinystdb wasm dump` and the interpreter's trace, the dump of
 * a whole function, and the invariant check used by the tests.
 *
 * A node prints as three-address code, destination first:
 *
 *     s2 = i32.add l0, s1        locals l<i>, operand homes s<height>
 *     s2 = i32.add l0, 1         constant operand (an _RI node)
 *     i32.store [l1 + 8] = s2    memory operands in brackets
 *     br_if i32.lt_s l0, 10 -> @3   a fused compare-and-branch to node 3
 *
 * With a frame (the trace), every slot operand is followed by its value:
 * `l0=5`.  The dump prefixes each line with the node's index, which is
 * what `-> @3` refers to.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include <inttypes.h>
#include <string.h>

#include "tree.h"
#include "wasm.h"

/* The wasm opcode of each node kind that mirrors one (0 otherwise). */
static const unsigned wasm_code[T__COUNT] = {
#define X(name, code, text, imm, sig) [T_##name] = code,
    WASM_OPCODES(X)
#undef X
};

/* For _RI and fused kinds: the plain kind they are made from. */
static unsigned base_op(unsigned op)
{
    switch (op) {
#define X(name) case T_##name##_RI: return T_##name;
        TREE_INT_BINOPS(X)
#undef X
#define X(name)                                                                \
    case T_BR_IF_##name: case T_BR_IF_##name##_RI: case T_IF_##name:           \
    case T_IF_##name##_RI: return T_##name;
        TREE_I32_CMPS(X)
#undef X
    case T_BR_UNLESS: case T_IF_NOT: return T_I32_EQZ;
    default: return op;
    }
}

static bool is_ri(unsigned op)
{
    switch (op) {
#define X(name) case T_##name##_RI:
        TREE_INT_BINOPS(X)
#undef X
#define X(name) case T_BR_IF_##name##_RI: case T_IF_##name##_RI:
        TREE_I32_CMPS(X)
#undef X
        return true;
    default:
        return false;
    }
}

/* A compare fused with if (if_if: true) or br_if. */
static bool is_fused(unsigned op, bool *is_if)
{
    switch (op) {
#define X(name)                                                                \
    case T_BR_IF_##name: case T_BR_IF_##name##_RI: *is_if = false; return true; \
    case T_IF_##name: case T_IF_##name##_RI: *is_if = true; return true;
        TREE_I32_CMPS(X)
#undef X
    default:
        return false;
    }
}

const char *tree_op_name(unsigned op)
{
    static char fused[T__COUNT][32];
    if (op >= T__COUNT)
        return "?";
    bool is_if;
    if (is_fused(op, &is_if)) {
        if (!fused[op][0])
            snprintf(fused[op], sizeof fused[op], "%s %s", is_if ? "if" : "br_if",
                     wasm_op_name(wasm_code[base_op(op)]));
        return fused[op];
    }
    switch (op) {
    case T_COPY: return "copy";
    case T_CALL_IMPORT: return "call";
    case T_CONST: return "const";
    default: return wasm_op_name(wasm_code[base_op(op)]);
    }
}

/* ---- printing ---------------------------------------------------------------- */

static void print_bits(FILE *out, uint64_t v)
{
    if (v < 100000)
        fprintf(out, "%" PRIu64, v);
    else
        fprintf(out, "0x%" PRIx64, v);
}

static void print_slot(FILE *out, const TreeFunc *t, uint32_t slot, const uint64_t *fp)
{
    if (slot >= t->sbase)
        fprintf(out, "s%" PRIu32, slot - t->sbase);
    else if (slot < t->rec)
        fprintf(out, "l%" PRIu32, slot);
    else
        fprintf(out, "r%" PRIu32, slot - t->rec);
    if (fp) {
        fputc('=', out);
        print_bits(out, fp[slot]);
    }
}

/* A constant operand, signed when its operator is an integer one. */
static void print_imm(FILE *out, const TreeNode *n)
{
    const char *name = wasm_op_name(wasm_code[base_op(n->op)]);
    if (strncmp(name, "i32.", 4) == 0)
        fprintf(out, "%" PRId32, (int32_t)(uint32_t)n->imm);
    else if (strncmp(name, "i64.", 4) == 0)
        fprintf(out, "%" PRId64, (int64_t)n->imm);
    else
        print_bits(out, n->imm);
}

/* "a, b" or "a, imm": the two operands of a binary or compare node. */
static void print_pair(FILE *out, const TreeFunc *t, const TreeNode *n, const uint64_t *fp)
{
    print_slot(out, t, n->a, fp);
    fputs(", ", out);
    if (is_ri(n->op))
        print_imm(out, n);
    else
        print_slot(out, t, n->b, fp);
}

static void print_abc(FILE *out, const TreeFunc *t, const TreeNode *n, const uint64_t *fp)
{
    fputc(' ', out);
    print_slot(out, t, n->a, fp);
    fputs(", ", out);
    print_slot(out, t, n->b, fp);
    fputs(", ", out);
    print_slot(out, t, n->c, fp);
}

static long index_of(const TreeFunc *t, const TreeNode *n)
{
    return n ? (long)(n - t->nodes) : -1;
}

/* Control nodes; false when n is not one. */
static bool print_control(FILE *out, const TreeFunc *t, const TreeNode *n, const uint64_t *fp)
{
    const char *name = tree_op_name(n->op);
    bool is_if = n->op == T_IF || n->op == T_IF_NOT;
    switch (n->op) {
    case T_BLOCK: case T_LOOP:
        fprintf(out, "%s (%" PRIu32 " -> %" PRIu32 ")", name, n->b, n->c);
        return true;
    case T_UNREACHABLE:
        fputs(name, out);
        return true;
    case T_ELSE:
        fprintf(out, "%s (skip to @%ld)", name, index_of(t, n->jump));
        return true;
    case T_IF: case T_BR_IF: case T_IF_NOT: case T_BR_UNLESS:
        fputs(is_if ? "if " : "br_if ", out);
        if (n->op == T_IF_NOT || n->op == T_BR_UNLESS)
            fputs("i32.eqz ", out);
        print_slot(out, t, n->a, fp);
        break;
    case T_BR:
        fputs(name, out);
        if (n->b) {
            fprintf(out, " move %" PRIu32 " from ", n->b);
            print_slot(out, t, n->a, NULL);
            fputs(" to ", out);
            print_slot(out, t, n->d, NULL);
        }
        break;
    case T_BR_TABLE:
        fprintf(out, "%s ", name);
        print_slot(out, t, n->a, fp);
        fprintf(out, " (%" PRIu32 " labels + default follow)", n->b);
        return true;
    case T_RETURN:
        fputs(name, out);
        if (n->c) {
            fputc(' ', out);
            print_slot(out, t, n->a, fp);
        }
        if (n->c > 1)
            fprintf(out, " .. (%" PRIu32 " values)", n->c);
        return true;
    case T_CALL: case T_CALL_IMPORT: case T_CALL_INDIRECT:
        fprintf(out, "%s ", name);
        if (n->op != T_CALL_INDIRECT)
            fprintf(out, "f%" PRIu64 "%s", n->imm, n->op == T_CALL_IMPORT ? " (import)" : "");
        else
            fprintf(out, "table %" PRIu64 " type %" PRIu32, n->imm, n->b);
        fputs(" (frame at ", out);
        print_slot(out, t, n->d, NULL);
        fputc(')', out);
        if (n->op == T_CALL_INDIRECT) {
            fputs(" element ", out);
            print_slot(out, t, n->a, fp);
        }
        return true;
    default:
        if (!is_fused(n->op, &is_if))
            return false;
        fprintf(out, "%s ", name);
        print_pair(out, t, n, fp);
        break;
    }
    if (is_if)
        fprintf(out, " else -> @%ld", index_of(t, n->jump));
    else
        fprintf(out, " -> @%ld", index_of(t, n->jump));
    if (n->c)
        fprintf(out, " (fuel %" PRIu32 ")", n->c);
    return true;
}

/* Memory, table and variable access; false when n is not one. */
static bool print_access(FILE *out, const TreeFunc *t, const TreeNode *n, const uint64_t *fp)
{
    const char *name = tree_op_name(n->op);
    switch (n->op) {
    case T_GLOBAL_GET: case T_TABLE_SIZE: case T_REF_FUNC:
        fprintf(out, "%s %" PRIu64, name, n->imm);
        return true;
    case T_GLOBAL_SET:
        fprintf(out, "%s %" PRIu64 " = ", name, n->imm);
        print_slot(out, t, n->a, fp);
        return true;
    case T_MEMORY_SIZE: case T_ELEM_DROP: case T_DATA_DROP:
        fputs(name, out);
        if (n->op != T_MEMORY_SIZE)
            fprintf(out, " %" PRIu64, n->imm);
        return true;
    case T_MEMORY_FILL: case T_MEMORY_COPY:
        fputs(name, out);
        print_abc(out, t, n, fp);
        return true;
    case T_MEMORY_INIT: case T_TABLE_FILL:
        fprintf(out, "%s %" PRIu64, name, n->imm);
        print_abc(out, t, n, fp);
        return true;
    case T_TABLE_COPY: case T_TABLE_INIT:
        fprintf(out, "%s %" PRIu64 " %" PRIu64, name, n->imm >> 32, n->imm & 0xFFFFFFFF);
        print_abc(out, t, n, fp);
        return true;
    case T_TABLE_GET: case T_TABLE_SET:
        fprintf(out, "%s %" PRIu64 " [", name, n->imm);
        print_slot(out, t, n->a, fp);
        fputc(']', out);
        if (n->op == T_TABLE_SET) {
            fputs(" = ", out);
            print_slot(out, t, n->b, fp);
        }
        return true;
    default:
        break;
    }
    const WasmOpInfo *info = wasm_op_info(wasm_code[n->op]);
    if (!info || info->imm != IMM_MEMARG)
        return false;
    fprintf(out, "%s [", name);
    print_slot(out, t, n->a, fp);
    fprintf(out, " + %" PRIu64 "]", n->imm);
    if (info->sig[strlen(info->sig) - 1] == ':') {   /* a store */
        fputs(" = ", out);
        print_slot(out, t, n->b, fp);
    }
    return true;
}

/* Does this kind write a result to slot d? */
static bool has_result(unsigned op)
{
    const WasmOpInfo *info = wasm_op_info(wasm_code[base_op(op)]);
    if (op == T_COPY || op == T_CONST || op == T_SELECT)
        return true;
    return info && info->sig[0] && info->sig[strlen(info->sig) - 1] != ':' &&
           info->imm != IMM_BLOCK;
}

void tree_print_node(FILE *out, const TreeFunc *t, const TreeNode *n, const uint64_t *fp)
{
    if (print_control(out, t, n, fp))
        return;
    if (has_result(n->op) || n->op == T_GLOBAL_GET || n->op == T_TABLE_GET ||
        n->op == T_TABLE_SIZE || n->op == T_TABLE_GROW || n->op == T_REF_FUNC ||
        n->op == T_REF_IS_NULL) {
        print_slot(out, t, n->d, NULL);
        fputs(" = ", out);
    }
    if (print_access(out, t, n, fp))
        return;
    const char *name = tree_op_name(n->op);
    switch (n->op) {
    case T_CONST:
        fputs("const ", out);
        print_bits(out, n->imm);
        return;
    case T_COPY:
        print_slot(out, t, n->a, fp);
        return;
    case T_SELECT:
        fprintf(out, "%s ", name);
        print_slot(out, t, n->a, fp);
        fputs(", ", out);
        print_slot(out, t, n->b, fp);
        fputs(" if ", out);
        print_slot(out, t, n->c, fp);
        return;
    case T_TABLE_GROW:
        fprintf(out, "%s %" PRIu64 " ", name, n->imm);
        print_slot(out, t, n->a, fp);
        fputs(", ", out);
        print_slot(out, t, n->b, fp);
        return;
    default:
        break;
    }
    const WasmOpInfo *info = wasm_op_info(wasm_code[base_op(n->op)]);
    fprintf(out, "%s ", name);
    if (info && strchr(info->sig, ':') - info->sig == 2)
        print_pair(out, t, n, fp);
    else
        print_slot(out, t, n->a, fp);
}

void tree_dump_func(FILE *out, const WasmModule *m, uint32_t func_index)
{
    const char *name = m->func_names && m->func_names[func_index] ? m->func_names[func_index] : "";
    fprintf(out, "func %" PRIu32 "%s%s: ", func_index, *name ? " " : "", name);
    if (func_index < m->nimported_funcs) {
        fputs("imported\n", out);
        return;
    }
    const TreeFunc *t = m->trees ? m->trees[func_index - m->nimported_funcs] : NULL;
    if (!t) {
        fputs("no tree built\n", out);
        return;
    }
    fprintf(out,
            "%" PRIu32 " params, %" PRIu32 " results, %" PRIu32 " locals; frame %" PRIu32
            " cells (locals l0.., record, operands s0..); fuel %" PRIu32 " per call\n",
            t->nparams, t->nresults, t->nlocals, t->frame_cells, t->cost);
    for (uint32_t i = 0; i < t->nnodes; i++) {
        const TreeNode *n = &t->nodes[i];
        fprintf(out, "%5" PRIu32 "  %*s", i, 2 * (int)n->depth + 2, "");
        tree_print_node(out, t, n, NULL);
        fputc('\n', out);
    }
}

/* ---- invariants -------------------------------------------------------------- */

static bool link_ok(const TreeFunc *t, const TreeNode *to)
{
    return !to || (to >= t->nodes && to < t->nodes + t->nnodes);
}

/* Can execution continue at the next node of the array? */
static bool falls_through(unsigned op)
{
    return op != T_BR && op != T_BR_TABLE && op != T_RETURN && op != T_UNREACHABLE &&
           op != T_ELSE;
}

static bool node_ok(const TreeFunc *t, const TreeNode *n)
{
    uint32_t fc = t->frame_cells;
    if (n->op >= T__COUNT || (n->op != T_CALL && !link_ok(t, n->jump)))
        return false;
    if (falls_through(n->op) && n == t->nodes + t->nnodes - 1)
        return false;   /* would run off the end */
    switch (n->op) {
    case T_BLOCK: case T_LOOP:
        return true;
    case T_ELSE:
        return n->jump != NULL;
    case T_BR:
        return n->jump && (uint64_t)n->a + n->b <= fc && (uint64_t)n->d + n->b <= fc;
    case T_BR_TABLE:
        return (uint64_t)(n - t->nodes) + n->b + 1 < t->nnodes && n->a < fc;
    case T_RETURN:
        return (uint64_t)n->a + n->c <= fc && n->b == t->rec;
    case T_UNREACHABLE:
        return true;
    case T_CALL:
        return n->func && n->d <= fc;
    case T_CALL_IMPORT: case T_CALL_INDIRECT:
        return n->d <= fc && n->a < fc;
    default:
        break;
    }
    bool is_if;
    if (n->op == T_IF || n->op == T_IF_NOT || n->op == T_BR_IF || n->op == T_BR_UNLESS ||
        is_fused(n->op, &is_if))
        return n->jump && n->a < fc && n->b < fc;
    /* Everything else reads and writes slots. */
    return n->a < fc && n->b < fc && n->c < fc && (!has_result(n->op) || n->d < fc);
}

Status tree_func_check(const TreeFunc *t)
{
    if (!t || !t->nodes || t->nnodes == 0 || !link_ok(t, t->entry) || !t->entry)
        return ST_INVALID;
    if (t->rec != t->nparams + t->nlocals || t->sbase != t->rec + TREE_RECORD_CELLS ||
        t->frame_cells < t->sbase)
        return ST_INVALID;
    for (uint32_t i = 0; i < t->nnodes; i++)
        if (!node_ok(t, &t->nodes[i]))
            return ST_INVALID;
    return ST_OK;
}
