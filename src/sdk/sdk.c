/*
 * sdk.c - the module's two entry points, logging and panics.
 *
 * The host calls a module through two exports (module-abi.md §2):
 *
 *   __describe_module__(sink)          once per instance, before any reducer:
 *                                      write the RawModuleDef bytes to the sink
 *   __call_reducer__(id, sender_0..3,  once per transaction: run reducer `id`
 *       conn_0..1, timestamp, args,    with the caller's identity, connection
 *       err_sink) -> 0 | 1             and clock; args is a bytes source
 *
 * __call_reducer__ empties the heap, builds the StdbCtx from the scalar
 * arguments (the 256-bit identity arrives as four u64s, least significant
 * first), reads the argument bytes (source 0 means "no bytes"), decodes
 * them into a zeroed args struct with the reducer's parameter list, and
 * calls the reducer.  STDB_OK returns 0 and the host commits.  An error
 * message is written to err_sink and the call returns 1, which makes the
 * host roll back and report the message, exactly as a Rust reducer's
 * Err(e) does.  Anything worse (undecodable arguments, a broken
 * invariant, a stdb_panic) logs at level Panic (101) and executes
 * `unreachable`: the host rolls back and throws this instance away.
 *
 * The module declares no __preinit__ exports: its definition is static
 * data (stdb_module), so there is nothing to register before describe.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "sdk_int.h"

static const char *current;      /* the reducer running now: the log target */
static bool panicking;           /* a panic while panicking traps at once */

/* ---- logging and panics ------------------------------------------------------ */

static void log_text(uint32_t level, const char *target, const char *file, uint32_t line,
                     const char *msg, uint32_t len)
{
    sys_console_log(level, target, target != NULL ? (uint32_t)strlen(target) : 0, file,
                    file != NULL ? (uint32_t)strlen(file) : 0, line, msg, len);
}

void stdb_log_at(StdbLogLevel level, const char *file, uint32_t line, const char *fmt, ...)
{
    uint32_t len;
    va_list ap;
    va_start(ap, fmt);
    char *msg = fmt_v(&len, fmt, ap);
    va_end(ap);
    log_text(level, current, file, line, msg, len);
}

_Noreturn void stdb_panic_at(const char *file, uint32_t line, const char *fmt, ...)
{
    if (!panicking) {            /* formatting allocates, and allocation may panic */
        panicking = true;
        uint32_t len;
        va_list ap;
        va_start(ap, fmt);
        char *msg = fmt_v(&len, fmt, ap);
        va_end(ap);
        log_text(STDB_LOG_PANIC, NULL, file, line, msg, len);   /* as Rust's panic hook */
    }
    __builtin_trap();            /* the wasm `unreachable` instruction */
}

/* ---- the host's side of a call -------------------------------------------------- */

/* The sink takes everything at once, but the ABI lets it take less. */
static void write_sink(uint32_t sink, const uint8_t *p, uint32_t len)
{
    while (len > 0) {
        uint32_t n = len;
        uint16_t e = sys_bytes_sink_write(sink, p, &n);
        if (e != STDB_ERRNO_OK || n == 0 || n > len)
            stdb_panic("bytes_sink_write(%u): errno %u", sink, e);
        p += n;
        len -= n;
    }
}

/* All bytes of a bytes source; source 0 is the empty input. */
static BsatnR read_source(uint32_t source)
{
    BsatnW w;
    bsatn_w_init(&w, 1024);
    while (source != 0) {
        if (w.len == w.cap) {
            w.p = heap_realloc(w.p, w.len, w.cap * 2);
            w.cap *= 2;
        }
        uint32_t n = w.cap - w.len;
        int16_t rc = sys_bytes_source_read(source, w.p + w.len, &n);
        if (rc != 0 && rc != STDB_EXHAUSTED)
            stdb_panic("bytes_source_read(%u): errno %d", source, rc);
        w.len += n;
        if (rc == STDB_EXHAUSTED)   /* the host has freed the source */
            break;
    }
    return bsatn_r_init(w.p, w.len);
}

/* Four u64s, least significant first, back into 8*n little-endian bytes. */
static void put_words(uint8_t *out, const uint64_t *words, int n)
{
    for (int i = 0; i < 8 * n; i++)
        out[i] = (uint8_t)(words[i / 8] >> (8 * (i % 8)));
}

__attribute__((export_name("__describe_module__")))
void stdb_describe_module(uint32_t sink)
{
    heap_reset();
    BsatnW w;
    bsatn_w_init(&w, 1024);
    moddef_describe(&w);
    write_sink(sink, w.p, w.len);
}

__attribute__((export_name("__call_reducer__")))
int32_t stdb_call_reducer(uint32_t id, uint64_t sender_0, uint64_t sender_1, uint64_t sender_2,
                          uint64_t sender_3, uint64_t conn_id_0, uint64_t conn_id_1,
                          uint64_t timestamp, uint32_t args, uint32_t err_sink)
{
    heap_reset();
    if (id >= stdb_module.nreducers)
        stdb_panic("no reducer with id %u", id);
    const StdbReducer *r = &stdb_module.reducers[id];
    current = r->name;

    StdbCtx ctx = { .has_connection_id = (conn_id_0 | conn_id_1) != 0,
                    .timestamp = { (int64_t)timestamp } };
    put_words(ctx.sender.bytes, (const uint64_t[]){ sender_0, sender_1, sender_2, sender_3 }, 4);
    put_words(ctx.connection_id.bytes, (const uint64_t[]){ conn_id_0, conn_id_1 }, 2);

    void *a = stdb_alloc(r->args_size);
    BsatnR in = read_source(args);
    if (!codec_read_product(&in, r->params, r->nparams, a))
        stdb_panic("reducer %s: the arguments do not decode", r->name);

    StdbResult result = r->fn(&ctx, a);
    current = NULL;
    if (result == STDB_OK)
        return 0;
    write_sink(err_sink, (const uint8_t *)result, (uint32_t)strlen(result));
    return 1;                    /* HOST_CALL_FAILURE: the message is in the sink */
}

/* ---- small helpers ------------------------------------------------------------- */

StdbStr stdb_str(const char *s)
{
    return (StdbStr){ s, (uint32_t)strlen(s) };
}

bool stdb_str_eq(StdbStr a, StdbStr b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

bool stdb_identity_eq(const StdbIdentity *a, const StdbIdentity *b)
{
    return memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

const char *stdb_identity_hex(const StdbIdentity *id)
{
    static const char hex[] = "0123456789abcdef";
    char *s = stdb_alloc(65);
    for (int i = 0; i < 32; i++) {          /* most significant byte (the last) first */
        s[2 * i] = hex[id->bytes[31 - i] >> 4];
        s[2 * i + 1] = hex[id->bytes[31 - i] & 15];
    }
    return s;
}

StdbIdentity stdb_module_identity(void)
{
    StdbIdentity id;
    sys_identity(id.bytes);
    return id;
}
