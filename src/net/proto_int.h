/*
 * proto_int.h - inside the protocol layer: the message tables and the
 * machinery that reads and writes them.  Private to src/net/proto*.c.
 *
 * The protocol is described as data.  A Message is a name, a tag and a
 * Product; a Product is a list of Fields; a Field is a wire name, the
 * offset of its C member, and a FieldType, which knows how to read that
 * member from a JSON value and write it back:
 *
 *   Message "CallReducer" (tag 0)
 *     Field "reducer"    offsetof(ProtoRequest, reducer)    t_string
 *     Field "args"       offsetof(ProtoRequest, args)       t_string
 *     Field "request_id" offsetof(ProtoRequest, request_id) t_u32
 *     Field "flags"      offsetof(ProtoRequest, flags)      t_reducer_flags
 *
 * One generic reader (read_product, proto_decode.c) and one generic writer
 * (write_product, proto_encode.c) walk these tables, so a message's shape
 * is written down once and decoding and encoding cannot disagree.  Types
 * that contain other types (a list of TableUpdates, {"id": n}) point at
 * their item type or product, so nested shapes are tables too.
 *
 * Invariants (proto_tables_check): at most PROTO_MAX_FIELDS fields per
 * product; field names unique in a product; message names and tags unique
 * in a table; every member inside its struct.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#ifndef TINYSTDB_NET_PROTO_INT_H
#define TINYSTDB_NET_PROTO_INT_H

#include "../util/json.h"
#include "proto.h"

#define PROTO_MAX_FIELDS 64       /* fields per product: one bit each in a u64 */
#define PROTO_PATH_MAX 120        /* "TransactionUpdate.status.Committed.tables[0]..." */
#define PROTO_SHOW_MAX 40         /* bytes of a client's text quoted in an error */

/* State of one decode: where results go, where errors go, and the path of
 * the value being read, for error messages. */
typedef struct ProtoCtx {
    Arena *arena;
    ProtoError *err;
    char path[PROTO_PATH_MAX];
    size_t path_len;
} ProtoCtx;

typedef struct FieldType FieldType;
typedef struct Product Product;

/* Read v into the member at dst / write the member at src to sb. */
typedef Status (*ProtoReadFn)(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst);
typedef Status (*ProtoWriteFn)(StrBuf *sb, const FieldType *t, const void *src);

struct FieldType {
    const char *what;              /* "u32", "string": "expected <what>, got ..." */
    size_t size;                   /* sizeof the C member */
    ProtoReadFn read;
    ProtoWriteFn write;
    bool (*present)(const void *src);   /* optional fields: is it there? (NULL: always) */
    const Product *product;        /* read_product / write_product: the fields */
    const FieldType *item;         /* read_list / write_list: the item type */
};

typedef struct Field {
    const char *name;              /* on the wire */
    size_t offset;                 /* of the C member, from the start of the struct */
    const FieldType *type;
    bool optional;                 /* tinystdb's messages: may be left out, or null */
} Field;

/* Every list member has this layout ({const T *items; size_t len;}); the
 * generic list code reads and writes it through this struct. */
typedef struct ProtoAnyList {
    const void *items;
    size_t len;
} ProtoAnyList;

struct Product {
    const Field *fields;
    size_t nfields;
    size_t size;                   /* sizeof the struct the offsets are in */
};

typedef struct Message {
    const char *name;              /* "CallReducer" */
    int kind;                      /* a ProtoReqKind or ProtoReplyKind */
    int tag;                       /* SpacetimeDB's variant tag; -1: by name only */
    bool newtype;                  /* the payload is the one field's value itself */
    Product payload;
} Message;

typedef struct MessageTable {
    const char *what;              /* "message", in "expected a message such as ..." */
    const Message *msgs;
    size_t n;                      /* also the number of kinds: msgs[k].kind == k */
    size_t struct_size;            /* sizeof(ProtoRequest) or sizeof(ProtoReply) */
} MessageTable;

extern const MessageTable proto_requests;   /* proto_messages.c */
extern const MessageTable proto_replies;

/* ---- reading (proto_decode.c) --------------------------------------------- */

/* "<path>: <message>"; returns st. */
Status proto_fail(ProtoCtx *c, Status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Client text made safe to quote in an error: printable ASCII kept, any
 * other byte '?', cut at PROTO_SHOW_MAX bytes with "...". */
void proto_show(const char *s, size_t len, char out[PROTO_SHOW_MAX + 4]);
/* "<path>: expected <what>, got <a short description of v>" (ST_INVALID). */
Status proto_type_error(ProtoCtx *c, const JsonValue *v, const char *what);
/* Append ".name" or "[i]" to the path and return the old length, which
 * proto_path_pop restores. */
size_t proto_path_field(ProtoCtx *c, const char *name);
size_t proto_path_index(ProtoCtx *c, size_t i);
void proto_path_pop(ProtoCtx *c, size_t mark);

/* Generic readers, used as FieldType.read of products and lists. */
Status proto_read_product(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst);
Status proto_read_list(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst);
/* Split a sum value into its variant and payload.  SATS-JSON spells a sum
 * {"Name": payload}, {"<tag>": payload} or [tag, payload]; *name is NULL
 * when the variant was given by number (*tag), and *tag is -1 when it was
 * given by name. */
Status proto_read_sum(ProtoCtx *c, const JsonValue *v, const char *what, const char **name,
                      size_t *name_len, int *tag, const JsonValue **payload);
/* The variant of names[0..n) (tag = index) that v names; error "unknown
 * variant `X`" otherwise.  what describes the sum for type errors. */
Status proto_read_variant(ProtoCtx *c, const JsonValue *v, const char *what,
                          const char *const *names, size_t n, size_t *index,
                          const JsonValue **payload);
/* A unit payload: [] (or {}). */
Status proto_read_unit(ProtoCtx *c, const JsonValue *v);
/* A JSON string without NUL bytes (names, queries, JSON text). */
Status proto_read_str(ProtoCtx *c, const JsonValue *v, ProtoStr *out);

/* ---- writing (proto_encode.c) --------------------------------------------- */

Status proto_write_product(StrBuf *sb, const FieldType *t, const void *src);
Status proto_write_list(StrBuf *sb, const FieldType *t, const void *src);
/* A JSON string; invalid UTF-8 becomes U+FFFD. */
Status proto_write_text(StrBuf *sb, const char *s, size_t len);
/* {"Name":payload-writer} helpers for sums. */
Status proto_write_unit_variant(StrBuf *sb, const char *name);
Status proto_write_text_variant(StrBuf *sb, const char *name, ProtoStr text);

/* ---- base64 (proto.c) ------------------------------------------------------ */

/* proto_base64_decode with the error prefixed by the path. */
Status proto_base64_read(ProtoCtx *c, const char *s, size_t len, ProtoBytes *out);

/* ---- field types (proto_types.c, proto_sats.c) ------------------------------ */

/* scalars and strings: proto_types.c */
extern const FieldType proto_t_bool, proto_t_u8, proto_t_u32, proto_t_u64, proto_t_i64;
extern const FieldType proto_t_reducer_flags, proto_t_procedure_flags;
extern const FieldType proto_t_string, proto_t_db_name;
extern const FieldType proto_t_string_list, proto_t_hex_bytes, proto_t_base64;
extern const FieldType proto_t_count, proto_t_json, proto_t_json_lines;
/* SATS-JSON special types and the shared blocks of §4.1: proto_sats.c */
extern const FieldType proto_t_query_id, proto_t_identity, proto_t_connection_id;
extern const FieldType proto_t_timestamp, proto_t_duration, proto_t_energy;
extern const FieldType proto_t_sats_opt_u32, proto_t_sats_opt_string;
extern const FieldType proto_t_update_status, proto_t_procedure_status;
extern const FieldType proto_t_reducer_call, proto_t_table_update, proto_t_database_update;
extern const FieldType proto_t_subscribe_rows, proto_t_one_off_tables;

#endif
