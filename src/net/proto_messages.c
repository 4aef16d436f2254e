/*
 * proto_messages.c - the protocol itself, as two tables: every message a
 * client may send and every message a server may answer, each with its
 * fields in declaration order (which is the order they are written in).
 *
 * The SpacetimeDB messages copy client-protocol.md §3 and §4 field for
 * field, with their variant tags; a reader also accepts [tag, payload].
 * The tinystdb messages (Connect, the admin requests and their answers,
 * and the error line) have no tag: they are named, never numbered, so
 * that SpacetimeDB adding a variant can never change their meaning.
 * Chapter 20 has the same tables in prose, with an example of each.
 *
 * Invariant (proto_tables_check): msgs[k].kind == k, so a kind indexes
 * its table directly.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#include "proto_int.h"

#include <stddef.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- client -> server ------------------------------------------------------ */

#define Q(name, member, type) {name, offsetof(ProtoRequest, member), &proto_t_##type, false}
#define QOPT(name, member, type) {name, offsetof(ProtoRequest, member), &proto_t_##type, true}

/* BOOK: call_reducer */
static const Field call_reducer[] = {
    Q("reducer", reducer, string),
    Q("args", args, string),             /* JSON text inside a string */
    Q("request_id", request_id, u32),
    Q("flags", flags, reducer_flags),    /* 0 FullUpdate, 1 NoSuccessNotify */
};
/* BOOK-END: call_reducer */
static const Field subscribe[] = {
    Q("query_strings", queries, string_list),
    Q("request_id", request_id, u32),
};
static const Field one_off_query[] = {
    Q("message_id", message_id, hex_bytes),
    Q("query_string", query, string),
};
static const Field subscribe_single[] = {
    Q("query", query, string),
    Q("request_id", request_id, u32),
    Q("query_id", query_id, query_id),
};
static const Field subscribe_multi[] = {
    Q("query_strings", queries, string_list),
    Q("request_id", request_id, u32),
    Q("query_id", query_id, query_id),
};
static const Field unsubscribe[] = {
    Q("request_id", request_id, u32),
    Q("query_id", query_id, query_id),
};
static const Field call_procedure[] = {
    Q("procedure", procedure, string),
    Q("args", args, string),
    Q("request_id", request_id, u32),
    Q("flags", flags, procedure_flags),
};
/* BOOK: connect */
static const Field connect[] = {
    QOPT("database", database, db_name),   /* left out: an admin-only session */
    QOPT("token", token, string),          /* left out: mint a new identity */
    QOPT("light", light, bool),
};
/* BOOK-END: connect */
static const Field publish[] = {
    Q("name", name, db_name),
    Q("wasm_base64", wasm, base64),
    QOPT("clear", clear, bool),
};
static const Field by_name[] = {
    Q("name", name, db_name),
};
static const Field get_logs[] = {
    Q("name", name, db_name),
    QOPT("num_lines", num_lines, count),
    QOPT("follow", follow, bool),
};

#define REQ(name, kind, tag, fields) \
    {name, kind, tag, false, {fields, COUNT(fields), sizeof(ProtoRequest)}}

static const Message requests[] = {
    REQ("CallReducer", PROTO_REQ_CALL_REDUCER, 0, call_reducer),
    REQ("Subscribe", PROTO_REQ_SUBSCRIBE, 1, subscribe),
    REQ("OneOffQuery", PROTO_REQ_ONE_OFF_QUERY, 2, one_off_query),
    REQ("SubscribeSingle", PROTO_REQ_SUBSCRIBE_SINGLE, 3, subscribe_single),
    REQ("SubscribeMulti", PROTO_REQ_SUBSCRIBE_MULTI, 4, subscribe_multi),
    REQ("Unsubscribe", PROTO_REQ_UNSUBSCRIBE, 5, unsubscribe),
    REQ("UnsubscribeMulti", PROTO_REQ_UNSUBSCRIBE_MULTI, 6, unsubscribe),
    REQ("CallProcedure", PROTO_REQ_CALL_PROCEDURE, 7, call_procedure),
    REQ("Connect", PROTO_REQ_CONNECT, -1, connect),
    REQ("Publish", PROTO_REQ_PUBLISH, -1, publish),
    REQ("DeleteDatabase", PROTO_REQ_DELETE_DATABASE, -1, by_name),
    REQ("GetLogs", PROTO_REQ_GET_LOGS, -1, get_logs),
    REQ("Describe", PROTO_REQ_DESCRIBE, -1, by_name),
};

const MessageTable proto_requests = {"a message such as {\"CallReducer\": {...}}", requests,
                                     COUNT(requests), sizeof(ProtoRequest)};

/* ---- server -> client ------------------------------------------------------ */

#define R(name, member, type) {name, offsetof(ProtoReply, member), &proto_t_##type, false}

static const Field initial_subscription[] = {
    R("database_update", update, database_update),
    R("request_id", request_id, u32),
    R("total_host_execution_duration", duration_us, duration),
};
/* BOOK: transaction_update */
static const Field transaction_update[] = {
    R("status", status, update_status),
    R("timestamp", timestamp_us, timestamp),
    R("caller_identity", identity, identity),
    R("caller_connection_id", connection_id, connection_id),
    R("reducer_call", reducer_call, reducer_call),
    R("energy_quanta_used", energy_quanta, energy),
    R("total_host_execution_duration", duration_us, duration),
};
/* BOOK-END: transaction_update */
static const Field transaction_update_light[] = {
    R("request_id", request_id, u32),
    R("update", update, database_update),
};
static const Field identity_token[] = {
    R("identity", identity, identity),
    R("token", token, string),
    R("connection_id", connection_id, connection_id),
};
static const Field one_off_query_response[] = {
    R("message_id", message_id, hex_bytes),
    R("error", error, sats_opt_string),
    R("tables", tables, one_off_tables),
    R("total_host_execution_duration", duration_us, duration),
};
static const Field subscribe_applied[] = {   /* and UnsubscribeApplied */
    R("request_id", request_id, u32),
    R("total_host_execution_duration_micros", duration_us, u64),
    R("query_id", query_id, query_id),
    R("rows", rows, subscribe_rows),
};
static const Field subscription_error[] = {
    R("total_host_execution_duration_micros", duration_us, u64),
    R("request_id", opt_request_id, sats_opt_u32),
    R("query_id", opt_query_id, sats_opt_u32),
    R("table_id", opt_table_id, sats_opt_u32),
    R("error", error, string),
};
static const Field multi_applied[] = {   /* Subscribe- and UnsubscribeMultiApplied */
    R("request_id", request_id, u32),
    R("total_host_execution_duration_micros", duration_us, u64),
    R("query_id", query_id, query_id),
    R("update", update, database_update),
};
static const Field procedure_result[] = {
    R("status", status, procedure_status),
    R("timestamp", timestamp_us, timestamp),
    R("total_host_execution_duration", duration_us, duration),
    R("request_id", request_id, u32),
};
static const Field published[] = {
    R("name", name, db_name),
    R("database_identity", identity, identity),
    R("op", op, string),
};
static const Field database_deleted[] = {
    R("name", name, db_name),
};
static const Field logs[] = {
    R("name", name, db_name),
    R("records", json, json_lines),
};
static const Field log_record[] = {
    R("name", name, db_name),
    R("record", json, json),
};
static const Field description[] = {
    R("name", name, db_name),
    R("schema", json, json),
    R("text", text, string),
};
static const Field error_line[] = {
    R("error", error, string),   /* newtype: {"error": "text"} */
};

#define REP(name, kind, tag, fields) \
    {name, kind, tag, false, {fields, COUNT(fields), sizeof(ProtoReply)}}

static const Message replies[] = {
    REP("InitialSubscription", PROTO_REPLY_INITIAL_SUBSCRIPTION, 0, initial_subscription),
    REP("TransactionUpdate", PROTO_REPLY_TRANSACTION_UPDATE, 1, transaction_update),
    REP("TransactionUpdateLight", PROTO_REPLY_TRANSACTION_UPDATE_LIGHT, 2,
        transaction_update_light),
    REP("IdentityToken", PROTO_REPLY_IDENTITY_TOKEN, 3, identity_token),
    REP("OneOffQueryResponse", PROTO_REPLY_ONE_OFF_QUERY_RESPONSE, 4, one_off_query_response),
    REP("SubscribeApplied", PROTO_REPLY_SUBSCRIBE_APPLIED, 5, subscribe_applied),
    REP("UnsubscribeApplied", PROTO_REPLY_UNSUBSCRIBE_APPLIED, 6, subscribe_applied),
    REP("SubscriptionError", PROTO_REPLY_SUBSCRIPTION_ERROR, 7, subscription_error),
    REP("SubscribeMultiApplied", PROTO_REPLY_SUBSCRIBE_MULTI_APPLIED, 8, multi_applied),
    REP("UnsubscribeMultiApplied", PROTO_REPLY_UNSUBSCRIBE_MULTI_APPLIED, 9, multi_applied),
    REP("ProcedureResult", PROTO_REPLY_PROCEDURE_RESULT, 10, procedure_result),
    REP("Published", PROTO_REPLY_PUBLISHED, -1, published),
    REP("DatabaseDeleted", PROTO_REPLY_DATABASE_DELETED, -1, database_deleted),
    REP("Logs", PROTO_REPLY_LOGS, -1, logs),
    REP("LogRecord", PROTO_REPLY_LOG_RECORD, -1, log_record),
    REP("Description", PROTO_REPLY_DESCRIPTION, -1, description),
    {"error", PROTO_REPLY_ERROR, -1, true, {error_line, COUNT(error_line), sizeof(ProtoReply)}},
};

const MessageTable proto_replies = {"a message such as {\"IdentityToken\": {...}}", replies,
                                    COUNT(replies), sizeof(ProtoReply)};
