/*
 * describe_run.c - instantiating a module, running its preinit and
 * describe exports, and the offline describe path (module-abi.md §2.1).
 *
 * Linking: wasm_instantiate asks us for each import; we look it up in the
 * host's table (describe.c), ask the caller's bind function for an
 * implementation and wrap it as a host function of the import's exact
 * type.  What bind does not supply becomes a stub that traps naming the
 * import, so a module that calls, say, datastore_insert_bsatn while
 * describing stops with a message that says so.
 *
 * Order matters (§2.1): preinit exports run in ascending bytewise order
 * of their full names, because that order decides the order of the
 * module's tables and reducers in its definition, and so the reducer ids
 * (the Rust module's `init` is reducer 3 in name order, 0 in export
 * order).  Then __setup__ if present, then __describe_module__ exactly
 * once: the Rust guest fills its reducer table inside it and panics if
 * asked twice.
 *
 * The offline imports (describe_wasm) implement just two functions:
 *   bytes_sink_write(sink, ptr, len_ptr): sink 1 is the only sink and is
 *     open only around setup/describe (else errno 8, NO_SUCH_BYTES); a
 *     NULL or out-of-bounds pointer traps; all *len_ptr bytes are taken;
 *   console_log(level, target, target_len, file, file_len, line, msg,
 *     msg_len): one line into the caller's log; never traps, bad memory
 *     drops the message.  A panic (level 101) is remembered so that the
 *     trap that follows can be explained.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "describe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"

/* ---- linking -------------------------------------------------------------- */

typedef struct Linker {
    WasmStore *s;
    DescribeBindFn bind;
    void *user;
} Linker;

static Status trap_stub(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    const HostImport *h = user;
    (void)args;
    (void)results;
    return wasm_trap(s, "spacetime_10.%u::%s is not available while describing the module",
                     h->minor, h->name);
}

static Status resolve(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    Linker *l = user;
    const HostImport *h = describe_find_import(imp->module.s, imp->module.len, imp->name.s,
                                               imp->name.len);
    if (!h)   /* describe_check_imports ran first, so this is only a safety net */
        return wasm_error(err, ST_LINK, -1, "unknown import: \"%s\" \"%s\"", imp->module.s,
                          imp->name.s);
    WasmHostFn fn = NULL;
    void *fn_user = NULL;
    if (l->bind)
        l->bind(l->user, h, &fn, &fn_user);
    if (!fn) {
        fn = trap_stub;
        fn_user = (void *)h;
    }
    WasmFuncInst *f = wasm_host_func_new(l->s, h->params, h->nparams, &h->result, h->nresults,
                                         fn, fn_user);
    if (!f)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    out->kind = WASM_EXTERN_FUNC;
    out->u.func = f;
    return ST_OK;
}

/* ---- calling exports ------------------------------------------------------ */

static Status call_export(WasmStore *s, WasmInstance *inst, const char *name, size_t len,
                          const WasmCell *args, WasmCell *results, ModError *err)
{
    WasmExtern ext;
    if (wasm_instance_export_n(inst, name, len, &ext) != ST_OK || ext.kind != WASM_EXTERN_FUNC)
        return moddef_error(err, ST_LINK, "the module does not export %.*s", (int)len, name);
    WasmError werr = {0};
    Status st = wasm_call(s, ext.u.func, args, results, &werr);
    if (st != ST_OK)
        return moddef_error(err, st, "%.*s %s: %s", (int)len, name,
                            st == ST_TRAP ? "trapped" : "failed", werr.msg);
    return ST_OK;
}

/* Bytewise order of the full names, shorter first on a common prefix. */
static int cmp_names(const void *a, const void *b)
{
    const WasmName *x = &(*(const WasmExport *const *)a)->name;
    const WasmName *y = &(*(const WasmExport *const *)b)->name;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static Status run_preinits(WasmStore *s, WasmInstance *inst, ModError *err)
{
    const WasmModule *m = wasm_instance_module(inst);
    const WasmExport **list = mem_alloc_array(m->nexports + 1, sizeof *list);
    if (!list)
        return moddef_error(err, ST_NOMEM, "out of memory");
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].name.len >= 11 && memcmp(m->exports[i].name.s, "__preinit__", 11) == 0)
            list[n++] = &m->exports[i];
    qsort(list, n, sizeof *list, cmp_names);
    Status st = ST_OK;
    for (uint32_t i = 0; i < n && st == ST_OK; i++)
        st = call_export(s, inst, list[i]->name.s, list[i]->name.len, NULL, NULL, err);
    mem_free(list);
    return st;
}

Status describe_instantiate(WasmStore *s, const WasmModule *m, DescribeBindFn bind, void *user,
                            WasmInstance **out, ModError *err)
{
    Status st;
    if ((st = describe_check_imports(m, NULL, err)) != ST_OK ||
        (st = describe_check_exports(m, err)) != ST_OK)
        return st;
    Linker l = { s, bind, user };
    WasmError werr = {0};
    WasmInstance *inst = NULL;
    if ((st = wasm_instantiate(s, m, resolve, &l, &inst, &werr)) != ST_OK)
        return moddef_error(err, st, "instantiating the module failed: %s", werr.msg);
    if ((st = run_preinits(s, inst, err)) != ST_OK)
        return st;
    *out = inst;
    return ST_OK;
}

Status describe_call_setup(WasmStore *s, WasmInstance *inst, bool *present, int32_t *result,
                           ModError *err)
{
    WasmExtern ext;
    *present = wasm_instance_export(inst, "__setup__", &ext) == ST_OK;
    *result = 0;
    if (!*present)
        return ST_OK;
    WasmCell args[1] = { 1 }, res[1] = { 0 };
    Status st = call_export(s, inst, "__setup__", 9, args, res, err);
    *result = (int32_t)(uint32_t)res[0];
    return st;
}

Status describe_call_describe(WasmStore *s, WasmInstance *inst, ModError *err)
{
    WasmCell args[1] = { 1 };   /* the sink id */
    return call_export(s, inst, "__describe_module__", 19, args, NULL, err);
}

WasmMemInst *describe_caller_memory(WasmStore *s)
{
    WasmInstance *inst = wasm_store_caller(s);
    WasmExtern ext;
    if (!inst || wasm_instance_export(inst, "memory", &ext) != ST_OK ||
        ext.kind != WASM_EXTERN_MEMORY)
        return NULL;
    return ext.u.memory;
}

/* ---- the offline imports ------------------------------------------------------ */

typedef struct DescribeCtx {
    StrBuf sink;
    bool sink_open;
    size_t max_bytes;
    StrBuf *log;
    char panic[160];            /* the last panic message, for the trap's error */
} DescribeCtx;

static Status sink_write(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    DescribeCtx *c = user;
    uint32_t sink = (uint32_t)args[0], ptr = (uint32_t)args[1], len_ptr = (uint32_t)args[2];
    if (sink != 1 || !c->sink_open) {
        results[0] = 8;   /* NO_SUCH_BYTES */
        return ST_OK;
    }
    WasmMemInst *mem = describe_caller_memory(s);
    uint8_t lenb[4];
    if (!mem || ptr == 0 || len_ptr == 0)
        return wasm_trap(s, "bytes_sink_write: NULL pointer");
    if (wasm_memory_read(mem, len_ptr, lenb, 4) != ST_OK)
        return wasm_trap(s, "bytes_sink_write: out of bounds memory access");
    uint32_t len = (uint32_t)lenb[0] | (uint32_t)lenb[1] << 8 | (uint32_t)lenb[2] << 16 |
                   (uint32_t)lenb[3] << 24;
    const uint8_t *p = wasm_memory_ptr(mem, ptr, len);
    if (!p)
        return wasm_trap(s, "bytes_sink_write: out of bounds memory access");
    if (len > c->max_bytes - c->sink.len)
        return wasm_trap(s, "the module definition is larger than %zu bytes", c->max_bytes);
    if (strbuf_append(&c->sink, p, len) != ST_OK)
        return wasm_trap(s, "bytes_sink_write: out of memory");
    results[0] = 0;
    return ST_OK;
}

static const char *level_name(uint32_t level)
{
    static const char *const names[] = { "error", "warn", "info", "debug", "trace" };
    level &= 0xFF;
    return level == 101 ? "panic" : level < 5 ? names[level] : "debug";
}

/* Guest bytes [ptr, ptr+len) or NULL (NULL pointer, out of bounds). */
static const char *guest_str(WasmMemInst *mem, uint32_t ptr, uint32_t len)
{
    return ptr && mem ? (const char *)wasm_memory_ptr(mem, ptr, len) : NULL;
}

static Status console_log(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    DescribeCtx *c = user;
    (void)results;
    WasmMemInst *mem = describe_caller_memory(s);
    uint32_t a[8];
    for (int i = 0; i < 8; i++)
        a[i] = (uint32_t)args[i];
    const char *target = guest_str(mem, a[1], a[2]), *file = guest_str(mem, a[3], a[4]);
    const char *msg = guest_str(mem, a[6], a[7]);
    if (!msg)
        return ST_OK;   /* never trap: a bad message is dropped */
    if ((a[0] & 0xFF) == 101)
        snprintf(c->panic, sizeof c->panic, "%.*s", (int)(a[7] < 159 ? a[7] : 159), msg);
    if (!c->log)
        return ST_OK;
    /* Appending may fail for lack of memory; the log is best effort. */
    strbuf_printf(c->log, "%s", level_name(a[0]));
    if (target)
        strbuf_printf(c->log, " %.*s", (int)(a[2] > 200 ? 200 : a[2]), target);
    if (file)
        strbuf_printf(c->log, " %.*s", (int)(a[4] > 200 ? 200 : a[4]), file);
    if (file && a[5] != 0xFFFFFFFFu)
        strbuf_printf(c->log, ":%u", a[5]);
    strbuf_printf(c->log, ": %.*s\n", (int)(a[7] > 4096 ? 4096 : a[7]), msg);
    return ST_OK;
}

static void bind_offline(void *user, const HostImport *h, WasmHostFn *fn, void **fn_user)
{
    if (h->minor == 0 && strcmp(h->name, "bytes_sink_write") == 0)
        *fn = sink_write;
    else if (h->minor == 0 && strcmp(h->name, "console_log") == 0)
        *fn = console_log;
    *fn_user = user;
}

/* ---- the offline path ------------------------------------------------------------ */

/* Instantiate, preinit, setup, describe: the definition's bytes end up in c->sink. */
static Status collect_def(WasmStore *s, const WasmModule *m, DescribeCtx *c, ModError *err)
{
    WasmInstance *inst;
    Status st = describe_instantiate(s, m, bind_offline, c, &inst, err);
    if (st != ST_OK)
        return st;
    bool present;
    int32_t result;
    c->sink_open = true;
    if ((st = describe_call_setup(s, inst, &present, &result, err)) != ST_OK)
        return st;
    if (present && result != 0)
        return moddef_error(err, ST_INVALID, "__setup__ failed (returned %d): %.200s", result,
                            c->sink.data ? c->sink.data : "");
    strbuf_clear(&c->sink);
    st = describe_call_describe(s, inst, err);
    c->sink_open = false;
    return st;
}

Status describe_wasm(const uint8_t *wasm, size_t len, const DescribeOptions *opt,
                     ModuleDef **out, ModError *err)
{
    DescribeOptions o = opt ? *opt : (DescribeOptions){0};
    DescribeCtx c = { .max_bytes = o.max_def_bytes ? o.max_def_bytes : 16u << 20, .log = o.log };
    strbuf_init(&c.sink);
    *out = NULL;
    WasmModule *m = NULL;
    WasmStore *s = NULL;
    WasmError werr = {0};
    Status st = wasm_module_load(wasm, len, &m, &werr);
    if (st != ST_OK) {
        st = moddef_error(err, st, "not a valid WebAssembly module: %s", werr.msg);
        goto done;
    }
    WasmStoreConfig cfg = { .max_memory_pages = o.max_pages ? o.max_pages : 4096 };
    if (!(s = wasm_store_new(&cfg))) {
        st = moddef_error(err, ST_NOMEM, "out of memory");
        goto done;
    }
    wasm_store_set_fuel(s, o.fuel ? o.fuel : 1000000000u);
    if ((st = collect_def(s, m, &c, err)) == ST_OK) {
        static const uint8_t empty[1];
        st = moddef_decode(c.sink.len ? (const uint8_t *)c.sink.data : empty, c.sink.len, out, err);
    }
done:
    if (st == ST_TRAP && c.panic[0] && err) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, " (the module panicked: %s)", c.panic);
    }
    wasm_store_free(s);
    wasm_module_free(m);
    strbuf_fini(&c.sink);
    return st;
}
