/*
 * sdk_run.h - running a module in the fake host (sdk_host.h) for
 * test_sdk.c: load and instantiate it, run its preinits and describe it
 * (module-abi.md §2.1), call reducers the way a host does (§2.2: the
 * sender as four u64s, the args as bytes source 1, err sink 1), and read
 * what they left in the tables and the log.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#ifndef TINYSTDB_TESTS_SDK_RUN_H
#define TINYSTDB_TESTS_SDK_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_host.h"
#include "file_util.h"

#define TS0 1735689600000000LL   /* 2025-01-01T00:00:00Z */

/* ---- the fake host's life ----------------------------------------------------- */

static FakeHost *fake_new(const char *path)
{
    FakeHost *h = mem_calloc(1, sizeof *h);
    size_t len = 0;
    uint8_t *bytes = file_read_all(path, &len);
    if (bytes == NULL)
        fail_msg("cannot read %s (run the tests from the repository root)", path);
    WasmError err;
    if (wasm_module_load(bytes, len, &h->module, &err) != ST_OK)
        fail_msg("%s: %s", path, err.msg);
    mem_free(bytes);
    h->store = wasm_store_new(NULL);
    assert_non_null(h->store);
    if (wasm_instantiate(h->store, h->module, fake_resolve, h, &h->inst, &err) != ST_OK)
        fail_msg("%s: %s", path, err.msg);
    h->mem = wasm_instance_memory(h->inst, 0);
    assert_non_null(h->mem);
    strbuf_init(&h->sink);
    for (int i = 0; i < 32; i++)
        h->db_identity[i] = (uint8_t)(0xdb ^ i);
    return h;
}

static void fake_free(FakeHost *h)
{
    for (uint32_t t = 0; t < DEF_MAX; t++)
        rows_free(&h->rows[t]), rows_free(&h->snap[t]);
    for (uint32_t i = 0; i < FAKE_ITERS; i++)
        rows_free(&h->iters[i].rows);
    for (size_t i = 0; i < h->logs.len; i++)
        mem_free(h->logs.items[i].target), mem_free(h->logs.items[i].file), mem_free(h->logs.items[i].msg);
    for (size_t i = 0; i < h->index_lookups.len; i++)
        mem_free(h->index_lookups.items[i]);
    vec_fini(&h->logs);
    vec_fini(&h->index_lookups);
    strbuf_fini(&h->sink);
    mem_free(h->source);
    typespace_fini(&h->def.ts);
    wasm_store_free(h->store);
    wasm_module_free(h->module);
    mem_free(h);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void call_void(FakeHost *h, const char *name, const WasmCell *args)
{
    WasmExtern f;
    WasmError err;
    assert_int_equal(wasm_instance_export(h->inst, name, &f), ST_OK);
    if (wasm_call(h->store, f.u.func, args, NULL, &err) != ST_OK)
        fail_msg("%s trapped: %s", name, err.msg);
}

/* §2.1: every __preinit__* in name order, then __describe_module__(1). */
static void fake_describe(FakeHost *h)
{
    char *pre[64];
    size_t n = 0;
    for (uint32_t i = 0; i < h->module->nexports; i++)
        if (!strncmp(h->module->exports[i].name.s, "__preinit__", 11) && n < 64)
            pre[n++] = h->module->exports[i].name.s;
    qsort(pre, n, sizeof pre[0], cmp_str);
    for (size_t i = 0; i < n; i++)
        call_void(h, pre[i], NULL);
    strbuf_clear(&h->sink);
    call_void(h, "__describe_module__", (const WasmCell[]){ 1 });
    if (!def_decode(&h->def, (const uint8_t *)h->sink.data, h->sink.len))
        fail_msg("%s", h->def.error);
    h->described = true;
}

static FakeHost *fake_start(const char *path)
{
    FakeHost *h = fake_new(path);
    fake_describe(h);
    return h;
}

/* Call a reducer: its result (0, 1, ...), or -1 when it trapped. */
static int fake_call(FakeHost *h, const char *reducer, const uint8_t sender[32], uint64_t conn,
                     int64_t ts, const StrBuf *args)
{
    int id = def_reducer(&h->def, reducer);
    assert_true(id >= 0);
    tx_begin(h);
    mem_free(h->source);
    h->source_len = args ? args->len : 0;
    h->source = h->source_len ? (uint8_t *)mem_strndup(args->data, args->len) : NULL;
    h->source_pos = 0;
    h->source_live = h->source_len > 0;
    strbuf_clear(&h->sink);
    WasmCell in[10] = { (uint32_t)id, 0, 0, 0, 0, conn, 0, (uint64_t)ts, h->source_live ? 1 : 0, 1 };
    for (int i = 0; i < 32; i++)
        in[1 + i / 8] |= (uint64_t)sender[i] << (8 * (i % 8));
    WasmCell out[1];
    WasmExtern f;
    WasmError err;
    assert_int_equal(wasm_instance_export(h->inst, "__call_reducer__", &f), ST_OK);
    if (wasm_call(h->store, f.u.func, in, out, &err) != ST_OK) {
        snprintf(h->trap, sizeof h->trap, "%s", err.msg);
        tx_end(h, false);
        return -1;
    }
    int r = (int)(int32_t)out[0];
    tx_end(h, r == 0);
    return r;
}

/* ---- arguments, rows, logs ------------------------------------------------------ */

static void put_u32(StrBuf *b, uint32_t v) { uint8_t x[4]; put_le(x, v, 4); strbuf_append(b, x, 4); }
static void put_u64(StrBuf *b, uint64_t v) { uint8_t x[8]; put_le(x, v, 8); strbuf_append(b, x, 8); }
static void put_str(StrBuf *b, const char *s) { put_u32(b, (uint32_t)strlen(s)); strbuf_puts(b, s); }

static const uint8_t *ident(uint8_t seed)
{
    static uint8_t ids[4][32];
    uint8_t *id = ids[seed % 4];
    for (int i = 0; i < 32; i++)
        id[i] = (uint8_t)(seed * 17 + i);
    return id;
}

static uint32_t table_index(FakeHost *h, const char *table)
{
    DefTable *t = def_table(&h->def, table);
    assert_non_null(t);
    return (uint32_t)(t - h->def.tables);
}

static size_t nrows(FakeHost *h, const char *table)
{
    return h->rows[table_index(h, table)].len;
}

static const uint8_t *col(FakeHost *h, const char *table, size_t row, uint16_t c, uint32_t *len)
{
    uint32_t ti = table_index(h, table);
    assert_true(row < h->rows[ti].len);
    BsatnSpan sp[64];
    row_spans(h, &h->def.tables[ti], &h->rows[ti].items[row], sp);
    if (len)
        *len = sp[c].len;
    return h->rows[ti].items[row].b + sp[c].off;
}

static uint64_t col_u(FakeHost *h, const char *table, size_t row, uint16_t c)
{
    uint32_t len;
    const uint8_t *p = col(h, table, row, c, &len);
    uint64_t v = 0;
    for (uint32_t i = 0; i < len && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The row whose String column c equals s, or -1. */
static long row_with(FakeHost *h, const char *table, uint16_t c, const char *s)
{
    for (size_t r = 0; r < nrows(h, table); r++) {
        uint32_t len;
        const uint8_t *p = col(h, table, r, c, &len);
        if (len == 4 + strlen(s) && !memcmp(p + 4, s, strlen(s)))
            return (long)r;
    }
    return -1;
}

static const LogRec *find_log(FakeHost *h, const char *text)
{
    for (size_t i = 0; i < h->logs.len; i++)
        if (strstr(h->logs.items[i].msg, text))
            return &h->logs.items[i];
    return NULL;
}

/* Expect an Err: result 1 and exactly this message in the sink. */
static void expect_err(FakeHost *h, int result, const char *msg)
{
    assert_int_equal(result, 1);
    assert_int_equal(h->sink.len, strlen(msg));
    assert_memory_equal(h->sink.data, msg, strlen(msg));
}

/* Every index name the module looked up is one the host generates (§5.2). */
static void check_lookups(FakeHost *h, size_t at_least)
{
    assert_true(h->index_lookups.len >= at_least);
    for (size_t i = 0; i < h->index_lookups.len; i++) {
        bool known = false;
        char buf[256];
        for (uint32_t t = 0; t < h->def.ntables; t++)
            for (uint32_t k = 0; k < h->def.tables[t].nidx; k++) {
                def_index_name(&h->def.tables[t], &h->def.tables[t].idx[k], buf, sizeof buf);
                known = known || strcmp(buf, h->index_lookups.items[i]) == 0;
            }
        if (!known)
            fail_msg("index_id_from_name(\"%s\"): not a generated name", h->index_lookups.items[i]);
    }
}

#endif
