/*
 * types.c - algebraic types: building, resolving, checking, the
 * meta-encoding (AlgebraicType as BSATN, module-abi.md §4), special types
 * and formatting.
 *
 * The meta-encoding is itself BSATN of a sum type, so the decoder below is
 * a small hand-written instance of the same rules as bsatn.c: one tag byte
 * (the AlgKind numbering is the tag), then the payload:
 *
 *   Ref      u32 index          Product/Sum  u32 count, then per member
 *   Array    the element type                  Option<String> name + type
 *   others   nothing
 *
 * Input is untrusted (a module's definitions), so every count is checked
 * against the bytes left before anything is allocated (a member needs at
 * least two bytes), and nesting is bounded by ALG_MAX_DEPTH so a hostile
 * "Array of Array of ..." cannot exhaust the stack.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include "types.h"

#include <string.h>

#include "../util/alloc.h"
#include "../util/json.h"
#include "bsatn.h"

/* ---- primitives and the Typespace -------------------------------------- */

#define PRIM(k) { .kind = (k) }
static const AlgType prims[ALG_KIND_COUNT] = {
    [ALG_STRING] = PRIM(ALG_STRING), [ALG_BOOL] = PRIM(ALG_BOOL),
    [ALG_I8] = PRIM(ALG_I8),     [ALG_U8] = PRIM(ALG_U8),
    [ALG_I16] = PRIM(ALG_I16),   [ALG_U16] = PRIM(ALG_U16),
    [ALG_I32] = PRIM(ALG_I32),   [ALG_U32] = PRIM(ALG_U32),
    [ALG_I64] = PRIM(ALG_I64),   [ALG_U64] = PRIM(ALG_U64),
    [ALG_I128] = PRIM(ALG_I128), [ALG_U128] = PRIM(ALG_U128),
    [ALG_I256] = PRIM(ALG_I256), [ALG_U256] = PRIM(ALG_U256),
    [ALG_F32] = PRIM(ALG_F32),   [ALG_F64] = PRIM(ALG_F64),
};
static const AlgType unit_type = { .kind = ALG_PRODUCT };

const AlgType *alg_prim(AlgKind k)
{
    if ((unsigned)k >= ALG_KIND_COUNT || k < ALG_STRING)
        return NULL;
    return &prims[k];
}

const AlgType *alg_unit(void)
{
    return &unit_type;
}

const char *alg_kind_name(AlgKind k)
{
    static const char *const names[ALG_KIND_COUNT] = {
        "Ref", "Sum", "Product", "Array", "String", "bool", "i8", "u8", "i16",
        "u16", "i32", "u32", "i64", "u64", "i128", "u128", "i256", "u256",
        "f32", "f64",
    };
    return (unsigned)k < ALG_KIND_COUNT ? names[k] : "?";
}

bool alg_kind_signed(AlgKind k)
{
    return k == ALG_I8 || k == ALG_I16 || k == ALG_I32 || k == ALG_I64 ||
           k == ALG_I128 || k == ALG_I256;
}

void typespace_init(Typespace *ts)
{
    arena_init(&ts->arena);
    ts->types = NULL;
    ts->ntypes = ts->cap = 0;
}

void typespace_fini(Typespace *ts)
{
    arena_fini(&ts->arena);
    mem_free(ts->types);
    ts->types = NULL;
    ts->ntypes = ts->cap = 0;
}

AlgType *typespace_new_type(Typespace *ts, AlgKind k, uint32_t nmembers)
{
    AlgType *t = arena_alloc(&ts->arena, sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->kind = k;
    if (nmembers) {
        t->members = arena_calloc(&ts->arena, nmembers, sizeof *t->members);
        if (!t->members)
            return NULL;
        t->nmembers = nmembers;
    }
    return t;
}

Status typespace_add(Typespace *ts, const AlgType *t, uint32_t *ref_out)
{
    if (ts->ntypes == UINT32_MAX)
        return ST_LIMIT;
    if (ts->ntypes == ts->cap) {
        uint32_t cap = ts->cap ? ts->cap * 2 : 8;
        const AlgType **types = mem_realloc_array(ts->types, cap, sizeof *types);
        if (!types)
            return ST_NOMEM;
        ts->types = types;
        ts->cap = cap;
    }
    if (ref_out)
        *ref_out = ts->ntypes;
    ts->types[ts->ntypes++] = t;
    return ST_OK;
}

/* At most ntypes hops: more means the refs go round in a circle. */
const AlgType *alg_resolve(const Typespace *ts, const AlgType *t)
{
    for (uint32_t hops = 0; t && t->kind == ALG_REF; hops++) {
        if (!ts || t->ref >= ts->ntypes || hops > ts->ntypes)
            return NULL;
        t = ts->types[t->ref];
    }
    return t;
}

/* ---- the invariant checker --------------------------------------------- */

/* Hand-built trees may be deeper than decoded ones; this bound only
 * catches pointer cycles among non-Ref nodes, which would be a bug. */
#define CHECK_MAX_DEPTH 4096

static Status check_node(const Typespace *ts, const AlgType *t, unsigned depth,
                         char *msg, size_t msglen)
{
    if (!t)
        return db_check_fail(msg, msglen, "NULL type node");
    if (depth > CHECK_MAX_DEPTH)
        return db_check_fail(msg, msglen, "type tree deeper than %d (cycle?)",
                             CHECK_MAX_DEPTH);
    if ((unsigned)t->kind >= ALG_KIND_COUNT)
        return db_check_fail(msg, msglen, "bad kind %d", (int)t->kind);
    bool composite = t->kind == ALG_PRODUCT || t->kind == ALG_SUM;
    if (!composite && t->nmembers)
        return db_check_fail(msg, msglen, "%s node has members", alg_kind_name(t->kind));
    if (t->nmembers && !t->members)
        return db_check_fail(msg, msglen, "members missing");
    if (t->kind == ALG_SUM && t->nmembers > ALG_MAX_VARIANTS)
        return db_check_fail(msg, msglen, "sum with %u variants", t->nmembers);
    if (t->kind == ALG_REF) {
        if (!alg_resolve(ts, t))
            return db_check_fail(msg, msglen, "dangling or cyclic ref %u", t->ref);
        return ST_OK;
    }
    if (t->kind == ALG_ARRAY)
        return check_node(ts, t->elem, depth + 1, msg, msglen);
    for (uint32_t i = 0; i < t->nmembers; i++) {
        Status st = check_node(ts, t->members[i].type, depth + 1, msg, msglen);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

Status typespace_check(const Typespace *ts, char *msg, size_t msglen)
{
    if (arena_check(&ts->arena) != ST_OK)
        return db_check_fail(msg, msglen, "arena is corrupt");
    if (ts->ntypes > ts->cap || (ts->cap && !ts->types))
        return db_check_fail(msg, msglen, "ntypes %u > cap %u", ts->ntypes, ts->cap);
    for (uint32_t i = 0; i < ts->ntypes; i++) {
        Status st = check_node(ts, ts->types[i], 0, msg, msglen);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* ---- the meta-encoding: decoding --------------------------------------- */

typedef struct MetaReader {
    Typespace *ts;
    const uint8_t *p;
    size_t len, pos;
    DbError *err;
} MetaReader;

static Status need(MetaReader *r, size_t n, const char *what)
{
    if (r->len - r->pos >= n)
        return ST_OK;
    return db_error(r->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                    "truncated AlgebraicType: %s at byte %zu needs %zu bytes, %zu left",
                    what, r->pos, n, r->len - r->pos);
}

static Status read_u32(MetaReader *r, const char *what, uint32_t *out)
{
    Status st = need(r, 4, what);
    if (st != ST_OK)
        return st;
    *out = bsatn_load_u32(r->p + r->pos);
    r->pos += 4;
    return ST_OK;
}

/* A member name: Option<String>, i.e. 00 + string or 01.  Names become C
 * strings, so a NUL inside one is refused rather than silently cut. */
static Status read_name(MetaReader *r, const char **name)
{
    Status st = need(r, 1, "a name's Option tag");
    if (st != ST_OK)
        return st;
    size_t at = r->pos;
    uint8_t tag = r->p[r->pos++];
    if (tag == 1) {
        *name = NULL;
        return ST_OK;
    }
    if (tag != 0)
        return db_error(r->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "bad Option tag %u for a member name at byte %zu", tag, at);
    uint32_t n;
    if ((st = read_u32(r, "a name's length", &n)) != ST_OK ||
        (st = need(r, n, "a name's bytes")) != ST_OK)
        return st;
    const char *s = (const char *)r->p + r->pos;
    for (size_t i = 0; i < n;) {
        size_t k = s[i] ? json_utf8_len(s + i, n - i) : 0;
        if (k == 0)
            return db_error(r->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                            "%s in a member name at byte %zu",
                            s[i] ? "invalid UTF-8" : "NUL", r->pos + i);
        i += k;
    }
    *name = arena_strndup(&r->ts->arena, s, n);
    r->pos += n;
    return *name ? ST_OK : db_error(r->err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
}

static Status read_type(MetaReader *r, unsigned depth, const AlgType **out);

/* Product elements or sum variants: u32 count, then (name, type) pairs. */
static Status read_members(MetaReader *r, AlgKind kind, unsigned depth, const AlgType **out)
{
    uint32_t n;
    size_t at = r->pos;
    Status st = read_u32(r, "a member count", &n);
    if (st != ST_OK)
        return st;
    if (n > (r->len - r->pos) / 2)   /* each member needs >= 2 bytes */
        return db_error(r->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "truncated AlgebraicType: %u members at byte %zu, %zu bytes left",
                        n, at, r->len - r->pos);
    if (kind == ALG_SUM && n > ALG_MAX_VARIANTS)
        return db_error(r->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "sum type with %u variants at byte %zu (at most %d)", n, at,
                        ALG_MAX_VARIANTS);
    AlgType *t = typespace_new_type(r->ts, kind, n);
    if (!t)
        return db_error(r->err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        if ((st = read_name(r, &t->members[i].name)) != ST_OK ||
            (st = read_type(r, depth + 1, &t->members[i].type)) != ST_OK)
            return st;
    }
    *out = t;
    return ST_OK;
}

static Status read_type(MetaReader *r, unsigned depth, const AlgType **out)
{
    if (depth > ALG_MAX_DEPTH)
        return db_error(r->err, ST_LIMIT, DBE_BSATN_DECODE_ERROR,
                        "AlgebraicType nested deeper than %d at byte %zu", ALG_MAX_DEPTH, r->pos);
    Status st = need(r, 1, "a type tag");
    if (st != ST_OK)
        return st;
    size_t at = r->pos;
    uint8_t tag = r->p[r->pos++];
    if (tag >= ALG_KIND_COUNT)
        return db_error(r->err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "bad AlgebraicType tag %u at byte %zu", tag, at);
    if (tag >= ALG_STRING) {
        *out = alg_prim((AlgKind)tag);
        return ST_OK;
    }
    if (tag == ALG_SUM || tag == ALG_PRODUCT)
        return read_members(r, (AlgKind)tag, depth, out);
    AlgType *t = typespace_new_type(r->ts, (AlgKind)tag, 0);
    if (!t)
        return db_error(r->err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
    if (tag == ALG_REF)
        st = read_u32(r, "a Ref index", &t->ref);
    else
        st = read_type(r, depth + 1, &t->elem);
    *out = t;
    return st;
}

Status alg_type_decode(Typespace *ts, const uint8_t *p, size_t len, size_t *used,
                       const AlgType **out, DbError *err)
{
    MetaReader r = { .ts = ts, .p = p, .len = len, .err = err };
    *out = NULL;
    const AlgType *t;
    Status st = read_type(&r, 1, &t);
    if (st != ST_OK)
        return st;
    *out = t;
    if (used)
        *used = r.pos;
    return ST_OK;
}

Status typespace_decode(Typespace *ts, const uint8_t *p, size_t len, size_t *used, DbError *err)
{
    MetaReader r = { .ts = ts, .p = p, .len = len, .err = err };
    uint32_t n;
    Status st = read_u32(&r, "the type count", &n);
    if (st != ST_OK)
        return st;
    if (n > r.len - r.pos)   /* each type needs >= 1 byte */
        return db_error(err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "truncated Typespace: %u types, %zu bytes left", n, r.len - r.pos);
    for (uint32_t i = 0; i < n; i++) {
        const AlgType *t;
        if ((st = read_type(&r, 1, &t)) != ST_OK)
            return st;
        if (typespace_add(ts, t, NULL) != ST_OK)
            return db_error(err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
    }
    if (used)
        *used = r.pos;
    return ST_OK;
}

/* ---- the meta-encoding: encoding --------------------------------------- */

static Status put_u32(StrBuf *out, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return strbuf_append(out, b, 4);
}

Status alg_type_encode(const AlgType *t, StrBuf *out)
{
    Status st = strbuf_putc(out, (char)t->kind);
    if (st != ST_OK)
        return st;
    switch (t->kind) {
    case ALG_REF: return put_u32(out, t->ref);
    case ALG_ARRAY: return alg_type_encode(t->elem, out);
    case ALG_SUM:
    case ALG_PRODUCT:
        if ((st = put_u32(out, t->nmembers)) != ST_OK)
            return st;
        for (uint32_t i = 0; i < t->nmembers && st == ST_OK; i++) {
            const char *name = t->members[i].name;
            if (!name) {
                st = strbuf_putc(out, 1);
            } else if ((st = strbuf_putc(out, 0)) == ST_OK &&
                       (st = put_u32(out, (uint32_t)strlen(name))) == ST_OK) {
                st = strbuf_puts(out, name);
            }
            if (st == ST_OK)
                st = alg_type_encode(t->members[i].type, out);
        }
        return st;
    default: return ST_OK;
    }
}

/* ---- special types (module-abi.md §6) ---------------------------------- */

static bool member_is(const AlgMember *m, const char *name)
{
    return m->name && strcmp(m->name, name) == 0 && m->type;
}

/* A one-field product {name: kind}, the field's type inline. */
static bool is_wrapper(const AlgType *t, const char *name, AlgKind kind)
{
    return t->kind == ALG_PRODUCT && t->nmembers == 1 && member_is(&t->members[0], name) &&
           t->members[0].type->kind == kind;
}

AlgSpecial alg_special(const AlgType *t)
{
    if (!t)
        return ALG_SPECIAL_NONE;
    if (t->kind == ALG_PRODUCT) {
        if (is_wrapper(t, "__identity__", ALG_U256))
            return ALG_SPECIAL_IDENTITY;
        if (is_wrapper(t, "__connection_id__", ALG_U128))
            return ALG_SPECIAL_CONNECTION_ID;
        if (is_wrapper(t, "__timestamp_micros_since_unix_epoch__", ALG_I64))
            return ALG_SPECIAL_TIMESTAMP;
        if (is_wrapper(t, "__time_duration_micros__", ALG_I64))
            return ALG_SPECIAL_TIME_DURATION;
        if (is_wrapper(t, "__uuid__", ALG_U128))
            return ALG_SPECIAL_UUID;
        return ALG_SPECIAL_NONE;
    }
    if (t->kind != ALG_SUM || t->nmembers != 2)
        return ALG_SPECIAL_NONE;
    const AlgMember *m = t->members;
    if (member_is(&m[0], "Interval") && member_is(&m[1], "Time") &&
        alg_special(m[0].type) == ALG_SPECIAL_TIME_DURATION &&
        alg_special(m[1].type) == ALG_SPECIAL_TIMESTAMP)
        return ALG_SPECIAL_SCHEDULE_AT;
    if (member_is(&m[0], "some") && member_is(&m[1], "none") &&
        m[1].type->kind == ALG_PRODUCT && m[1].type->nmembers == 0)
        return ALG_SPECIAL_OPTION;
    return ALG_SPECIAL_NONE;
}

const char *alg_special_name(AlgSpecial s)
{
    static const char *const names[] = {
        "", "Identity", "ConnectionId", "Timestamp", "TimeDuration", "ScheduleAt",
        "Uuid", "Option",
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "";
}

/* ---- formatting ---------------------------------------------------------- */

static Status format(const AlgType *t, StrBuf *out, unsigned depth)
{
    if (!t)
        return strbuf_puts(out, "?");
    if (depth > CHECK_MAX_DEPTH)
        return strbuf_puts(out, "...");
    AlgSpecial sp = alg_special(t);
    Status st;
    if (sp == ALG_SPECIAL_OPTION) {
        if ((st = strbuf_puts(out, "Option<")) != ST_OK ||
            (st = format(t->members[0].type, out, depth + 1)) != ST_OK)
            return st;
        return strbuf_putc(out, '>');
    }
    if (sp != ALG_SPECIAL_NONE)
        return strbuf_puts(out, alg_special_name(sp));
    switch (t->kind) {
    case ALG_REF: return strbuf_printf(out, "&%u", t->ref);
    case ALG_ARRAY:
        if ((st = strbuf_puts(out, "Array<")) != ST_OK ||
            (st = format(t->elem, out, depth + 1)) != ST_OK)
            return st;
        return strbuf_putc(out, '>');
    case ALG_PRODUCT:
    case ALG_SUM: {
        const char *sep = t->kind == ALG_SUM ? " | " : ", ";
        st = strbuf_putc(out, '(');
        if (t->kind == ALG_SUM && t->nmembers == 0 && st == ST_OK)
            st = strbuf_putc(out, '|');   /* the empty sum, "never" */
        for (uint32_t i = 0; i < t->nmembers && st == ST_OK; i++) {
            if (i > 0)
                st = strbuf_puts(out, sep);
            if (st == ST_OK && t->members[i].name)
                st = strbuf_printf(out, "%s: ", t->members[i].name);
            if (st == ST_OK)
                st = format(t->members[i].type, out, depth + 1);
        }
        return st == ST_OK ? strbuf_putc(out, ')') : st;
    }
    default: return strbuf_puts(out, alg_kind_name(t->kind));
    }
}

Status alg_type_format(const Typespace *ts, const AlgType *t, StrBuf *out)
{
    (void)ts;   /* refs print as &N: following them could recurse forever */
    return format(t, out, 0);
}
