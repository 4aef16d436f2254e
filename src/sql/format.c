/*
 * format.c - results as `spacetime sql` prints them (client-protocol.md 10).
 *
 * A psql-style table without outer borders.  Each cell is a space, the
 * value left-aligned and padded to the column's width, and a space;
 * cells are joined by `|`; under the header, width+2 dashes per column
 * joined by `+`.  Trailing spaces are kept and every line ends in \n:
 *
 *    id | name         <- " id | name    "
 *   ----+---------     <- "----+---------"
 *    1  | "Alice"      <- " 1  | \"Alice\" "
 *
 * A result without columns (DML) prints as a single empty line.  Widths
 * count characters (UTF-8 code points), not bytes.
 *
 * Values follow SpacetimeDB's psql display: strings in double quotes
 * and NOT escaped, floats in Rust's shortest round-trip form without an
 * exponent (1.0 prints as 1), bytes and identities as 0x + hex,
 * timestamps in RFC 3339 with a fraction only when there is one,
 * products (a = 1, b = 2), sums (some = 5), arrays [1, 2].
 *
 * Book: chapter 25, book/25-sql.md
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/value.h"
#include "../util/alloc.h"
#include "sql.h"

#define FORMAT_MAX_DEPTH 64

/* ---- numbers ---- */

/* Wide integers (value_display_wide) and calendar dates
 * (value_civil_from_days) are shared with value_display.c via value.h. */

/* Rust's Display for floats: the shortest digits that read back to the
 * same value, written out positionally (no exponent). */
static Status put_float(StrBuf *out, double v, bool single)
{
    if (isnan(v))
        return strbuf_puts(out, "NaN");
    if (isinf(v))
        return strbuf_puts(out, v < 0 ? "-inf" : "inf");
    char buf[48];
    for (int prec = 0; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, v);
        if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    char digs[24];
    size_t nd = 0;
    const char *p = buf;
    bool neg = *p == '-';
    p += neg;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digs[nd++] = *p;
    int exp = atoi(p + 1);        /* value = 0.d1d2... * 10^(exp+1) */
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    Status st = neg ? strbuf_putc(out, '-') : ST_OK;
    int point = exp + 1;          /* digits before the decimal point */
    if (point <= 0) {
        st = st == ST_OK ? strbuf_puts(out, "0.") : st;
        for (int i = 0; i < -point && st == ST_OK; i++)
            st = strbuf_putc(out, '0');
        return st == ST_OK ? strbuf_append(out, digs, nd) : st;
    }
    for (int i = 0; i < point && st == ST_OK; i++)
        st = strbuf_putc(out, (size_t)i < nd ? digs[i] : '0');
    if (st == ST_OK && (size_t)point < nd && (st = strbuf_putc(out, '.')) == ST_OK)
        st = strbuf_append(out, digs + point, nd - (size_t)point);
    return st;
}

static Status put_hex_be(StrBuf *out, const uint8_t *le, unsigned n)
{
    Status st = strbuf_puts(out, "0x");
    for (unsigned i = n; i-- > 0 && st == ST_OK;)
        st = strbuf_printf(out, "%02x", le[i]);
    return st;
}

/* chrono's to_rfc3339: a fraction only when not zero (3 or 6 digits). */
static Status put_timestamp(StrBuf *out, int64_t micros)
{
    int64_t secs = micros / 1000000, us = micros % 1000000;
    if (us < 0)
        secs -= 1, us += 1000000;
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0)
        days -= 1, sod += 86400;
    int64_t y;
    unsigned m, d;
    value_civil_from_days(days, &y, &m, &d);
    Status st = strbuf_printf(out, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
                              (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60),
                              (unsigned)(sod % 60));
    if (st == ST_OK && us)
        st = us % 1000 ? strbuf_printf(out, ".%06u", (unsigned)us)
                       : strbuf_printf(out, ".%03u", (unsigned)(us / 1000));
    return st == ST_OK ? strbuf_puts(out, "+00:00") : st;
}

/* ---- values ---- */

static Status fmt(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out,
                  unsigned depth);

static Status fmt_special(AlgSpecial sp, const Value *v, StrBuf *out, bool *done)
{
    const Value *x = v->kind == ALG_PRODUCT && v->seq.len == 1 ? &v->seq.items[0] : NULL;
    *done = x != NULL;
    if (!x)
        return ST_OK;
    switch (sp) {
    case ALG_SPECIAL_IDENTITY: return put_hex_be(out, x->wide, 32);
    case ALG_SPECIAL_CONNECTION_ID: return put_hex_be(out, x->wide, 16);
    case ALG_SPECIAL_TIMESTAMP: return put_timestamp(out, x->i);
    case ALG_SPECIAL_TIME_DURATION: {
        uint64_t mag = x->i < 0 ? 0 - (uint64_t)x->i : (uint64_t)x->i;
        return strbuf_printf(out, "%c%llu.%06llu", x->i < 0 ? '-' : '+',
                             (unsigned long long)(mag / 1000000),
                             (unsigned long long)(mag % 1000000));
    }
    case ALG_SPECIAL_UUID: {
        Status st = strbuf_putc(out, '"');
        for (int i = 15; i >= 0 && st == ST_OK; i--)
            st = strbuf_printf(out, "%02x%s", x->wide[i],
                               i == 12 || i == 10 || i == 8 || i == 6 ? "-" : "");
        return st == ST_OK ? strbuf_putc(out, '"') : st;
    }
    default: *done = false; return ST_OK;
    }
}

static Status fmt_seq(const Typespace *ts, const AlgType *r, const Value *v, StrBuf *out,
                      unsigned depth)
{
    bool product = r->kind == ALG_PRODUCT;
    if (!product && r->elem->kind == ALG_U8) {   /* bytes */
        Status st = strbuf_puts(out, "0x");
        for (uint32_t i = 0; i < v->seq.len && st == ST_OK; i++)
            st = strbuf_printf(out, "%02x", (unsigned)v->seq.items[i].u);
        return st;
    }
    Status st = strbuf_putc(out, product ? '(' : '[');
    for (uint32_t i = 0; i < v->seq.len && st == ST_OK; i++) {
        if (i > 0)
            st = strbuf_puts(out, ", ");
        if (st == ST_OK && product && r->members[i].name)
            st = strbuf_printf(out, "%s = ", r->members[i].name);
        if (st == ST_OK)
            st = fmt(ts, product ? r->members[i].type : r->elem, &v->seq.items[i], out, depth + 1);
    }
    return st == ST_OK ? strbuf_putc(out, product ? ')' : ']') : st;
}

static Status fmt(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out,
                  unsigned depth)
{
    const AlgType *r = alg_resolve(ts, t);
    if (!r || depth > FORMAT_MAX_DEPTH)
        return strbuf_puts(out, "?");
    bool done;
    Status st = fmt_special(alg_special(r), v, out, &done);
    if (st != ST_OK || done)
        return st;
    switch (r->kind) {
    case ALG_BOOL: return strbuf_puts(out, v->b ? "true" : "false");
    case ALG_I8: case ALG_I16: case ALG_I32: case ALG_I64:
        return strbuf_printf(out, "%lld", (long long)v->i);
    case ALG_U8: case ALG_U16: case ALG_U32: case ALG_U64:
        return strbuf_printf(out, "%llu", (unsigned long long)v->u);
    case ALG_I128: case ALG_U128: return value_display_wide(out, v->wide, 16, r->kind == ALG_I128);
    case ALG_I256: case ALG_U256: return value_display_wide(out, v->wide, 32, r->kind == ALG_I256);
    case ALG_F32: return put_float(out, v->f32, true);
    case ALG_F64: return put_float(out, v->f64, false);
    case ALG_STRING:
        st = strbuf_putc(out, '"');
        if (st == ST_OK)
            st = strbuf_append(out, v->str.data, v->str.len);
        return st == ST_OK ? strbuf_putc(out, '"') : st;
    case ALG_SUM: {
        const AlgMember *m = &r->members[v->sum.tag];
        st = m->name ? strbuf_printf(out, "(%s = ", m->name)
                     : strbuf_printf(out, "(%u = ", v->sum.tag);
        if (st == ST_OK)
            st = fmt(ts, m->type, v->sum.payload, out, depth + 1);
        return st == ST_OK ? strbuf_putc(out, ')') : st;
    }
    default: return fmt_seq(ts, r, v, out, depth);
    }
}

Status sql_format_value(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                        StrBuf *out)
{
    Arena a;
    arena_init(&a);
    Value *v;
    DbError err;
    Status st = value_decode(&a, ts, t, p, len, NULL, &v, &err);
    if (st == ST_OK)
        st = fmt(ts, t, v, out, 0);
    arena_fini(&a);
    return st;
}

/* ---- the table ---- */

/* The layout alone, shared with `tinystdb sql` (src/cli/cmd_sql.c), which
 * has its cells as text from the wire. */

static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;   /* count UTF-8 lead bytes */
    return n;
}

static Status put_row(StrBuf *out, const char *const *cells, const size_t *w, size_t ncols)
{
    Status st = ST_OK;
    for (size_t c = 0; c < ncols && st == ST_OK; c++) {
        st = strbuf_printf(out, "%s %s", c ? "|" : "", cells[c]);
        for (size_t k = width(cells[c]); k <= w[c] && st == ST_OK; k++)
            st = strbuf_putc(out, ' ');
    }
    return st == ST_OK ? strbuf_putc(out, '\n') : st;
}

Status sql_format_grid(const char *const *headers, size_t ncols, const char *const *cells,
                       size_t nrows, StrBuf *out)
{
    if (ncols == 0)
        return strbuf_putc(out, '\n');
    size_t *w = mem_calloc(ncols, sizeof *w);
    if (!w)
        return ST_NOMEM;
    for (size_t c = 0; c < ncols; c++) {
        w[c] = width(headers[c]);
        for (size_t r = 0; r < nrows; r++)
            if (width(cells[r * ncols + c]) > w[c])
                w[c] = width(cells[r * ncols + c]);
    }
    Status st = put_row(out, headers, w, ncols);
    for (size_t c = 0; c < ncols && st == ST_OK; c++) {
        st = c ? strbuf_putc(out, '+') : ST_OK;
        for (size_t k = 0; k < w[c] + 2 && st == ST_OK; k++)
            st = strbuf_putc(out, '-');
    }
    if (st == ST_OK)
        st = strbuf_putc(out, '\n');
    for (size_t r = 0; r < nrows && st == ST_OK; r++)
        st = put_row(out, cells + r * ncols, w, ncols);
    mem_free(w);
    return st;
}

/* Every cell's text, header row first, each a NUL-terminated string in
 * the arena. */
static Status render_cells(Arena *a, const SqlResult *res, const char **cells)
{
    StrBuf sb;
    strbuf_init(&sb);
    Status st = ST_OK;
    size_t k = 0;
    for (uint32_t c = 0; c < res->ncols && st == ST_OK; c++)
        cells[k++] = res->cols[c].name;
    for (size_t r = 0; r < res->rows.count && st == ST_OK; r++) {
        size_t len, off = 0;
        const uint8_t *row = rowlist_get(&res->rows, r, &len);
        for (uint32_t c = 0; c < res->ncols && st == ST_OK; c++) {
            const SqlColumn *col = &res->cols[c];
            size_t used;
            Value *v;
            DbError err;
            strbuf_clear(&sb);
            st = value_decode(a, col->ts, col->type, row + off, len - off, &used, &v, &err);
            if (st == ST_OK)
                st = fmt(col->ts, col->type, v, &sb, 0);
            if (st == ST_OK && !(cells[k++] = arena_strndup(a, sb.data ? sb.data : "", sb.len)))
                st = ST_NOMEM;
            off += used;
        }
    }
    strbuf_fini(&sb);
    return st;
}

Status sql_format_table(const SqlResult *res, StrBuf *out)
{
    Arena a;
    arena_init(&a);
    const char **cells = arena_calloc(&a, (res->rows.count + 1) * res->ncols + 1, sizeof *cells);
    Status st = cells ? render_cells(&a, res, cells) : ST_NOMEM;
    for (uint32_t c = 0; c < res->ncols && st == ST_OK; c++) {   /* unnamed columns */
        char name[32];
        int n = snprintf(name, sizeof name, "column %u", c);
        if (!cells[c] && !(cells[c] = arena_strndup(&a, name, (size_t)n)))
            st = ST_NOMEM;
    }
    if (st == ST_OK)
        st = sql_format_grid(cells, res->ncols, cells + res->ncols, res->rows.count, out);
    arena_fini(&a);
    return st;
}
