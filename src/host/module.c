/*
 * module.c - loading a module and keeping a live instance of it
 * (module-abi.md §2.1, §7.4).
 *
 * One instance at a time, each in its own WasmStore: a store frees its
 * instances only all at once, so a trapped instance is thrown away by
 * freeing its store, and the next call builds a fresh one from the same
 * decoded WasmModule.  A fresh instance goes through the whole sequence
 * again: link, preinits in name order, __setup__, __describe_module__
 * (the Rust guest fills its reducer table there and refuses to do it
 * twice, so exactly once per instance).  Its definition must be
 * byte-identical to the first one's; anything else means the module is
 * not deterministic, and the host refuses to guess.
 *
 * Tables are created in lexicographic order of their names, as
 * SpacetimeDB assigns table ids in the transaction that creates them
 * (§7.4), so ids do not depend on the order of a module's preinits.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include "module_int.h"

#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"
#include "../util/hex.h"

/* ---- instances ------------------------------------------------------------------ */

void module_instance_discard(HostModule *hm)
{
    wasm_store_free(hm->store);
    hm->store = NULL;
    hm->inst = NULL;
    hm->call_reducer = NULL;
    hm->env.mem = NULL;
}

/* Append the module's panic message (if it logged one) to err. */
static void add_panic(const AbiEnv *e, ModError *err)
{
    size_t n = strlen(err->msg);
    if (e->panic[0] && n < sizeof err->msg) {
        int room = (int)(sizeof err->msg - n);   /* a cut message is fine */
        snprintf(err->msg + n, (size_t)room, " (the module panicked: %.*s)", room, e->panic);
    }
}

/* __setup__ (if any) and __describe_module__, with sink 1 open. */
static Status describe(HostModule *hm, ModError *err)
{
    bool present;
    int32_t result;
    abi_call_begin(&hm->env, NULL, 0);
    Status st = describe_call_setup(hm->store, hm->inst, &present, &result, err);
    if (st == ST_OK && present && result != 0)
        st = moddef_error(err, ST_INVALID, "__setup__ failed (returned %d): %.*s", result,
                          (int)(hm->env.sink.len > 200 ? 200 : hm->env.sink.len),
                          hm->env.sink.data ? hm->env.sink.data : "");
    if (st == ST_OK) {
        strbuf_clear(&hm->env.sink);
        st = describe_call_describe(hm->store, hm->inst, err);
    }
    abi_call_end(&hm->env);
    if (st != ST_OK)
        add_panic(&hm->env, err);
    return st;
}

/* The first instance keeps its definition; later ones must repeat it. */
static Status keep_def(HostModule *hm, ModError *err)
{
    const StrBuf *got = &hm->env.sink;
    if (hm->instances > 1) {
        if (got->len != hm->def_bytes.len || memcmp(got->data, hm->def_bytes.data, got->len) != 0)
            return moddef_error(err, ST_INVALID, "a fresh instance described a different module "
                                "(%zu bytes, first %zu): the module is not deterministic",
                                got->len, hm->def_bytes.len);
        return ST_OK;
    }
    if (strbuf_append(&hm->def_bytes, got->data ? got->data : "", got->len) != ST_OK)
        return moddef_error(err, ST_NOMEM, "out of memory");
    static const uint8_t empty[1];
    return moddef_decode(got->len ? (const uint8_t *)got->data : empty, got->len, &hm->def, err);
}

Status module_instance_ensure(HostModule *hm, ModError *err)
{
    if (hm->inst)
        return ST_OK;
    WasmStoreConfig sc = { .stack_cells = hm->cfg.stack_cells,
                           .max_call_depth = hm->cfg.max_call_depth,
                           .max_memory_pages = hm->cfg.max_pages };
    if (!(hm->store = wasm_store_new(&sc)))
        return moddef_error(err, ST_NOMEM, "out of memory");
    wasm_store_set_fuel(hm->store, hm->cfg.fuel);   /* preinits + setup + describe */
    hm->env.function = NULL;                        /* log records of no reducer */
    hm->env.panic[0] = '\0';
    hm->instances++;
    WasmExtern ext;
    Status st = describe_instantiate(hm->store, hm->wasm, abi_bind, &hm->env, &hm->inst, err);
    if (st != ST_OK) {
        add_panic(&hm->env, err);
        goto fail;
    }
    if (wasm_instance_export(hm->inst, "memory", &ext) == ST_OK)
        hm->env.mem = ext.u.memory;
    if ((st = describe(hm, err)) != ST_OK || (st = keep_def(hm, err)) != ST_OK)
        goto fail;
    if (wasm_instance_export(hm->inst, "__call_reducer__", &ext) != ST_OK) {
        st = moddef_error(err, ST_LINK, "the module does not export __call_reducer__");
        goto fail;
    }
    hm->call_reducer = ext.u.func;
    return ST_OK;
fail:
    module_instance_discard(hm);
    return st;
}

/* ---- loading ---------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const ModTable *const *)a)->name, (*(const ModTable *const *)b)->name);
}

static Status create_tables(HostModule *hm, ModError *err)
{
    const ModTable **order = mem_alloc_array(hm->def->ntables + 1, sizeof *order);
    if (!order)
        return moddef_error(err, ST_NOMEM, "out of memory");
    for (uint32_t i = 0; i < hm->def->ntables; i++)
        order[i] = &hm->def->tables[i];
    qsort(order, hm->def->ntables, sizeof *order, by_name);
    Status st = ST_OK;
    for (uint32_t i = 0; i < hm->def->ntables && st == ST_OK; i++) {
        DbError dberr;
        if ((st = db_create_table(hm->db, &order[i]->schema, NULL, &dberr)) != ST_OK)
            moddef_error(err, st, "table %s: %s", order[i]->name, dberr.msg);
    }
    mem_free(order);
    return st;
}

static void apply_defaults(HostConfig *c)
{
    if (!c->fuel)
        c->fuel = HOST_DEFAULT_FUEL;
    if (!c->max_pages)
        c->max_pages = HOST_DEFAULT_PAGES;
}

static void env_from_config(AbiEnv *e, const HostConfig *c)
{
    memcpy(e->identity, c->identity, sizeof e->identity);
    e->logs = c->logs;
    e->clock = c->clock;
    e->clock_user = c->clock_user;
    e->on_schedule = c->on_schedule;
    e->on_immediate = c->on_immediate;
    e->sched_user = c->sched_user;
    e->trace = c->trace;
}

Status module_load(const uint8_t *wasm, size_t len, const HostConfig *cfg, HostModule **out,
                   ModError *err)
{
    *out = NULL;
    HostModule *hm = mem_calloc(1, sizeof *hm);
    if (!hm)
        return moddef_error(err, ST_NOMEM, "out of memory");
    hm->cfg = *cfg;
    apply_defaults(&hm->cfg);
    abi_env_init(&hm->env);
    env_from_config(&hm->env, &hm->cfg);
    strbuf_init(&hm->def_bytes);
    strbuf_init(&hm->message);
    strbuf_init(&hm->args);
    rowlist_init(&hm->rows);
    tx_delta_init(&hm->delta);
    tx_delta_init(&hm->cleanup);
    WasmError werr = {0};
    Status st = wasm_module_load(wasm, len, &hm->wasm, &werr);
    if (st != ST_OK) {
        moddef_error(err, st, "not a valid WebAssembly module: %s", werr.msg);
        goto fail;
    }
    if ((st = module_instance_ensure(hm, err)) != ST_OK)
        goto fail;
    if ((st = db_new(&hm->db)) != ST_OK) {
        moddef_error(err, st, "out of memory");
        goto fail;
    }
    if ((st = create_tables(hm, err)) != ST_OK)
        goto fail;
    hm->env.db = hm->db;
    *out = hm;
    return ST_OK;
fail:
    module_free(hm);
    return st;
}

void module_free(HostModule *hm)
{
    if (!hm)
        return;
    module_instance_discard(hm);
    abi_env_fini(&hm->env);
    if (hm->db && tx_is_open(hm->db))
        tx_rollback(hm->db);
    db_free(hm->db);
    moddef_free(hm->def);     /* after the tables, which borrow its typespace */
    wasm_module_free(hm->wasm);
    strbuf_fini(&hm->def_bytes);
    strbuf_fini(&hm->message);
    strbuf_fini(&hm->args);
    rowlist_fini(&hm->rows);
    tx_delta_fini(&hm->delta);
    tx_delta_fini(&hm->cleanup);
    vec_fini(&hm->clients);
    mem_free(hm);
}

/* ---- accessors ---------------------------------------------------------------------- */

const ModuleDef *module_def(const HostModule *hm)
{
    return hm->def;
}

Db *module_db(HostModule *hm)
{
    return hm->db;
}

uint32_t module_instances(const HostModule *hm)
{
    return hm->instances;
}

uint32_t module_table_id(const HostModule *hm, const char *name)
{
    uint32_t id;
    return db_table_id_from_name(hm->db, name, strlen(name), &id, NULL) == ST_OK ? id : 0;
}

const char *module_outcome_name(HostOutcome o)
{
    static const char *const names[] = { "committed", "failed", "trapped", "out of energy" };
    return (unsigned)o < 4 ? names[o] : "?";
}

/* ---- identities as text --------------------------------------------------------------- */

void module_identity_hex(const uint8_t id[32], char out[65])
{
    hex_encode(id, 32, true, out);   /* big-endian text of a little-endian number */
}

bool module_identity_parse(const char *hex, uint8_t out[32])
{
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    if (strlen(hex) != 64)
        return false;
    return hex_decode(hex, 32, true, out, NULL);
}
