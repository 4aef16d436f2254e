/*
 * moddef_read.c - reading the BSATN of a RawModuleDef, one field at a time.
 *
 * A module definition is an ordinary SATS value, so it is read with the
 * BSATN rules of module-abi.md §3: little-endian integers, u32-prefixed
 * strings and arrays, one tag byte per sum, Option<T> as the sum
 * [some: T, none: ()] (tag 0 = Some).  Types inside it use the
 * meta-encoding of §4, which src/db/types.c already decodes.
 *
 * The bytes come from a module we do not trust.  So: every read checks
 * the bytes left (ST_MALFORMED "truncated"), every count is compared with
 * the bytes left before an array is allocated, strings must be UTF-8
 * without NUL bytes (they become C strings), and every message carries
 * the byte offset and the object being read.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../db/bsatn.h"
#include "../util/json.h"

void moddef_where(ModReader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->where, sizeof r->where, fmt, ap);
    va_end(ap);
}

/* "RawModuleDefV9: truncated at byte 812 reading the index algorithm of table 1 \"player\"" */
__attribute__((format(printf, 3, 4)))
static Status fail(ModReader *r, Status st, const char *fmt, ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return moddef_error(r->err, st, "%s: %s%s%s", r->format, detail,
                        r->where[0] ? " of " : "", r->where);
}

static Status need(ModReader *r, size_t n, const char *what)
{
    if (r->len - r->pos >= n)
        return ST_OK;
    return fail(r, ST_MALFORMED, "truncated at byte %zu reading %s (%zu bytes needed, %zu left)",
                r->pos, what, n, r->len - r->pos);
}

Status moddef_read_u8(ModReader *r, const char *what, uint8_t *out)
{
    Status st = need(r, 1, what);
    if (st == ST_OK)
        *out = r->p[r->pos++];
    return st;
}

Status moddef_read_u16(ModReader *r, const char *what, uint16_t *out)
{
    Status st = need(r, 2, what);
    if (st == ST_OK) {
        *out = (uint16_t)bsatn_load_le(r->p + r->pos, 2);
        r->pos += 2;
    }
    return st;
}

Status moddef_read_u32(ModReader *r, const char *what, uint32_t *out)
{
    Status st = need(r, 4, what);
    if (st == ST_OK) {
        *out = bsatn_load_u32(r->p + r->pos);
        r->pos += 4;
    }
    return st;
}

Status moddef_read_bool(ModReader *r, const char *what, bool *out)
{
    uint8_t b;
    size_t at = r->pos;
    Status st = moddef_read_u8(r, what, &b);
    if (st != ST_OK)
        return st;
    if (b > 1)
        return fail(r, ST_MALFORMED, "bad bool byte %u at byte %zu reading %s", b, at, what);
    *out = b == 1;
    return ST_OK;
}

Status moddef_read_i128(ModReader *r, const char *what, I128 *out)
{
    Status st = need(r, 16, what);
    if (st == ST_OK) {
        *out = i128_from_le(r->p + r->pos);
        r->pos += 16;
    }
    return st;
}

Status moddef_read_tag(ModReader *r, const char *what, uint8_t ntags, uint8_t *out)
{
    size_t at = r->pos;
    Status st = moddef_read_u8(r, what, out);
    if (st == ST_OK && *out >= ntags)
        return fail(r, ST_MALFORMED, "bad tag %u at byte %zu for %s (%u variants)", *out, at,
                    what, ntags);
    return st;
}

Status moddef_read_count(ModReader *r, const char *what, size_t min_bytes, uint32_t *out)
{
    size_t at = r->pos;
    Status st = moddef_read_u32(r, what, out);
    if (st != ST_OK)
        return st;
    if (min_bytes && *out > (r->len - r->pos) / min_bytes)
        return fail(r, ST_MALFORMED,
                    "truncated: %s count %u at byte %zu, but only %zu bytes follow", what, *out,
                    at, r->len - r->pos);
    return ST_OK;
}

void *moddef_alloc(ModReader *r, size_t n, size_t size)
{
    void *p = arena_calloc(&r->def->arena, n ? n : 1, size);
    if (!p)
        moddef_error(r->err, ST_NOMEM, "out of memory");
    return p;
}

Status moddef_read_string(ModReader *r, const char *what, const char **out)
{
    uint32_t n;
    Status st = moddef_read_count(r, what, 1, &n);
    if (st != ST_OK)
        return st;
    const char *s = (const char *)r->p + r->pos;
    for (size_t i = 0; i < n;) {
        size_t k = s[i] ? json_utf8_len(s + i, n - i) : 0;
        if (k == 0)
            return fail(r, ST_MALFORMED, "%s at byte %zu in %s", s[i] ? "invalid UTF-8" : "NUL",
                        r->pos + i, what);
        i += k;
    }
    char *copy = arena_strndup(&r->def->arena, s, n);
    if (!copy)
        return moddef_error(r->err, ST_NOMEM, "out of memory");
    r->pos += n;
    *out = copy;
    return ST_OK;
}

Status moddef_read_opt_string(ModReader *r, const char *what, const char **out)
{
    uint8_t tag;
    Status st = moddef_read_tag(r, what, 2, &tag);
    if (st != ST_OK)
        return st;
    *out = NULL;
    return tag == 0 ? moddef_read_string(r, what, out) : ST_OK;
}

Status moddef_read_opt_i128(ModReader *r, const char *what, bool *has, I128 *out)
{
    uint8_t tag;
    Status st = moddef_read_tag(r, what, 2, &tag);
    if (st != ST_OK)
        return st;
    *has = tag == 0;
    *out = i128_from_i64(0);
    return tag == 0 ? moddef_read_i128(r, what, out) : ST_OK;
}

Status moddef_read_cols(ModReader *r, const char *what, ModCols *out)
{
    uint32_t n;
    Status st = moddef_read_count(r, what, 2, &n);
    if (st != ST_OK)
        return st;
    if (n > UINT16_MAX)
        return fail(r, ST_MALFORMED, "%s lists %u columns", what, n);
    if (!(out->cols = moddef_alloc(r, n, sizeof *out->cols)))
        return ST_NOMEM;
    out->n = (uint16_t)n;
    for (uint32_t i = 0; i < n && st == ST_OK; i++)
        st = moddef_read_u16(r, what, &out->cols[i]);
    return st;
}

Status moddef_read_type(ModReader *r, const char *what, const AlgType **out)
{
    DbError dberr = {0};
    size_t used = 0;
    size_t at = r->pos;
    Status st = alg_type_decode(&r->def->ts, r->p + r->pos, r->len - r->pos, &used, out, &dberr);
    if (st == ST_NOMEM)
        return moddef_error(r->err, ST_NOMEM, "out of memory");
    if (st != ST_OK)   /* dberr's offsets count from the start of this type */
        return fail(r, st, "%s (in %s, a type starting at byte %zu)", dberr.msg, what, at);
    r->pos += used;
    return ST_OK;
}

Status moddef_read_product(ModReader *r, const char *what, const AlgType **out)
{
    uint32_t n;
    Status st = moddef_read_count(r, what, 2, &n);   /* each element: name tag + type tag */
    if (st != ST_OK)
        return st;
    AlgType *t = typespace_new_type(&r->def->ts, ALG_PRODUCT, n);
    if (!t)
        return moddef_error(r->err, ST_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        if ((st = moddef_read_opt_string(r, what, &t->members[i].name)) != ST_OK ||
            (st = moddef_read_type(r, what, &t->members[i].type)) != ST_OK)
            return st;
    }
    *out = t;
    return ST_OK;
}

Status moddef_read_typespace(ModReader *r)
{
    uint32_t ntypes;
    r->where[0] = '\0';   /* "the typespace" says it all */
    Status st = moddef_read_count(r, "the typespace", 1, &ntypes);
    for (uint32_t i = 0; st == ST_OK && i < ntypes; i++) {
        const AlgType *t;
        st = moddef_read_type(r, "a typespace entry", &t);
        if (st == ST_OK && typespace_add(&r->def->ts, t, NULL) != ST_OK)
            return moddef_error(r->err, ST_NOMEM, "out of memory");
    }
    return st;
}
