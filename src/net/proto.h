/*
 * proto.h - the server's wire protocol: one JSON message per line, the
 * message shapes of SpacetimeDB's v1 JSON protocol, plus tinystdb's own
 * Connect and admin messages.  Pure text <-> C structs: no sockets, no
 * database.  The event loop hands a line in; the server gets a struct.
 *
 *   line ──proto_decode_request──► ProtoRequest ──► server ──► ProtoReply
 *        ◄──proto_encode_reply───────────────────────────────────┘
 *   (and the mirror image for clients: proto_encode_request, proto_decode_reply)
 *
 * Every message is a sum, written {"Name": payload} (SATS-JSON, client-
 * protocol.md §1); a payload is an object of fields in declaration order.
 * The readers also take SpacetimeDB's other spellings: [tag, payload],
 * {"<tag>": payload}, and a payload written as an array of field values.
 * Unknown, duplicate and missing fields are errors, as in SpacetimeDB,
 * except that tinystdb's own messages have optional fields.
 *
 * Structs are flat: ProtoRequest has one member for every field any
 * request has, and each message uses a few of them (the table in
 * proto_messages.c, and chapter 20, say which).  Members shared by
 * several messages carry the same meaning in all of them.
 *
 * Invariants of a decoded struct (proto_request_check): every string is
 * valid UTF-8 without NUL bytes and is NUL-terminated (so s is also a C
 * string); every pointer points into the arena given to the decoder and
 * lives until that arena is reset.  An encoder appends exactly one
 * complete line, '\n' included, or nothing at all.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#ifndef TINYSTDB_NET_PROTO_H
#define TINYSTDB_NET_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../util/arena.h"
#include "../util/status.h"
#include "../util/vec.h"
#include "identity.h"

#define PROTO_ERROR_LEN 256       /* bytes of ProtoError.msg */
#define PROTO_MAX_NAME 64         /* longest database name (tinystdb's choice) */
#define PROTO_NO_REDUCER_ID UINT32_MAX   /* reducer_id of "no such reducer", DML */

/* ---- building blocks ------------------------------------------------------ */

/* A string with its length.  A zeroed ProtoStr (s == NULL) is "absent"
 * where a field is optional and "" where a string is required. */
typedef struct ProtoStr {
    const char *s;
    size_t len;
} ProtoStr;

static inline ProtoStr proto_str(const char *s)
{
    ProtoStr p = {s, s ? strlen(s) : 0};
    return p;
}

typedef struct ProtoBytes {
    const uint8_t *data;
    size_t len;
} ProtoBytes;

typedef struct ProtoStrList {
    const ProtoStr *items;
    size_t len;
} ProtoStrList;

/* An optional u32: SATS-JSON {"some": n} / {"none": []}, or in tinystdb's
 * own messages a field that may be left out. */
typedef struct ProtoOptU32 {
    bool present;
    uint32_t value;
} ProtoOptU32;

/* ---- client -> server ----------------------------------------------------- */

typedef enum ProtoReqKind {
    /* SpacetimeDB's ClientMessage, in tag order (client-protocol.md §3) */
    PROTO_REQ_CALL_REDUCER,
    PROTO_REQ_SUBSCRIBE,
    PROTO_REQ_ONE_OFF_QUERY,
    PROTO_REQ_SUBSCRIBE_SINGLE,
    PROTO_REQ_SUBSCRIBE_MULTI,
    PROTO_REQ_UNSUBSCRIBE,
    PROTO_REQ_UNSUBSCRIBE_MULTI,
    PROTO_REQ_CALL_PROCEDURE,
    /* tinystdb's own (chapter 20): by name only, no tag */
    PROTO_REQ_CONNECT,
    PROTO_REQ_PUBLISH,
    PROTO_REQ_DELETE_DATABASE,
    PROTO_REQ_GET_LOGS,
    PROTO_REQ_DESCRIBE,
    PROTO_REQ__COUNT
} ProtoReqKind;

/* CallReducer.flags (any other value is a decode error, as in SpacetimeDB). */
#define PROTO_FLAG_FULL_UPDATE 0
#define PROTO_FLAG_NO_SUCCESS_NOTIFY 1

typedef struct ProtoRequest {
    ProtoReqKind kind;
    ProtoStr reducer;        /* CallReducer.reducer */
    ProtoStr procedure;      /* CallProcedure.procedure */
    ProtoStr args;           /* CallReducer/CallProcedure.args: JSON text, not checked here */
    uint32_t request_id;     /* every SpacetimeDB request but OneOffQuery */
    uint8_t flags;           /* CallReducer: 0 or 1; CallProcedure: 0 */
    uint32_t query_id;       /* SubscribeSingle/Multi, Unsubscribe(Multi): {"id": n} */
    ProtoStr query;          /* SubscribeSingle.query, OneOffQuery.query_string */
    ProtoStrList queries;    /* Subscribe/SubscribeMulti.query_strings */
    ProtoBytes message_id;   /* OneOffQuery.message_id (hex or [u8...] on the wire) */
    ProtoStr database;       /* Connect.database; absent: no database (admin only) */
    ProtoStr token;          /* Connect.token; absent: mint a new identity */
    bool light;              /* Connect.light */
    ProtoStr name;           /* Publish/DeleteDatabase/GetLogs/Describe.name */
    ProtoBytes wasm;         /* Publish.wasm_base64, decoded */
    bool clear;              /* Publish.clear */
    ProtoOptU32 num_lines;   /* GetLogs.num_lines; absent: every line */
    bool follow;             /* GetLogs.follow */
} ProtoRequest;

/* ---- server -> client ----------------------------------------------------- */

typedef enum ProtoReplyKind {
    /* SpacetimeDB's ServerMessage, in tag order (client-protocol.md §4) */
    PROTO_REPLY_INITIAL_SUBSCRIPTION,
    PROTO_REPLY_TRANSACTION_UPDATE,
    PROTO_REPLY_TRANSACTION_UPDATE_LIGHT,
    PROTO_REPLY_IDENTITY_TOKEN,
    PROTO_REPLY_ONE_OFF_QUERY_RESPONSE,
    PROTO_REPLY_SUBSCRIBE_APPLIED,
    PROTO_REPLY_UNSUBSCRIBE_APPLIED,
    PROTO_REPLY_SUBSCRIPTION_ERROR,
    PROTO_REPLY_SUBSCRIBE_MULTI_APPLIED,
    PROTO_REPLY_UNSUBSCRIBE_MULTI_APPLIED,
    PROTO_REPLY_PROCEDURE_RESULT,
    /* tinystdb's own */
    PROTO_REPLY_PUBLISHED,
    PROTO_REPLY_DATABASE_DELETED,
    PROTO_REPLY_LOGS,
    PROTO_REPLY_LOG_RECORD,
    PROTO_REPLY_DESCRIPTION,
    PROTO_REPLY_ERROR,       /* {"error": "text"}, also what the event loop writes */
    PROTO_REPLY__COUNT
} ProtoReplyKind;

/* QueryUpdate: rows as JSON text (each is written as a JSON *string*
 * holding that text: "json nested in string", client-protocol.md §1). */
typedef struct ProtoQueryUpdate {
    ProtoStrList deletes;
    ProtoStrList inserts;
} ProtoQueryUpdate;

typedef struct ProtoQueryUpdateList {
    const ProtoQueryUpdate *items;
    size_t len;
} ProtoQueryUpdateList;

/* TableUpdate.  num_rows is not stored: the writer computes it (deletes +
 * inserts over all updates); the reader checks it is a u64. */
typedef struct ProtoTableUpdate {
    uint32_t table_id;
    ProtoStr table_name;
    ProtoQueryUpdateList updates;
} ProtoTableUpdate;

typedef struct ProtoTableUpdateList {
    const ProtoTableUpdate *items;
    size_t len;
} ProtoTableUpdateList;

/* DatabaseUpdate: {"tables": [...]} */
typedef struct ProtoDatabaseUpdate {
    ProtoTableUpdateList tables;
} ProtoDatabaseUpdate;

/* UpdateStatus (TransactionUpdate) and ProcedureStatus (ProcedureResult). */
typedef enum ProtoStatusKind {
    PROTO_STATUS_COMMITTED,       /* {"Committed": DatabaseUpdate} */
    PROTO_STATUS_FAILED,          /* {"Failed": "message"} */
    PROTO_STATUS_OUT_OF_ENERGY,   /* {"OutOfEnergy": []} (both sums) */
    PROTO_STATUS_RETURNED,        /* {"Returned": "<json text>"} */
    PROTO_STATUS_INTERNAL_ERROR,  /* {"InternalError": "message"} */
} ProtoStatusKind;

typedef struct ProtoStatus {
    ProtoStatusKind kind;
    ProtoDatabaseUpdate committed;   /* COMMITTED */
    ProtoStr text;                   /* FAILED, RETURNED, INTERNAL_ERROR */
} ProtoStatus;

/* ReducerCallInfo */
typedef struct ProtoReducerCall {
    ProtoStr reducer_name;
    uint32_t reducer_id;
    ProtoStr args;                   /* the caller's JSON text, echoed */
    uint32_t request_id;
} ProtoReducerCall;

/* One table of a OneOffQueryResponse. */
typedef struct ProtoOneOffTable {
    ProtoStr table_name;
    ProtoStrList rows;
} ProtoOneOffTable;

typedef struct ProtoOneOffTableList {
    const ProtoOneOffTable *items;
    size_t len;
} ProtoOneOffTableList;

typedef struct ProtoReply {
    ProtoReplyKind kind;
    /* IdentityToken.identity, TransactionUpdate.caller_identity,
     * Published.database_identity */
    Identity identity;
    /* IdentityToken.connection_id, TransactionUpdate.caller_connection_id
     * (all zero: none) */
    ConnectionId connection_id;
    ProtoStr token;                  /* IdentityToken */
    ProtoStatus status;              /* TransactionUpdate, ProcedureResult */
    int64_t timestamp_us;            /* micros since the Unix epoch */
    ProtoReducerCall reducer_call;   /* TransactionUpdate */
    uint64_t energy_quanta;          /* TransactionUpdate.energy_quanta_used (a u128 on the wire) */
    /* total_host_execution_duration ({"__time_duration_micros__": n}) and
     * total_host_execution_duration_micros (a bare number) */
    uint64_t duration_us;
    uint32_t request_id;
    uint32_t query_id;               /* *Applied: {"id": n} on the wire */
    /* InitialSubscription.database_update, TransactionUpdateLight.update,
     * Subscribe/UnsubscribeMultiApplied.update */
    ProtoDatabaseUpdate update;
    ProtoTableUpdate rows;           /* Subscribe/UnsubscribeApplied.rows */
    ProtoOptU32 opt_request_id;      /* SubscriptionError.request_id */
    ProtoOptU32 opt_query_id;        /* SubscriptionError.query_id (a bare u32 inside) */
    ProtoOptU32 opt_table_id;        /* SubscriptionError.table_id */
    /* SubscriptionError.error (required), OneOffQueryResponse.error (an
     * Option: s == NULL is none), error */
    ProtoStr error;
    ProtoBytes message_id;           /* OneOffQueryResponse, written as hex */
    ProtoOneOffTableList tables;     /* OneOffQueryResponse */
    ProtoStr name;                   /* Published, DatabaseDeleted, Logs, LogRecord, Description */
    ProtoStr op;                     /* Published: "created" or "updated" */
    /* Description.schema and LogRecord.record: the text of one JSON value;
     * Logs.records: records as NDJSON (one JSON value per line).  Written
     * as JSON, not as strings, and re-parsed so the line stays one line. */
    ProtoStr json;
    /* Description.text: the same schema as `tinystdb describe` prints it
     * (moddef_format's text), so a client shows exactly what
     * `describe --wasm` shows without re-rendering the JSON. */
    ProtoStr text;
} ProtoReply;

/* ---- errors --------------------------------------------------------------- */

/* Why a line could not be decoded, one line of text, e.g.
 *   "malformed JSON at line 1 column 17: expected ':'"
 *   "unknown message type Foo"
 *   "CallReducer.request_id: expected u32, got string"
 *   "CallReducer: missing field `flags`"                                    */
typedef struct ProtoError {
    char msg[PROTO_ERROR_LEN];
} ProtoError;

/* Fill err (may be NULL) with a printf-style message and return st. */
Status proto_error(ProtoError *err, Status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- decoding (proto_decode.c) -------------------------------------------- */

/* Decode one line (without its '\n'; a trailing '\r' is allowed) into
 * *out, allocating from a.  Errors, with err->msg filled:
 *   ST_MALFORMED  not JSON
 *   ST_LIMIT      JSON nested deeper than JSON_MAX_DEPTH
 *   ST_INVALID    JSON, but not a valid message (unknown type, a field
 *                 missing, unknown or of the wrong type, a bad value)
 *   ST_NOMEM
 * On failure *out is zeroed (except kind, which is meaningless). */
Status proto_decode_request(Arena *a, const char *line, size_t len, ProtoRequest *out,
                            ProtoError *err);
Status proto_decode_reply(Arena *a, const char *line, size_t len, ProtoReply *out,
                          ProtoError *err);

/* ---- encoding (proto_encode.c) -------------------------------------------- */

/* Append one line, '\n' included.  Text that is not valid UTF-8 is written
 * with U+FFFD in place of each bad byte (a module's error message must
 * still reach its caller).  Errors: ST_INVALID when a ProtoReply.json does
 * not parse, ST_ARG for a kind out of range, ST_NOMEM.  On failure sb is
 * left as it was. */
Status proto_encode_request(StrBuf *sb, const ProtoRequest *req);
Status proto_encode_reply(StrBuf *sb, const ProtoReply *rep);

/* Shorthands for the lines every server writes. */
Status proto_encode_identity_token(StrBuf *sb, const Identity *id, const char *token,
                                   const ConnectionId *conn);
Status proto_encode_error(StrBuf *sb, const char *msg);

/* ---- names, checks, base64 (proto.c) -------------------------------------- */

const char *proto_req_name(ProtoReqKind k);       /* "CallReducer", ... */
const char *proto_reply_name(ProtoReplyKind k);   /* "TransactionUpdate", ... */

/* Is s[0..len) a database name: ^[a-z0-9]+(-[a-z0-9]+)*$, at most
 * PROTO_MAX_NAME bytes (SpacetimeDB's rule, our length limit)? */
bool proto_name_valid(const char *s, size_t len);

/* The decoded-struct invariants above (and that flags is legal for the
 * kind).  ST_OK, or ST_INVALID with a reason in msg. */
Status proto_request_check(const ProtoRequest *req, char *msg, size_t msglen);
Status proto_reply_check(const ProtoReply *rep, char *msg, size_t msglen);
/* The message tables themselves: names and tags unique, every field
 * inside its struct. */
Status proto_tables_check(char *msg, size_t msglen);

/* Base64, RFC 4648 §4 (the standard alphabet), strict: length a multiple
 * of 4, '=' only as one or two final padding characters, the unused bits
 * before the padding zero, no whitespace or other characters.  The bytes
 * go into the arena.  ST_INVALID with the offset of the problem. */
Status proto_base64_decode(Arena *a, const char *s, size_t len, ProtoBytes *out, ProtoError *err);
Status proto_base64_encode(StrBuf *sb, const uint8_t *data, size_t len);

#endif
