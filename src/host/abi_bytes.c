/*
 * abi_bytes.c - bytes sources and the bytes sink (module-abi.md §1.8),
 * and get_jwt (10.2).
 *
 * A bytes source is how the host hands the module a blob it cannot put
 * in an i32: the reducer arguments, above all.  The module pulls it into
 * its own buffer, as much as fits per call:
 *
 *   source 1 = args (20 bytes)      module buffer cap 16
 *   bytes_source_read(1, buf, &len)  len 16 -> 16 copied, returns 0
 *   bytes_source_read(1, buf, &len)  len 16 -> 4 copied, returns -1 (now freed)
 *   bytes_source_read(1, ...)                -> 8 NO_SUCH_BYTES
 *
 * Empty arguments get no source at all: __call_reducer__ receives 0, the
 * INVALID handle, which the module must treat as "no bytes" (reading it
 * is NO_SUCH_BYTES).  Source ids count up from 1 in each guest call.
 *
 * The sink goes the other way: the module writes its definition during
 * __describe_module__ and its Err message during a reducer.  Only sink 1
 * exists, only while the host has it open; a write takes all the bytes
 * (the length is left as is, meaning "all written"), so NO_SPACE (9) is
 * never returned.  ABI_MAX_SINK bounds it: a module that writes more
 * traps rather than exhaust the host's memory.
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#include "abi.h"

#include <string.h>

/* The live source with this id, or NULL. */
static AbiSource *lookup(AbiEnv *e, uint32_t id)
{
    if (id == 0 || id > e->sources.len || !e->sources.items[id - 1].live)
        return NULL;
    return &e->sources.items[id - 1];
}

static Status source_read(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "bytes_source_read";
    AbiEnv *e = user;
    uint32_t buf_ptr = (uint32_t)args[1], len_ptr = (uint32_t)args[2], cap;
    AbiSource *src = lookup(e, (uint32_t)args[0]);
    uint8_t *buf = NULL;
    if (!src)
        return abi_errno(res, DBE_NO_SUCH_BYTES);
    Status st = abi_read_u32(s, e, fn, len_ptr, &cap);
    if (st != ST_OK || (st = abi_mem(s, e, fn, buf_ptr, cap, &buf)) != ST_OK)
        return st;
    size_t left = src->len - src->pos, n = cap < left ? cap : left;
    if (n)
        memcpy(buf, src->bytes + src->pos, n);
    src->pos += n;
    (void)abi_write_u32(s, e, fn, len_ptr, (uint32_t)n);   /* checked by the read above */
    if (src->pos == src->len) {         /* drained: freed, and -1 says so */
        src->live = false;
        return abi_errno(res, -1);
    }
    return abi_errno(res, 0);
}

static Status source_remaining(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "bytes_source_remaining_length";
    AbiEnv *e = user;
    AbiSource *src = lookup(e, (uint32_t)args[0]);
    if (!src)
        return abi_errno(res, DBE_NO_SUCH_BYTES);
    Status st = abi_write_u32(s, e, fn, (uint32_t)args[1], (uint32_t)(src->len - src->pos));
    return st != ST_OK ? st : abi_errno(res, 0);
}

static Status sink_write(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "bytes_sink_write";
    AbiEnv *e = user;
    uint32_t len;
    uint8_t *buf = NULL;
    if ((uint32_t)args[0] != 1 || !e->sink_open)
        return abi_errno(res, DBE_NO_SUCH_BYTES);
    Status st = abi_read_u32(s, e, fn, (uint32_t)args[2], &len);
    if (st != ST_OK || (st = abi_mem(s, e, fn, (uint32_t)args[1], len, &buf)) != ST_OK)
        return st;
    if (len > ABI_MAX_SINK - e->sink.len)
        return wasm_trap(s, "%s: more than %u bytes written to the sink", fn, ABI_MAX_SINK);
    if (strbuf_append(&e->sink, buf, len) != ST_OK)
        return wasm_trap(s, "%s: out of memory", fn);
    return abi_errno(res, 0);
}

/* 10.2: the JWT payload of a connection as a new source.  This host keeps
 * no tokens yet, so every connection has none: *out = 0. */
static Status get_jwt(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "get_jwt";
    AbiEnv *e = user;
    uint8_t *conn = NULL;
    Status st = abi_mem(s, e, fn, (uint32_t)args[0], 16, &conn);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    st = abi_write_u32(s, e, fn, (uint32_t)args[1], 0);
    return st != ST_OK ? st : abi_errno(res, 0);
}

WasmHostFn abi_bytes_find(const char *name)
{
    static const struct { const char *name; WasmHostFn fn; } table[] = {
        { "bytes_source_read", source_read },
        { "bytes_source_remaining_length", source_remaining },
        { "bytes_sink_write", sink_write },
        { "get_jwt", get_jwt },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn;
    return NULL;
}
