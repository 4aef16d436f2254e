/*
 * module.h - a loaded SpacetimeDB module with its database: the host.
 *
 * module_load turns wasm bytes into a running database:
 *
 *   wasm bytes ─wasm_module_load─> WasmModule
 *     ─describe_instantiate(abi_bind)─> instance (imports linked, preinits run)
 *     ─__describe_module__─> RawModuleDef bytes ─moddef_decode─> ModuleDef
 *     ─db_create_table × N─> Db (tables in lexicographic order of name)
 *
 * and keeps the instance alive for the calls that follow.  Every call is
 * one transaction around one __call_reducer__ (module-abi.md §2.2, §2.3,
 * §7.1), classified like SpacetimeDB:
 *
 *   returns 0            COMMITTED   tx committed, delta reported
 *   returns 1            FAILED      rolled back; message = the Err text
 *   returns anything     FAILED      rolled back; "The instance encountered
 *     else                           a fatal error."
 *   traps                TRAPPED     rolled back; message = the trap (and the
 *                                    module's panic text); the instance is
 *                                    thrown away and a fresh one (preinit +
 *                                    describe again) serves the next call
 *   runs out of fuel     OUT_OF_ENERGY  the same, as SpacetimeDB's OutOfEnergy
 *
 * Limits per call (HostConfig): fuel, linear memory pages, wasm call
 * depth.  Hitting one fails that call only: a trap, with the usual
 * rollback and replacement.
 *
 * Arguments are checked against the reducer's parameter types before the
 * module sees them (bsatn_validate_exact): bad or trailing bytes never
 * reach it (module-abi.md, "Observed behaviour" 3 and 4).
 *
 * Lifecycle (§7.4): module_init runs the init reducer once for a new
 * database, as the owner; module_connect / module_disconnect run the
 * client_connected / client_disconnected reducers and keep the list of
 * connected clients (SpacetimeDB's st_client); a failed connect rejects
 * the client, a failed disconnect still forgets it.  Lifecycle reducers
 * cannot be called by name.  module_run_scheduled fires one row of a
 * scheduled table (§7.5).
 *
 * Identities are 32 bytes in BSATN order (little-endian u256, as in a
 * row); connection ids 16 bytes (LE u128, all zero = none).
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#ifndef TINYSTDB_HOST_MODULE_H
#define TINYSTDB_HOST_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../db/db.h"
#include "../db/tx.h"
#include "abi.h"
#include "logs.h"
#include "moddef.h"

#define HOST_DEFAULT_FUEL UINT64_C(2000000000)   /* instructions per call (a few seconds) */
#define HOST_DEFAULT_PAGES 4096                   /* 256 MiB of linear memory */
/* What SpacetimeDB tells a client whose reducer trapped (§2.3). */
#define HOST_FATAL_MESSAGE "The instance encountered a fatal error."

typedef struct HostConfig {
    uint64_t fuel;                /* per guest call (0: HOST_DEFAULT_FUEL) */
    uint32_t max_pages;           /* linear memory cap (0: HOST_DEFAULT_PAGES) */
    uint32_t max_call_depth;      /* wasm call depth (0: the engine's default) */
    size_t stack_cells;           /* operand stack (0: the engine's default) */
    uint8_t identity[32];         /* the database's identity: identity(), scheduled calls */
    uint8_t owner[32];            /* the owner: the sender of init */
    ModuleLogs *logs;             /* borrowed, may be NULL */
    AbiClockFn clock;             /* wall clock in micros (NULL: the real one) */
    void *clock_user;
    AbiScheduleFn on_schedule;    /* scheduled rows (may be NULL) */
    AbiImmediateFn on_immediate;  /* volatile_nonatomic_schedule_immediate (may be NULL) */
    void *sched_user;
    FILE *trace;                  /* print every import call (NULL: off) */
} HostConfig;

typedef struct HostCaller {
    uint8_t identity[32];         /* the sender, LE u256 */
    uint8_t connection_id[16];    /* LE u128; all zero: no connection */
    int64_t timestamp;            /* micros since the Unix epoch */
} HostCaller;

typedef enum HostOutcome {
    HOST_COMMITTED = 0,
    HOST_FAILED,
    HOST_TRAPPED,
    HOST_OUT_OF_ENERGY,
} HostOutcome;

typedef struct HostResult {
    HostOutcome outcome;
    uint32_t reducer_id;
    int32_t code;                 /* __call_reducer__'s return value, if it returned */
    const char *message;          /* never NULL; valid until the next call */
    const TxDelta *delta;         /* COMMITTED: the net changes; valid until the next call */
    uint64_t fuel_used;
    int64_t duration_us;          /* wall time of the guest call */
} HostResult;

/* What happens to a scheduled row after it fired (module_run_scheduled). */
typedef struct HostScheduled {
    bool repeat;                  /* Interval: fire again at `at` */
    int64_t at;
    bool deleted;                 /* Time: the row was deleted (in its own tx) */
    const TxDelta *cleanup;       /* that deletion's delta (NULL if none) */
} HostScheduled;

typedef struct HostModule HostModule;

/* Load, instantiate, describe, create the tables.  Does not run init.
 * Errors (one line in err): not wasm, an unknown or WASI import (named),
 * a missing export, a trap in preinit/describe (with the panic text), a
 * definition that does not decode or validate, a table the storage
 * engine refuses. */
Status module_load(const uint8_t *wasm, size_t len, const HostConfig *cfg, HostModule **out,
                   ModError *err);
void module_free(HostModule *hm);

const ModuleDef *module_def(const HostModule *hm);
Db *module_db(HostModule *hm);
/* Instances created so far: 1, plus one per replacement after a trap. */
uint32_t module_instances(const HostModule *hm);
/* The id of table `name`, or 0. */
uint32_t module_table_id(const HostModule *hm, const char *name);

/* Every call below returns ST_OK when the reducer ran (res->outcome says
 * how it ended) or a Status with res->message saying why nothing ran:
 * ST_NOT_FOUND (no such reducer / client / row), ST_INVALID (arguments
 * that do not match the parameters; a lifecycle reducer called by name),
 * ST_EXISTS (client already connected), or the error of a failed fresh
 * instance. */

/* The init reducer, once, for a new database: sender = owner, no
 * connection, no args.  Without an init reducer: COMMITTED, no changes. */
Status module_init(HostModule *hm, int64_t timestamp, HostResult *res);
/* A client's call of reducer `name` with BSATN args (the params product). */
Status module_call(HostModule *hm, const char *name, const HostCaller *c, const uint8_t *args,
                   size_t len, HostResult *res);
Status module_call_id(HostModule *hm, uint32_t id, const HostCaller *c, const uint8_t *args,
                      size_t len, HostResult *res);
/* The same with SATS-JSON args (a JSON array of the arguments, or an
 * object by parameter name), converted with the parameter types. */
Status module_call_json(HostModule *hm, const char *name, const HostCaller *c, const char *json,
                        size_t len, HostResult *res);
/* A client arrives / leaves (client_connected / client_disconnected). */
Status module_connect(HostModule *hm, const HostCaller *c, HostResult *res);
Status module_disconnect(HostModule *hm, const HostCaller *c, HostResult *res);
/* Is this (identity, connection id) connected? */
bool module_is_connected(const HostModule *hm, const HostCaller *c);
/* Fire row `schedule_id` of scheduled table `table_id`, due at `due`:
 * sender = the database, timestamp = max(due, now).  ST_NOT_FOUND when
 * the row is gone (nothing to do). */
Status module_run_scheduled(HostModule *hm, uint32_t table_id, uint64_t schedule_id, int64_t due,
                            HostResult *res, HostScheduled *next);

/* "committed", "failed", "trapped", "out of energy". */
const char *module_outcome_name(HostOutcome o);

/* Identities as text: big-endian hex, 64 digits (module-abi.md §2.2). */
void module_identity_hex(const uint8_t id[32], char out[65]);
/* 64 hex digits (an optional "0x" first) into LE bytes; false if malformed. */
bool module_identity_parse(const char *hex, uint8_t out[32]);

#endif
