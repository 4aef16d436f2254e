/*
 * proto.c - the small pieces of the protocol layer: errors, message
 * names, database names, base64, and the invariant checks.
 *
 * Base64 (RFC 4648 §4) carries a module's bytes inside a JSON string in
 * Publish.  Three bytes become four characters from a 64-letter alphabet;
 * a final group of one or two bytes is padded with "==" or "=":
 *
 *   bytes   01101101 01100001 01101110       "man"
 *   6-bit   011011 010110 000101 101110
 *   chars   b      W      F      u            "bWFu"
 *
 * The decoder is strict (RFC 4648 §3.3, §3.5): no line breaks or spaces,
 * no characters outside the alphabet, padding only at the end, the length
 * a multiple of four, and the unused low bits of the last character zero
 * ("bWE=" is "ma"; "bWF=" would be "ma" too and is rejected), so every
 * byte string has exactly one accepted encoding.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#include "proto_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

Status proto_error(ProtoError *err, Status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

const char *proto_req_name(ProtoReqKind k)
{
    return (size_t)k < proto_requests.n ? proto_requests.msgs[k].name : "?";
}

const char *proto_reply_name(ProtoReplyKind k)
{
    return (size_t)k < proto_replies.n ? proto_replies.msgs[k].name : "?";
}

bool proto_name_valid(const char *s, size_t len)
{
    if (!s || len == 0 || len > PROTO_MAX_NAME)
        return false;
    bool after_dash = true;   /* no dash first, none doubled, none last */
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '-') {
            if (after_dash)
                return false;
            after_dash = true;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            after_dash = false;
        } else {
            return false;
        }
    }
    return !after_dash;
}

/* ---- base64 ------------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

static Status bad_char(ProtoCtx *c, const char *s, size_t at)
{
    unsigned char ch = (unsigned char)s[at];
    if (ch == '=')
        return proto_fail(c, ST_INVALID, "base64 padding '=' before the end, at offset %zu", at);
    if (ch > 0x20 && ch < 0x7f)
        return proto_fail(c, ST_INVALID, "invalid base64 character '%c' at offset %zu", ch, at);
    return proto_fail(c, ST_INVALID, "invalid base64 byte 0x%02x at offset %zu", ch, at);
}

/* One group of four characters, `data` of them real (2..4), the rest '='.
 * Writes data - 1 bytes. */
static Status b64_group(ProtoCtx *c, const char *s, size_t at, size_t data, uint8_t *out)
{
    uint32_t acc = 0;
    for (size_t j = 0; j < 4; j++) {
        int d = j < data ? b64_value(s[at + j]) : 0;
        if (d < 0)
            return bad_char(c, s, at + j);
        acc = acc << 6 | (uint32_t)d;
    }
    /* The bits after the last whole byte must be zero (canonical form). */
    uint32_t spare = data == 4 ? 0 : data == 3 ? acc & 0xff : acc & 0xffff;
    if (spare != 0)
        return proto_fail(c, ST_INVALID, "non-zero padding bits in base64 at offset %zu",
                          at + data - 1);
    uint8_t bytes[3] = {(uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc};
    memcpy(out, bytes, data - 1);
    return ST_OK;
}

Status proto_base64_read(ProtoCtx *c, const char *s, size_t len, ProtoBytes *out)
{
    if (len % 4 != 0)
        return proto_fail(c, ST_INVALID, "base64 length %zu is not a multiple of 4", len);
    size_t pad = 0;
    while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
        pad++;
    size_t n = len / 4 * 3 - pad;
    uint8_t *p = n ? arena_alloc(c->arena, n) : NULL;
    if (n && !p)
        return proto_fail(c, ST_NOMEM, "out of memory");
    for (size_t i = 0, o = 0; i < len; i += 4) {
        size_t data = i + 4 == len ? 4 - pad : 4;
        Status st = b64_group(c, s, i, data, p + o);
        if (st != ST_OK)
            return st;
        o += data - 1;
    }
    out->data = p;
    out->len = n;
    return ST_OK;
}

Status proto_base64_decode(Arena *a, const char *s, size_t len, ProtoBytes *out, ProtoError *err)
{
    ProtoCtx c = {.arena = a, .err = err};
    out->data = NULL;
    out->len = 0;
    return proto_base64_read(&c, s, len, out);
}

Status proto_base64_encode(StrBuf *sb, const uint8_t *data, size_t len)
{
    char chunk[1024];   /* appended a chunk at a time: modules are megabytes */
    size_t used = 0;
    Status st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < len; i += 3) {
        size_t k = len - i < 3 ? len - i : 3;
        uint32_t acc = (uint32_t)data[i] << 16;
        if (k > 1)
            acc |= (uint32_t)data[i + 1] << 8;
        if (k > 2)
            acc |= data[i + 2];
        for (size_t j = 0; j < 4; j++)
            chunk[used + j] = j <= k ? b64_alphabet[acc >> (18 - 6 * j) & 63] : '=';
        used += 4;
        if (used == sizeof chunk) {
            st = strbuf_append(sb, chunk, used);
            used = 0;
        }
    }
    if (st == ST_OK && used > 0)
        st = strbuf_append(sb, chunk, used);
    return st;
}

/* ---- checks ---------------------------------------------------------------------- */

static Status check_type(const FieldType *t, int depth, char *msg, size_t msglen);

static Status check_product(const Product *p, int depth, char *msg, size_t msglen)
{
    if (p->nfields == 0 || p->nfields > PROTO_MAX_FIELDS) {
        snprintf(msg, msglen, "a product has %zu fields", p->nfields);
        return ST_INVALID;
    }
    for (size_t i = 0; i < p->nfields; i++) {
        const Field *f = &p->fields[i];
        if (f->offset + f->type->size > p->size) {
            snprintf(msg, msglen, "field %s lies outside its struct", f->name);
            return ST_INVALID;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->fields[j].name, f->name) == 0) {
                snprintf(msg, msglen, "field %s appears twice", f->name);
                return ST_INVALID;
            }
        Status st = check_type(f->type, depth + 1, msg, msglen);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status check_type(const FieldType *t, int depth, char *msg, size_t msglen)
{
    if (depth > 16 || !t->read || !t->write || t->size == 0) {
        snprintf(msg, msglen, "field type %s is incomplete or nested too deep", t->what);
        return ST_INVALID;
    }
    if (t->product)
        return check_product(t->product, depth, msg, msglen);
    return t->item ? check_type(t->item, depth + 1, msg, msglen) : ST_OK;
}

static Status check_table(const MessageTable *tab, char *msg, size_t msglen)
{
    for (size_t k = 0; k < tab->n; k++) {
        const Message *m = &tab->msgs[k];
        if (m->kind != (int)k || (m->newtype && m->payload.nfields != 1) ||
            m->payload.size != tab->struct_size) {
            snprintf(msg, msglen, "message %s is out of place", m->name);
            return ST_INVALID;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(tab->msgs[j].name, m->name) == 0 ||
                (m->tag >= 0 && tab->msgs[j].tag == m->tag)) {
                snprintf(msg, msglen, "messages %s and %s clash", tab->msgs[j].name, m->name);
                return ST_INVALID;
            }
        Status st = check_product(&m->payload, 0, msg, msglen);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

Status proto_tables_check(char *msg, size_t msglen)
{
    if (proto_requests.n != PROTO_REQ__COUNT || proto_replies.n != PROTO_REPLY__COUNT) {
        snprintf(msg, msglen, "a table does not have one message per kind");
        return ST_INVALID;
    }
    Status st = check_table(&proto_requests, msg, msglen);
    return st == ST_OK ? check_table(&proto_replies, msg, msglen) : st;
}

/* ---- decoded structs ------------------------------------------------------------- */

/* A string member: NUL-terminated, no NUL inside, valid UTF-8. */
static bool str_ok(const ProtoStr *s)
{
    if (s->s[s->len] != '\0' || memchr(s->s, '\0', s->len))
        return false;
    for (size_t i = 0, k; i < s->len; i += k)
        if ((k = json_utf8_len(s->s + i, s->len - i)) == 0)
            return false;
    return true;
}

static Status bad(char *msg, size_t msglen, const char *name, const char *why)
{
    snprintf(msg, msglen, "%s: %s", name, why);
    return ST_INVALID;
}

static Status check_value(const FieldType *t, const void *member, bool required,
                          const char *name, char *msg, size_t msglen);

static Status check_status(const FieldType *t, const ProtoStatus *s, const char *name, char *msg,
                           size_t msglen)
{
    bool update = t == &proto_t_update_status;
    switch (s->kind) {
    case PROTO_STATUS_OUT_OF_ENERGY:
        return ST_OK;
    case PROTO_STATUS_COMMITTED:
        if (!update)
            return bad(msg, msglen, name, "Committed is not a procedure status");
        return check_value(&proto_t_database_update, &s->committed, true, name, msg, msglen);
    case PROTO_STATUS_FAILED:
        if (!update)
            return bad(msg, msglen, name, "Failed is not a procedure status");
        break;
    case PROTO_STATUS_RETURNED:
    case PROTO_STATUS_INTERNAL_ERROR:
        if (update)
            return bad(msg, msglen, name, "not a transaction status");
        break;
    default:
        return bad(msg, msglen, name, "unknown status kind");
    }
    return check_value(&proto_t_string, &s->text, true, name, msg, msglen);
}

static Status check_list(const FieldType *t, const ProtoAnyList *l, const char *name, char *msg,
                         size_t msglen)
{
    if (l->len > 0 && !l->items)
        return bad(msg, msglen, name, "items missing");
    for (size_t i = 0; i < l->len; i++) {
        Status st = check_value(t->item, (const char *)l->items + i * t->item->size, true, name,
                                msg, msglen);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status check_value(const FieldType *t, const void *member, bool required,
                          const char *name, char *msg, size_t msglen)
{
    if (t == &proto_t_string || t == &proto_t_db_name || t == &proto_t_json ||
        t == &proto_t_json_lines || t == &proto_t_sats_opt_string) {
        const ProtoStr *s = member;
        if (!s->s)
            return required && t != &proto_t_sats_opt_string
                       ? bad(msg, msglen, name, "missing")
                       : ST_OK;
        if (!str_ok(s))
            return bad(msg, msglen, name, "not a NUL-free, NUL-terminated UTF-8 string");
        if (t == &proto_t_db_name && !proto_name_valid(s->s, s->len))
            return bad(msg, msglen, name, "not a valid database name");
        return ST_OK;
    }
    if (t == &proto_t_hex_bytes || t == &proto_t_base64) {
        const ProtoBytes *b = member;
        return b->len > 0 && !b->data ? bad(msg, msglen, name, "bytes missing") : ST_OK;
    }
    if (t == &proto_t_reducer_flags && *(const uint8_t *)member > PROTO_FLAG_NO_SUCCESS_NOTIFY)
        return bad(msg, msglen, name, "invalid call reducer flag");
    if (t == &proto_t_procedure_flags && *(const uint8_t *)member != 0)
        return bad(msg, msglen, name, "invalid call procedure flag");
    if (t == &proto_t_update_status || t == &proto_t_procedure_status)
        return check_status(t, member, name, msg, msglen);
    if (t->item) {
        ProtoAnyList l;
        memcpy(&l, member, sizeof l);
        return check_list(t, &l, name, msg, msglen);
    }
    for (size_t i = 0; t->product && i < t->product->nfields; i++) {
        const Field *f = &t->product->fields[i];
        Status st = check_value(f->type, (const char *)member + f->offset, !f->optional, f->name,
                                msg, msglen);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status check_message(const MessageTable *tab, int kind, const void *src, char *msg,
                            size_t msglen)
{
    if (kind < 0 || (size_t)kind >= tab->n) {
        snprintf(msg, msglen, "kind %d is not a message", kind);
        return ST_INVALID;
    }
    const Message *m = &tab->msgs[kind];
    FieldType pt = {.what = m->name, .size = tab->struct_size, .product = &m->payload};
    return check_value(&pt, src, true, m->name, msg, msglen);
}

Status proto_request_check(const ProtoRequest *req, char *msg, size_t msglen)
{
    return check_message(&proto_requests, (int)req->kind, req, msg, msglen);
}

Status proto_reply_check(const ProtoReply *rep, char *msg, size_t msglen)
{
    return check_message(&proto_replies, (int)rep->kind, rep, msg, msglen);
}
