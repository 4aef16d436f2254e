/*
 * module_call.c - calling a reducer: the transaction around the call, the
 * arguments, the outcome (module-abi.md §2.2, §2.3, §7).
 *
 *   module_call("register_player", caller, args)
 *     look the reducer up; refuse lifecycle reducers and bad arguments
 *     make sure an instance is alive (a fresh one after a trap)
 *     tx_begin
 *     abi_call_begin: sink 1 open, args as bytes source 1 (0 when empty)
 *     __call_reducer__(id, sender_0..3, conn_id_0..1, timestamp, source, 1)
 *     abi_call_end: every iterator, source and timer closed
 *     0 -> tx_commit (delta)    1 -> rollback, Err text from the sink
 *     other -> rollback         trap -> rollback, discard the instance
 *
 * The sender and connection id are 32- and 16-byte little-endian numbers
 * passed as four and two i64 words, least significant first: sender_0 is
 * bytes 0..8 of the identity as it appears in a row.
 *
 * The lifecycle reducers are called only from here, with their fixed
 * callers: init by the owner, connect/disconnect by the client, scheduled
 * reducers by the database itself with the row as the argument.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include "module_int.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "../db/bsatn.h"
#include "sats_json.h"

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void reset(HostModule *hm, HostResult *res)
{
    strbuf_clear(&hm->message);
    *res = (HostResult){ .outcome = HOST_FAILED, .message = "", .reducer_id = UINT32_MAX };
}

/* Set res->message from a format. */
static void say(HostModule *hm, HostResult *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(HostModule *hm, HostResult *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_clear(&hm->message);
    (void)strbuf_vprintf(&hm->message, fmt, ap);
    va_end(ap);
    res->message = hm->message.data ? hm->message.data : "";
}

/* A module log record at `level` on behalf of `function`. */
static void host_log(HostModule *hm, ModLogLevel level, const char *function, const char *msg)
{
    const char *saved = hm->env.function;
    hm->env.function = function;
    abi_log(&hm->env, level, NULL, NULL, LOGS_NO_LINE, msg);
    hm->env.function = saved;
}

/* ---- the outcome -------------------------------------------------------------------- */

static void returned(HostModule *hm, const ModReducer *r, int32_t code, HostResult *res)
{
    DbError dberr;
    res->code = code;
    if (code == 0) {
        if (tx_commit(hm->db, &hm->delta, &dberr) == ST_OK) {
            res->outcome = HOST_COMMITTED;
            res->delta = &hm->delta;
            return;
        }
        tx_rollback(hm->db);
        say(hm, res, "the transaction could not be committed: %s", dberr.msg);
        return;
    }
    tx_rollback(hm->db);
    if (code == 1) {        /* Err(message): the text is in the sink, lossy UTF-8 */
        strbuf_clear(&hm->message);
        (void)logs_lossy_utf8(&hm->message, (const uint8_t *)hm->env.sink.data, hm->env.sink.len);
        res->message = hm->message.data ? hm->message.data : "";
    } else {
        say(hm, res, "%s", HOST_FATAL_MESSAGE);
        char note[96];
        snprintf(note, sizeof note, "__call_reducer__ returned the unknown code %d", (int)code);
        host_log(hm, MODLOG_ERROR, r->name, note);
    }
    host_log(hm, MODLOG_ERROR, r->name, res->message);
}

static void trapped(HostModule *hm, const ModReducer *r, const WasmError *werr, HostResult *res)
{
    tx_rollback(hm->db);
    if (strncmp(werr->msg, "out of fuel", 11) == 0) {
        res->outcome = HOST_OUT_OF_ENERGY;
        res->fuel_used = hm->cfg.fuel;
        say(hm, res, "out of energy: the reducer used up its budget of %llu fuel",
            (unsigned long long)hm->cfg.fuel);
    } else {
        res->outcome = HOST_TRAPPED;
        if (hm->env.panic[0])
            say(hm, res, "%s (the module panicked: %s)", werr->msg, hm->env.panic);
        else
            say(hm, res, "%s", werr->msg);
    }
    host_log(hm, MODLOG_ERROR, r->name, res->message);
    module_instance_discard(hm);    /* its memory may be half-updated */
}

Status module_run(HostModule *hm, const ModReducer *r, const HostCaller *c, const uint8_t *args,
                  size_t len, HostResult *res)
{
    ModError merr;
    DbError dberr;
    res->reducer_id = r->id;
    Status st = module_instance_ensure(hm, &merr);
    if (st != ST_OK) {
        say(hm, res, "no instance to run %s: %s", r->name, merr.msg);
        return st;
    }
    if ((st = tx_begin(hm->db, &dberr)) != ST_OK) {
        say(hm, res, "%s", dberr.msg);
        return st;
    }
    abi_call_begin(&hm->env, r->name, c->timestamp);
    uint32_t source = 0;            /* empty arguments: no source, handle 0 */
    if (len && (st = abi_source_new(&hm->env, args, len, &source)) != ST_OK) {
        abi_call_end(&hm->env);
        tx_rollback(hm->db);
        say(hm, res, "out of memory");
        return st;
    }
    const uint8_t *id = c->identity, *conn = c->connection_id;
    WasmCell in[10] = { r->id, le64(id), le64(id + 8), le64(id + 16), le64(id + 24), le64(conn),
                        le64(conn + 8), (uint64_t)c->timestamp, source, 1 };
    WasmCell out[1] = { 0 };
    WasmError werr = { 0 };
    wasm_store_set_fuel(hm->store, hm->cfg.fuel);
    int64_t start = monotonic_us();
    st = wasm_call(hm->store, hm->call_reducer, in, out, &werr);
    res->duration_us = monotonic_us() - start;
    res->fuel_used = hm->cfg.fuel - wasm_store_fuel(hm->store);
    abi_call_end(&hm->env);
    if (st == ST_OK)
        returned(hm, r, (int32_t)(uint32_t)out[0], res);
    else
        trapped(hm, r, &werr, res);
    return ST_OK;
}

/* ---- calls by clients ------------------------------------------------------------------ */

static const char *lifecycle_label(ModLifecycle lc)
{
    return lc == MOD_LIFECYCLE_INIT ? "Init"
         : lc == MOD_LIFECYCLE_CLIENT_CONNECTED ? "OnConnect" : "OnDisconnect";
}

/* The reducer a client may call by id, or a refusal. */
static Status callable(HostModule *hm, uint32_t id, const char *name, HostResult *res,
                       const ModReducer **out)
{
    if (id >= hm->def->nreducers) {
        char note[256];
        snprintf(note, sizeof note, "External attempt to call nonexistent reducer \"%.80s\" "
                 "failed. Have you run `spacetime generate` recently?", name);
        host_log(hm, MODLOG_ERROR, NULL, note);
        say(hm, res, "no such reducer");
        return ST_NOT_FOUND;
    }
    const ModReducer *r = &hm->def->reducers[id];
    res->reducer_id = id;
    if (r->lifecycle != MOD_LIFECYCLE_NONE) {
        say(hm, res, "can't directly call special %s lifecycle reducer",
            lifecycle_label(r->lifecycle));
        return ST_INVALID;
    }
    *out = r;
    return ST_OK;
}

static Status check_args(HostModule *hm, const ModReducer *r, const uint8_t *args, size_t len,
                         HostResult *res)
{
    static const uint8_t none[1];
    DbError dberr;
    if (bsatn_validate_exact(&hm->def->ts, r->params, len ? args : none, len, &dberr) == ST_OK)
        return ST_OK;
    say(hm, res, "invalid arguments for reducer %s: %s", r->name, dberr.msg);
    host_log(hm, MODLOG_ERROR, r->name, res->message);
    return ST_INVALID;
}

Status module_call_id(HostModule *hm, uint32_t id, const HostCaller *c, const uint8_t *args,
                      size_t len, HostResult *res)
{
    const ModReducer *r = NULL;
    reset(hm, res);
    char name[16];
    snprintf(name, sizeof name, "#%u", id);
    Status st = callable(hm, id, name, res, &r);
    if (st != ST_OK || (st = check_args(hm, r, args, len, res)) != ST_OK)
        return st;
    return module_run(hm, r, c, args, len, res);
}

Status module_call(HostModule *hm, const char *name, const HostCaller *c, const uint8_t *args,
                   size_t len, HostResult *res)
{
    const ModReducer *r = moddef_find_reducer(hm->def, name), *ok = NULL;
    reset(hm, res);
    Status st = callable(hm, r ? r->id : UINT32_MAX, name, res, &ok);
    if (st != ST_OK || (st = check_args(hm, ok, args, len, res)) != ST_OK)
        return st;
    return module_run(hm, ok, c, args, len, res);
}

Status module_call_json(HostModule *hm, const char *name, const HostCaller *c, const char *json,
                        size_t len, HostResult *res)
{
    const ModReducer *r = moddef_find_reducer(hm->def, name), *ok = NULL;
    DbError dberr;
    reset(hm, res);
    Status st = callable(hm, r ? r->id : UINT32_MAX, name, res, &ok);
    if (st != ST_OK)
        return st;
    strbuf_clear(&hm->args);
    if ((st = sats_json_args_to_bsatn(&hm->def->ts, ok->params, json, len, &hm->args,
                                      &dberr)) != ST_OK) {
        say(hm, res, "invalid arguments for reducer %s: %s", name, dberr.msg);
        host_log(hm, MODLOG_ERROR, name, res->message);
        return ST_INVALID;
    }
    if ((st = check_args(hm, ok, (const uint8_t *)hm->args.data, hm->args.len, res)) != ST_OK)
        return st;
    return module_run(hm, ok, c, (const uint8_t *)hm->args.data, hm->args.len, res);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static const ModReducer *lifecycle_reducer(const HostModule *hm, ModLifecycle lc)
{
    for (uint32_t i = 0; i < hm->def->nreducers; i++)
        if (hm->def->reducers[i].lifecycle == lc)
            return &hm->def->reducers[i];
    return NULL;
}

/* A lifecycle event without a reducer: committed, nothing changed. */
static Status nothing_to_run(HostModule *hm, HostResult *res)
{
    tx_delta_clear(&hm->delta);
    res->outcome = HOST_COMMITTED;
    res->code = 0;
    res->delta = &hm->delta;
    return ST_OK;
}

Status module_init(HostModule *hm, int64_t timestamp, HostResult *res)
{
    reset(hm, res);
    const ModReducer *r = lifecycle_reducer(hm, MOD_LIFECYCLE_INIT);
    if (!r)
        return nothing_to_run(hm, res);
    HostCaller owner = { .timestamp = timestamp };
    memcpy(owner.identity, hm->cfg.owner, 32);
    return module_run(hm, r, &owner, NULL, 0, res);
}

static long find_client(const HostModule *hm, const HostCaller *c)
{
    for (size_t i = 0; i < hm->clients.len; i++)
        if (memcmp(hm->clients.items[i].identity, c->identity, 32) == 0 &&
            memcmp(hm->clients.items[i].connection_id, c->connection_id, 16) == 0)
            return (long)i;
    return -1;
}

bool module_is_connected(const HostModule *hm, const HostCaller *c)
{
    return find_client(hm, c) >= 0;
}

Status module_connect(HostModule *hm, const HostCaller *c, HostResult *res)
{
    reset(hm, res);
    if (find_client(hm, c) >= 0) {
        say(hm, res, "this client is already connected");
        return ST_EXISTS;
    }
    HostClient client;
    memcpy(client.identity, c->identity, 32);
    memcpy(client.connection_id, c->connection_id, 16);
    const ModReducer *r = lifecycle_reducer(hm, MOD_LIFECYCLE_CLIENT_CONNECTED);
    Status st = r ? module_run(hm, r, c, NULL, 0, res) : nothing_to_run(hm, res);
    if (st != ST_OK || res->outcome != HOST_COMMITTED)
        return st;                      /* rejected: the client is not connected */
    if (vec_push(&hm->clients, client) != ST_OK) {
        say(hm, res, "out of memory");
        return ST_NOMEM;
    }
    return ST_OK;
}

Status module_disconnect(HostModule *hm, const HostCaller *c, HostResult *res)
{
    reset(hm, res);
    long at = find_client(hm, c);
    if (at < 0) {
        say(hm, res, "this client is not connected");
        return ST_NOT_FOUND;
    }
    const ModReducer *r = lifecycle_reducer(hm, MOD_LIFECYCLE_CLIENT_DISCONNECTED);
    Status st = r ? module_run(hm, r, c, NULL, 0, res) : nothing_to_run(hm, res);
    /* A disconnect cannot be refused: the client goes whatever the reducer did. */
    hm->clients.items[at] = hm->clients.items[hm->clients.len - 1];
    hm->clients.len--;
    return st;
}
