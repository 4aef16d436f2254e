/*
 * json.c - a strict RFC 8259 parser building an arena tree, and a writer.
 *
 * The parser is recursive descent over the grammar of RFC 8259:
 *
 *   value  = object / array / string / number / "true" / "false" / "null"
 *   object = "{" [ string ":" value *( "," string ":" value ) ] "}"
 *   array  = "[" [ value *( "," value ) ] "]"
 *
 * Its recursion depth is the document's nesting depth, which is capped at
 * JSON_MAX_DEPTH before each descent, so hostile input cannot exhaust the
 * C stack.
 *
 * Where do the children of an array go while we do not yet know how many
 * there are?  Into one shared scratch stack (a heap VEC).  A container
 * remembers the scratch height when it opens; its children are pushed on
 * top (a nested container pushes and pops its own above them); when it
 * closes, its children are copied into one exactly-sized arena array and
 * popped.  So the tree ends up compact and in the arena, and the scratch
 * never holds more entries than the input has bytes.
 *
 *   scratch: [ a0 a1 | b0 b1 b2 ]      a = outer array, b = inner array
 *                     ^ b's base: on ']' b0..b2 move to the arena
 *
 * Strings are read in two passes: find the closing quote (so the arena
 * buffer can be sized: decoding only ever shrinks), then decode and
 * validate into it.  The writer is in json_write.c.
 *
 * Book: chapter 24, book/24-json.md
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hex.h"

typedef struct Parser {
    Arena *arena;
    const char *start, *p, *end;
    unsigned depth;               /* containers currently open */
    size_t values;                /* values parsed so far (JSON_MAX_VALUES) */
    VEC(JsonMember) scratch;      /* children of the open containers */
    JsonError *err;
} Parser;

static Status parse_value(Parser *ps, JsonValue *v);

/* ---- errors ------------------------------------------------------------ */

/* Record an error at `at` (line and column are computed here, once, so the
 * happy path never counts newlines) and return st. */
static Status fail(Parser *ps, const char *at, Status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static Status fail(Parser *ps, const char *at, Status st, const char *fmt, ...)
{
    JsonError *err = ps->err;
    if (!err)
        return st;
    err->offset = (size_t)(at - ps->start);
    err->line = 1;
    const char *line_start = ps->start;
    for (const char *q = ps->start; q < at; q++) {
        if (*q == '\n') {
            err->line++;
            line_start = q + 1;
        }
    }
    err->col = (uint32_t)(at - line_start) + 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

static Status unexpected(Parser *ps)
{
    if (ps->p == ps->end)
        return fail(ps, ps->p, ST_MALFORMED, "unexpected end");
    unsigned char c = (unsigned char)*ps->p;
    if (c > 0x20 && c < 0x7f)
        return fail(ps, ps->p, ST_MALFORMED, "unexpected character '%c'", c);
    return fail(ps, ps->p, ST_MALFORMED, "unexpected byte 0x%02x", c);
}

static Status nomem(Parser *ps)
{
    return fail(ps, ps->p, ST_NOMEM, "out of memory");
}

/* ---- UTF-8 ------------------------------------------------------------- */

size_t json_utf8_len(const char *str, size_t avail)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t c = s[0], cp, min;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Encode code point cp (not a surrogate, <= U+10FFFF) at out; its length. */
static size_t utf8_put(char *out, uint32_t cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- strings ------------------------------------------------------------ */

/* Read the 4 hex digits of a \u escape at s (which has at least `avail`
 * bytes); -1 when they are missing or not hex. */
static long hex4(const char *s, size_t avail)
{
    if (avail < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = hex_digit(c);
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Decode the escape starting at ps->p (a backslash) into *out, advancing
 * both.  A UTF-16 surrogate pair (\uD83D\uDE00) becomes one code point;
 * half a pair is an error, so decoded strings are always valid UTF-8. */
static Status decode_escape(Parser *ps, char **out)
{
    const char *esc = ps->p;
    static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
    const char *hit = esc[1] ? strchr(simple_in, esc[1]) : NULL;
    if (hit) {
        *(*out)++ = simple_out[hit - simple_in];
        ps->p += 2;
        return ST_OK;
    }
    if (esc[1] != 'u')
        return fail(ps, esc, ST_MALFORMED, "invalid escape");
    long cp = hex4(esc + 2, (size_t)(ps->end - esc - 2));
    if (cp < 0)
        return fail(ps, esc, ST_MALFORMED, "invalid escape: \\u needs 4 hex digits");
    ps->p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(ps, esc, ST_MALFORMED, "lone surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long lo = -1;
        if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u')
            lo = hex4(ps->p + 2, 4);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(ps, esc, ST_MALFORMED, "lone surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        ps->p += 6;
    }
    *out += utf8_put(*out, (uint32_t)cp);
    return ST_OK;
}

/* Find the closing quote of the string whose opening quote is at ps->p;
 * NULL when the input ends first.  Escapes are skipped, not checked. */
static const char *string_end(const Parser *ps)
{
    const char *q = ps->p + 1;
    while (q < ps->end && *q != '"')
        q += (*q == '\\') ? 2 : 1;
    return q < ps->end ? q : NULL;
}

/* Parse the string at ps->p (an opening quote) into a NUL-terminated arena
 * copy; *len excludes the terminator.  Raw control characters (< 0x20) are
 * not allowed inside JSON strings (RFC 8259 7); nor is invalid UTF-8. */
static Status parse_string(Parser *ps, const char **str, size_t *len)
{
    const char *close = string_end(ps);
    if (!close) {
        ps->p = ps->end;
        return unexpected(ps);
    }
    char *buf = arena_alloc(ps->arena, (size_t)(close - ps->p));
    if (!buf)
        return nomem(ps);
    char *o = buf;
    ps->p++;
    while (ps->p < close) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '\\') {
            Status st = decode_escape(ps, &o);
            if (st != ST_OK)
                return st;
            continue;
        }
        if (c < 0x20)
            return fail(ps, ps->p, ST_MALFORMED, "control character in string");
        size_t n = json_utf8_len(ps->p, (size_t)(close - ps->p));
        if (n == 0)
            return fail(ps, ps->p, ST_MALFORMED, "invalid UTF-8");
        memcpy(o, ps->p, n);
        o += n;
        ps->p += n;
    }
    ps->p = close + 1;
    *o = '\0';
    *str = buf;
    *len = (size_t)(o - buf);
    return ST_OK;
}

/* ---- numbers, literals ------------------------------------------------- */

static bool is_digit(const Parser *ps)
{
    return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static void skip_digits(Parser *ps)
{
    while (is_digit(ps))
        ps->p++;
}

/* number = [ "-" ] int [ frac ] [ exp ], int = "0" / digit1-9 *DIGIT.
 * The text is kept (exact) and also converted with strtod; that relies on
 * the C locale's '.', which a program gets unless it calls setlocale. */
static Status parse_number(Parser *ps, JsonValue *v)
{
    const char *begin = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (!is_digit(ps))
        return fail(ps, ps->p, ST_MALFORMED, "invalid number: digit expected");
    if (*ps->p++ == '0' && is_digit(ps))
        return fail(ps, begin, ST_MALFORMED, "invalid number: leading zero");
    skip_digits(ps);
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (!is_digit(ps))
            return fail(ps, ps->p, ST_MALFORMED, "invalid number: digit expected after '.'");
        skip_digits(ps);
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!is_digit(ps))
            return fail(ps, ps->p, ST_MALFORMED, "invalid number: digit expected in exponent");
        skip_digits(ps);
    }
    char *text = arena_strndup(ps->arena, begin, (size_t)(ps->p - begin));
    if (!text)
        return nomem(ps);
    v->type = JSON_NUMBER;
    v->str = text;
    v->len = (size_t)(ps->p - begin);
    v->number = strtod(text, NULL);
    return ST_OK;
}

/* "true", "false" or "null" at ps->p. */
static Status parse_literal(Parser *ps, JsonValue *v)
{
    static const struct { const char *word; JsonType type; bool b; } lits[] = {
        {"true", JSON_BOOL, true}, {"false", JSON_BOOL, false}, {"null", JSON_NULL, false}};
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        size_t n = strlen(lits[i].word), avail = (size_t)(ps->end - ps->p);
        if (lits[i].word[0] != *ps->p)
            continue;
        if (memcmp(ps->p, lits[i].word, avail < n ? avail : n) != 0)
            break;
        if (avail < n)
            return fail(ps, ps->end, ST_MALFORMED, "unexpected end");
        ps->p += n;
        v->type = lits[i].type;
        v->boolean = lits[i].b;
        return ST_OK;
    }
    return fail(ps, ps->p, ST_MALFORMED, "invalid literal");
}

/* ---- containers -------------------------------------------------------- */

/* Consume c if it is next. */
static bool eat(Parser *ps, char c)
{
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return true;
    }
    return false;
}

static void skip_ws(Parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Open a container: the one place the nesting depth is checked. */
static Status enter(Parser *ps)
{
    if (ps->depth >= JSON_MAX_DEPTH)
        return fail(ps, ps->p, ST_LIMIT, "nesting deeper than %d", JSON_MAX_DEPTH);
    ps->depth++;
    ps->p++;   /* the '[' or '{' */
    skip_ws(ps);
    return ST_OK;
}

/* After an item: skip ',' (and refuse a trailing one) or the closing
 * bracket.  *done is set when the container is finished. */
static Status after_item(Parser *ps, char close, bool *done)
{
    skip_ws(ps);
    if ((*done = eat(ps, close)))
        return ST_OK;
    if (ps->p == ps->end)
        return unexpected(ps);
    const char *comma = ps->p;
    if (!eat(ps, ','))
        return fail(ps, ps->p, ST_MALFORMED, "expected ',' or '%c'", close);
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close)
        return fail(ps, comma, ST_MALFORMED, "trailing comma");
    return ST_OK;
}

/* Move the children above scratch height `base` into an arena array. */
static Status pop_children(Parser *ps, size_t base, JsonValue *v)
{
    size_t n = ps->scratch.len - base;
    v->len = n;
    ps->depth--;
    if (n == 0)
        return ST_OK;   /* items / members stay NULL */
    JsonMember *from = ps->scratch.items + base;
    if (v->type == JSON_OBJECT) {
        v->members = arena_calloc(ps->arena, n, sizeof *v->members);
        if (!v->members)
            return nomem(ps);
        memcpy(v->members, from, n * sizeof *from);
    } else {
        v->items = arena_calloc(ps->arena, n, sizeof *v->items);
        if (!v->items)
            return nomem(ps);
        for (size_t i = 0; i < n; i++)
            v->items[i] = from[i].value;
    }
    ps->scratch.len = base;
    return ST_OK;
}

static Status parse_array(Parser *ps, JsonValue *v)
{
    size_t base = ps->scratch.len;
    Status st = enter(ps);
    if (st != ST_OK)
        return st;
    for (bool done = eat(ps, ']'); !done;) {
        JsonMember m = {0};
        if ((st = parse_value(ps, &m.value)) != ST_OK)
            return st;
        if (vec_push(&ps->scratch, m) != ST_OK)
            return nomem(ps);
        if ((st = after_item(ps, ']', &done)) != ST_OK)
            return st;
    }
    v->type = JSON_ARRAY;
    return pop_children(ps, base, v);
}

static Status parse_object(Parser *ps, JsonValue *v)
{
    size_t base = ps->scratch.len;
    Status st = enter(ps);
    if (st != ST_OK)
        return st;
    for (bool done = eat(ps, '}'); !done;) {
        JsonMember m = {0};
        if (ps->p == ps->end || *ps->p != '"')
            return ps->p == ps->end ? unexpected(ps)
                                    : fail(ps, ps->p, ST_MALFORMED, "expected string key");
        if ((st = parse_string(ps, &m.key, &m.key_len)) != ST_OK)
            return st;
        skip_ws(ps);
        if (!eat(ps, ':'))
            return ps->p == ps->end ? unexpected(ps)
                                    : fail(ps, ps->p, ST_MALFORMED, "expected ':'");
        if ((st = parse_value(ps, &m.value)) != ST_OK)
            return st;
        if (vec_push(&ps->scratch, m) != ST_OK)
            return nomem(ps);
        if ((st = after_item(ps, '}', &done)) != ST_OK)
            return st;
    }
    v->type = JSON_OBJECT;
    return pop_children(ps, base, v);
}

static Status parse_value(Parser *ps, JsonValue *v)
{
    skip_ws(ps);
    memset(v, 0, sizeof *v);
    v->offset = (size_t)(ps->p - ps->start);
    if (ps->p == ps->end)
        return unexpected(ps);
    if (++ps->values > JSON_MAX_VALUES)
        return fail(ps, ps->p, ST_LIMIT, "more than %d values", JSON_MAX_VALUES);
    switch (*ps->p) {
    case '{':
        return parse_object(ps, v);
    case '[':
        return parse_array(ps, v);
    case '"':
        v->type = JSON_STRING;
        return parse_string(ps, &v->str, &v->len);
    case 't':
    case 'f':
    case 'n':
        return parse_literal(ps, v);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps, v);
        return unexpected(ps);
    }
}

Status json_parse(Arena *a, const char *text, size_t len, JsonValue **out, JsonError *err)
{
    Parser ps = {.arena = a, .start = text, .p = text, .end = text + len, .err = err};
    *out = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        return fail(&ps, text, ST_MALFORMED, "byte order mark not allowed");
    JsonValue *root = arena_alloc(a, sizeof *root);
    Status st = root ? parse_value(&ps, root) : nomem(&ps);
    if (st == ST_OK) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            st = fail(&ps, ps.p, ST_MALFORMED, "trailing characters");
    }
    vec_fini(&ps.scratch);
    if (st == ST_OK)
        *out = root;
    return st;
}

const char *json_type_name(JsonType t)
{
    static const char *const names[] = {"null", "bool", "number", "string", "array", "object"};
    return (unsigned)t <= JSON_OBJECT ? names[t] : "?";
}

/* ---- reading the tree ----------------------------------------------------- */

const JsonValue *json_object_getn(const JsonValue *v, const char *key, size_t key_len)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->len; i++) {
        const JsonMember *m = &v->members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
            return &m->value;
    }
    return NULL;
}

const JsonValue *json_object_get(const JsonValue *v, const char *key)
{
    return json_object_getn(v, key, strlen(key));
}

size_t json_array_len(const JsonValue *v)
{
    return v && v->type == JSON_ARRAY ? v->len : 0;
}

const JsonValue *json_array_get(const JsonValue *v, size_t i)
{
    return i < json_array_len(v) ? &v->items[i] : NULL;
}

const char *json_get_string(const JsonValue *v, size_t *len)
{
    if (!v || v->type != JSON_STRING)
        return NULL;
    if (len)
        *len = v->len;
    return v->str;
}

bool json_string_is(const JsonValue *v, const char *s)
{
    size_t n = strlen(s);
    return v && v->type == JSON_STRING && v->len == n && memcmp(v->str, s, n) == 0;
}

/* Sign and magnitude of the integer text s[0..len): an optional '-', then
 * the JSON int grammar.  ST_INVALID for other text, ST_LIMIT when the
 * magnitude exceeds UINT64_MAX. */
static Status scan_int(const char *s, size_t len, bool *neg, uint64_t *mag)
{
    *neg = len > 0 && s[0] == '-';
    size_t i = *neg ? 1 : 0;
    if (i == len || (s[i] == '0' && len - i > 1))
        return ST_INVALID;
    uint64_t v = 0;
    bool big = false;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ST_INVALID;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            big = true;
        v = v * 10 + d;
    }
    *mag = v;
    return big ? ST_LIMIT : ST_OK;
}

Status json_text_u64(const char *s, size_t len, uint64_t *out)
{
    bool neg;
    uint64_t mag;
    Status st = scan_int(s, len, &neg, &mag);
    if (st != ST_OK)
        return st;
    if (neg && mag != 0)
        return ST_LIMIT;
    *out = mag;
    return ST_OK;
}

Status json_text_i64(const char *s, size_t len, int64_t *out)
{
    bool neg;
    uint64_t mag;
    Status st = scan_int(s, len, &neg, &mag);
    if (st != ST_OK)
        return st;
    if (mag > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        return ST_LIMIT;
    /* -(2^63) has no positive int64_t counterpart to negate. */
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return ST_OK;
}

Status json_get_u64(const JsonValue *v, uint64_t *out)
{
    if (!v || v->type != JSON_NUMBER)
        return ST_INVALID;
    return json_text_u64(v->str, v->len, out);
}

Status json_get_i64(const JsonValue *v, int64_t *out)
{
    if (!v || v->type != JSON_NUMBER)
        return ST_INVALID;
    return json_text_i64(v->str, v->len, out);
}

Status json_get_bool(const JsonValue *v, bool *out)
{
    if (!v || v->type != JSON_BOOL)
        return ST_INVALID;
    *out = v->boolean;
    return ST_OK;
}

Status json_get_double(const JsonValue *v, double *out)
{
    if (!v || v->type != JSON_NUMBER)
        return ST_INVALID;
    *out = v->number;
    return ST_OK;
}
