/*
 * abi.c - what every import shares: reaching into the module's memory,
 * turning storage results into errno-or-trap, the per-call bookkeeping of
 * handles, and binding import names to their implementations.
 *
 * Memory access.  A pointer from the module is an offset into its linear
 * memory.  abi_mem turns (ptr, len) into a host pointer after two checks:
 * ptr 0 is NULL and traps even for len 0 (SpacetimeDB's rule, §1.1), and
 * the whole range must lie inside memory.  The host pointer is valid
 * until the memory grows, which cannot happen during a host call (only
 * the module's own memory.grow grows it), so an import may hold it for
 * its whole run.
 *
 * Errno or trap.  Storage functions report a DbError whose code is the
 * errno a module would get (dberror.h).  SpacetimeDB hands a fixed set
 * of them to the module (§1.2: 2 3 4 5 12 13 14 15, and 10 as
 * documented); any other failure (out of memory, a key too long for an
 * index) is a host error and traps, so abi_db_result decides in one place.
 *
 * Binding.  describe_instantiate asks abi_bind for each import; the
 * family files (abi_iter.c ...) each know their own names.  With
 * env->trace set, every import is wrapped to print its arguments and
 * result, the raw material of the call trace in chapter 16.
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#include "abi.h"

#include <string.h>
#include <time.h>

#include "../db/bsatn.h"
#include "../db/tx.h"
#include "../util/alloc.h"

void abi_env_init(AbiEnv *e)
{
    memset(e, 0, sizeof *e);
    strbuf_init(&e->sink);
    strbuf_init(&e->scratch);
}

void abi_env_fini(AbiEnv *e)
{
    abi_call_end(e);
    for (size_t i = 0; i < e->iters.len; i++)
        rowlist_fini(&e->iters.items[i].rows);
    vec_fini(&e->iters);
    vec_fini(&e->sources);
    vec_fini(&e->timers);
    strbuf_fini(&e->sink);
    strbuf_fini(&e->scratch);
}

/* ---- calls ------------------------------------------------------------------- */

void abi_call_begin(AbiEnv *e, const char *function, int64_t timestamp)
{
    abi_call_end(e);
    e->function = function;
    e->timestamp = timestamp;
    strbuf_clear(&e->sink);
    e->sink_open = true;
    e->panic[0] = '\0';
}

Status abi_source_new(AbiEnv *e, const uint8_t *p, size_t len, uint32_t *id)
{
    if (e->sources.len >= ABI_MAX_SOURCES)
        return ST_LIMIT;
    AbiSource src = { .bytes = p, .len = len, .pos = 0, .live = true };
    if (vec_push(&e->sources, src) != ST_OK)
        return ST_NOMEM;
    *id = (uint32_t)e->sources.len;   /* ids count up from 1 in every call */
    return ST_OK;
}

void abi_call_end(AbiEnv *e)
{
    abi_iter_close_all(e);
    abi_misc_close_timers(e);
    e->sources.len = 0;
    e->sink_open = false;
    /* A huge sink or scratch buffer is not kept around between calls. */
    if (e->sink.cap > (1u << 20) && e->sink.len == 0)
        strbuf_fini(&e->sink);
    if (e->scratch.cap > (1u << 20)) {
        strbuf_fini(&e->scratch);
        strbuf_init(&e->scratch);
    }
}

int64_t abi_now(const AbiEnv *e)
{
    if (e->clock)
        return e->clock(e->clock_user);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void abi_log(AbiEnv *e, ModLogLevel level, const char *target, const char *file, uint32_t line,
             const char *message)
{
    if (!e->logs)
        return;
    LogRecord r = { .ts = abi_now(e), .level = level, .target = target, .filename = file,
                    .line = line, .function = e->function, .message = message };
    (void)logs_append(e->logs, &r);   /* best effort: logging never stops a reducer */
}

bool abi_in_tx(const AbiEnv *e)
{
    return e->db && tx_is_open(e->db);
}

/* ---- memory ------------------------------------------------------------------ */

static WasmMemInst *memory(WasmStore *s, AbiEnv *e)
{
    return e->mem ? e->mem : describe_caller_memory(s);
}

Status abi_mem(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t len, uint8_t **out)
{
    if (ptr == 0)
        return wasm_trap(s, "%s: NULL pointer", fn);
    WasmMemInst *mem = memory(s, e);
    uint8_t *p = mem ? wasm_memory_ptr(mem, ptr, len) : NULL;
    if (!p)
        return wasm_trap(s, "%s: out of bounds memory access (%u bytes at %u)", fn, len, ptr);
    *out = p;
    return ST_OK;
}

Status abi_name(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t len,
                const char **out)
{
    uint8_t *p = NULL;
    Status st = abi_mem(s, e, fn, ptr, len, &p);
    if (st != ST_OK)
        return st;
    if (bsatn_utf8_prefix(p, len) != len)
        return wasm_trap(s, "%s: the name is not valid UTF-8", fn);
    *out = (const char *)p;
    return ST_OK;
}

Status abi_read_u32(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t *v)
{
    uint8_t *p = NULL;
    Status st = abi_mem(s, e, fn, ptr, 4, &p);
    if (st == ST_OK)
        *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return st;
}

Status abi_write_u32(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t v)
{
    uint8_t *p = NULL;
    Status st = abi_mem(s, e, fn, ptr, 4, &p);
    for (int i = 0; st == ST_OK && i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
    return st;
}

Status abi_write_u64(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint64_t v)
{
    uint8_t *p = NULL;
    Status st = abi_mem(s, e, fn, ptr, 8, &p);
    for (int i = 0; st == ST_OK && i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
    return st;
}

/* ---- results ------------------------------------------------------------------ */

Status abi_errno(WasmCell *results, int32_t code)
{
    results[0] = (uint32_t)code;   /* an i32 cell is zero-extended: -1 is 0xFFFFFFFF */
    return ST_OK;
}

/* The errors SpacetimeDB's err_to_errno hands to the module (§1.2). */
static bool is_module_errno(DbErrno code)
{
    switch (code) {
    case DBE_NOT_IN_TRANSACTION: case DBE_BSATN_DECODE_ERROR: case DBE_NO_SUCH_TABLE:
    case DBE_NO_SUCH_INDEX: case DBE_WRONG_INDEX_ALGO: case DBE_UNIQUE_ALREADY_EXISTS:
    case DBE_SCHEDULE_AT_DELAY_TOO_LONG: case DBE_INDEX_NOT_UNIQUE: case DBE_NO_SUCH_ROW:
        return true;
    default:
        return false;
    }
}

Status abi_db_result(WasmStore *s, const char *fn, WasmCell *results, Status st,
                     const DbError *err)
{
    if (st == ST_OK)
        return abi_errno(results, 0);
    if (is_module_errno(err->code))
        return abi_errno(results, (int32_t)err->code);
    return wasm_trap(s, "%s: %s", fn, err->msg[0] ? err->msg : status_str(st));
}

/* ---- binding ------------------------------------------------------------------- */

/* Print one import call: module::name(args) -> result, or the trap. */
static Status traced_call(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    AbiTraced *t = user;
    const HostImport *h = t->imp;
    FILE *out = t->env->trace;
    Status st = t->fn(s, t->env, args, results);
    fprintf(out, "  spacetime_10.%u::%s(", h->minor, h->name);
    for (uint32_t i = 0; i < h->nparams; i++)
        fprintf(out, "%s%lld", i ? ", " : "", h->params[i] == WASM_I64 ? (long long)args[i]
                                                  : (long long)(int32_t)(uint32_t)args[i]);
    if (st != ST_OK)
        fprintf(out, ") traps\n");
    else if (h->nresults)
        fprintf(out, ") -> %d\n", (int)(int32_t)(uint32_t)results[0]);
    else
        fprintf(out, ")\n");
    return st;
}

/* The implementation of import `name`, from whichever family has it. */
static WasmHostFn find_impl(const char *name)
{
    WasmHostFn fn;
    if ((fn = abi_iter_find(name)) || (fn = abi_index_find(name)) ||
        (fn = abi_write_find(name)) || (fn = abi_bytes_find(name)) || (fn = abi_misc_find(name)))
        return fn;
    return NULL;
}

void abi_bind(void *env, const HostImport *imp, WasmHostFn *fn, void **fn_user)
{
    AbiEnv *e = env;
    size_t n;
    const HostImport *all = describe_imports(&n);
    *fn = find_impl(imp->name);
    *fn_user = e;
    size_t idx = (size_t)(imp - all);
    if (*fn && e->trace && idx < ABI_MAX_IMPORTS) {
        e->traced[idx] = (AbiTraced){ imp, *fn, e };
        *fn = traced_call;
        *fn_user = &e->traced[idx];
    }
}
