/*
 * tree.h - the execution tree: what the tree builder (tree.c) makes of a
 * validated function body, and what the interpreter (interp.c) walks.
 *
 * A function becomes an array of TreeNode in preorder: a control node
 * (block, loop, if) is followed by the nodes of its body, one nesting
 * level deeper, and then by whatever follows the construct.  That is the
 * tree; `tinystdb wasm dump` prints it, indented by depth.
 *
 * Two decisions make it fast to walk:
 *
 *  1. Preorder is execution order.  After a node, the next node of the
 *     array runs, unless the node says otherwise: a branch or an if has a
 *     `jump`, resolved at build time, and `else` ends a then-branch with
 *     a jump over the else-branch.  block and loop nodes are signposts
 *     that just step into their body.  So running the tree is a walk along
 *     the array - no recursion, no search for a matching end - and a
 *     branch is one pointer assignment.
 *
 *  2. Slots instead of pushes.  A frame is one array of 64-bit cells:
 *
 *        fp[0 .. nparams+nlocals)  the function's locals (params first)
 *        fp[rec .. rec+3)          the call record (see interp.c)
 *        fp[sbase + h]             the "home" of operand-stack height h
 *
 *     Since validation fixes the stack height at every instruction, each
 *     operand has a known slot, and a node names its operands by slot:
 *     `s2 = i32.add l0, s1` reads fp[0] and fp[sbase+1] and writes
 *     fp[sbase+2].  local.get becomes no node at all (the consumer reads
 *     the local's slot directly), a constant second operand becomes an
 *     immediate (the `_RI` forms), local.set usually retargets the node
 *     that computed the value, and a compare feeding br_if or if fuses
 *     with it.  There is no stack pointer at run time.
 *
 * Field use by node kind is listed at TreeNode; slot numbers are frame
 * offsets (cells).  Invariants (tree_func_check): every jump points into
 * the function's node array; no node that can fall through is last; every
 * slot a node names is below frame_cells.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#ifndef TINYSTDB_WASM_TREE_H
#define TINYSTDB_WASM_TREE_H

#include <stdint.h>
#include <stdio.h>

#include "../util/status.h"
#include "module.h"
#include "opcodes.h"

/* Integer binary operators that also exist in a constant-operand form
 * (T_<name>_RI: the right operand is the node's imm, not slot b). */
#define TREE_INT_BINOPS(X)                                                     \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U)        \
    X(I32_LE_S) X(I32_LE_U) X(I32_GE_S) X(I32_GE_U)                            \
    X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S)    \
    X(I32_REM_U) X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S)       \
    X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR)                                       \
    X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U)        \
    X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U)                            \
    X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S)    \
    X(I64_REM_U) X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S)       \
    X(I64_SHR_U) X(I64_ROTL) X(I64_ROTR)

/* i32 comparisons that fuse with a following br_if or if into one node:
 * T_BR_IF_<cmp>, T_BR_IF_<cmp>_RI, T_IF_<cmp>, T_IF_<cmp>_RI. */
#define TREE_I32_CMPS(X)                                                       \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U)        \
    X(I32_LE_S) X(I32_LE_U) X(I32_GE_S) X(I32_GE_U)

/* Node kinds.  The first block mirrors opcodes.h one to one (some of those
 * are never built: local.get, drop, end, ...); the rest exist only here. */
typedef enum TreeOp {
#define X(name, code, text, imm, sig) T_##name,
    WASM_OPCODES(X)
#undef X
#define X(name) T_##name##_RI,
    TREE_INT_BINOPS(X)
#undef X
#define X(name) T_BR_IF_##name, T_BR_IF_##name##_RI, T_IF_##name, T_IF_##name##_RI,
    TREE_I32_CMPS(X)
#undef X
    T_CALL_IMPORT, /* call of an imported function */
    T_COPY,       /* fp[d] = fp[a] */
    T_CONST,      /* fp[d] = imm */
    T_BR_UNLESS,  /* br_if on a zero condition (i32.eqz; br_if) */
    T_IF_NOT,     /* if on a zero condition (i32.eqz; if) */
    T__COUNT
} TreeOp;

/* One node.  Field use by kind:
 *   value ops        d = result slot, a, b = operand slots (b unused for
 *                    unary ops; _RI forms: imm = right operand)
 *   COPY / CONST     d = destination, a = source slot / imm = bits
 *   loads / stores   a = address slot, d = result / b = value, imm = offset
 *   SELECT           d = result, a, b = the two values, c = condition slot
 *   bulk memory,     a, b, c = the three i32 operands; imm = segment or
 *   table.fill/copy/init  table indices (two packed as hi << 32 | lo)
 *   IF (and fused)   a = condition (or a, b / imm as compared); the then
 *                    branch follows, jump = the else branch (or after the if)
 *   ELSE             jump = after the if (it ends the then branch)
 *   BR               a = first source slot, d = first destination slot,
 *                    b = number of cells to move (0: none), c = fuel
 *                    charged (non-zero for a branch to a loop), jump
 *   BR_IF (and fused, BR_UNLESS)  a = condition (or compared operands),
 *                    c = fuel, jump = target.  A br_if that must move
 *                    values becomes "BR_UNLESS cond, jump past; BR"
 *   BR_TABLE         a = index slot, b = number of labels without the
 *                    default; its b+1 BR (or RETURN) children follow it
 *   RETURN           a = first result slot, c = result count, b = slot of
 *                    the call record
 *   CALL             d = slot of the first argument (the callee's frame
 *                    starts there), func = the callee's tree (a function
 *                    of the same module), imm = its function index
 *   CALL_IMPORT      d as CALL, imm = function index (an import)
 *   CALL_INDIRECT    d as CALL, a = table index slot, b = type index,
 *                    imm = table index
 *   BLOCK, LOOP      signposts: the body follows; b = params, c = results
 */
typedef struct TreeNode {
    uint16_t op;                /* TreeOp */
    uint16_t depth;             /* nesting depth, for dump and trace */
    uint32_t d, a, b, c;
    uint32_t pos;               /* byte offset of the instruction */
    uint64_t imm;
    union {   /* (an anonymous union, C11) */
        const struct TreeNode *jump; /* the other way, for branches and ifs */
        const struct TreeFunc *func; /* CALL: the callee, in this module */
    };
} TreeNode;

/* Cells of the call record stored in each frame (see interp.c). */
#define TREE_RECORD_CELLS 3

typedef struct TreeFunc {
    const TreeNode *entry;      /* first node to run */
    TreeNode *nodes;            /* all nodes, preorder */
    uint32_t nnodes;
    uint32_t func_index;        /* in the module's function index space */
    uint32_t nparams, nresults;
    uint32_t nlocals;           /* declared locals, after the params */
    uint32_t rec;               /* slot of the call record */
    uint32_t sbase;             /* slot of operand height 0 */
    uint32_t frame_cells;       /* cells the frame may use from fp */
    uint32_t cost;              /* fuel charged per call */
} TreeFunc;

/* The printable name of a node kind ("i32.add", "br_if i32.lt_s", ...). */
const char *tree_op_name(unsigned op);

/* ST_OK when t satisfies the invariants listed above. */
Status tree_func_check(const TreeFunc *t);

/* Print the tree of function `func_index` (imported functions get one
 * line saying so), one node per line, indented by depth. */
void tree_dump_func(FILE *out, const WasmModule *m, uint32_t func_index);

/* Print one node (no newline).  With fp non-NULL, operand slots are
 * followed by their current values (the trace view). */
void tree_print_node(FILE *out, const TreeFunc *t, const TreeNode *n, const uint64_t *fp);

#endif
