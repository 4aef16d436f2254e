/*
 * proto_encode.c - from a ProtoRequest or ProtoReply to one line of text.
 *
 * The mirror of proto_decode.c: find the message in its table by kind,
 * write {"Name":, then the payload's fields in declaration order, then
 * }\n.  The output is compact (no spaces) and uses exactly the spellings
 * of client-protocol.md §3-§4, so the doc's example lines are the
 * expected output of the tests, byte for byte.
 *
 * Two promises make the encoder safe to call from a server:
 *   - it always produces one line: JSON strings escape '\n', and embedded
 *     documents (ProtoReply.json) are re-parsed and written compactly;
 *   - it never fails on text: bytes that are not UTF-8 (a module may put
 *     anything in an error message) are replaced by U+FFFD.
 * On failure (ST_NOMEM, or ST_INVALID for an unparsable ProtoReply.json)
 * the StrBuf is cut back to where it was, so a half-written line never
 * reaches a client.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#include "proto_int.h"

#include <stdio.h>
#include <string.h>

/* ---- building blocks --------------------------------------------------------- */

/* U+FFFD REPLACEMENT CHARACTER in UTF-8 */
#define REPLACEMENT "\xEF\xBF\xBD"

/* s[0..len) with each byte that does not start a valid UTF-8 sequence
 * replaced, the "lossy" reading of module text (module-abi.md §1.9). */
static Status lossy_copy(StrBuf *out, const char *s, size_t len)
{
    Status st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < len;) {
        size_t k = json_utf8_len(s + i, len - i);
        st = k ? strbuf_append(out, s + i, k) : strbuf_puts(out, REPLACEMENT);
        i += k ? k : 1;
    }
    return st;
}

Status proto_write_text(StrBuf *sb, const char *s, size_t len)
{
    if (!s) {   /* a zeroed ProtoStr is "" where a string is required */
        s = "";
        len = 0;
    }
    Status st = json_write_string(sb, s, len);
    if (st != ST_INVALID)   /* ST_INVALID: not UTF-8, sb unchanged */
        return st;
    StrBuf tmp;
    strbuf_init(&tmp);
    st = lossy_copy(&tmp, s, len);
    if (st == ST_OK)
        st = json_write_string(sb, tmp.data ? tmp.data : "", tmp.len);
    strbuf_fini(&tmp);
    return st;
}

/* Append `pre` "name": (no printf on the hot path: every reply has
 * many fields). */
static Status put_key(StrBuf *sb, const char *pre, const char *name)
{
    Status st = strbuf_puts(sb, pre);
    if (st == ST_OK)
        st = strbuf_putc(sb, '"');
    if (st == ST_OK)
        st = strbuf_puts(sb, name);
    if (st == ST_OK)
        st = strbuf_puts(sb, "\":");
    return st;
}

Status proto_write_unit_variant(StrBuf *sb, const char *name)
{
    Status st = put_key(sb, "{", name);
    return st == ST_OK ? strbuf_puts(sb, "[]}") : st;
}

Status proto_write_text_variant(StrBuf *sb, const char *name, ProtoStr text)
{
    Status st = put_key(sb, "{", name);
    if (st == ST_OK)
        st = proto_write_text(sb, text.s, text.len);
    return st == ST_OK ? strbuf_putc(sb, '}') : st;
}

/* ---- products and lists --------------------------------------------------------- */

Status proto_write_product(StrBuf *sb, const FieldType *t, const void *src)
{
    const Product *p = t->product;
    const char *base = src;
    bool first = true;
    Status st = strbuf_putc(sb, '{');
    for (size_t i = 0; st == ST_OK && i < p->nfields; i++) {
        const Field *f = &p->fields[i];
        const void *member = base + f->offset;
        if (f->optional && f->type->present && !f->type->present(member))
            continue;   /* an optional field that is not there is left out */
        st = put_key(sb, first ? "" : ",", f->name);
        if (st == ST_OK)
            st = f->type->write(sb, f->type, member);
        first = false;
    }
    return st == ST_OK ? strbuf_putc(sb, '}') : st;
}

Status proto_write_list(StrBuf *sb, const FieldType *t, const void *src)
{
    ProtoAnyList list;
    memcpy(&list, src, sizeof list);
    const char *items = list.items;
    Status st = strbuf_putc(sb, '[');
    for (size_t i = 0; st == ST_OK && i < list.len; i++) {
        if (i > 0)
            st = strbuf_putc(sb, ',');
        if (st == ST_OK)
            st = t->item->write(sb, t->item, items + i * t->item->size);
    }
    return st == ST_OK ? strbuf_putc(sb, ']') : st;
}

/* ---- whole lines ------------------------------------------------------------------ */

static Status write_message(StrBuf *sb, const Message *m, const void *src)
{
    Status st = put_key(sb, "{", m->name);
    if (st != ST_OK)
        return st;
    if (m->newtype) {
        const Field *f = &m->payload.fields[0];
        st = f->type->write(sb, f->type, (const char *)src + f->offset);
    } else {
        FieldType pt = {.what = "an object", .write = proto_write_product, .product = &m->payload};
        st = proto_write_product(sb, &pt, src);
    }
    return st == ST_OK ? strbuf_puts(sb, "}\n") : st;
}

static Status encode_line(StrBuf *sb, const MessageTable *tab, int kind, const void *src)
{
    if (kind < 0 || (size_t)kind >= tab->n)
        return ST_ARG;
    size_t mark = sb->len;
    Status st = write_message(sb, &tab->msgs[kind], src);
    if (st != ST_OK && sb->data) {   /* never leave half a line behind */
        sb->len = mark;
        sb->data[mark] = '\0';
    }
    return st;
}

Status proto_encode_request(StrBuf *sb, const ProtoRequest *req)
{
    return encode_line(sb, &proto_requests, (int)req->kind, req);
}

Status proto_encode_reply(StrBuf *sb, const ProtoReply *rep)
{
    return encode_line(sb, &proto_replies, (int)rep->kind, rep);
}

Status proto_encode_identity_token(StrBuf *sb, const Identity *id, const char *token,
                                   const ConnectionId *conn)
{
    ProtoReply r = {.kind = PROTO_REPLY_IDENTITY_TOKEN, .identity = *id,
                    .token = proto_str(token), .connection_id = *conn};
    return proto_encode_reply(sb, &r);
}

Status proto_encode_error(StrBuf *sb, const char *msg)
{
    ProtoReply r = {.kind = PROTO_REPLY_ERROR, .error = proto_str(msg)};
    return proto_encode_reply(sb, &r);
}
