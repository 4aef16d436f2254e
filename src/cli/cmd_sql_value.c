/*
 * cmd_sql_value.c - one JSON value printed as `spacetime sql` prints a
 * value of a given type (the table they are laid out in is
 * sql_format_grid, src/sql/format.c).
 *
 * The type arrives as text (the schema's column types, written by
 * alg_type_format) and is parsed here into a small tree:
 *
 *   "Option<(x: f32, y: f32)>" ─► OPTION ─► PRODUCT [x: NAME f32, y: NAME f32]
 *
 * Then the JSON value and the tree are walked together.  The value
 * formats are those of src/sql/format.c (chapter 25), which formats
 * BSATN rows where they are at hand (the SQL engine's own tests); this
 * file reaches the same text from the JSON a client receives:
 *
 *   String "Bob"        ─► "Bob"        (quoted, not escaped)
 *   Array<u8> "0a0b"    ─► 0x0a0b
 *   Identity {"__identity__":"0xc2..."} ─► 0x + 64 hex digits
 *   ConnectionId {"__connection_id__": 99..} ─► 0x + 32 hex digits
 *   Timestamp (micros)  ─► 2025-02-10T15:45:30.123+00:00
 *   TimeDuration        ─► +1.500000
 *   f64 1.0             ─► 1
 *   Option [0, v]       ─► (some = v)   [1, []] ─► (none = ())
 *   product {"a":1}     ─► (a = 1)      sum [tag, v] ─► (Variant = v)
 *
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include "cmd_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/alloc.h"

#define TT_MAX_DEPTH 32

typedef enum TKind { TT_NAME, TT_OPTION, TT_ARRAY, TT_PRODUCT, TT_SUM } TKind;

typedef struct TType TType;
struct TType {
    TKind kind;
    char name[32];                /* TT_NAME: "u64", "String", "Identity"... */
    TType *elem;                  /* OPTION, ARRAY */
    const char **mnames;          /* PRODUCT, SUM: member names (NULL: none) */
    TType **mtypes;
    size_t n;
};

/* ---- type texts ---- */

static TType *parse_type(Arena *a, const char **p, int depth);

/* `name: T` or `T` inside parentheses. */
static bool parse_member(Arena *a, const char **p, const char **name, TType **t, int depth)
{
    const char *s = *p;
    size_t n = strcspn(s, ":,|()<> ");
    *name = NULL;
    if (s[n] == ':' && s[n + 1] == ' ') {
        *name = arena_strndup(a, s, n);
        *p = s + n + 2;
    }
    *t = parse_type(a, p, depth + 1);
    return *t != NULL;
}

static TType *parse_group(Arena *a, const char **p, TType *t, int depth)
{
    size_t cap = 8;
    t->mnames = arena_calloc(a, cap, sizeof *t->mnames);
    t->mtypes = arena_calloc(a, cap, sizeof *t->mtypes);
    t->kind = TT_PRODUCT;
    (*p)++;
    while (**p && **p != ')') {
        if (t->n == cap || !t->mnames || !t->mtypes)
            return NULL;   /* wider than any column a person types */
        if (!parse_member(a, p, &t->mnames[t->n], &t->mtypes[t->n], depth))
            return NULL;
        t->n++;
        if (strncmp(*p, " | ", 3) == 0 || strncmp(*p, ", ", 2) == 0) {
            t->kind = **p == ' ' ? TT_SUM : TT_PRODUCT;
            *p += **p == ' ' ? 3 : 2;
        }
    }
    if (**p != ')')
        return NULL;
    (*p)++;
    return t;
}

static TType *parse_type(Arena *a, const char **p, int depth)
{
    TType *t = arena_calloc(a, 1, sizeof *t);
    if (!t || depth > TT_MAX_DEPTH)
        return NULL;
    if (**p == '(')
        return parse_group(a, p, t, depth);
    size_t n = strcspn(*p, ",|()<> ");
    if (n == 0 || n >= sizeof t->name)
        return NULL;
    memcpy(t->name, *p, n);
    *p += n;
    if (**p != '<')
        return t;
    t->kind = strcmp(t->name, "Option") == 0 ? TT_OPTION : TT_ARRAY;
    (*p)++;
    if (!(t->elem = parse_type(a, p, depth + 1)) || **p != '>')
        return NULL;
    (*p)++;
    return t;
}

/* ---- numbers ---- */

/* Decimal digits (an unsigned integer's text) into nbytes big-endian bytes. */
static bool dec_to_bytes(const char *s, size_t len, uint8_t *be, size_t nbytes)
{
    memset(be, 0, nbytes);
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned carry = (unsigned)(s[i] - '0');
        for (size_t k = nbytes; k-- > 0;) {
            unsigned x = be[k] * 10u + carry;
            be[k] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    return true;
}

/* "0x" hex (leading zeros dropped on the wire) padded to `digits` digits. */
static Status put_hex_padded(StrBuf *out, const char *hex, size_t len, size_t digits)
{
    if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2, len -= 2;
    Status st = strbuf_puts(out, "0x");
    for (size_t i = len; i < digits && st == ST_OK; i++)
        st = strbuf_putc(out, '0');
    return st == ST_OK ? strbuf_append(out, hex, len) : st;
}

/* Rust's Display for floats: shortest round-trip digits, no exponent. */
static Status put_float(StrBuf *out, const char *text, bool single)
{
    double v = strtod(text, NULL);
    char buf[64];
    int prec = 0;
    for (; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, v);
        if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    int exp = atoi(strchr(buf, 'e') + 1);
    int decimals = prec - exp > 0 ? prec - exp : 0;
    return strbuf_printf(out, "%.*f", decimals, v);
}

/* Micros since the epoch as RFC 3339 (fraction only when not zero). */
static Status put_timestamp(StrBuf *out, long long us)
{
    long long secs = us / 1000000, frac = us % 1000000;
    if (frac < 0)
        secs--, frac += 1000000;
    time_t t = (time_t)secs;
    struct tm tm;
    char buf[64];
    if (!gmtime_r(&t, &tm))
        return strbuf_printf(out, "%lld", us);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    Status st = strbuf_puts(out, buf);
    if (st == ST_OK && frac)   /* chrono: 3 digits when they suffice, else 6 */
        st = frac % 1000 ? strbuf_printf(out, ".%06lld", frac)
                         : strbuf_printf(out, ".%03lld", frac / 1000);
    return st == ST_OK ? strbuf_puts(out, "+00:00") : st;
}

/* ---- values ---- */

static Status fmt(Arena *a, const TType *t, const JsonValue *v, StrBuf *out, int depth);

/* {"__x__": payload} of the special types. */
static Status fmt_special(const TType *t, const JsonValue *v, StrBuf *out)
{
    const JsonValue *in = v->type == JSON_OBJECT && v->len == 1 ? &v->members[0].value : NULL;
    if (!in)
        return ST_INVALID;
    if (strcmp(t->name, "Identity") == 0 && in->type == JSON_STRING)
        return put_hex_padded(out, in->str, in->len, 64);
    long long n = in->type == JSON_NUMBER ? strtoll(in->str, NULL, 10) : 0;
    if (strcmp(t->name, "Timestamp") == 0)
        return put_timestamp(out, n);
    if (strcmp(t->name, "TimeDuration") == 0)
        return strbuf_printf(out, "%s%lld.%06lld", n < 0 ? "-" : "+", llabs(n) / 1000000,
                             llabs(n) % 1000000);
    uint8_t be[16];   /* ConnectionId, Uuid: a u128 */
    if (in->type != JSON_NUMBER || !dec_to_bytes(in->str, in->len, be, sizeof be))
        return ST_INVALID;
    bool uuid = strcmp(t->name, "Uuid") == 0;
    Status st = strbuf_puts(out, uuid ? "\"" : "0x");
    for (int i = 0; i < 16 && st == ST_OK; i++)
        st = strbuf_printf(out, "%s%02x", uuid && (i == 4 || i == 6 || i == 8 || i == 10) ? "-"
                                                                                          : "",
                           be[i]);
    return st == ST_OK && uuid ? strbuf_putc(out, '"') : st;
}

static Status fmt_name(const TType *t, const JsonValue *v, StrBuf *out)
{
    const char *n = t->name;
    if (strcmp(n, "String") == 0 && v->type == JSON_STRING)
        return strbuf_printf(out, "\"%.*s\"", (int)v->len, v->str);   /* not escaped */
    if (v->type == JSON_BOOL)
        return strbuf_puts(out, v->boolean ? "true" : "false");
    if ((strcmp(n, "f32") == 0 || strcmp(n, "f64") == 0) && v->type == JSON_NUMBER)
        return put_float(out, v->str, n[1] == '3');
    if (v->type == JSON_NUMBER)
        return strbuf_append(out, v->str, v->len);
    if (v->type == JSON_OBJECT)
        return fmt_special(t, v, out);
    if (v->type == JSON_STRING)   /* u256/i256 "0x..": shown as written */
        return strbuf_append(out, v->str, v->len);
    return ST_INVALID;
}

/* "(a = 1, b = 2)" from an object or array; sums "(Name = v)" from [tag, v]. */
static Status fmt_group(Arena *a, const TType *t, const JsonValue *v, StrBuf *out, int depth)
{
    if (t->kind == TT_SUM || t->kind == TT_OPTION) {
        uint64_t tag;
        if (v->type != JSON_ARRAY || v->len != 2 || json_get_u64(&v->items[0], &tag) != ST_OK)
            return ST_INVALID;
        const TType *pt = t->kind == TT_OPTION ? (tag == 0 ? t->elem : NULL)
                          : tag < t->n         ? t->mtypes[tag] : NULL;
        const char *name = t->kind == TT_OPTION ? (tag == 0 ? "some" : "none")
                           : tag < t->n && t->mnames[tag] ? t->mnames[tag] : "?";
        Status st = strbuf_printf(out, "(%s = ", name);
        if (st == ST_OK)
            st = pt ? fmt(a, pt, &v->items[1], out, depth + 1) : strbuf_puts(out, "()");
        return st == ST_OK ? strbuf_putc(out, ')') : st;
    }
    size_t n = v->type == JSON_OBJECT || v->type == JSON_ARRAY ? v->len : 0;
    Status st = strbuf_putc(out, '(');
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        const JsonValue *m = v->type == JSON_OBJECT ? &v->members[i].value : &v->items[i];
        const char *name = v->type == JSON_OBJECT ? v->members[i].key
                           : i < t->n && t->mnames[i] ? t->mnames[i] : "?";
        st = strbuf_printf(out, "%s%s = ", i ? ", " : "", name);
        if (st == ST_OK)
            st = fmt(a, i < t->n ? t->mtypes[i] : NULL, m, out, depth + 1);
    }
    return st == ST_OK ? strbuf_putc(out, ')') : st;
}

static Status fmt_array(Arena *a, const TType *t, const JsonValue *v, StrBuf *out, int depth)
{
    if (v->type == JSON_STRING && t->elem->kind == TT_NAME && strcmp(t->elem->name, "u8") == 0)
        return strbuf_printf(out, "0x%.*s", (int)v->len, v->str);
    if (v->type != JSON_ARRAY)
        return ST_INVALID;
    Status st = strbuf_putc(out, '[');
    for (size_t i = 0; i < v->len && st == ST_OK; i++) {
        if (i > 0)
            st = strbuf_puts(out, ", ");
        if (st == ST_OK)
            st = fmt(a, t->elem, &v->items[i], out, depth + 1);
    }
    return st == ST_OK ? strbuf_putc(out, ']') : st;
}

/* Without a type: strings quoted, the rest as JSON would show it. */
static Status fmt_untyped(const JsonValue *v, StrBuf *out)
{
    if (v->type == JSON_STRING)
        return strbuf_printf(out, "\"%.*s\"", (int)v->len, v->str);
    if (v->type == JSON_NUMBER)
        return strbuf_append(out, v->str, v->len);
    if (v->type == JSON_BOOL)
        return strbuf_puts(out, v->boolean ? "true" : "false");
    return json_write_value(out, v);
}

static Status fmt(Arena *a, const TType *t, const JsonValue *v, StrBuf *out, int depth)
{
    if (depth > TT_MAX_DEPTH)
        return ST_LIMIT;
    if (!t)
        return fmt_untyped(v, out);
    switch (t->kind) {
    case TT_NAME: return fmt_name(t, v, out);
    case TT_ARRAY: return fmt_array(a, t, v, out, depth);
    default: return fmt_group(a, t, v, out, depth);
    }
}

Status cmd_sql_format_value(Arena *a, const char *type, const JsonValue *v, StrBuf *out)
{
    const char *p = type;
    const TType *t = type ? parse_type(a, &p, 0) : NULL;
    if (t && *p)
        t = NULL;   /* trailing text: not a type we understand */
    size_t mark = out->len;
    Status st = fmt(a, t, v, out, 0);
    if (st != ST_OK)
        out->len = mark;
    return st;
}
