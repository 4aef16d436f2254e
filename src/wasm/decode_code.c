/*
 * decode_code.c - instruction sequences: function bodies (spec 5.5.13)
 * and constant expressions (spec 5.4.9).
 *
 * An instruction sequence is decoded into a flat array of WasmInsn, one per
 * instruction, immediates already decoded, in binary order.  `block`,
 * `loop`, `if`, `else` and `end` stay in the array as ordinary entries; the
 * validator and the tree builder recover the nesting.  So the decoder needs
 * no recursion, only a small stack of open blocks to know
 *   - which `end` closes the whole sequence (it is the last entry), and
 *   - where `else` may appear: directly inside an `if`, once.  Anywhere
 *     else the reference interpreter wants an `end` ("END opcode
 *     expected").
 * That stack grows with the input (every block costs at least two bytes),
 * so hostile nesting costs memory in proportion to its size, never stack.
 *
 * Which immediates follow an opcode is the IMM column of opcodes.h; how
 * they land in WasmInsn fields is documented there, with two details
 * fixed here:
 *   - IMM_I32: c holds the value zero-extended (the WasmCell convention).
 *   - IMM_BR_TABLE: the b targets are labels[a .. a+b) of the body and the
 *     default target is labels[a+b].  Constant expressions have no label
 *     array (br_table is not constant, the validator rejects it), so there
 *     a = b = 0 and the targets are read and dropped.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "decode.h"

#include "../util/alloc.h"
#include "../util/vec.h"
#include "opcodes.h"

enum { FRAME_BLOCK, FRAME_IF, FRAME_ELSE };   /* kinds of open blocks */

/* An instruction sequence being decoded. */
typedef struct Seq {
    VEC(WasmInsn) insns;
    VEC(uint32_t) labels;   /* br_table targets */
    VEC(uint8_t) frames;    /* open blocks, innermost last */
    bool keep_labels;       /* false for constant expressions */
    bool uses_data_index;   /* saw memory.init or data.drop */
} Seq;

static void seq_fini(Seq *s)
{
    vec_fini(&s->insns);
    vec_fini(&s->labels);
    vec_fini(&s->frames);
}

/* The opcode: one byte, or 0xFC and a u32 sub-opcode (spec 5.4). */
static Status read_opcode(Reader *r, WasmInsn *in)
{
    uint8_t b;
    TRY(reader_u8(r, &b));
    unsigned code = b;
    if (b == 0xFC) {
        uint32_t sub;
        TRY(reader_u32(r, &sub));
        if (sub > 0xFF)
            return reader_fail(r, in->pos, "illegal opcode: 0xfc %u", (unsigned)sub);
        code = 0xFC00u | sub;
    }
    if (!wasm_op_info(code)) {
        if (b == 0xFC)
            return reader_fail(r, in->pos, "illegal opcode: 0xfc %u", code & 0xFF);
        return reader_fail(r, in->pos, "illegal opcode: 0x%02x", b);
    }
    in->op = (uint16_t)code;
    return ST_OK;
}

/* blocktype (spec 5.4.1): 0x40, a value type, or an s33 type index. */
static Status read_blocktype(Reader *r, WasmInsn *in)
{
    if (r->pos >= r->len)
        return reader_fail(r, r->pos, "unexpected end of section or function");
    uint8_t b = r->bytes[r->pos];
    if (b == 0x40) {
        r->pos++;
        in->bt = WASM_BT_EMPTY;
        return ST_OK;
    }
    if ((b & 0xC0) == 0x40) {   /* one-byte negative s33: a value type */
        uint8_t t;
        TRY(reader_valtype(r, &t));
        in->bt = WASM_BT_VAL;
        in->a = t;
        return ST_OK;
    }
    size_t at = r->pos;
    int64_t x;
    TRY(reader_s33(r, &x));
    if (x < 0)
        return reader_fail(r, at, "malformed block type: %lld", (long long)x);
    in->bt = WASM_BT_TYPE;
    in->a = (uint32_t)x;
    return ST_OK;
}

/* A reserved byte that must be exactly 0x00 (a memory index in 2.0,
 * which only ever has memory 0; a padded LEB zero is not accepted). */
static Status read_zero_byte(Reader *r)
{
    size_t at = r->pos;
    uint8_t b;
    TRY(reader_u8(r, &b));
    if (b != 0)
        return reader_fail(r, at, "zero byte expected: got 0x%02x", b);
    return ST_OK;
}

static Status read_memarg(Reader *r, WasmInsn *in)
{
    size_t at = r->pos;
    TRY(reader_u32(r, &in->a));
    /* An exponent of 32 or more cannot be a valid alignment; smaller but
     * too large ones are the validator's business. */
    if (in->a >= 32)
        return reader_fail(r, at, "malformed memop flags: alignment 2^%u", (unsigned)in->a);
    return reader_u32(r, &in->b);
}

static Status read_br_table(Reader *r, Seq *s, WasmInsn *in)
{
    uint32_t n;
    TRY(reader_len(r, &n));
    in->a = s->keep_labels ? (uint32_t)s->labels.len : 0;
    in->b = s->keep_labels ? n : 0;
    for (uint64_t i = 0; i <= n; i++) {   /* n targets, then the default */
        uint32_t depth;
        TRY(reader_u32(r, &depth));
        if (s->keep_labels && vec_push(&s->labels, depth) != ST_OK)
            return reader_nomem(r);
    }
    return ST_OK;
}

/* select with a type vector: a = count, b = the first type (the validator
 * insists on exactly one). */
static Status read_select_types(Reader *r, WasmInsn *in)
{
    uint32_t n;
    TRY(reader_len(r, &n));
    in->a = n;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t t;
        TRY(reader_valtype(r, &t));
        if (i == 0)
            in->b = t;
    }
    return ST_OK;
}

static Status read_two_u32(Reader *r, WasmInsn *in)
{
    TRY(reader_u32(r, &in->a));
    return reader_u32(r, &in->b);
}

/* The immediates of one instruction, by its IMM kind (opcodes.h). */
static Status read_immediates(Reader *r, Seq *s, WasmInsn *in, WasmImm kind)
{
    switch (kind) {
    case IMM_NONE:
        return ST_OK;
    case IMM_BLOCK:
        return read_blocktype(r, in);
    case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL:
    case IMM_TABLE: case IMM_DATA: case IMM_ELEM:
        return reader_u32(r, &in->a);
    case IMM_BR_TABLE:
        return read_br_table(r, s, in);
    case IMM_CALL_INDIRECT:   /* type index, table index */
    case IMM_ELEM_TABLE:      /* elem index, table index */
    case IMM_TABLE_TABLE:     /* destination, source */
        return read_two_u32(r, in);
    case IMM_MEMARG:
        return read_memarg(r, in);
    case IMM_MEMIDX:
        return read_zero_byte(r);
    case IMM_DATA_MEM:
        TRY(reader_u32(r, &in->a));
        return read_zero_byte(r);
    case IMM_MEM_MEM:
        TRY(read_zero_byte(r));
        return read_zero_byte(r);
    case IMM_I32: {
        int32_t v;
        TRY(reader_s32(r, &v));
        in->c = (uint32_t)v;
        return ST_OK;
    }
    case IMM_I64: {
        int64_t v;
        TRY(reader_s64(r, &v));
        in->c = (uint64_t)v;
        return ST_OK;
    }
    case IMM_F32: {
        uint32_t bits;
        TRY(reader_fixed32(r, &bits));
        in->c = bits;
        return ST_OK;
    }
    case IMM_F64:
        return reader_fixed64(r, &in->c);
    case IMM_REFTYPE: {
        uint8_t t;
        TRY(reader_reftype(r, &t));
        in->a = t;
        return ST_OK;
    }
    case IMM_SELECT_T:
        return read_select_types(r, in);
    }
    return reader_fail(r, in->pos, "illegal opcode: no immediate kind %d", (int)kind);
}

/* Track block nesting; *done is set by the `end` that closes the sequence. */
static Status track_nesting(Reader *r, Seq *s, const WasmInsn *in, bool *done)
{
    *done = false;
    switch (in->op) {
    case OP_BLOCK:
    case OP_LOOP:
    case OP_IF:
        if (vec_push(&s->frames, in->op == OP_IF ? FRAME_IF : FRAME_BLOCK) != ST_OK)
            return reader_nomem(r);
        return ST_OK;
    case OP_ELSE:
        if (s->frames.len == 0 || s->frames.items[s->frames.len - 1] != FRAME_IF)
            return reader_fail(r, in->pos, "END opcode expected: `else` outside `if`");
        s->frames.items[s->frames.len - 1] = FRAME_ELSE;
        return ST_OK;
    case OP_END:
        if (s->frames.len == 0)
            *done = true;
        else
            s->frames.len--;
        return ST_OK;
    default:
        if (in->op == OP_MEMORY_INIT || in->op == OP_DATA_DROP)
            s->uses_data_index = true;
        return ST_OK;
    }
}

/* Decode instructions up to and including the `end` that closes the
 * sequence. */
static Status read_seq(Reader *r, Seq *s)
{
    for (bool done = false; !done;) {
        WasmInsn in = {0};
        in.pos = (uint32_t)r->pos;
        TRY(read_opcode(r, &in));
        TRY(read_immediates(r, s, &in, wasm_op_info(in.op)->imm));
        TRY(track_nesting(r, s, &in, &done));
        if (vec_push(&s->insns, in) != ST_OK)
            return reader_nomem(r);
    }
    return ST_OK;
}

/* Hand the decoded instructions over as a WasmExpr, shrunk to fit. */
static void seq_take_expr(Seq *s, WasmExpr *out)
{
    WasmInsn *fit = mem_realloc_array(s->insns.items, s->insns.len, sizeof *fit);
    out->insns = fit ? fit : s->insns.items;
    out->count = (uint32_t)s->insns.len;
    s->insns.items = NULL;
    s->insns.len = s->insns.cap = 0;
}

Status decode_const_expr(Reader *r, WasmExpr *out)
{
    Seq s = {0};
    Status st = read_seq(r, &s);
    if (st == ST_OK)
        seq_take_expr(&s, out);
    seq_fini(&s);
    return st;
}

void decode_expr_free(WasmExpr *e)
{
    mem_free(e->insns);
    e->insns = NULL;
    e->count = 0;
}

/* The local declarations of a body: runs of (count, type).  A first pass
 * only sums the counts, so the limit is checked before anything is
 * allocated; a second pass expands the runs, one type byte per local. */
static Status read_locals(Reader *r, WasmCode *out)
{
    size_t at = r->pos;
    uint32_t nruns, n;
    uint8_t t;
    TRY(reader_len(r, &nruns));
    size_t runs_start = r->pos;
    uint64_t total = 0;
    for (uint32_t i = 0; i < nruns; i++) {
        TRY(reader_u32(r, &n));
        TRY(reader_valtype(r, &t));
        total += n;
    }
    if (total >= (uint64_t)1 << 32)   /* the spec's own limit */
        return reader_fail(r, at, "too many locals: %llu", (unsigned long long)total);
    if (total > DECODE_MAX_LOCALS)
        return wasm_error(r->err, ST_LIMIT, (long)at, "too many locals: %llu, limit %u",
                          (unsigned long long)total, DECODE_MAX_LOCALS);
    out->local_types = mem_alloc((size_t)total);
    if (!out->local_types)
        return reader_nomem(r);
    out->nlocals = (uint32_t)total;
    r->pos = runs_start;   /* second pass: cannot fail, it was read once */
    for (uint32_t i = 0, k = 0; i < nruns; i++) {
        (void)reader_u32(r, &n);
        (void)reader_valtype(r, &t);
        for (uint32_t j = 0; j < n; j++)
            out->local_types[k++] = t;
    }
    return ST_OK;
}

Status decode_code(Reader *r, WasmCode *out, bool *uses_data_index)
{
    uint32_t size;
    TRY(reader_len(r, &size));
    size_t start = r->pos;
    out->pos = (uint32_t)start;
    out->size = size;
    TRY(read_locals(r, out));
    Seq s = {.keep_labels = true};
    Status st = read_seq(r, &s);
    if (st == ST_OK && r->pos != start + size)
        st = reader_fail(r, start, "section size mismatch: function body of %u bytes used %zu",
                         (unsigned)size, r->pos - start);
    if (st == ST_OK) {
        seq_take_expr(&s, &out->body);
        out->labels = s.labels.items;
        out->nlabels = (uint32_t)s.labels.len;
        s.labels.items = NULL;
        s.labels.len = s.labels.cap = 0;
        *uses_data_index |= s.uses_data_index;
    }
    seq_fini(&s);
    return st;
}
