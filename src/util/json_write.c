/*
 * json_write.c - producing JSON text: strings, numbers, whole trees.
 *
 * The writer appends to a StrBuf and never produces invalid JSON: a
 * string that is not valid UTF-8 and a NaN or infinity are refused
 * (ST_INVALID) rather than written as something a strict parser such as
 * json_parse() would reject.  Escaping follows RFC 8259 section 7: only
 * '"', '\\' and control characters must be escaped; everything else,
 * including multi-byte UTF-8, is copied as is.
 *
 * Book: chapter 24, book/24-json.md
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The escape for byte c, or NULL when c may be written as is. */
static const char *escape_for(unsigned char c, char buf[7])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        if (c >= 0x20)
            return NULL;
        snprintf(buf, 7, "\\u%04x", c);
        return buf;
    }
}

Status json_write_string(StrBuf *sb, const char *s, size_t n)
{
    size_t mark = sb->len, run = 0;   /* run: bytes s[i-run..i) to copy as is */
    Status st = strbuf_putc(sb, '"');
    for (size_t i = 0; st == ST_OK && i < n;) {
        char buf[7];
        unsigned char c = (unsigned char)s[i];
        const char *esc = c < 0x80 ? escape_for(c, buf) : NULL;
        size_t k = esc ? 1 : json_utf8_len(s + i, n - i);
        if (k == 0) {
            st = ST_INVALID;
            break;
        }
        if (esc) {
            st = strbuf_append(sb, s + i - run, run);
            if (st == ST_OK)
                st = strbuf_puts(sb, esc);
            run = 0;
        } else {
            run += k;
        }
        i += k;
    }
    if (st == ST_OK)
        st = strbuf_append(sb, s + n - run, run);
    if (st == ST_OK)
        st = strbuf_putc(sb, '"');
    if (st != ST_OK && sb->data) {   /* leave sb as it was */
        sb->len = mark;
        sb->data[mark] = '\0';
    }
    return st;
}

Status json_write_u64(StrBuf *sb, uint64_t v)
{
    return strbuf_printf(sb, "%" PRIu64, v);
}

Status json_write_i64(StrBuf *sb, int64_t v)
{
    return strbuf_printf(sb, "%" PRId64, v);
}

/* Try 1..17 significant digits and keep the first that reads back exactly;
 * 17 always does for an IEEE double.  "%g" output (1e+20, 0.5, -0) is
 * valid JSON number syntax. */
Status json_write_double(StrBuf *sb, double v)
{
    if (!isfinite(v))
        return ST_INVALID;
    char buf[32];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return strbuf_puts(sb, buf);
}

static Status write_value(StrBuf *sb, const JsonValue *v, unsigned depth)
{
    if (depth > JSON_MAX_DEPTH)
        return ST_LIMIT;
    Status st = ST_OK;
    switch (v->type) {
    case JSON_NULL: return strbuf_puts(sb, "null");
    case JSON_BOOL: return strbuf_puts(sb, v->boolean ? "true" : "false");
    case JSON_NUMBER:
        return v->str ? strbuf_append(sb, v->str, v->len) : json_write_double(sb, v->number);
    case JSON_STRING: return json_write_string(sb, v->str, v->len);
    case JSON_ARRAY:
        st = strbuf_putc(sb, '[');
        for (size_t i = 0; st == ST_OK && i < v->len; i++) {
            if (i > 0)
                st = strbuf_putc(sb, ',');
            if (st == ST_OK)
                st = write_value(sb, &v->items[i], depth + 1);
        }
        return st == ST_OK ? strbuf_putc(sb, ']') : st;
    case JSON_OBJECT:
        st = strbuf_putc(sb, '{');
        for (size_t i = 0; st == ST_OK && i < v->len; i++) {
            const JsonMember *m = &v->members[i];
            if (i > 0)
                st = strbuf_putc(sb, ',');
            if (st == ST_OK)
                st = json_write_string(sb, m->key, m->key_len);
            if (st == ST_OK)
                st = strbuf_putc(sb, ':');
            if (st == ST_OK)
                st = write_value(sb, &m->value, depth + 1);
        }
        return st == ST_OK ? strbuf_putc(sb, '}') : st;
    }
    return ST_ARG;
}

Status json_write_value(StrBuf *sb, const JsonValue *v)
{
    return write_value(sb, v, 0);
}
