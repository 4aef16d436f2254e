/*
 * sats_json.c - SATS-JSON to BSATN: reading a JSON value as a typed value.
 *
 * One recursive walk over the type and the JSON tree side by side.  The
 * type decides what JSON shapes are acceptable at each node and how the
 * bytes are laid out; the JSON only supplies the data.  Every accepted
 * shape is in the table of client-protocol.md section 1 (the "accepted
 * from clients" column), plus integers written as strings:
 *
 *   type              accepted JSON                     BSATN written
 *   bool              true / false                      01 / 00
 *   u8 .. i256        42, "42", "0x2a", "-1"            little-endian
 *   f32, f64          any JSON number that fits          IEEE bits
 *   String            "text"                            u32 len + UTF-8
 *   Array<u8>         "0a0b" (hex) or [10, 11]          u32 len + bytes
 *   Array<T>          [v, ...]                          u32 len + items
 *   product           {"x": 1, "y": 2} or [1, 2]        fields in order
 *   sum               {"Name": v}, {"3": v}, [3, v]     tag byte + payload
 *   Option<T>         also null (= none)                01
 *
 * Invariants: the output only grows on success (a failed call truncates
 * it back to where it started); recursion depth is bounded by
 * BSATN_MAX_DEPTH on products, sums and arrays, the same bound as
 * bsatn_validate, so whatever this writes validates.
 *
 * Errors name the path to the bad node.  The path is not built while
 * walking: each level keeps a PathSeg on its stack frame pointing at its
 * parent's, and only a failure walks that chain to render
 * "field position.x" or "argument 2 (client_pos).x".
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#include "sats_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/bsatn.h"
#include "../util/alloc.h"
#include "../util/hex.h"
#include "sats_json_int.h"

typedef enum SegKind { SEG_FIELD, SEG_ELEM, SEG_VARIANT, SEG_ARG } SegKind;

/* One step of the path from the root to the node being read. */
typedef struct PathSeg {
    const struct PathSeg *up;   /* NULL at the root */
    SegKind kind;
    const char *name;           /* field, variant or parameter name; NULL: use index */
    uint32_t index;             /* position (fields, elements, arguments) or tag */
} PathSeg;

typedef struct Reader {
    const Typespace *ts;
    StrBuf *out;
    DbError *err;
    bool args;          /* the root product is a reducer's parameter list */
} Reader;

static Status read_value(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at,
                         unsigned depth);

/* ---- error messages ------------------------------------------------------ */

static void put_path(char *buf, size_t cap, size_t *pos, const PathSeg *s)
{
    if (!s)
        return;
    put_path(buf, cap, pos, s->up);
    const char *dot = *pos > 0 ? "." : "";
    int n;
    if (s->kind == SEG_ARG)
        n = snprintf(buf + *pos, cap - *pos, "argument %u (%s)", s->index + 1,
                     s->name ? s->name : "unnamed");
    else if (s->kind == SEG_ELEM)
        n = snprintf(buf + *pos, cap - *pos, "[%u]", s->index);
    else if (s->name)
        n = snprintf(buf + *pos, cap - *pos, "%s%s", dot, s->name);
    else
        n = snprintf(buf + *pos, cap - *pos, "%s%u", dot, s->index);
    if (n > 0)
        *pos = *pos + (size_t)n < cap ? *pos + (size_t)n : cap - 1;
}

/* Fill r->err with "<where>: <what>" and return st. */
static Status fail(const Reader *r, const PathSeg *at, Status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static Status fail(const Reader *r, const PathSeg *at, Status st, const char *fmt, ...)
{
    char what[200], where[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t pos = 0;
    where[0] = '\0';
    put_path(where, sizeof where, &pos, at);
    const PathSeg *root = at;
    while (root && root->up)
        root = root->up;
    static const char *const leads[] = {
        [SEG_FIELD] = "field ", [SEG_ELEM] = "element ", [SEG_VARIANT] = "variant ", [SEG_ARG] = "",
    };
    const char *lead = root ? leads[root->kind] : "";
    return db_error(r->err, st, st == ST_NOMEM ? DBE_HOST_CALL_FAILURE : DBE_BSATN_DECODE_ERROR,
                    "%s%s%s%s", lead, where, at ? ": " : "", what);
}

/* A short description of a JSON value for "got ..." ("number 1.5", "an object"). */
static const char *describe(const JsonValue *v, char buf[40])
{
    switch (v->type) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return v->boolean ? "true" : "false";
    case JSON_NUMBER:
        snprintf(buf, 40, "number %.*s%s", (int)(v->len > 24 ? 24 : v->len), v->str,
                 v->len > 24 ? "..." : "");
        return buf;
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
    }
    return "?";
}

/* The type as text for "expected ...", cut to fit a message. */
static const char *type_text(const Reader *r, const AlgType *t, char buf[64])
{
    StrBuf sb;
    strbuf_init(&sb);
    if (alg_type_format(r->ts, t, &sb) == ST_OK && sb.data)
        snprintf(buf, 64, "%.56s%s", sb.data, sb.len > 56 ? "..." : "");
    else
        snprintf(buf, 64, "%s", alg_kind_name(t->kind));
    strbuf_fini(&sb);
    return buf;
}

static Status wrong_shape(const Reader *r, const AlgType *t, const JsonValue *v,
                          const PathSeg *at, const char *forms)
{
    char tb[64], vb[40];
    return fail(r, at, ST_INVALID, "expected %s%s, got %s", type_text(r, t, tb), forms,
                describe(v, vb));
}

static Status put(Reader *r, const PathSeg *at, const void *bytes, size_t n)
{
    if (strbuf_append(r->out, bytes, n) != ST_OK)
        return fail(r, at, ST_NOMEM, "out of memory");
    return ST_OK;
}

static Status put_u32(Reader *r, const PathSeg *at, uint32_t n)
{
    uint8_t b[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    return put(r, at, b, 4);
}

/* ---- scalars ------------------------------------------------------------- */

static unsigned int_width(AlgKind k)
{
    static const uint8_t w[ALG_KIND_COUNT] = {
        [ALG_I8] = 1, [ALG_U8] = 1, [ALG_I16] = 2, [ALG_U16] = 2, [ALG_I32] = 4,
        [ALG_U32] = 4, [ALG_I64] = 8, [ALG_U64] = 8, [ALG_I128] = 16, [ALG_U128] = 16,
        [ALG_I256] = 32, [ALG_U256] = 32,
    };
    return w[k];
}

/* True when the number's text has a fraction or an exponent. */
static bool is_fractional(const JsonValue *v)
{
    return strpbrk(v->str, ".eE") != NULL;
}

/* A JSON integer, or a string holding decimal or "0x" hex text. */
static Status read_int(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at)
{
    unsigned width = int_width(t->kind);
    bool is_signed = (t->kind - ALG_I8) % 2 == 0;   /* I8, I16, ... come first in each pair */
    if ((v->type != JSON_NUMBER || is_fractional(v)) && v->type != JSON_STRING)
        return wrong_shape(r, t, v, at, " (an integer)");
    uint8_t b[32];
    Status st = sats_json_num_parse_int(v->str, v->len, v->type == JSON_STRING, width,
                                        is_signed, b);
    if (st == ST_LIMIT)
        return fail(r, at, ST_INVALID, "value %.*s out of range for %s",
                    (int)(v->len > 80 ? 80 : v->len), v->str, alg_kind_name(t->kind));
    if (st != ST_OK)
        return fail(r, at, ST_INVALID, "expected %s as an integer or \"0x\" hex string, got %.*s",
                    alg_kind_name(t->kind), (int)(v->len > 40 ? 40 : v->len), v->str);
    return put(r, at, b, width);
}

/* Any JSON number; read from its text with strtof/strtod so it rounds once. */
static Status read_float(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at)
{
    if (v->type != JSON_NUMBER)
        return wrong_shape(r, t, v, at, " (a number)");
    uint8_t b[8];
    uint64_t bits;
    bool inf;
    if (t->kind == ALG_F32) {
        float f = strtof(v->str, NULL);
        uint32_t u;
        memcpy(&u, &f, 4);
        bits = u;
        inf = isinf(f);
    } else {
        double d = strtod(v->str, NULL);
        memcpy(&bits, &d, 8);
        inf = isinf(d);
    }
    if (inf)
        return fail(r, at, ST_INVALID, "value %.*s out of range for %s",
                    (int)(v->len > 80 ? 80 : v->len), v->str, alg_kind_name(t->kind));
    unsigned width = t->kind == ALG_F32 ? 4 : 8;
    for (unsigned i = 0; i < width; i++)
        b[i] = (uint8_t)(bits >> 8 * i);
    return put(r, at, b, width);
}

static Status read_string(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at)
{
    if (v->type != JSON_STRING)
        return wrong_shape(r, t, v, at, "");
    if (v->len > UINT32_MAX)
        return fail(r, at, ST_INVALID, "string of %zu bytes is too long", v->len);
    Status st = put_u32(r, at, (uint32_t)v->len);   /* json_parse made it valid UTF-8 */
    return st == ST_OK ? put(r, at, v->str, v->len) : st;
}

/* ---- arrays -------------------------------------------------------------- */

/* Array<u8> from a hex string ("0a0b"; a "0x" prefix is tolerated). */
static Status read_hex_bytes(Reader *r, const JsonValue *v, const PathSeg *at)
{
    const char *s = v->str;
    size_t n = v->len;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n % 2 != 0 || n / 2 > UINT32_MAX)
        return fail(r, at, ST_INVALID, "hex string for Array<u8> has odd length %zu", n);
    Status st = put_u32(r, at, (uint32_t)(n / 2));
    for (size_t i = 0; st == ST_OK && i < n; i += 2) {
        int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return fail(r, at, ST_INVALID, "bad hex digits in Array<u8> at character %zu",
                        i + (size_t)(s - v->str));
        st = put(r, at, &(uint8_t){(uint8_t)(hi << 4 | lo)}, 1);
    }
    return st;
}

static Status read_array(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at,
                         unsigned depth)
{
    const AlgType *elem = alg_resolve(r->ts, t->elem);
    if (elem && elem->kind == ALG_U8 && v->type == JSON_STRING)
        return read_hex_bytes(r, v, at);
    if (v->type != JSON_ARRAY)
        return wrong_shape(r, t, v, at,
                           elem && elem->kind == ALG_U8 ? " (a hex string or an array)" : "");
    if (v->len > UINT32_MAX)
        return fail(r, at, ST_INVALID, "array of %zu items is too long", v->len);
    Status st = put_u32(r, at, (uint32_t)v->len);
    for (size_t i = 0; st == ST_OK && i < v->len; i++) {
        PathSeg seg = {at, SEG_ELEM, NULL, (uint32_t)i};
        st = read_value(r, t->elem, &v->items[i], &seg, depth + 1);
    }
    return st;
}

/* ---- products ------------------------------------------------------------ */

/* Reducer parameters are "argument 2 (name)", other members "field name". */
static SegKind member_kind(const Reader *r, const PathSeg *at)
{
    return r->args && !at ? SEG_ARG : SEG_FIELD;
}

static const char *noun(const Reader *r, const PathSeg *at)
{
    return r->args && !at ? "argument" : "field";
}

/* Does key name member i?  Unnamed members answer to their position. */
static bool key_names(const AlgMember *m, uint32_t i, const char *key, size_t klen)
{
    if (m->name)
        return strlen(m->name) == klen && memcmp(m->name, key, klen) == 0;
    char num[12];
    int n = snprintf(num, sizeof num, "%u", i);
    return (size_t)n == klen && memcmp(num, key, klen) == 0;
}

static uint32_t member_index(const AlgType *t, const char *key, size_t klen)
{
    for (uint32_t i = 0; i < t->nmembers; i++)
        if (key_names(&t->members[i], i, key, klen))
            return i;
    return UINT32_MAX;
}

static Status read_product_array(Reader *r, const AlgType *t, const JsonValue *v,
                                 const PathSeg *at, unsigned depth)
{
    if (v->len != t->nmembers)
        return fail(r, at, ST_INVALID, "expected %u %ss, got %zu", t->nmembers,
                    r->args && !at ? "argument" : "element", v->len);
    Status st = ST_OK;
    for (uint32_t i = 0; st == ST_OK && i < t->nmembers; i++) {
        PathSeg seg = {at, member_kind(r, at), t->members[i].name, i};
        st = read_value(r, t->members[i].type, &v->items[i], &seg, depth + 1);
    }
    return st;
}

/* Map every member of the object to a field: slot[field] = member index.
 * Each field exactly once; unknown names are errors.  Only the first
 * nfields + 1 members are looked at: by then a surplus must have shown up
 * as an unknown or repeated name, so hostile objects cost O(nfields^2). */
static Status match_fields(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at,
                           uint32_t *slot)
{
    for (uint32_t i = 0; i < t->nmembers; i++)
        slot[i] = UINT32_MAX;
    size_t limit = v->len < (size_t)t->nmembers + 1 ? v->len : (size_t)t->nmembers + 1;
    for (size_t j = 0; j < limit; j++) {
        const JsonMember *m = &v->members[j];
        uint32_t i = member_index(t, m->key, m->key_len);
        int klen = (int)(m->key_len > 60 ? 60 : m->key_len);
        if (i == UINT32_MAX)
            return fail(r, at, ST_INVALID, "unknown %s `%.*s`", noun(r, at), klen, m->key);
        if (slot[i] != UINT32_MAX)
            return fail(r, at, ST_INVALID, "duplicate %s `%.*s`", noun(r, at), klen, m->key);
        slot[i] = (uint32_t)j;
    }
    for (uint32_t i = 0; i < t->nmembers; i++)
        if (slot[i] == UINT32_MAX) {
            if (t->members[i].name)
                return fail(r, at, ST_INVALID, "missing %s `%s`", noun(r, at), t->members[i].name);
            return fail(r, at, ST_INVALID, "missing %s %u", noun(r, at), i);
        }
    return ST_OK;
}

static Status read_product_object(Reader *r, const AlgType *t, const JsonValue *v,
                                  const PathSeg *at, unsigned depth)
{
    uint32_t small[32];
    uint32_t *slot = t->nmembers <= 32 ? small : mem_alloc_array(t->nmembers, sizeof *slot);
    if (!slot)
        return fail(r, at, ST_NOMEM, "out of memory");
    Status st = match_fields(r, t, v, at, slot);
    for (uint32_t i = 0; st == ST_OK && i < t->nmembers; i++) {
        PathSeg seg = {at, member_kind(r, at), t->members[i].name, i};
        st = read_value(r, t->members[i].type, &v->members[slot[i]].value, &seg, depth + 1);
    }
    if (slot != small)
        mem_free(slot);
    return st;
}

static Status read_product(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at,
                           unsigned depth)
{
    if (v->type == JSON_ARRAY)
        return read_product_array(r, t, v, at, depth);
    if (v->type == JSON_OBJECT)
        return read_product_object(r, t, v, at, depth);
    return wrong_shape(r, t, v, at, " (an object or an array)");
}

/* ---- sums ---------------------------------------------------------------- */

static uint32_t variant_index(const AlgType *t, const char *name, size_t len)
{
    for (uint32_t k = 0; k < t->nmembers; k++)
        if (t->members[k].name && strlen(t->members[k].name) == len &&
            memcmp(t->members[k].name, name, len) == 0)
            return k;
    return UINT32_MAX;
}

/* The tag a variant key stands for: a JSON number, a string of digits
 * (object keys are always strings: {"1": v}) or a variant name. */
static Status variant_tag(Reader *r, const AlgType *t, const JsonValue *key, const PathSeg *at,
                          uint8_t *tag)
{
    bool number = key->type == JSON_NUMBER && !is_fractional(key);
    bool digits = key->type == JSON_STRING && key->len > 0 &&
                  strspn(key->str, "0123456789") == key->len;
    if (!number && key->type != JSON_STRING) {
        char vb[40];
        return fail(r, at, ST_INVALID, "expected a variant name or tag, got %s",
                    describe(key, vb));
    }
    uint32_t i = UINT32_MAX;
    uint8_t b[32];
    if (number || digits) {
        if (sats_json_num_parse_int(key->str, key->len, false, 1, false, b) == ST_OK)
            i = b[0];
    } else if ((i = variant_index(t, key->str, key->len)) == UINT32_MAX) {
        return fail(r, at, ST_INVALID, "unknown variant `%.*s`",
                    (int)(key->len > 60 ? 60 : key->len), key->str);
    }
    if (i >= t->nmembers)
        return fail(r, at, ST_INVALID, "unknown variant tag %.*s (the sum has %u variants)",
                    (int)(key->len > 20 ? 20 : key->len), key->str, t->nmembers);
    *tag = (uint8_t)i;
    return ST_OK;
}

static Status read_sum(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at,
                       unsigned depth)
{
    const JsonValue *key, *payload;
    JsonValue keyv;
    uint8_t tag;
    if (v->type == JSON_NULL && alg_special(t) == ALG_SPECIAL_OPTION) {
        tag = 1;   /* null is Option's none */
        return put(r, at, &tag, 1);
    }
    if (v->type == JSON_OBJECT && v->len == 1) {
        keyv = (JsonValue){.type = JSON_STRING, .str = v->members[0].key,
                           .len = v->members[0].key_len};
        key = &keyv;
        payload = &v->members[0].value;
    } else if (v->type == JSON_ARRAY && v->len == 2) {
        key = &v->items[0];
        payload = &v->items[1];
    } else {
        return wrong_shape(r, t, v, at, " ({\"variant\": value} or [tag, value])");
    }
    Status st = variant_tag(r, t, key, at, &tag);
    if (st == ST_OK)
        st = put(r, at, &tag, 1);
    if (st != ST_OK)
        return st;
    PathSeg seg = {at, SEG_VARIANT, t->members[tag].name, tag};
    return read_value(r, t->members[tag].type, payload, &seg, depth + 1);
}

/* ---- the walk ------------------------------------------------------------ */

static Status read_value(Reader *r, const AlgType *t, const JsonValue *v, const PathSeg *at,
                         unsigned depth)
{
    const AlgType *rt = alg_resolve(r->ts, t);
    if (!rt)
        return fail(r, at, ST_INVALID, "type has a dangling or cyclic ref %u", t->ref);
    bool composite = rt->kind == ALG_PRODUCT || rt->kind == ALG_SUM || rt->kind == ALG_ARRAY;
    if (composite && depth >= BSATN_MAX_DEPTH)
        return fail(r, at, ST_LIMIT, "value nested deeper than %d", BSATN_MAX_DEPTH);
    switch (rt->kind) {
    case ALG_BOOL:
        if (v->type != JSON_BOOL)
            return wrong_shape(r, rt, v, at, "");
        return put(r, at, &(uint8_t){v->boolean ? 1 : 0}, 1);
    case ALG_F32:
    case ALG_F64: return read_float(r, rt, v, at);
    case ALG_STRING: return read_string(r, rt, v, at);
    case ALG_ARRAY: return read_array(r, rt, v, at, depth);
    case ALG_PRODUCT: return read_product(r, rt, v, at, depth);
    case ALG_SUM: return read_sum(r, rt, v, at, depth);
    case ALG_REF: break;   /* alg_resolve never returns a ref */
    default: return read_int(r, rt, v, at);
    }
    return fail(r, at, ST_INVALID, "unexpected type kind %d", (int)rt->kind);
}

/* Run a read from `at`, truncating out back to its start on failure. */
static Status read_root(Reader *r, const AlgType *t, const JsonValue *v)
{
    size_t mark = r->out->len;
    Status st = read_value(r, t, v, NULL, 0);
    if (st != ST_OK && r->out->data) {
        r->out->len = mark;
        r->out->data[mark] = '\0';
    }
    return st;
}

Status sats_json_to_bsatn(const Typespace *ts, const AlgType *t, const JsonValue *v,
                          StrBuf *out, DbError *err)
{
    Reader r = {ts, out, err, false};
    return read_root(&r, t, v);
}

/* Parse text into a, reporting syntax errors as BSATN decode errors. */
static Status parse_text(Arena *a, const char *text, size_t len, const char *what,
                         JsonValue **root, DbError *err)
{
    JsonError je = {0};
    Status st = json_parse(a, text, len, root, &je);
    if (st == ST_NOMEM)
        return db_error(err, st, DBE_HOST_CALL_FAILURE, "out of memory parsing %s", what);
    if (st != ST_OK)
        return db_error(err, st, DBE_BSATN_DECODE_ERROR, "%s: invalid JSON at line %u column %u: %s",
                        what, je.line, je.col, je.msg);
    return ST_OK;
}

Status sats_json_text_to_bsatn(const Typespace *ts, const AlgType *t, const char *text,
                               size_t len, StrBuf *out, DbError *err)
{
    Arena a;
    arena_init(&a);
    JsonValue *root = NULL;
    Status st = parse_text(&a, text, len, "value", &root, err);
    if (st == ST_OK)
        st = sats_json_to_bsatn(ts, t, root, out, err);
    arena_fini(&a);
    return st;
}

Status sats_json_args_to_bsatn(const Typespace *ts, const AlgType *params, const char *text,
                               size_t len, StrBuf *out, DbError *err)
{
    const AlgType *p = alg_resolve(ts, params);
    if (!p || p->kind != ALG_PRODUCT)
        return db_error(err, ST_INVALID, DBE_BSATN_DECODE_ERROR,
                        "reducer parameters are not a product type");
    Arena a;
    arena_init(&a);
    JsonValue *root = NULL;
    Status st = parse_text(&a, text, len, "arguments", &root, err);
    if (st == ST_OK && root->type != JSON_ARRAY && root->type != JSON_OBJECT) {
        char vb[40];
        st = db_error(err, ST_INVALID, DBE_BSATN_DECODE_ERROR,
                      "arguments must be a JSON array or object, got %s", describe(root, vb));
    }
    if (st == ST_OK) {
        Reader r = {ts, out, err, true};
        st = read_root(&r, p, root);
    }
    arena_fini(&a);
    return st;
}
