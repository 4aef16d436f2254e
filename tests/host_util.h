/*
 * host_util.h - shared by the module host's tests (test_abi.c,
 * test_host.c, test_host_errors.c): byte builders, a small WebAssembly
 * assembler for hand-made modules, files, a fixed clock, identities and
 * table snapshots.
 *
 * The hand-made modules are assembled section by section from the
 * binary format (chapter 3): a module is the magic and version, then
 * sections (id, size, contents), each vector prefixed by its LEB128
 * count.  Function bodies are written as bytes with the opcode names
 * below, so a test shows exactly what the module does.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#ifndef TINYSTDB_TESTS_HOST_UTIL_H
#define TINYSTDB_TESTS_HOST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/db.h"
#include "db/tx.h"
#include "host/module.h"
#include "host/sats_json.h"
#include "util/alloc.h"
#include "util/sha256.h"
#include "file_util.h"

/* ---- bytes ----------------------------------------------------------------------- */

typedef struct Bytes {
    uint8_t b[32768];
    size_t n;
} Bytes;

static inline void put(Bytes *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->b);
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static inline void put_u8(Bytes *b, uint8_t v)
{
    put(b, &v, 1);
}

static inline void put_le(Bytes *b, uint64_t v, int width)
{
    for (int i = 0; i < width; i++)
        put_u8(b, (uint8_t)(v >> 8 * i));
}

/* BSATN String: u32 length + bytes. */
static inline void put_str(Bytes *b, const char *s)
{
    put_le(b, strlen(s), 4);
    put(b, s, strlen(s));
}

/* Option<String> in a def: Some = 00 + string, None = 01. */
static inline void put_opt_str(Bytes *b, const char *s)
{
    put_u8(b, s ? 0 : 1);
    if (s)
        put_str(b, s);
}

static inline void put_uleb(Bytes *b, uint64_t v)
{
    do {
        put_u8(b, (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0)));
        v >>= 7;
    } while (v);
}

static inline void put_sleb(Bytes *b, int64_t v)
{
    for (bool more = true; more;) {
        uint8_t c = (uint8_t)(v & 0x7F);
        v >>= 7;
        more = !((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40)));
        put_u8(b, (uint8_t)(c | (more ? 0x80 : 0)));
    }
}

static inline void put_name(Bytes *b, const char *s)
{
    put_uleb(b, strlen(s));
    put(b, s, strlen(s));
}

/* A section: id, LEB size, contents. */
static inline void put_section(Bytes *b, uint8_t id, const Bytes *contents)
{
    put_u8(b, id);
    put_uleb(b, contents->n);
    put(b, contents->b, contents->n);
}

/* ---- opcodes for hand-written bodies ------------------------------------------------ */

enum {
    OP_UNREACHABLE = 0x00, OP_BLOCK = 0x02, OP_LOOP = 0x03, OP_IF = 0x04, OP_END = 0x0b,
    OP_BR = 0x0c, OP_BR_TABLE = 0x0e, OP_RETURN = 0x0f, OP_CALL = 0x10, OP_DROP = 0x1a,
    OP_LOCAL_GET = 0x20, OP_I32_LOAD = 0x28, OP_I32_STORE = 0x36, OP_I64_STORE = 0x37,
    OP_MEMORY_GROW = 0x40, OP_I32_CONST = 0x41, OP_I64_CONST = 0x42, OP_I32_EQ = 0x46,
    BT_EMPTY = 0x40, VT_I32 = 0x7f, VT_I64 = 0x7e,
};

static inline void i32c(Bytes *b, int32_t v)
{
    put_u8(b, OP_I32_CONST);
    put_sleb(b, v);
}

/* ---- files and the clock ------------------------------------------------------------- */

#define RUST_MODULE "modules/rust-1.1.2-metasiberia-game.wasm"

/* The Rust module from $TINYSTDB_SHARED, ../shared or ../../shared; NULL if absent. */
static inline uint8_t *read_rust_module(size_t *len)
{
    const char *dirs[] = { getenv("TINYSTDB_SHARED"), "../shared", "../../shared" };
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        if (!dirs[i])
            continue;
        snprintf(path, sizeof path, "%s/%s", dirs[i], RUST_MODULE);
        uint8_t *b = file_read_all(path, len);
        if (b)
            return b;
    }
    return NULL;
}

#define T0 INT64_C(1735689600000000)   /* 2025-01-01T00:00:00Z, the tests' virtual time */
static int64_t test_now = T0;

static inline int64_t test_clock(void *user)
{
    (void)user;
    return test_now;
}

/* An identity whose LE bytes are all `b` (with b in byte 31, the top). */
static inline HostCaller caller_of(uint8_t b, uint8_t conn)
{
    HostCaller c = { .timestamp = test_now };
    memset(c.identity, b, 32);
    c.connection_id[0] = conn;
    return c;
}

/* The test identity of a name (module-abi.md, "Deterministic test
 * conventions"): SHA-256 of the name with bytes 0 and 1 set to c2 00,
 * read as a big-endian u256; stored, like every identity here, as LE bytes. */
static inline void identity_of(const char *name, uint8_t out[32])
{
    uint8_t h[SHA256_DIGEST_LEN];
    sha256_digest(name, strlen(name), h);
    h[0] = 0xc2;
    h[1] = 0x00;
    for (int i = 0; i < 32; i++)
        out[i] = h[31 - i];
}

/* ---- schedules seen by the on_schedule hook ------------------------------------------------ */

typedef struct SeenSchedule {
    uint32_t table_id;
    uint64_t id;
    int64_t at;
} SeenSchedule;

static SeenSchedule seen[64];
static size_t nseen;

static inline void record_schedule(void *user, uint32_t table_id, uint64_t id, int64_t at)
{
    (void)user;
    if (nseen < 64)
        seen[nseen++] = (SeenSchedule){ table_id, id, at };
}

/* ---- looking at tables --------------------------------------------------------------------- */

/* Every row of every table, as bytes (to compare "before" and "after"). */
static inline void snapshot(Db *db, StrBuf *out)
{
    strbuf_clear(out);
    for (uint32_t i = 0; i < db_table_count(db); i++) {
        RowList rows;
        rowlist_init(&rows);
        assert_int_equal(table_collect_all(db_table(db, DB_FIRST_ID + i), &rows, NULL), ST_OK);
        assert_int_equal(strbuf_printf(out, "[%zu]", rows.count), ST_OK);
        assert_int_equal(strbuf_append(out, rows.bytes.data ? rows.bytes.data : "",
                                       rows.bytes.len), ST_OK);
        rowlist_fini(&rows);
    }
}

/* All rows of table `name` as SATS-JSON objects, one per line. */
static inline void table_json(HostModule *hm, const char *name, StrBuf *out)
{
    Table *t = db_table(module_db(hm), module_table_id(hm, name));
    assert_non_null(t);
    RowList rows;
    rowlist_init(&rows);
    assert_int_equal(table_collect_all(t, &rows, NULL), ST_OK);
    strbuf_clear(out);
    for (size_t i = 0; i < rows.count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(&rows, i, &len);
        DbError err;
        Status st = sats_json_from_bsatn(table_typespace(t), table_row_type(t), row, len, NULL,
                                         SATS_JSON_NAMED, out, &err);
        if (st != ST_OK)
            fail_msg("row %zu of %s: %s", i, name, err.msg);
        assert_int_equal(strbuf_putc(out, '\n'), ST_OK);
    }
    assert_int_equal(strbuf_putc(out, '\0'), ST_OK);
    out->len--;
    rowlist_fini(&rows);
}

static inline uint64_t rows_in(HostModule *hm, const char *name)
{
    Table *t = db_table(module_db(hm), module_table_id(hm, name));
    assert_non_null(t);
    return table_row_count(t);
}

/* Fail with the result's message unless it committed. */
#define assert_committed(st, res)                                                         \
    do {                                                                                  \
        if ((st) != ST_OK || (res).outcome != HOST_COMMITTED)                             \
            fail_msg("expected a commit, got %s / %s: %s", status_str(st),                \
                     module_outcome_name((res).outcome), (res).message);                  \
    } while (0)

#define assert_contains(hay, needle)                                                      \
    do {                                                                                  \
        if (!strstr((hay), (needle)))                                                     \
            fail_msg("\"%s\" not found in:\n%s", (needle), (hay));                        \
    } while (0)

#endif
