/*
 * bsatn.c - validating, measuring and comparing BSATN values in place.
 *
 * Three walkers follow the same recursion over (type, bytes):
 *
 *   check_value  untrusted bytes: every read is bounds-checked, every rule
 *                of module-abi.md §3 enforced, errors carry a byte offset;
 *   skip         trusted (validated) bytes: just the length;
 *   cmp          two trusted values side by side, SpacetimeDB's order.
 *
 * Hostile input.  Three things bound the work of check_value, and since
 * the other walkers only ever see values that passed it, they bound theirs:
 *   - depth: products, sums and arrays nest at most BSATN_MAX_DEPTH deep
 *     (a recursive type such as a linked list could otherwise recurse once
 *     per element and overflow the C stack);
 *   - counts: an array count is compared with the bytes left (times the
 *     smallest size an element can have) before any element is read, so
 *     "4 billion elements" with 10 bytes left fails at once;
 *   - steps: each visited type node costs one step, and a value of n bytes
 *     may take at most STEPS_PER_BYTE * n + STEPS_BASE of them.  This is
 *     what stops types whose values are empty, such as an Array of ()
 *     with a count of 4 billion (four bytes of input, no bytes per
 *     element) or a chain of refs to products of two refs (2^64 nodes).
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include "bsatn.h"

#include <assert.h>
#include <string.h>

#include "../util/json.h"

/* A legitimate value visits at most ~65 nodes per byte (a u8 under 64
 * products); the base allows a generous amount of zero-sized structure. */
#define STEPS_PER_BYTE 128
#define STEPS_BASE (1u << 20)
/* Work bound for the type-only measurements (min_size, fixed_size). */
#define MEASURE_BUDGET 4096

/* Width of the fixed-size primitives; 0 for the others. */
static const uint8_t width[ALG_KIND_COUNT] = {
    [ALG_BOOL] = 1, [ALG_I8] = 1, [ALG_U8] = 1, [ALG_I16] = 2, [ALG_U16] = 2,
    [ALG_I32] = 4, [ALG_U32] = 4, [ALG_I64] = 8, [ALG_U64] = 8,
    [ALG_I128] = 16, [ALG_U128] = 16, [ALG_I256] = 32, [ALG_U256] = 32,
    [ALG_F32] = 4, [ALG_F64] = 8,
};

unsigned bsatn_prim_width(AlgKind k)
{
    return (unsigned)k < ALG_KIND_COUNT ? width[k] : 0;
}

/* ---- floats in total order ----------------------------------------------- */

/* Canonicalise (every NaN -> one positive NaN, -0 -> +0), then make the
 * bits sort as unsigned: negatives have all bits inverted (more negative
 * = smaller), non-negatives get the sign bit set (above all negatives). */
uint64_t bsatn_f64_order(uint64_t bits)
{
    if ((bits & ~(UINT64_C(1) << 63)) > UINT64_C(0x7FF0000000000000))
        bits = UINT64_C(0x7FF8000000000000);
    if (bits == UINT64_C(1) << 63)
        bits = 0;
    return bits >> 63 ? ~bits : bits | UINT64_C(1) << 63;
}

uint32_t bsatn_f32_order(uint32_t bits)
{
    if ((bits & ~(UINT32_C(1) << 31)) > UINT32_C(0x7F800000))
        bits = UINT32_C(0x7FC00000);
    if (bits == UINT32_C(1) << 31)
        bits = 0;
    return bits >> 31 ? ~bits : bits | UINT32_C(1) << 31;
}

size_t bsatn_utf8_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {   /* the common case, inline */
            i++;
            continue;
        }
        size_t k = json_utf8_len((const char *)s + i, n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

/* ---- measuring types ----------------------------------------------------- */

/* A lower bound on the encoded size of any value of t (0 when unsure). */
static size_t min_size(const Typespace *ts, const AlgType *t, unsigned *budget)
{
    t = alg_resolve(ts, t);
    if (!t || *budget == 0)
        return 0;
    --*budget;
    if (width[t->kind])
        return width[t->kind];
    switch (t->kind) {
    case ALG_STRING:
    case ALG_ARRAY: return 4;
    case ALG_SUM: return 1;
    case ALG_PRODUCT: {
        size_t sum = 0;
        for (uint32_t i = 0; i < t->nmembers; i++) {
            size_t m = min_size(ts, t->members[i].type, budget);
            sum = m > SIZE_MAX - sum ? SIZE_MAX : sum + m;
        }
        return sum;
    }
    default: return 0;
    }
}

static size_t fixed_size(const Typespace *ts, const AlgType *t, unsigned *budget)
{
    t = alg_resolve(ts, t);
    if (!t || *budget == 0)
        return SIZE_MAX;
    --*budget;
    if (width[t->kind])
        return width[t->kind];
    if (t->kind == ALG_PRODUCT) {
        size_t sum = 0;
        for (uint32_t i = 0; i < t->nmembers; i++) {
            size_t m = fixed_size(ts, t->members[i].type, budget);
            if (m == SIZE_MAX || m > SIZE_MAX - 1 - sum)
                return SIZE_MAX;
            sum += m;
        }
        return sum;
    }
    if (t->kind == ALG_SUM && t->nmembers > 0) {   /* all payloads alike */
        size_t first = fixed_size(ts, t->members[0].type, budget);
        for (uint32_t i = 1; i < t->nmembers && first != SIZE_MAX; i++)
            if (fixed_size(ts, t->members[i].type, budget) != first)
                return SIZE_MAX;
        return first == SIZE_MAX ? SIZE_MAX : first + 1;
    }
    return SIZE_MAX;
}

size_t bsatn_fixed_size(const Typespace *ts, const AlgType *t)
{
    unsigned budget = MEASURE_BUDGET;
    size_t n = fixed_size(ts, t, &budget);
    return budget == 0 ? SIZE_MAX : n;
}

/* ---- validation ------------------------------------------------------------ */

typedef struct Walk {
    const Typespace *ts;
    const uint8_t *p;
    size_t len, pos;
    size_t steps, budget;
    DbError *err;
} Walk;

static Status truncated(Walk *w, const char *what, size_t need)
{
    return db_error(w->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                    "truncated: %s at byte %zu needs %zu bytes, %zu left",
                    what, w->pos, need, w->len - w->pos);
}

static Status bad_sum_tag(Walk *w, const AlgType *t, unsigned tag)
{
    StrBuf sb;
    strbuf_init(&sb);
    Status st = alg_type_format(w->ts, t, &sb);
    db_error(w->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
             "bad sum tag %u at byte %zu for %s with %u variants", tag, w->pos,
             st == ST_OK ? sb.data : "a sum", t->nmembers);
    strbuf_fini(&sb);
    return ST_MALFORMED;
}

static Status check_value(Walk *w, const AlgType *t, unsigned depth);

static Status check_string(Walk *w)
{
    if (w->len - w->pos < 4)
        return truncated(w, "string length", 4);
    size_t n = bsatn_load_u32(w->p + w->pos);
    if (w->len - w->pos - 4 < n)
        return truncated(w, "string", 4 + n);
    w->pos += 4;
    size_t ok = bsatn_utf8_prefix(w->p + w->pos, n);
    if (ok < n)
        return db_error(w->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "invalid UTF-8 at byte %zu", w->pos + ok);
    w->pos += n;
    return ST_OK;
}

static Status check_array(Walk *w, const AlgType *t, unsigned depth)
{
    if (w->len - w->pos < 4)
        return truncated(w, "array count", 4);
    size_t n = bsatn_load_u32(w->p + w->pos);
    unsigned budget = MEASURE_BUDGET;
    size_t min = min_size(w->ts, t->elem, &budget);
    /* Fail fast, before looping: n elements need >= n * min bytes and
     * >= n steps. */
    if (min > 0 && n > (w->len - w->pos - 4) / min)
        return db_error(w->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "truncated: array of %zu elements (>= %zu bytes each) at byte %zu, "
                        "%zu bytes left", n, min, w->pos, w->len - w->pos - 4);
    if (n > w->budget - w->steps)
        return db_error(w->err, ST_LIMIT, DBE_BSATN_DECODE_ERROR,
                        "array of %zu elements at byte %zu is too long for %zu bytes of input",
                        n, w->pos, w->len);
    w->pos += 4;
    const AlgType *e = alg_resolve(w->ts, t->elem);
    if (e && width[e->kind] && e->kind != ALG_BOOL) {   /* numbers: any bits do */
        w->pos += n * width[e->kind];
        return ST_OK;
    }
    for (size_t i = 0; i < n; i++) {
        Status st = check_value(w, t->elem, depth + 1);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status check_composite(Walk *w, const AlgType *t, unsigned depth)
{
    if (depth >= BSATN_MAX_DEPTH)
        return db_error(w->err, ST_LIMIT, DBE_BSATN_DECODE_ERROR,
                        "value nested deeper than %d at byte %zu", BSATN_MAX_DEPTH, w->pos);
    if (t->kind == ALG_ARRAY)
        return check_array(w, t, depth);
    if (t->kind == ALG_PRODUCT) {
        for (uint32_t i = 0; i < t->nmembers; i++) {
            Status st = check_value(w, t->members[i].type, depth + 1);
            if (st != ST_OK)
                return st;
        }
        return ST_OK;
    }
    if (w->pos == w->len)
        return truncated(w, "sum tag", 1);
    unsigned tag = w->p[w->pos];
    if (tag >= t->nmembers)
        return bad_sum_tag(w, t, tag);
    w->pos++;
    return check_value(w, t->members[tag].type, depth + 1);
}

static Status check_value(Walk *w, const AlgType *t, unsigned depth)
{
    const AlgType *r = alg_resolve(w->ts, t);
    if (!r)
        return db_error(w->err, ST_INVALID, DBE_BSATN_DECODE_ERROR,
                        "type has a dangling ref %u (typespace has %u types)",
                        t ? t->ref : 0, w->ts ? w->ts->ntypes : 0);
    if (++w->steps > w->budget)
        return db_error(w->err, ST_LIMIT, DBE_BSATN_DECODE_ERROR,
                        "value at byte %zu is too complex for %zu bytes of input", w->pos, w->len);
    size_t n = width[r->kind];
    if (n) {
        if (w->len - w->pos < n)
            return truncated(w, alg_kind_name(r->kind), n);
        if (r->kind == ALG_BOOL && w->p[w->pos] > 1)
            return db_error(w->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                            "bad bool byte 0x%02x at byte %zu", w->p[w->pos], w->pos);
        w->pos += n;
        return ST_OK;
    }
    if (r->kind == ALG_STRING)
        return check_string(w);
    return check_composite(w, r, depth);
}

Status bsatn_validate(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                      size_t *used, DbError *err)
{
    Walk w = { .ts = ts, .p = p, .len = len, .err = err, .budget = STEPS_BASE };
    w.budget += len > (SIZE_MAX - STEPS_BASE) / STEPS_PER_BYTE ? SIZE_MAX - STEPS_BASE
                                                                : len * STEPS_PER_BYTE;
    Status st = check_value(&w, t, 0);
    if (st == ST_OK && used)
        *used = w.pos;
    return st;
}

Status bsatn_validate_exact(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                            DbError *err)
{
    size_t used;
    Status st = bsatn_validate(ts, t, p, len, &used, err);
    if (st == ST_OK && used != len)
        return db_error(err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "trailing bytes: value ends at byte %zu of %zu", used, len);
    return st;
}

Status bsatn_product_spans(const Typespace *ts, const AlgType *product, const uint8_t *p,
                           size_t len, BsatnSpan *spans, DbError *err)
{
    const AlgType *r = alg_resolve(ts, product);
    if (!r || r->kind != ALG_PRODUCT)
        return db_error(err, ST_INVALID, DBE_BSATN_DECODE_ERROR, "row type is not a product");
    if (len > UINT32_MAX)
        return db_error(err, ST_LIMIT, DBE_BSATN_DECODE_ERROR, "row of %zu bytes", len);
    size_t off = 0;
    for (uint32_t i = 0; i < r->nmembers; i++) {
        size_t used;
        Status st = bsatn_validate(ts, r->members[i].type, p + off, len - off, &used, err);
        if (st != ST_OK)
            return st;
        spans[i].off = (uint32_t)off;
        spans[i].len = (uint32_t)used;
        off += used;
    }
    if (off != len)
        return db_error(err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "trailing bytes: row ends at byte %zu of %zu", off, len);
    return ST_OK;
}

/* ---- walking trusted values ------------------------------------------------ */

static size_t skip(const Typespace *ts, const AlgType *t, const uint8_t *p)
{
    t = alg_resolve(ts, t);
    assert(t && "a valid value's type resolves");
    if (width[t->kind])
        return width[t->kind];
    size_t off = 0;
    switch (t->kind) {
    case ALG_STRING: return 4 + (size_t)bsatn_load_u32(p);
    case ALG_ARRAY: {
        uint32_t n = bsatn_load_u32(p);
        const AlgType *e = alg_resolve(ts, t->elem);
        off = 4;
        if (e && width[e->kind])
            return off + (size_t)n * width[e->kind];
        for (uint32_t i = 0; i < n; i++)
            off += skip(ts, t->elem, p + off);
        return off;
    }
    case ALG_PRODUCT:
        for (uint32_t i = 0; i < t->nmembers; i++)
            off += skip(ts, t->members[i].type, p + off);
        return off;
    case ALG_SUM: return 1 + skip(ts, t->members[p[0]].type, p + 1);
    default: return 0;
    }
}

size_t bsatn_value_len(const Typespace *ts, const AlgType *t, const uint8_t *p)
{
    return skip(ts, t, p);
}

/* Integers of n bytes, little-endian; signed ones compare like unsigned
 * once the sign bit is flipped (that maps MIN..MAX onto 0..UMAX). */
static int cmp_int(const uint8_t *a, const uint8_t *b, unsigned n, bool sign)
{
    for (unsigned i = n; i-- > 0;) {
        unsigned flip = (sign && i == n - 1) ? 0x80 : 0;
        unsigned x = a[i] ^ flip, y = b[i] ^ flip;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static int cmp_u64(uint64_t x, uint64_t y)
{
    return (x > y) - (x < y);
}

static int cmp(const Typespace *ts, const AlgType *t, const uint8_t **pa, const uint8_t **pb);

/* Strings, and arrays element by element: the common prefix decides,
 * then the shorter is smaller. */
static int cmp_seq(const Typespace *ts, const AlgType *t, const uint8_t **pa, const uint8_t **pb)
{
    uint32_t na = bsatn_load_u32(*pa), nb = bsatn_load_u32(*pb);
    uint32_t n = na < nb ? na : nb;
    *pa += 4, *pb += 4;
    const AlgType *e = t->kind == ALG_STRING ? alg_prim(ALG_U8) : alg_resolve(ts, t->elem);
    if (e->kind == ALG_U8) {   /* bytes: memcmp is lexicographic */
        int c = memcmp(*pa, *pb, n);
        *pa += na, *pb += nb;
        return c ? (c < 0 ? -1 : 1) : cmp_u64(na, nb);
    }
    for (uint32_t i = 0; i < n; i++) {
        int c = cmp(ts, e, pa, pb);
        if (c)
            return c;
    }
    for (uint32_t i = n; i < na; i++)
        *pa += skip(ts, e, *pa);
    for (uint32_t i = n; i < nb; i++)
        *pb += skip(ts, e, *pb);
    return cmp_u64(na, nb);
}

/* On equality both pointers advance past their value (equal values have
 * equal lengths); otherwise they are left wherever the walk stopped. */
static int cmp(const Typespace *ts, const AlgType *t, const uint8_t **pa, const uint8_t **pb)
{
    t = alg_resolve(ts, t);
    assert(t && "a valid value's type resolves");
    const uint8_t *a = *pa, *b = *pb;
    unsigned n = width[t->kind];
    int c = 0;
    *pa += n, *pb += n;
    switch (t->kind) {
    case ALG_F32:
        return cmp_u64(bsatn_f32_order(bsatn_load_u32(a)), bsatn_f32_order(bsatn_load_u32(b)));
    case ALG_F64:
        return cmp_u64(bsatn_f64_order(bsatn_load_le(a, 8)), bsatn_f64_order(bsatn_load_le(b, 8)));
    case ALG_STRING:
    case ALG_ARRAY: return cmp_seq(ts, t, pa, pb);
    case ALG_PRODUCT:
        for (uint32_t i = 0; i < t->nmembers && c == 0; i++)
            c = cmp(ts, t->members[i].type, pa, pb);
        return c;
    case ALG_SUM:
        if (a[0] != b[0])
            return a[0] < b[0] ? -1 : 1;
        *pa += 1, *pb += 1;
        return cmp(ts, t->members[a[0]].type, pa, pb);
    default: return cmp_int(a, b, n, alg_kind_signed(t->kind));   /* bool and integers */
    }
}

int bsatn_compare(const Typespace *ts, const AlgType *t, const uint8_t *a, const uint8_t *b)
{
    return cmp(ts, t, &a, &b);
}
