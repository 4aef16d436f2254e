/*
 * server_call.c - CallReducer: from a request to a TransactionUpdate.
 *
 * The straight line of one call (chapter 22 walks it with every step):
 *
 *   req.reducer, req.args (JSON text)
 *     ─module_call_json─► sats_json_args_to_bsatn ─► module_run:
 *        tx_begin ─► __call_reducer__ (imports write the tables) ─► tx_commit
 *     ─► HostResult {outcome, message, delta, fuel, duration}
 *     ─► the rows the caller subscribed to, as SATS-JSON (server_sub_update)
 *     ─► ProtoReply TransactionUpdate ─► proto_encode_reply ─► conn_send
 *
 * What the caller is told, as in SpacetimeDB (client-protocol.md §4, §7):
 *   committed       {"Committed": {"tables": [...]}}
 *   Err(msg)        {"Failed": msg}
 *   trap            {"Failed": "The instance encountered a fatal error."}
 *                   (the trap and the panic text go to the module log)
 *   out of fuel     {"OutOfEnergy": []}
 *   nothing ran     (unknown reducer, bad arguments, a lifecycle reducer)
 *                   {"Failed": why} on SpacetimeDB's message-error path:
 *                   reducer_id 4294967295, args "[]", request_id 0.
 * With flags = NoSuccessNotify the caller hears nothing when the reducer
 * ran (it is "not tracked"); errors about the message itself still reach it.
 *
 * Rows: the caller gets exactly the rows its subscriptions match
 * (server_sub_update, chapter 28), and none when it never subscribed,
 * as in SpacetimeDB.  Rows are SATS_JSON_ROW, the named-object shape
 * used for every row this server sends.  After
 * a commit, every other subscriber hears of it (server_sub_broadcast).
 *
 * Durability (chapter 27): the commit is appended to the database's log
 * first (server_durable_commit); the replies are then held by
 * server_reply until the end of the turn has fsynced it.  A database
 * whose log failed refuses every call with the reason.
 *
 * Book: chapter 22, book/22-server.md
 */
#include "server_int.h"

#include <string.h>


/* The caller's rows: exactly what its subscriptions match, as in
 * SpacetimeDB ("if they haven't subscribed, we'll send them an empty
 * update"): {"Committed":{"tables":[]}} for a caller that never
 * subscribed (chapter 28). */
static Status delta_update(Server *s, const Client *c, const TxDelta *d, ProtoDatabaseUpdate *out)
{
    if (server_sub_active(c))
        return server_sub_update(&s->scratch, c, d, out);
    memset(out, 0, sizeof *out);
    return ST_OK;
}

/* BOOK: call_status */
/* HostResult -> UpdateStatus (the table at the top of this file). */
static Status result_status(Server *s, const Client *c, const HostResult *res, ProtoStatus *out)
{
    memset(out, 0, sizeof *out);
    switch (res->outcome) {
    case HOST_COMMITTED:
        out->kind = PROTO_STATUS_COMMITTED;
        return delta_update(s, c, res->delta, &out->committed);
    case HOST_FAILED:
        out->kind = PROTO_STATUS_FAILED;
        out->text = proto_str(res->message);
        return ST_OK;
    case HOST_TRAPPED:
        out->kind = PROTO_STATUS_FAILED;
        out->text = proto_str(HOST_FATAL_MESSAGE);
        return ST_OK;
    case HOST_OUT_OF_ENERGY:
        out->kind = PROTO_STATUS_OUT_OF_ENERGY;
        return ST_OK;
    }
    return ST_INVALID;
}
/* BOOK-END: call_status */

/* SpacetimeDB's message-error path: nothing ran. */
static void send_not_run(Server *s, Client *c, const ProtoRequest *req, const char *why,
                         int64_t now)
{
    ProtoReply rep = {
        .kind = PROTO_REPLY_TRANSACTION_UPDATE,
        .status = { .kind = PROTO_STATUS_FAILED, .text = proto_str(why) },
        .timestamp_us = now,
        .identity = c->identity,
        .connection_id = c->conn_id,
        .reducer_call = { .reducer_name = req->reducer, .reducer_id = PROTO_NO_REDUCER_ID,
                          .args = proto_str("[]"), .request_id = 0 },
    };
    server_reply(s, c, &rep);
}

void server_call_reducer(Server *s, Client *c, const ProtoRequest *req)
{
    if (!c->db) {
        server_send_error(s, c, "CallReducer: no database selected; connect with "
                          "{\"Connect\":{\"database\":\"NAME\"}} first");
        return;
    }
    HostCaller hc = server_caller(c, server_now(s));
    const char *no = server_durable_refusal(c->db);
    if (no) {                     /* read-only: its commit log failed (chapter 27) */
        send_not_run(s, c, req, no, hc.timestamp);
        return;
    }
    HostResult res;
    Status st = module_call_json(c->db->hm, req->reducer.s, &hc, req->args.s, req->args.len, &res);
    if (st != ST_OK) {
        send_not_run(s, c, req, res.message, hc.timestamp);
        return;
    }
    /* Logged before anyone hears of it; not durable = not committed. */
    if (res.outcome == HOST_COMMITTED &&
        server_durable_commit(s, c->db, res.delta, hc.timestamp) != ST_OK) {
        res.outcome = HOST_FAILED;
        res.message = server_durable_refusal(c->db);
    }
    ProtoReply rep = {
        .kind = PROTO_REPLY_TRANSACTION_UPDATE,
        .timestamp_us = hc.timestamp,
        .identity = c->identity,
        .connection_id = c->conn_id,
        .reducer_call = { .reducer_name = req->reducer, .reducer_id = res.reducer_id,
                          .args = req->args, .request_id = req->request_id },
        .energy_quanta = res.fuel_used,
        .duration_us = res.duration_us > 0 ? (uint64_t)res.duration_us : 0,
    };
    bool notify = req->flags != PROTO_FLAG_NO_SUCCESS_NOTIFY;
    if (notify && result_status(s, c, &res, &rep.status) != ST_OK)
        server_send_error(s, c, "out of memory writing the update of %s", req->reducer.s);
    else if (notify)
        server_reply(s, c, &rep);
    /* Everyone else watching sees the commit; an untracked caller
     * (NoSuccessNotify) is just another subscriber (section 5.3). */
    if (res.outcome == HOST_COMMITTED)
        server_sub_broadcast(s, c->db, notify ? c : NULL, &rep, res.delta);
}
