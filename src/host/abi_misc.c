/*
 * abi_misc.c - logging, console timers, the database identity, immediate
 * scheduling and the procedure calls of 10.3 (module-abi.md §1.9).
 *
 * console_log never fails and never traps: a module logs from its panic
 * hook just before it dies, and a log line must not be what kills it.  A
 * NULL target or file means "absent"; line 0xFFFFFFFF means no line;
 * every string is decoded lossily (bad UTF-8 becomes U+FFFD); bad memory
 * drops the record.  Level 101 is a panic: its message is also kept in
 * env->panic so that the trap that follows can be explained.
 *
 * console_timer_start/end measure a span and log `Timing span "name":
 * 1.5ms` at Info when it ends; unknown ids are NO_SUCH_CONSOLE_TIMER (7).
 *
 * identity() writes the DATABASE's identity (not the caller's, not the
 * owner's): what a Rust module sees as ctx.identity().
 *
 * Procedures (10.3) run outside a reducer's transaction with their own
 * transaction calls.  This host does not run procedures, so inside a
 * reducer those calls answer as SpacetimeDB does there (a transaction is
 * held: WOULD_BLOCK_TRANSACTION 17; no anonymous transaction to end:
 * TRANSACTION_NOT_ANONYMOUS 18), and sleeping or HTTP traps.
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#include "abi.h"

#include <string.h>
#include <time.h>

#include "../util/alloc.h"

#define ERRNO_WOULD_BLOCK_TRANSACTION 17
#define ERRNO_TRANSACTION_NOT_ANONYMOUS 18

/* Guest bytes or NULL (a NULL pointer, or memory out of bounds). */
static const uint8_t *peek(WasmStore *s, AbiEnv *e, uint32_t ptr, uint32_t len)
{
    WasmMemInst *mem = e->mem ? e->mem : describe_caller_memory(s);
    return ptr && mem ? wasm_memory_ptr(mem, ptr, len) : NULL;
}

/* Append p[0..n) lossily plus a NUL; the offset where it starts, or -1. */
static long add_text(StrBuf *b, const uint8_t *p, size_t n)
{
    size_t at = b->len;
    if (!p || logs_lossy_utf8(b, p, n) != ST_OK || strbuf_putc(b, '\0') != ST_OK)
        return -1;
    return (long)at;
}

static Status console_log(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    AbiEnv *e = user;
    (void)res;
    uint32_t a[8];
    for (int i = 0; i < 8; i++)
        a[i] = (uint32_t)args[i];
    const uint8_t *msg = peek(s, e, a[6], a[7]);
    if (!msg)
        return ST_OK;                          /* dropped, never a trap */
    StrBuf *b = &e->scratch;
    strbuf_clear(b);
    long target = add_text(b, peek(s, e, a[1], a[2]), a[2]);
    long file = add_text(b, peek(s, e, a[3], a[4]), a[4]);
    long text = add_text(b, msg, a[7]);
    if (text < 0)
        return ST_OK;
    ModLogLevel level = (ModLogLevel)(a[0] & 0xFF);
    if (level == MODLOG_PANIC && file >= 0 && a[5] != LOGS_NO_LINE)
        snprintf(e->panic, sizeof e->panic, "%s at %s:%u", b->data + text, b->data + file, a[5]);
    else if (level == MODLOG_PANIC)
        snprintf(e->panic, sizeof e->panic, "%s", b->data + text);
    abi_log(e, level, target < 0 ? NULL : b->data + target, file < 0 ? NULL : b->data + file,
            a[5], b->data + text);
    return ST_OK;
}

/* ---- timers ------------------------------------------------------------------------- */

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A duration the way Rust prints one: "450ns", "3.2µs", "1.5ms", "2.25s". */
static void format_duration(int64_t ns, char *out, size_t size)
{
    static const struct { int64_t div; const char *unit; } units[] = {
        { 1000000000, "s" }, { 1000000, "ms" }, { 1000, "\xC2\xB5s" }, { 1, "ns" },
    };
    size_t u = 0;
    while (u < 3 && ns < units[u].div)
        u++;
    int64_t whole = ns / units[u].div, frac = ns % units[u].div;
    int digits = u == 0 ? 9 : u == 1 ? 6 : u == 2 ? 3 : 0;
    while (digits > 0 && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    char fraction[12] = "";
    for (int i = digits - 1; i >= 0; i--, frac /= 10)
        fraction[i] = (char)('0' + frac % 10);
    snprintf(out, size, "%lld%s%s%s", (long long)whole, digits ? "." : "", fraction,
             units[u].unit);
}

static Status timer_start(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "console_timer_start";
    AbiEnv *e = user;
    uint8_t *name = NULL;
    Status st = abi_mem(s, e, fn, (uint32_t)args[0], (uint32_t)args[1], &name);
    if (st != ST_OK)
        return st;
    if (e->live_timers >= ABI_MAX_TIMERS)
        return wasm_trap(s, "%s: more than %u timers running", fn, ABI_MAX_TIMERS);
    size_t i = 0;
    while (i < e->timers.len && e->timers.items[i].live)
        i++;
    if (i == e->timers.len && vec_push(&e->timers, (AbiTimer){ 0 }) != ST_OK)
        return wasm_trap(s, "%s: out of memory", fn);
    StrBuf text;
    strbuf_init(&text);
    if (logs_lossy_utf8(&text, name, (uint32_t)args[1]) != ST_OK ||
        strbuf_putc(&text, '\0') != ST_OK) {
        strbuf_fini(&text);
        return wasm_trap(s, "%s: out of memory", fn);
    }
    e->timers.items[i] = (AbiTimer){ .name = text.data, .start_ns = monotonic_ns(), .live = true };
    e->live_timers++;
    return abi_errno(res, (int32_t)(i + 1));
}

static void free_timer(AbiEnv *e, AbiTimer *t)
{
    mem_free(t->name);
    *t = (AbiTimer){ 0 };
    e->live_timers--;
}

static Status timer_end(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    AbiEnv *e = user;
    (void)s;
    uint32_t id = (uint32_t)args[0];
    if (id == 0 || id > e->timers.len || !e->timers.items[id - 1].live)
        return abi_errno(res, DBE_NO_SUCH_CONSOLE_TIMER);
    AbiTimer *t = &e->timers.items[id - 1];
    char took[48], line[LOGS_MAX_FIELD / 64];
    format_duration(monotonic_ns() - t->start_ns, took, sizeof took);
    snprintf(line, sizeof line, "Timing span \"%s\": %s", t->name, took);
    abi_log(e, MODLOG_INFO, NULL, NULL, LOGS_NO_LINE, line);
    free_timer(e, t);
    return abi_errno(res, 0);
}

void abi_misc_close_timers(AbiEnv *e)
{
    for (size_t i = 0; i < e->timers.len; i++)
        if (e->timers.items[i].live)
            free_timer(e, &e->timers.items[i]);
}

/* ---- identity and scheduling ---------------------------------------------------------- */

static Status identity(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    AbiEnv *e = user;
    uint8_t *out = NULL;
    (void)res;
    Status st = abi_mem(s, e, "identity", (uint32_t)args[0], 32, &out);
    if (st == ST_OK)
        memcpy(out, e->identity, 32);
    return st;
}

static Status schedule_immediate(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "volatile_nonatomic_schedule_immediate";
    AbiEnv *e = user;
    const char *name = NULL;
    uint8_t *bytes = NULL;
    uint32_t len = (uint32_t)args[1];
    (void)res;
    Status st = abi_name(s, e, fn, (uint32_t)args[0], len, &name);
    if (st != ST_OK || (st = abi_mem(s, e, fn, (uint32_t)args[2], (uint32_t)args[3], &bytes)))
        return st;
    if (e->on_immediate)
        e->on_immediate(e->sched_user, name, len, bytes, (uint32_t)args[3]);
    else
        abi_log(e, MODLOG_WARN, "__spacetimedb__", NULL, LOGS_NO_LINE,
                "volatile_nonatomic_schedule_immediate: this host has no scheduler; "
                "the call was dropped");
    return ST_OK;
}

/* ---- 10.3 procedures -------------------------------------------------------------------- */

static Status sleep_until(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    (void)user, (void)args, (void)res;
    return wasm_trap(s, "procedure_sleep_until: procedures are not supported by this host");
}

static Status start_mut_tx(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    (void)args;
    if (abi_in_tx(user))
        return abi_errno(res, ERRNO_WOULD_BLOCK_TRANSACTION);
    return wasm_trap(s, "procedure_start_mut_tx: procedures are not supported by this host");
}

static Status end_mut_tx(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    (void)s, (void)user, (void)args;
    return abi_errno(res, ERRNO_TRANSACTION_NOT_ANONYMOUS);
}

static Status http_request(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    (void)user, (void)args, (void)res;
    return wasm_trap(s, "procedure_http_request: procedures are not supported by this host");
}

WasmHostFn abi_misc_find(const char *name)
{
    static const struct { const char *name; WasmHostFn fn; } table[] = {
        { "console_log", console_log },
        { "console_timer_start", timer_start },
        { "console_timer_end", timer_end },
        { "identity", identity },
        { "volatile_nonatomic_schedule_immediate", schedule_immediate },
        { "procedure_sleep_until", sleep_until },
        { "procedure_start_mut_tx", start_mut_tx },
        { "procedure_commit_mut_tx", end_mut_tx },
        { "procedure_abort_mut_tx", end_mut_tx },
        { "procedure_http_request", http_request },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn;
    return NULL;
}
