/*
 * sequence.c - the wrap rule in 128-bit two's complement arithmetic.
 *
 * Everything here is exact: differences such as max - value are computed
 * as unsigned 128-bit numbers, which cannot overflow because max >= value,
 * so the wrap rule is right even for the extreme bounds (min = i128::MIN,
 * max = i128::MAX, where the range has 2^128 values and "modulo the range"
 * is the identity).
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "sequence.h"

#include <string.h>

#include "../util/alloc.h"
#include "bsatn.h"

const I128 I128_MAX = { UINT64_MAX, UINT64_MAX >> 1 };

I128 i128_from_i64(int64_t v)
{
    I128 r = { (uint64_t)v, v < 0 ? UINT64_MAX : 0 };
    return r;
}

I128 i128_from_le(const uint8_t b[16])
{
    I128 r = { bsatn_load_le(b, 8), bsatn_load_le(b + 8, 8) };
    return r;
}

void i128_to_le(I128 v, uint8_t b[16])
{
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(v.lo >> 8 * i);
        b[8 + i] = (uint8_t)(v.hi >> 8 * i);
    }
}

static bool is_neg(I128 v)
{
    return v.hi >> 63;
}

static bool is_zero(I128 v)
{
    return v.lo == 0 && v.hi == 0;
}

int i128_cmp(I128 a, I128 b)
{
    if (a.hi != b.hi)
        return (int64_t)a.hi < (int64_t)b.hi ? -1 : 1;
    return (a.lo > b.lo) - (a.lo < b.lo);
}

/* ---- unsigned 128-bit helpers (mod 2^128) ---- */

static I128 u_add(I128 a, I128 b)
{
    I128 r = { a.lo + b.lo, a.hi + b.hi };
    r.hi += r.lo < a.lo;
    return r;
}

static I128 u_sub(I128 a, I128 b)
{
    I128 r = { a.lo - b.lo, a.hi - b.hi };
    r.hi -= a.lo < b.lo;
    return r;
}

static bool u_lt(I128 a, I128 b)
{
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}

static I128 u_shl1(I128 a, unsigned bit)
{
    I128 r = { a.lo << 1 | bit, a.hi << 1 | a.lo >> 63 };
    return r;
}

/* a mod m by shift-and-subtract; m == 0 stands for 2^128 (a is then the
 * answer).  Runs only when a sequence wraps, so speed does not matter. */
static I128 u_mod(I128 a, I128 m)
{
    if (is_zero(m))
        return a;
    I128 r = { 0, 0 };
    for (int i = 127; i >= 0; i--) {
        unsigned bit = (unsigned)((i >= 64 ? a.hi >> (i - 64) : a.lo >> i) & 1);
        bool carry = r.hi >> 63;          /* r << 1 would exceed 2^128 */
        r = u_shl1(r, bit);
        if (carry || !u_lt(r, m))
            r = u_sub(r, m);
    }
    return r;
}

static I128 u_neg(I128 a)
{
    I128 zero = { 0, 0 };
    return u_sub(zero, a);
}

Status i128_format(I128 v, StrBuf *out)
{
    char digits[41];
    size_t n = 0;
    I128 mag = is_neg(v) ? u_neg(v) : v;
    do {   /* divide the 128-bit magnitude by 10, 32 bits at a time */
        uint32_t parts[4] = { (uint32_t)(mag.hi >> 32), (uint32_t)mag.hi,
                              (uint32_t)(mag.lo >> 32), (uint32_t)mag.lo };
        uint64_t rem = 0;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = rem << 32 | parts[i];
            parts[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        mag.hi = (uint64_t)parts[0] << 32 | parts[1];
        mag.lo = (uint64_t)parts[2] << 32 | parts[3];
        digits[n++] = (char)('0' + rem);
    } while (!is_zero(mag));
    if (is_neg(v))
        digits[n++] = '-';
    Status st = ST_OK;
    while (n > 0 && st == ST_OK)
        st = strbuf_putc(out, digits[--n]);
    return st;
}

/* ---- sequences ---- */

bool sequence_kind_ok(AlgKind k)
{
    return k >= ALG_I8 && k <= ALG_U256;
}

unsigned sequence_width(AlgKind k)
{
    static const unsigned w[] = { 1, 1, 2, 2, 4, 4, 8, 8, 16, 16, 32, 32 };
    return w[k - ALG_I8];
}

void sequence_store(AlgKind k, I128 v, uint8_t *col)
{
    uint8_t le[16];
    i128_to_le(v, le);
    unsigned w = sequence_width(k);
    memcpy(col, le, w < 16 ? w : 16);
    if (w == 32)
        memset(col + 16, is_neg(v) ? 0xFF : 0x00, 16);
}

I128 sequence_step(const Sequence *seq, I128 v)
{
    I128 range = u_add(u_sub(seq->max, seq->min), (I128){ 1, 0 });   /* 0 = 2^128 */
    I128 one = { 1, 0 };
    if (!is_neg(seq->increment)) {
        I128 room = u_sub(seq->max, v);                   /* max - v >= 0 */
        if (!u_lt(room, seq->increment))
            return u_add(v, seq->increment);
        I128 over = u_sub(u_sub(seq->increment, room), one);   /* next - max - 1 */
        return u_add(seq->min, u_mod(over, range));
    }
    I128 mag = u_neg(seq->increment);
    I128 room = u_sub(v, seq->min);                       /* v - min >= 0 */
    if (!u_lt(room, mag))
        return u_sub(v, mag);
    I128 over = u_sub(u_sub(mag, room), one);             /* min - next - 1 */
    return u_sub(seq->max, u_mod(over, range));
}

I128 sequence_next(Sequence *seq)
{
    I128 v = seq->value;
    seq->value = sequence_step(seq, v);
    return v;
}

Status sequence_init(Sequence *seq, const SequenceSchema *s, const char *table,
                     const char *colname, AlgKind kind, DbError *err)
{
    memset(seq, 0, sizeof *seq);
    seq->col = s->col;
    seq->kind = kind;
    seq->increment = s->increment;
    seq->min = s->has_min ? s->min : i128_from_i64(1);
    seq->max = s->has_max ? s->max : I128_MAX;
    seq->value = s->has_start ? s->start : i128_from_i64(1);
    if (is_zero(seq->increment))
        return db_error(err, ST_INVALID, DBE_HOST_CALL_FAILURE,
                        "sequence on %s.%s: increment 0", table, colname);
    if (i128_cmp(seq->min, seq->value) > 0 || i128_cmp(seq->value, seq->max) > 0)
        return db_error(err, ST_INVALID, DBE_HOST_CALL_FAILURE,
                        "sequence on %s.%s: needs min <= start <= max", table, colname);
    StrBuf name;
    strbuf_init(&name);
    Status st = s->name ? strbuf_puts(&name, s->name)
                        : strbuf_printf(&name, "%s_%s_seq", table, colname);
    if (st != ST_OK) {
        strbuf_fini(&name);
        return db_error(err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
    }
    seq->name = name.data;
    return ST_OK;
}

void sequence_fini(Sequence *seq)
{
    mem_free(seq->name);
    seq->name = NULL;
}
