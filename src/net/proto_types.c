/*
 * proto_types.c - the leaf field types: numbers, booleans, strings,
 * byte strings (hex and base64) and embedded JSON documents.
 *
 * Each FieldType pairs a reader (JSON value -> C member) with a writer
 * (C member -> JSON text).  Readers are strict in the way SATS-JSON is:
 * an integer field takes a JSON number written as an integer that fits
 * ("1e3" and "1.0" are not u32s, as serde_json says too); a string field
 * takes a string.  Readers fail with "expected <what>, got <value>"
 * under the path the generic reader has built.
 *
 * The C member each type reads and writes:
 *   bool      bool             u8 / u32 / u64 / i64   the C integer
 *   string    ProtoStr         db_name               ProtoStr, validated
 *   count     ProtoOptU32      string_list           ProtoStrList
 *   hex_bytes ProtoBytes       base64                ProtoBytes
 *   json      ProtoStr (compact text of one JSON value)
 *   json_lines ProtoStr (NDJSON) <-> a JSON array of values
 *
 * Book: chapter 20, book/20-protocol.md
 */
#include "proto_int.h"
#include "../util/hex.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- numbers and booleans ------------------------------------------------ */

static Status read_uint(ProtoCtx *c, const JsonValue *v, const char *what, uint64_t max,
                        uint64_t *out)
{
    if (json_get_u64(v, out) != ST_OK || *out > max)
        return proto_type_error(c, v, what);
    return ST_OK;
}

static Status read_u8(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    uint64_t u;
    Status st = read_uint(c, v, t->what, UINT8_MAX, &u);
    if (st == ST_OK)
        *(uint8_t *)dst = (uint8_t)u;
    return st;
}

static Status read_u32(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    uint64_t u;
    Status st = read_uint(c, v, t->what, UINT32_MAX, &u);
    if (st == ST_OK)
        *(uint32_t *)dst = (uint32_t)u;
    return st;
}

static Status read_u64(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    return read_uint(c, v, t->what, UINT64_MAX, dst);
}

static Status read_i64(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    if (json_get_i64(v, dst) != ST_OK)
        return proto_type_error(c, v, t->what);
    return ST_OK;
}

static Status read_bool(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    if (v->type != JSON_BOOL)
        return proto_type_error(c, v, t->what);
    *(bool *)dst = v->boolean;
    return ST_OK;
}

static Status write_u8(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    return json_write_u64(sb, *(const uint8_t *)src);
}

static Status write_u32(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    return json_write_u64(sb, *(const uint32_t *)src);
}

static Status write_u64(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    return json_write_u64(sb, *(const uint64_t *)src);
}

static Status write_i64(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    return json_write_i64(sb, *(const int64_t *)src);
}

static Status write_bool(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    return strbuf_puts(sb, *(const bool *)src ? "true" : "false");
}

const FieldType proto_t_bool = {"bool", sizeof(bool), read_bool, write_bool, NULL, NULL, NULL};
const FieldType proto_t_u8 = {"u8", sizeof(uint8_t), read_u8, write_u8, NULL, NULL, NULL};
const FieldType proto_t_u32 = {"u32", sizeof(uint32_t), read_u32, write_u32, NULL, NULL, NULL};
const FieldType proto_t_u64 = {"u64", sizeof(uint64_t), read_u64, write_u64, NULL, NULL, NULL};
const FieldType proto_t_i64 = {"i64", sizeof(int64_t), read_i64, write_i64, NULL, NULL, NULL};

/* CallReducer.flags: a u8 that must be 0 (FullUpdate) or 1
 * (NoSuccessNotify).  SpacetimeDB's message for anything else. */
static Status read_reducer_flags(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    Status st = read_u8(c, t, v, dst);
    if (st == ST_OK && *(uint8_t *)dst > PROTO_FLAG_NO_SUCCESS_NOTIFY)
        return proto_fail(c, ST_INVALID, "invalid call reducer flag %u", *(uint8_t *)dst);
    return st;
}

/* CallProcedure.flags: only 0 exists. */
static Status read_procedure_flags(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    Status st = read_u8(c, t, v, dst);
    if (st == ST_OK && *(uint8_t *)dst != 0)
        return proto_fail(c, ST_INVALID, "invalid call procedure flag %u", *(uint8_t *)dst);
    return st;
}

const FieldType proto_t_reducer_flags = {"u8", sizeof(uint8_t), read_reducer_flags, write_u8,
                                         NULL, NULL, NULL};
const FieldType proto_t_procedure_flags = {"u8", sizeof(uint8_t), read_procedure_flags, write_u8,
                                           NULL, NULL, NULL};

/* GetLogs.num_lines: a u32 that may be left out. */
static Status read_count(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    ProtoOptU32 *o = dst;
    Status st = read_u32(c, t, v, &o->value);
    o->present = st == ST_OK;
    return st;
}

static Status write_count(StrBuf *sb, const FieldType *t, const void *src)
{
    return write_u32(sb, t, &((const ProtoOptU32 *)src)->value);
}

static bool count_present(const void *src)
{
    return ((const ProtoOptU32 *)src)->present;
}

const FieldType proto_t_count = {"u32", sizeof(ProtoOptU32), read_count, write_count,
                                 count_present, NULL, NULL};

/* ---- strings --------------------------------------------------------------- */

static Status read_string(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    (void)t;
    return proto_read_str(c, v, dst);
}

static Status write_string(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoStr *s = src;
    return proto_write_text(sb, s->s, s->len);
}

static bool string_present(const void *src)
{
    return ((const ProtoStr *)src)->s != NULL;
}

const FieldType proto_t_string = {"string", sizeof(ProtoStr), read_string, write_string,
                                  string_present, NULL, NULL};

/* A database name, checked here so that no server code ever sees a name
 * that could be a path ("../x") or hide in a log line. */
static Status read_db_name(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    ProtoStr *s = dst;
    Status st = read_string(c, t, v, dst);
    if (st != ST_OK || proto_name_valid(s->s, s->len))
        return st;
    char shown[PROTO_SHOW_MAX + 4];
    proto_show(s->s, s->len, shown);
    return proto_fail(c, ST_INVALID,
                      "invalid database name \"%s\": use 1 to %d lowercase letters, digits "
                      "and single dashes",
                      shown, PROTO_MAX_NAME);
}

const FieldType proto_t_db_name = {"string", sizeof(ProtoStr), read_db_name, write_string,
                                   string_present, NULL, NULL};

const FieldType proto_t_string_list = {"array of strings", sizeof(ProtoStrList), proto_read_list,
                                       proto_write_list, NULL, NULL, &proto_t_string};

/* ---- bytes ----------------------------------------------------------------- */

/* "0a0b" (SATS-JSON's byte array: hex without 0x). */
static Status read_hex(ProtoCtx *c, const JsonValue *v, ProtoBytes *out)
{
    if (v->len % 2 != 0)
        return proto_fail(c, ST_INVALID, "odd number of hex digits (%zu)", v->len);
    uint8_t *p = v->len ? arena_alloc(c->arena, v->len / 2) : NULL;
    if (v->len && !p)
        return proto_fail(c, ST_NOMEM, "out of memory");
    size_t bad;
    if (!hex_decode(v->str, v->len / 2, false, p, &bad))
        return proto_fail(c, ST_INVALID, "bad hex digit at offset %zu", bad);
    out->data = p;
    out->len = v->len / 2;
    return ST_OK;
}

/* [10, 11] (the other spelling SATS-JSON accepts for bytes). */
static Status read_byte_array(ProtoCtx *c, const JsonValue *v, ProtoBytes *out)
{
    uint8_t *p = v->len ? arena_alloc(c->arena, v->len) : NULL;
    if (v->len && !p)
        return proto_fail(c, ST_NOMEM, "out of memory");
    for (size_t i = 0; i < v->len; i++) {
        uint64_t u;
        size_t mark = proto_path_index(c, i);
        Status st = read_uint(c, &v->items[i], "u8", UINT8_MAX, &u);
        proto_path_pop(c, mark);
        if (st != ST_OK)
            return st;
        p[i] = (uint8_t)u;
    }
    out->data = p;
    out->len = v->len;
    return ST_OK;
}

static Status read_hex_bytes(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    if (v->type == JSON_STRING)
        return read_hex(c, v, dst);
    if (v->type == JSON_ARRAY)
        return read_byte_array(c, v, dst);
    return proto_type_error(c, v, t->what);
}

static Status write_hex_bytes(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoBytes *b = src;
    Status st = strbuf_putc(sb, '"');
    if (st == ST_OK)
        st = hex_append(sb, b->data, b->len, false);
    return st == ST_OK ? strbuf_putc(sb, '"') : st;
}

const FieldType proto_t_hex_bytes = {"hex string or array of u8", sizeof(ProtoBytes),
                                     read_hex_bytes, write_hex_bytes, NULL, NULL, NULL};

static Status read_base64(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    if (v->type != JSON_STRING)
        return proto_type_error(c, v, t->what);
    return proto_base64_read(c, v->str, v->len, dst);
}

static Status write_base64(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoBytes *b = src;
    Status st = strbuf_putc(sb, '"');
    if (st == ST_OK)
        st = proto_base64_encode(sb, b->data, b->len);
    return st == ST_OK ? strbuf_putc(sb, '"') : st;
}

const FieldType proto_t_base64 = {"base64 string", sizeof(ProtoBytes), read_base64, write_base64,
                                  NULL, NULL, NULL};

/* ---- embedded JSON documents ----------------------------------------------- */

/* The compact text of v, copied into the arena. */
static Status compact_text(ProtoCtx *c, const JsonValue *v, bool newline, StrBuf *sb)
{
    Status st = json_write_value(sb, v);
    if (st == ST_OK && newline)
        st = strbuf_putc(sb, '\n');
    if (st != ST_OK)
        return proto_fail(c, st, "out of memory");
    return ST_OK;
}

static Status keep_text(ProtoCtx *c, StrBuf *sb, ProtoStr *out)
{
    size_t len = sb->len;
    char *s = arena_strndup(c->arena, sb->data ? sb->data : "", len);
    strbuf_fini(sb);
    if (!s)
        return proto_fail(c, ST_NOMEM, "out of memory");
    out->s = s;
    out->len = len;
    return ST_OK;
}

static Status read_json(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    (void)t;
    StrBuf sb;
    strbuf_init(&sb);
    Status st = compact_text(c, v, false, &sb);
    if (st != ST_OK) {
        strbuf_fini(&sb);
        return st;
    }
    return keep_text(c, &sb, dst);
}

/* Logs.records: an array of values, kept as NDJSON (one per line). */
static Status read_json_lines(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    if (v->type != JSON_ARRAY)
        return proto_type_error(c, v, t->what);
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < v->len; i++) {
        Status st = compact_text(c, &v->items[i], true, &sb);
        if (st != ST_OK) {
            strbuf_fini(&sb);
            return st;
        }
    }
    return keep_text(c, &sb, dst);
}

/* Parse text (one JSON value) and write it compactly, so that a
 * pretty-printed document cannot break the one-line framing and a broken
 * one cannot reach the client. */
static Status write_one_json(StrBuf *sb, Arena *a, const char *text, size_t len)
{
    JsonValue *v;
    Status st = json_parse(a, text, len, &v, NULL);
    if (st == ST_MALFORMED || st == ST_LIMIT)
        return ST_INVALID;
    return st == ST_OK ? json_write_value(sb, v) : st;
}

static Status write_json(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoStr *s = src;
    Arena a;
    arena_init(&a);
    Status st = write_one_json(sb, &a, s->s ? s->s : "null", s->s ? s->len : 4);
    arena_fini(&a);
    return st;
}

static Status write_json_lines(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoStr *s = src;
    const char *p = s->s ? s->s : "", *end = p + (s->s ? s->len : 0);
    Arena a;
    arena_init(&a);
    Status st = strbuf_putc(sb, '[');
    bool first = true;
    while (st == ST_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        bool empty = true;   /* blank lines (a trailing '\n') hold no record */
        for (const char *q = p; q < stop; q++)
            empty = empty && (*q == ' ' || *q == '\t' || *q == '\r');
        if (!empty && !first)
            st = strbuf_putc(sb, ',');
        if (!empty && st == ST_OK) {
            st = write_one_json(sb, &a, p, (size_t)(stop - p));
            first = false;
            arena_reset(&a);
        }
        p = nl ? nl + 1 : end;
    }
    arena_fini(&a);
    return st == ST_OK ? strbuf_putc(sb, ']') : st;
}

const FieldType proto_t_json = {"JSON value", sizeof(ProtoStr), read_json, write_json,
                                string_present, NULL, NULL};
const FieldType proto_t_json_lines = {"array", sizeof(ProtoStr), read_json_lines,
                                      write_json_lines, string_present, NULL, NULL};
