/*
 * abi.h - the host side of the SpacetimeDB module ABI: the functions a
 * module imports from spacetime_10.0 ... spacetime_10.4 (module-abi.md §1).
 *
 * A module and its host share nothing but numbers.  Every argument is an
 * i32 or i64; anything bigger (a name, a row, a buffer to fill) travels
 * as a pointer + length into the module's linear memory, which the host
 * reads and writes directly:
 *
 *     module memory  [ ... "player" ... | row bytes | u32 len | ... ]
 *                          ^name_ptr      ^row_ptr    ^row_len_ptr
 *     datastore_insert_bsatn(table_id, row_ptr, row_len_ptr) -> errno
 *
 * Three kinds of answer (§1.1):
 *   - 0, success; out-parameters (u32/u64 written little-endian, possibly
 *     unaligned) are written ONLY on success, except BUFFER_TOO_SMALL,
 *     which writes the size needed;
 *   - an errno (dberror.h): one of a fixed set of expected failures the
 *     module can handle (no such table, unique violation, ...);
 *   - a trap, for everything else: a NULL pointer (even with length 0), a
 *     range outside memory, invalid UTF-8 in a name, a host error that
 *     SpacetimeDB does not map to an errno.  The reducer stops there and
 *     its transaction is rolled back.
 *
 * Handles: row iterators and console timers are slots numbered index+1
 * (0 is never valid) and reused once freed; bytes sources count up from 1
 * in every call; the only bytes sink is 1, open only during describe or
 * a reducer call.  Everything a call opened is closed by abi_call_end.
 *
 * One AbiEnv serves one module instance at a time: the owner (module.c)
 * sets db, logs, identity and the hooks, passes abi_bind to
 * describe_instantiate, sets mem once the instance exists, and brackets
 * every guest call with abi_call_begin / abi_call_end.  The imports are
 * split by family: abi_iter.c (names, counts, scans, iterators),
 * abi_index.c (index scans and deletes), abi_write.c (insert, update,
 * schedules), abi_bytes.c (sources, the sink, JWT), abi_misc.c (log,
 * timers, identity, immediate scheduling, procedure calls).
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#ifndef TINYSTDB_HOST_ABI_H
#define TINYSTDB_HOST_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../db/db.h"
#include "../db/rowlist.h"
#include "../util/vec.h"
#include "../wasm/wasm.h"
#include "describe.h"
#include "logs.h"

/* Bounds on what one call may hold open (a hostile module must not make
 * the host allocate without limit).  Exceeding one traps. */
#define ABI_MAX_ITERS 4096          /* live row iterators */
#define ABI_MAX_TIMERS 4096         /* live console timers */
#define ABI_MAX_SOURCES 65536       /* bytes sources created in one call */
#define ABI_MAX_SINK (64u << 20)    /* bytes written to the sink in one call */
/* §7.5: a schedule delay of 2^36 - 1 ms or more is SCHEDULE_AT_DELAY_TOO_LONG. */
#define ABI_MAX_SCHEDULE_DELAY_MS ((INT64_C(1) << 36) - 1)

typedef struct AbiIter {
    RowList rows;                 /* the result, materialised when the scan ran */
    size_t next;                  /* the first row not yet handed out */
    bool live;
} AbiIter;

typedef struct AbiSource {
    const uint8_t *bytes;         /* borrowed from the caller until abi_call_end */
    size_t len, pos;
    bool live;
} AbiSource;

typedef struct AbiTimer {
    char *name;
    int64_t start_ns;             /* CLOCK_MONOTONIC */
    bool live;
} AbiTimer;

/* The wall clock in micros since the Unix epoch (tests fix it). */
typedef int64_t (*AbiClockFn)(void *user);
/* A row of a scheduled table was inserted or updated: fire schedule id
 * `schedule_id` of table `table_id` at `at` (micros).  Registering the
 * same id again replaces the earlier time (§7.5). */
typedef void (*AbiScheduleFn)(void *user, uint32_t table_id, uint64_t schedule_id, int64_t at);
/* volatile_nonatomic_schedule_immediate: call `reducer` with BSATN args
 * soon, in its own transaction, even if this one rolls back. */
typedef void (*AbiImmediateFn)(void *user, const char *reducer, size_t name_len,
                               const uint8_t *args, size_t len);

/* One traced import: the real function behind the trace wrapper. */
typedef struct AbiTraced {
    const HostImport *imp;
    WasmHostFn fn;
    struct AbiEnv *env;
} AbiTraced;

#define ABI_MAX_IMPORTS 32

typedef struct AbiEnv {
    /* Set by the owner. */
    Db *db;
    ModuleLogs *logs;             /* may be NULL */
    uint8_t identity[32];         /* the database's identity, LE u256 (identity()) */
    AbiClockFn clock;             /* NULL: the real clock */
    void *clock_user;
    AbiScheduleFn on_schedule;    /* may be NULL */
    AbiImmediateFn on_immediate;  /* may be NULL: such calls are logged and dropped */
    void *sched_user;
    FILE *trace;                  /* non-NULL: print every import call (bind time) */
    WasmMemInst *mem;             /* the instance's "memory"; NULL: looked up per call */

    /* The running call. */
    const char *function;         /* reducer name for log records, or NULL */
    int64_t timestamp;            /* the reducer's timestamp (micros) */
    bool sink_open;
    StrBuf sink;
    VEC(AbiIter) iters;
    size_t live_iters;
    VEC(AbiSource) sources;
    VEC(AbiTimer) timers;
    size_t live_timers;
    StrBuf scratch;               /* write-back bytes, log text */
    char panic[256];              /* the last level-101 message of this call */
    AbiTraced traced[ABI_MAX_IMPORTS];
} AbiEnv;

void abi_env_init(AbiEnv *e);
void abi_env_fini(AbiEnv *e);

/* A DescribeBindFn (user = the AbiEnv): every import of describe.h's
 * table gets its implementation; with e->trace set, a tracing wrapper. */
void abi_bind(void *env, const HostImport *imp, WasmHostFn *fn, void **fn_user);

/* Start a guest call: no handles are open, the sink is empty and open,
 * log records name `function` (may be NULL). */
void abi_call_begin(AbiEnv *e, const char *function, int64_t timestamp);
/* A bytes source over p[0..len) (borrowed until abi_call_end); *id is
 * its handle.  ST_LIMIT after ABI_MAX_SOURCES in one call. */
Status abi_source_new(AbiEnv *e, const uint8_t *p, size_t len, uint32_t *id);
/* End the call: free every iterator, source and timer, close the sink
 * (its bytes stay readable in e->sink until the next abi_call_begin). */
void abi_call_end(AbiEnv *e);

/* The current wall-clock time (micros) by e->clock. */
int64_t abi_now(const AbiEnv *e);
/* Write a record to e->logs (if any) with the time and e->function. */
void abi_log(AbiEnv *e, ModLogLevel level, const char *target, const char *file, uint32_t line,
             const char *message);

/* ---- for the abi_*.c files ---------------------------------------------------------- */

/* Guest bytes [ptr, ptr+len): ST_OK, or a trap naming `fn` for a NULL
 * pointer (even when len is 0) or a range outside memory. */
Status abi_mem(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t len, uint8_t **out);
/* A strict UTF-8 name [ptr, ptr+len); invalid UTF-8 traps. */
Status abi_name(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t len,
                const char **out);
Status abi_read_u32(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t *v);
Status abi_write_u32(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t v);
Status abi_write_u64(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint64_t v);
/* results[0] = code (as an i32: -1 is 0xFFFFFFFF); returns ST_OK. */
Status abi_errno(WasmCell *results, int32_t code);
/* The answer for a storage result: 0 on ST_OK; err->code when SpacetimeDB
 * maps it to an errno (2 3 4 5 10 12 13 14 15); otherwise a trap with
 * err's message. */
Status abi_db_result(WasmStore *s, const char *fn, WasmCell *results, Status st,
                     const DbError *err);
/* Is a transaction open?  The datastore imports answer NOT_IN_TRANSACTION
 * (2) when not: during preinit, setup and describe. */
bool abi_in_tx(const AbiEnv *e);

/* The family tables: the implementation of `name`, or NULL. */
WasmHostFn abi_iter_find(const char *name);
WasmHostFn abi_index_find(const char *name);
WasmHostFn abi_write_find(const char *name);
WasmHostFn abi_bytes_find(const char *name);
WasmHostFn abi_misc_find(const char *name);
/* A fresh row iterator (abi_iter.c) whose rows the caller fills: its
 * handle and list; a trap past ABI_MAX_ITERS live ones. */
Status abi_iter_new(WasmStore *s, AbiEnv *e, const char *fn, uint32_t *handle, RowList **rows);
/* Free iterator `handle` (nothing happens if it is not live). */
void abi_iter_free(AbiEnv *e, uint32_t handle);
/* Free every live iterator (abi_iter.c); timers (abi_misc.c). */
void abi_iter_close_all(AbiEnv *e);
void abi_misc_close_timers(AbiEnv *e);

#endif
