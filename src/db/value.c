/*
 * value.c - Value trees: decoding from BSATN, type-checked encoding back,
 * comparison.  (Display text is in value_display.c.)
 *
 * Decoding validates first (bsatn_validate, with all its limits on
 * hostile input) and then builds the tree from bytes known to be good, so
 * the builder needs no error paths except running out of memory, and
 * every allocation it makes is bounded by what validation accepted.
 *
 * Encoding walks the type and the tree side by side and refuses any
 * mismatch, naming the path to the offending node.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include "value.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bsatn.h"

/* ---- decoding --------------------------------------------------------------- */

typedef struct Builder {
    Arena *arena;
    const Typespace *ts;
    const uint8_t *p;   /* the next byte to read */
} Builder;

/* A scalar (bool, integer, float) from n bytes at p. */
static void build_scalar(Value *v, const uint8_t *p, unsigned n)
{
    uint64_t bits = n <= 8 ? bsatn_load_le(p, n) : 0;
    if (n > 8) {
        memcpy(v->wide, p, n);
    } else if (v->kind == ALG_BOOL) {
        v->b = bits != 0;
    } else if (v->kind == ALG_F32) {
        uint32_t b32 = (uint32_t)bits;
        memcpy(&v->f32, &b32, 4);
    } else if (v->kind == ALG_F64) {
        memcpy(&v->f64, &bits, 8);
    } else if (alg_kind_signed(v->kind)) {   /* sign-extend from n bytes */
        uint64_t sign = UINT64_C(1) << (8 * n - 1);
        v->i = (int64_t)((bits ^ sign) - sign);
    } else {
        v->u = bits;
    }
}

static Status build(Builder *b, const AlgType *t, Value *v);

/* n Values for an array's elements or a product's fields. */
static Status build_seq(Builder *b, const AlgType *elem, const AlgMember *members, uint32_t n,
                        Value *v)
{
    v->seq.len = n;
    v->seq.items = NULL;
    if (n == 0)
        return ST_OK;
    v->seq.items = arena_calloc(b->arena, n, sizeof(Value));
    if (!v->seq.items)
        return ST_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        Status st = build(b, members ? members[i].type : elem, &v->seq.items[i]);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status build(Builder *b, const AlgType *t, Value *v)
{
    t = alg_resolve(b->ts, t);
    memset(v, 0, sizeof *v);
    v->kind = t->kind;
    unsigned n = bsatn_prim_width(t->kind);
    if (n) {
        build_scalar(v, b->p, n);
        b->p += n;
        return ST_OK;
    }
    uint32_t count = t->kind == ALG_STRING || t->kind == ALG_ARRAY ? bsatn_load_u32(b->p) : 0;
    switch (t->kind) {
    case ALG_STRING: {
        char *s = arena_strndup(b->arena, (const char *)b->p + 4, count);
        if (!s)
            return ST_NOMEM;
        v->str.data = s;
        v->str.len = count;
        b->p += 4 + (size_t)count;
        return ST_OK;
    }
    case ALG_ARRAY:
        b->p += 4;
        return build_seq(b, t->elem, NULL, count, v);
    case ALG_PRODUCT: return build_seq(b, NULL, t->members, t->nmembers, v);
    default:   /* ALG_SUM */
        v->sum.tag = *b->p++;
        if (!(v->sum.payload = arena_alloc(b->arena, sizeof(Value))))
            return ST_NOMEM;
        return build(b, t->members[v->sum.tag].type, v->sum.payload);
    }
}

Status value_decode(Arena *a, const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                    size_t *used, Value **out, DbError *err)
{
    *out = NULL;
    Status st = used ? bsatn_validate(ts, t, p, len, used, err)
                     : bsatn_validate_exact(ts, t, p, len, err);
    if (st != ST_OK)
        return st;
    Builder b = { .arena = a, .ts = ts, .p = p };
    Value *v = arena_alloc(a, sizeof *v);
    if (!v || (st = build(&b, t, v)) != ST_OK)
        return db_error(err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory decoding a value");
    *out = v;
    return ST_OK;
}

/* ---- encoding ------------------------------------------------------------- */

typedef struct Encoder {
    const Typespace *ts;
    StrBuf *out;        /* NULL: only check */
    DbError *err;
    char path[160];     /* ".players[3].name", for messages */
    size_t plen;
} Encoder;

__attribute__((format(printf, 2, 3)))
static Status mismatch(Encoder *e, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return db_error(e->err, ST_INVALID, DBE_BSATN_DECODE_ERROR,
                    "value does not fit its type at %s: %s", e->plen ? e->path : "the top", what);
}

/* Extend the path by one step; returns the old length for path_pop. */
static size_t path_push(Encoder *e, const char *name, uint32_t index, bool is_field)
{
    size_t old = e->plen;
    int n = name ? snprintf(e->path + old, sizeof e->path - old, ".%s", name)
                 : snprintf(e->path + old, sizeof e->path - old, is_field ? ".%u" : "[%u]", index);
    if (n > 0)
        e->plen = old + (size_t)n < sizeof e->path ? old + (size_t)n : sizeof e->path - 1;
    return old;
}

static void path_pop(Encoder *e, size_t old)
{
    e->plen = old;
    e->path[old] = '\0';
}

static Status put(Encoder *e, const void *bytes, size_t n)
{
    return e->out ? strbuf_append(e->out, bytes, n) : ST_OK;
}

static Status put_u32(Encoder *e, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return put(e, b, 4);
}

/* A scalar's bytes, after checking that an 8..32-bit integer fits. */
static Status enc_scalar(Encoder *e, const Value *v, unsigned n)
{
    uint8_t b[32];
    uint64_t bits = v->u;
    if (v->kind == ALG_BOOL)
        bits = v->b;
    else if (v->kind == ALG_F32) {
        uint32_t b32;
        memcpy(&b32, &v->f32, 4);
        bits = b32;
    } else if (v->kind == ALG_F64) {
        memcpy(&bits, &v->f64, 8);
    } else if (n < 8) {
        uint64_t lim = UINT64_C(1) << (8 * n);
        bool sign = alg_kind_signed(v->kind);
        bool ok = sign ? v->i >= -(int64_t)(lim / 2) && v->i < (int64_t)(lim / 2) : v->u < lim;
        if (!ok && sign)
            return mismatch(e, "%lld does not fit %s", (long long)v->i, alg_kind_name(v->kind));
        if (!ok)
            return mismatch(e, "%llu does not fit %s", (unsigned long long)v->u,
                            alg_kind_name(v->kind));
    }
    if (n > 8)
        memcpy(b, v->wide, n);
    else
        for (unsigned i = 0; i < n; i++)
            b[i] = (uint8_t)(bits >> 8 * i);
    return put(e, b, n);
}

static Status enc_value(Encoder *e, const AlgType *t, const Value *v, unsigned depth);

static Status enc_seq(Encoder *e, const AlgType *t, const Value *v, unsigned depth)
{
    bool product = t->kind == ALG_PRODUCT;
    if (product && v->seq.len != t->nmembers)
        return mismatch(e, "expected %u fields, found %u", t->nmembers, v->seq.len);
    if (v->seq.len && !v->seq.items)
        return mismatch(e, "%s has no items", alg_kind_name(t->kind));
    Status st = product ? ST_OK : put_u32(e, v->seq.len);
    for (uint32_t i = 0; i < v->seq.len && st == ST_OK; i++) {
        size_t old = path_push(e, product ? t->members[i].name : NULL, i, product);
        st = enc_value(e, product ? t->members[i].type : t->elem, &v->seq.items[i], depth + 1);
        path_pop(e, old);
    }
    return st;
}

static Status enc_string(Encoder *e, const Value *v)
{
    if (v->str.len && !v->str.data)
        return mismatch(e, "String has no bytes");
    if (bsatn_utf8_prefix((const uint8_t *)v->str.data, v->str.len) != v->str.len)
        return mismatch(e, "String is not valid UTF-8");
    Status st = put_u32(e, v->str.len);
    return st == ST_OK ? put(e, v->str.data, v->str.len) : st;
}

static Status enc_sum(Encoder *e, const AlgType *t, const Value *v, unsigned depth)
{
    if (v->sum.tag >= t->nmembers)
        return mismatch(e, "sum tag %u is out of range (%u variants)", v->sum.tag, t->nmembers);
    if (!v->sum.payload)
        return mismatch(e, "sum tag %u has no payload", v->sum.tag);
    uint8_t tag = v->sum.tag;
    Status st = put(e, &tag, 1);
    size_t old = path_push(e, t->members[tag].name, tag, true);
    if (st == ST_OK)
        st = enc_value(e, t->members[tag].type, v->sum.payload, depth + 1);
    path_pop(e, old);
    return st;
}

static Status enc_value(Encoder *e, const AlgType *t, const Value *v, unsigned depth)
{
    const AlgType *r = alg_resolve(e->ts, t);
    if (!r)
        return db_error(e->err, ST_INVALID, DBE_BSATN_DECODE_ERROR, "type has a dangling ref %u",
                        t ? t->ref : 0);
    if (!v)
        return mismatch(e, "expected %s, found %s", alg_kind_name(r->kind), "nothing");
    if (v->kind != r->kind)
        return mismatch(e, "expected %s, found %s", alg_kind_name(r->kind), alg_kind_name(v->kind));
    unsigned n = bsatn_prim_width(r->kind);
    if (n)
        return enc_scalar(e, v, n);
    if (r->kind == ALG_STRING)
        return enc_string(e, v);
    if (depth >= BSATN_MAX_DEPTH)
        return db_error(e->err, ST_LIMIT, DBE_BSATN_DECODE_ERROR,
                        "value nested deeper than %d at %s", BSATN_MAX_DEPTH, e->path);
    return r->kind == ALG_SUM ? enc_sum(e, r, v, depth) : enc_seq(e, r, v, depth);
}

Status value_encode(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out,
                    DbError *err)
{
    Encoder e = { .ts = ts, .out = out, .err = err };
    size_t len0 = out->len;
    Status st = enc_value(&e, t, v, 0);
    if (st == ST_NOMEM)
        db_error(err, st, DBE_HOST_CALL_FAILURE, "out of memory encoding a value");
    if (st != ST_OK) {
        out->len = len0;
        if (out->data)
            out->data[len0] = '\0';
    }
    return st;
}

Status value_check(const Typespace *ts, const AlgType *t, const Value *v, DbError *err)
{
    Encoder e = { .ts = ts, .out = NULL, .err = err };
    return enc_value(&e, t, v, 0);
}

/* ---- comparing ------------------------------------------------------------- */

static int sign3(int c)
{
    return (c > 0) - (c < 0);
}

static int cmp_scalar(const Value *a, const Value *b)
{
    if (bsatn_prim_width(a->kind) > 8)   /* wide holds the BSATN bytes */
        return bsatn_compare(NULL, alg_prim(a->kind), a->wide, b->wide);
    uint64_t x, y;
    switch (a->kind) {
    case ALG_BOOL: return (int)a->b - (int)b->b;
    case ALG_F32: {
        uint32_t p, q;
        memcpy(&p, &a->f32, 4);
        memcpy(&q, &b->f32, 4);
        x = bsatn_f32_order(p), y = bsatn_f32_order(q);
        break;
    }
    case ALG_F64:
        memcpy(&x, &a->f64, 8);
        memcpy(&y, &b->f64, 8);
        x = bsatn_f64_order(x), y = bsatn_f64_order(y);
        break;
    default:
        if (alg_kind_signed(a->kind))
            return (a->i > b->i) - (a->i < b->i);
        x = a->u, y = b->u;
    }
    return (x > y) - (x < y);
}

int value_compare(const Value *a, const Value *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (bsatn_prim_width(a->kind))
        return cmp_scalar(a, b);
    switch (a->kind) {
    case ALG_STRING: {
        uint32_t n = a->str.len < b->str.len ? a->str.len : b->str.len;
        int c = n ? memcmp(a->str.data, b->str.data, n) : 0;
        return c ? sign3(c) : (a->str.len > b->str.len) - (a->str.len < b->str.len);
    }
    case ALG_SUM:
        if (a->sum.tag != b->sum.tag)
            return a->sum.tag < b->sum.tag ? -1 : 1;
        return value_compare(a->sum.payload, b->sum.payload);
    default: {   /* arrays and products: lexicographic, then shorter first */
        uint32_t n = a->seq.len < b->seq.len ? a->seq.len : b->seq.len;
        for (uint32_t i = 0; i < n; i++) {
            int c = value_compare(&a->seq.items[i], &b->seq.items[i]);
            if (c)
                return c;
        }
        return (a->seq.len > b->seq.len) - (a->seq.len < b->seq.len);
    }
    }
}
