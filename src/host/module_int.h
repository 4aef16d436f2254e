/*
 * module_int.h - the inside of a HostModule, shared by module.c (loading,
 * instances) and module_call.c (calls, lifecycle, schedules).
 *
 * Invariants:
 *   - def, db and def_bytes are set for the module's whole life; db's
 *     tables borrow def's typespace, so def is freed after db;
 *   - store, inst and call_reducer are all set (a live instance) or all
 *     NULL (the last one trapped; module_instance_ensure makes a new one);
 *   - env.mem is the live instance's memory, or NULL with it;
 *   - no transaction is open between calls.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#ifndef TINYSTDB_HOST_MODULE_INT_H
#define TINYSTDB_HOST_MODULE_INT_H

#include "module.h"

typedef struct HostClient {
    uint8_t identity[32];
    uint8_t connection_id[16];
} HostClient;

struct HostModule {
    HostConfig cfg;
    WasmModule *wasm;
    WasmStore *store;             /* the live instance's store (one instance each) */
    WasmInstance *inst;
    WasmFuncInst *call_reducer;
    AbiEnv env;
    ModuleDef *def;
    StrBuf def_bytes;             /* what the first instance described */
    Db *db;
    TxDelta delta;                /* the last commit's changes */
    TxDelta cleanup;              /* a scheduled row's deletion */
    StrBuf message;               /* the last result's message */
    StrBuf args;                  /* scratch: converted or copied arguments */
    RowList rows;                 /* scratch: a looked-up row */
    uint32_t instances;
    VEC(HostClient) clients;      /* connected clients (st_client) */
};

/* Make sure a live instance exists: instantiate, run the preinits,
 * __setup__, __describe_module__ (whose bytes must equal def_bytes once
 * those exist).  On failure the module has no instance and err says why. */
Status module_instance_ensure(HostModule *hm, ModError *err);
/* One transaction around one __call_reducer__ of r (module_call.c): no
 * lifecycle or argument checks (the callers did them); res is filled,
 * ST_OK when the reducer ran.  Does not touch hm->args. */
Status module_run(HostModule *hm, const ModReducer *r, const HostCaller *c, const uint8_t *args,
                  size_t len, HostResult *res);
/* Throw the instance away (after a trap: its memory may be corrupt). */
void module_instance_discard(HostModule *hm);

#endif
