/*
 * proto_decode.c - from one line of text to a ProtoRequest or ProtoReply.
 *
 * Three steps, each of which can say precisely what is wrong:
 *
 *   1. json_parse: the line must be one JSON value ("malformed JSON at
 *      line 1 column 17: ...").  The parser bounds nesting, so hostile
 *      input cannot exhaust the stack.
 *   2. the envelope: a sum naming the message, {"CallReducer": {...}} or
 *      [0, {...}] ("unknown message type Foo").
 *   3. the payload: proto_read_product walks the message's Field table;
 *      each FieldType reads its member ("CallReducer.request_id: expected
 *      u32, got string").  Nested values extend the path shown in errors:
 *      "TransactionUpdate.status.Committed.tables[0].table_id".
 *
 * Like SpacetimeDB's derived deserializers, a product accepts an object
 * (fields in any order) or an array (fields in declaration order), and
 * rejects unknown, duplicate and missing fields.  tinystdb's own messages
 * mark some fields optional: they may be left out or given as null.
 *
 * Every allocation comes from the caller's arena and is proportional to
 * the input (a list of n items takes n members of an already parsed
 * array), so no input can make the decoder allocate without bound.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#include "proto_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- errors and paths ----------------------------------------------------- */

Status proto_fail(ProtoCtx *c, Status st, const char *fmt, ...)
{
    if (!c->err)
        return st;
    char *msg = c->err->msg;
    size_t used = 0;
    if (c->path_len > 0) {
        int n = snprintf(msg, PROTO_ERROR_LEN, "%s: ", c->path);
        used = n < 0 ? 0 : (size_t)n < PROTO_ERROR_LEN ? (size_t)n : PROTO_ERROR_LEN - 1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + used, PROTO_ERROR_LEN - used, fmt, ap);
    va_end(ap);
    return st;
}

/* Client text made safe to quote: printable ASCII kept, anything else
 * '?', cut at PROTO_SHOW_MAX bytes with "...". */
void proto_show(const char *s, size_t len, char out[PROTO_SHOW_MAX + 4])
{
    size_t n = len < PROTO_SHOW_MAX ? len : PROTO_SHOW_MAX, i;
    for (i = 0; i < n; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (len > PROTO_SHOW_MAX) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

Status proto_type_error(ProtoCtx *c, const JsonValue *v, const char *what)
{
    char got[PROTO_SHOW_MAX + 4];
    switch (v->type) {
    case JSON_NUMBER: proto_show(v->str, v->len, got); break;
    case JSON_BOOL: strcpy(got, v->boolean ? "true" : "false"); break;
    default: strcpy(got, json_type_name(v->type)); break;
    }
    return proto_fail(c, ST_INVALID, "expected %s, got %s", what, got);
}

static size_t path_append(ProtoCtx *c, const char *text)
{
    size_t mark = c->path_len, room = sizeof c->path - c->path_len;
    size_t n = strlen(text);
    if (n >= room)
        n = room - 1;   /* a path this deep is cut; the message still helps */
    memcpy(c->path + c->path_len, text, n);
    c->path_len += n;
    c->path[c->path_len] = '\0';
    return mark;
}

size_t proto_path_field(ProtoCtx *c, const char *name)
{
    char seg[PROTO_SHOW_MAX + 8];
    snprintf(seg, sizeof seg, "%s%s", c->path_len ? "." : "", name);
    return path_append(c, seg);
}

size_t proto_path_index(ProtoCtx *c, size_t i)
{
    char seg[32];
    snprintf(seg, sizeof seg, "[%zu]", i);
    return path_append(c, seg);
}

void proto_path_pop(ProtoCtx *c, size_t mark)
{
    c->path_len = mark;
    c->path[mark] = '\0';
}

/* ---- products and lists --------------------------------------------------- */

/* One field: null means "left out" for an optional field. */
static Status read_field(ProtoCtx *c, const Field *f, const JsonValue *v, char *base)
{
    if (f->optional && v->type == JSON_NULL)
        return ST_OK;
    size_t mark = proto_path_field(c, f->name);
    Status st = f->type->read(c, f->type, v, base + f->offset);
    proto_path_pop(c, mark);
    return st;
}

static size_t find_field(const Product *p, const char *key, size_t key_len)
{
    for (size_t i = 0; i < p->nfields; i++)
        if (strlen(p->fields[i].name) == key_len && memcmp(p->fields[i].name, key, key_len) == 0)
            return i;
    return p->nfields;
}

/* [v0, v1, ...]: every field, in declaration order. */
static Status read_positional(ProtoCtx *c, const Product *p, const JsonValue *v, char *base)
{
    if (v->len != p->nfields)
        return proto_fail(c, ST_INVALID, "expected %zu fields, got %zu", p->nfields, v->len);
    for (size_t i = 0; i < p->nfields; i++) {
        Status st = read_field(c, &p->fields[i], &v->items[i], base);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

Status proto_read_product(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    const Product *p = t->product;
    if (v->type == JSON_ARRAY)
        return read_positional(c, p, v, dst);
    if (v->type != JSON_OBJECT)
        return proto_type_error(c, v, t->what);
    uint64_t seen = 0;
    for (size_t i = 0; i < v->len; i++) {
        const JsonMember *m = &v->members[i];
        size_t f = find_field(p, m->key, m->key_len);
        char shown[PROTO_SHOW_MAX + 4];
        if (f == p->nfields) {
            proto_show(m->key, m->key_len, shown);
            return proto_fail(c, ST_INVALID, "unknown field `%s`", shown);
        }
        if (seen & (UINT64_C(1) << f))
            return proto_fail(c, ST_INVALID, "duplicate field `%s`", p->fields[f].name);
        seen |= UINT64_C(1) << f;
        Status st = read_field(c, &p->fields[f], &m->value, dst);
        if (st != ST_OK)
            return st;
    }
    for (size_t f = 0; f < p->nfields; f++)
        if (!(seen & (UINT64_C(1) << f)) && !p->fields[f].optional)
            return proto_fail(c, ST_INVALID, "missing field `%s`", p->fields[f].name);
    return ST_OK;
}

Status proto_read_list(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    if (v->type != JSON_ARRAY)
        return proto_type_error(c, v, t->what);
    const FieldType *it = t->item;
    ProtoAnyList list = {NULL, v->len};
    char *items = NULL;
    if (v->len > 0) {
        /* v->len values are already parsed, so this is bounded by the input */
        items = arena_calloc(c->arena, v->len, it->size);
        if (!items)
            return proto_fail(c, ST_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < v->len; i++) {
        size_t mark = proto_path_index(c, i);
        Status st = it->read(c, it, &v->items[i], items + i * it->size);
        proto_path_pop(c, mark);
        if (st != ST_OK)
            return st;
    }
    list.items = items;
    memcpy(dst, &list, sizeof list);
    return ST_OK;
}

/* ---- sums ------------------------------------------------------------------ */

/* "0" .. "255" without leading zeros: a variant given by number. */
static int tag_text(const char *s, size_t len)
{
    uint64_t t;
    if (len == 0 || len > 3 || json_text_u64(s, len, &t) != ST_OK || t > 255)
        return -1;
    return (int)t;
}

Status proto_read_sum(ProtoCtx *c, const JsonValue *v, const char *what, const char **name,
                      size_t *name_len, int *tag, const JsonValue **payload)
{
    *name = NULL;
    *name_len = 0;
    *tag = -1;
    if (v->type == JSON_OBJECT && v->len == 1) {
        const JsonMember *m = &v->members[0];
        *payload = &m->value;
        *tag = tag_text(m->key, m->key_len);
        if (*tag < 0) {
            *name = m->key;
            *name_len = m->key_len;
        }
        return ST_OK;
    }
    if (v->type == JSON_ARRAY && v->len == 2 && v->items[0].type == JSON_NUMBER) {
        uint64_t t;
        if (json_get_u64(&v->items[0], &t) != ST_OK || t > 255)
            return proto_type_error(c, &v->items[0], "a variant tag (u8)");
        *tag = (int)t;
        *payload = &v->items[1];
        return ST_OK;
    }
    return proto_type_error(c, v, what);
}

Status proto_read_variant(ProtoCtx *c, const JsonValue *v, const char *what,
                          const char *const *names, size_t n, size_t *index,
                          const JsonValue **payload)
{
    const char *name;
    size_t len;
    int tag;
    Status st = proto_read_sum(c, v, what, &name, &len, &tag, payload);
    if (st != ST_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        if (name ? strlen(names[i]) == len && memcmp(names[i], name, len) == 0
                 : (size_t)tag == i) {
            *index = i;
            return ST_OK;
        }
    }
    char shown[PROTO_SHOW_MAX + 4];
    if (!name)
        return proto_fail(c, ST_INVALID, "unknown variant tag %d", tag);
    proto_show(name, len, shown);
    return proto_fail(c, ST_INVALID, "unknown variant `%s`", shown);
}

Status proto_read_unit(ProtoCtx *c, const JsonValue *v)
{
    if ((v->type == JSON_ARRAY || v->type == JSON_OBJECT) && v->len == 0)
        return ST_OK;
    return proto_type_error(c, v, "[]");
}

Status proto_read_str(ProtoCtx *c, const JsonValue *v, ProtoStr *out)
{
    if (v->type != JSON_STRING)
        return proto_type_error(c, v, "string");
    /* Everything downstream treats names as C strings: an embedded NUL
     * would make "add\u0000x" call "add". */
    if (memchr(v->str, '\0', v->len))
        return proto_fail(c, ST_INVALID, "a string may not contain NUL (\\u0000)");
    out->s = v->str;
    out->len = v->len;
    return ST_OK;
}

/* ---- the envelope ---------------------------------------------------------- */

static Status find_message(ProtoCtx *c, const MessageTable *tab, const JsonValue *root,
                           const Message **m, const JsonValue **payload)
{
    const char *name;
    size_t len;
    int tag;
    Status st = proto_read_sum(c, root, tab->what, &name, &len, &tag, payload);
    if (st != ST_OK)
        return st;
    for (size_t i = 0; i < tab->n; i++) {
        const Message *cand = &tab->msgs[i];
        if (name ? strlen(cand->name) == len && memcmp(cand->name, name, len) == 0
                 : cand->tag == tag) {
            *m = cand;
            return ST_OK;
        }
    }
    char shown[PROTO_SHOW_MAX + 4];
    if (!name)
        return proto_fail(c, ST_INVALID, "unknown message tag %d", tag);
    proto_show(name, len, shown);
    return proto_fail(c, ST_INVALID, "unknown message type %s", shown);
}

static Status read_message(ProtoCtx *c, const Message *m, const JsonValue *payload, void *out)
{
    size_t mark = proto_path_field(c, m->name);
    Status st;
    if (m->newtype) {
        const Field *f = &m->payload.fields[0];
        st = f->type->read(c, f->type, payload, (char *)out + f->offset);
    } else {
        FieldType pt = {.what = "an object", .read = proto_read_product, .product = &m->payload};
        st = proto_read_product(c, &pt, payload, out);
    }
    proto_path_pop(c, mark);
    return st;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Steps 1-3 of the file comment; *kind gets the message's kind. */
static Status decode_line(Arena *a, const char *line, size_t len, const MessageTable *tab,
                          void *out, int *kind, ProtoError *err)
{
    ProtoCtx c = {.arena = a, .err = err};
    memset(out, 0, tab->struct_size);
    if (blank(line, len))
        return proto_fail(&c, ST_INVALID, "empty message");
    JsonValue *root;
    JsonError je;
    Status st = json_parse(a, line, len, &root, &je);
    if (st == ST_NOMEM)
        return proto_fail(&c, st, "out of memory");
    if (st != ST_OK)
        return proto_fail(&c, st, "malformed JSON at line %u column %u: %s", (unsigned)je.line,
                          (unsigned)je.col, je.msg);
    const Message *m = NULL;
    const JsonValue *payload = NULL;
    st = find_message(&c, tab, root, &m, &payload);
    if (st == ST_OK) {
        *kind = m->kind;
        st = read_message(&c, m, payload, out);
    }
    if (st != ST_OK)
        memset(out, 0, tab->struct_size);
    return st;
}

Status proto_decode_request(Arena *a, const char *line, size_t len, ProtoRequest *out,
                            ProtoError *err)
{
    int kind = 0;
    Status st = decode_line(a, line, len, &proto_requests, out, &kind, err);
    if (st == ST_OK)
        out->kind = (ProtoReqKind)kind;
    return st;
}

Status proto_decode_reply(Arena *a, const char *line, size_t len, ProtoReply *out,
                          ProtoError *err)
{
    int kind = 0;
    Status st = decode_line(a, line, len, &proto_replies, out, &kind, err);
    if (st == ST_OK)
        out->kind = (ProtoReplyKind)kind;
    return st;
}
