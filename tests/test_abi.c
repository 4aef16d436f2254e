/*
 * test_abi.c - the spacetime_10.x imports one by one (src/host/abi*.c),
 * called directly as host functions on a memory and a database built
 * here, so each errno, each trap and each byte written back is checked
 * exactly as module-abi.md §1 states it.
 *
 * The table: t (id: u64 primary key auto_inc, name: String unique,
 * v: u32 btree).  A row with a name of n bytes is 16 + n bytes of BSATN.
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#include "host_util.h"

#include "db/bsatn.h"

static Typespace ts;
static Db *db;
static WasmStore *store;
static WasmMemInst *mem;
static AbiEnv env;
static ModuleLogs *logs;
static uint32_t tid;

/* Guest addresses used below. */
enum { NAME = 100, OUT = 200, LEN = 300, BUF = 1024, ROW = 8192, ROW2 = 9216 };

static int setup(void **state)
{
    static long live;
    live = mem_live();
    *state = &live;
    typespace_init(&ts);
    AlgType *row = typespace_new_type(&ts, ALG_PRODUCT, 3);
    row->members[0] = (AlgMember){ "id", alg_prim(ALG_U64) };
    row->members[1] = (AlgMember){ "name", alg_prim(ALG_STRING) };
    row->members[2] = (AlgMember){ "v", alg_prim(ALG_U32) };
    static const uint16_t c0[] = { 0 }, c1[] = { 1 }, c2[] = { 2 };
    static IndexSchema ix[3];
    ix[0] = (IndexSchema){ NULL, INDEX_BTREE, c0, 1 };
    ix[1] = (IndexSchema){ NULL, INDEX_BTREE, c1, 1 };
    ix[2] = (IndexSchema){ NULL, INDEX_BTREE, c2, 1 };
    static UniqueSchema un[2];
    un[0] = (UniqueSchema){ NULL, c0, 1 };
    un[1] = (UniqueSchema){ NULL, c1, 1 };
    static SequenceSchema seq;
    seq = (SequenceSchema){ .col = 0, .increment = i128_from_i64(1) };
    TableSchema s = { .name = "t", .ts = &ts, .row_type = row, .primary_key = 0, .indexes = ix,
                      .nindexes = 3, .uniques = un, .nuniques = 2, .sequences = &seq,
                      .nsequences = 1, .is_public = true };
    assert_int_equal(db_new(&db), ST_OK);
    assert_int_equal(db_create_table(db, &s, &tid, NULL), ST_OK);
    store = wasm_store_new(NULL);
    mem = wasm_memory_new(store, (WasmLimits){ .min = 1 });
    assert_non_null(mem);
    assert_int_equal(logs_open(NULL, 64, &logs, NULL, 0), ST_OK);
    abi_env_init(&env);
    env.db = db;
    env.mem = mem;
    env.logs = logs;
    env.clock = test_clock;
    memset(env.identity, 0xdb, 32);
    abi_call_begin(&env, "test_reducer", T0);
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    return 0;
}

static int teardown(void **state)
{
    tx_rollback(db);
    abi_env_fini(&env);
    logs_close(logs);
    wasm_store_free(store);
    db_free(db);
    typespace_fini(&ts);
    long live = *(long *)*state;
    if (mem_live() != live) {
        print_error("leak: %ld allocations not freed\n", mem_live() - live);
        return -1;
    }
    return 0;
}

/* ---- calling an import ------------------------------------------------------------------- */

/* Call import `name` (from whichever spacetime_10.x has it) with the
 * arguments; ST_OK and *result, or ST_TRAP. */
static Status imp(const char *name, int32_t *result, int n, ...)
{
    const HostImport *h = NULL;
    char module[32];
    for (int minor = 0; minor <= 4 && !h; minor++) {
        snprintf(module, sizeof module, "spacetime_10.%d", minor);
        h = describe_find_import(module, strlen(module), name, strlen(name));
    }
    assert_non_null(h);
    assert_int_equal(n, h->nparams);
    WasmHostFn fn = NULL;
    void *user = NULL;
    abi_bind(&env, h, &fn, &user);
    assert_non_null(fn);
    WasmCell args[9] = { 0 }, res[1] = { 0xDEAD };
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        args[i] = h->params[i] == WASM_I64 ? (uint64_t)va_arg(ap, int64_t)
                                           : (uint32_t)va_arg(ap, int);
    va_end(ap);
    Status st = fn(store, user, args, res);
    if (result)
        *result = (int32_t)(uint32_t)res[0];
    return st;
}

/* The errno an import returned (fails on a trap). */
static int32_t ok(Status st, int32_t result)
{
    assert_int_equal(st, ST_OK);
    return result;
}

#define CALL(name, ...) (r = 0, st = imp(name, &r, __VA_ARGS__), ok(st, r))

static uint8_t *at(uint32_t addr)
{
    return wasm_memory_ptr(mem, addr, 1);
}

static void poke32(uint32_t addr, uint32_t v)
{
    assert_int_equal(wasm_memory_write(mem, addr, (uint8_t[]){ (uint8_t)v, (uint8_t)(v >> 8),
                                       (uint8_t)(v >> 16), (uint8_t)(v >> 24) }, 4), ST_OK);
}

static uint32_t peek32(uint32_t addr)
{
    uint8_t *p = at(addr);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void poke(uint32_t addr, const void *p, size_t n)
{
    assert_int_equal(wasm_memory_write(mem, addr, p, n), ST_OK);
}

/* A row (id, name, v) at addr; its length. */
static uint32_t put_row(uint32_t addr, uint64_t id, const char *name, uint32_t v)
{
    Bytes b = { .n = 0 };
    put_le(&b, id, 8);
    put_str(&b, name);
    put_le(&b, v, 4);
    poke(addr, b.b, b.n);
    return (uint32_t)b.n;
}

/* Insert through the import; the errno. */
static int32_t insert(uint64_t id, const char *name, uint32_t v)
{
    int32_t r;
    poke32(LEN, put_row(ROW, id, name, v));
    assert_int_equal(imp("datastore_insert_bsatn", &r, 3, (int)tid, ROW, LEN), ST_OK);
    return r;
}

/* ---- names, counts, transactions ----------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    poke(NAME, "t\xff", 2);
    poke32(OUT, 0x55555555);
    assert_int_equal(CALL("table_id_from_name", 3, NAME, 1, OUT), 0);
    assert_int_equal(peek32(OUT), tid);
    poke32(OUT, 0x55555555);
    assert_int_equal(CALL("table_id_from_name", 3, NAME, 0, OUT), DBE_NO_SUCH_TABLE);
    assert_int_equal(peek32(OUT), 0x55555555);             /* written only on success */
    assert_int_equal(imp("table_id_from_name", &r, 3, NAME, 2, OUT), ST_TRAP);   /* bad UTF-8 */
    assert_int_equal(imp("table_id_from_name", &r, 3, 0, 0, OUT), ST_TRAP);      /* NULL, len 0 */
    assert_int_equal(imp("table_id_from_name", &r, 3, 65530, 10, OUT), ST_TRAP); /* past the end */
    assert_int_equal(imp("table_id_from_name", &r, 3, NAME, 1, 0), ST_TRAP);     /* NULL out */
    poke32(OUT, 0x55555555);
    assert_int_equal(CALL("table_id_from_name", 3, NAME, 0, 0), DBE_NO_SUCH_TABLE); /* out unused */

    poke(NAME, "t_v_idx_btree", 13);
    assert_int_equal(CALL("index_id_from_name", 3, NAME, 13, OUT), 0);
    assert_int_equal(peek32(OUT), db_index_id(db, tid, 2));
    assert_int_equal(CALL("index_id_from_name", 3, NAME, 12, OUT), DBE_NO_SUCH_INDEX);

    tx_rollback(db);                                        /* outside a transaction: 2 */
    assert_int_equal(CALL("table_id_from_name", 3, NAME, 1, OUT), DBE_NOT_IN_TRANSACTION);
    assert_int_equal(CALL("datastore_table_row_count", 2, (int)tid, OUT), DBE_NOT_IN_TRANSACTION);
    assert_int_equal(CALL("datastore_table_scan_bsatn", 2, (int)tid, OUT), DBE_NOT_IN_TRANSACTION);
    assert_int_equal(insert(0, "a", 1), DBE_NOT_IN_TRANSACTION);
    assert_int_equal(tx_begin(db, NULL), ST_OK);
}

static void test_row_count(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    assert_int_equal(insert(0, "a", 1), 0);
    assert_int_equal(insert(0, "b", 1), 0);
    memset(at(OUT), 0x77, 8);
    assert_int_equal(CALL("datastore_table_row_count", 2, (int)tid, OUT), 0);
    assert_int_equal(peek32(OUT), 2);
    assert_int_equal(peek32(OUT + 4), 0);                  /* a u64 */
    assert_int_equal(CALL("datastore_table_row_count", 2, 77, OUT), DBE_NO_SUCH_TABLE);
}

/* ---- the iterator protocol ----------------------------------------------------------------- */

/* Names of 0..9 bytes: rows of 16..25 bytes, in id order 1..10. */
static void ten_rows(Bytes *expected)
{
    char name[16];
    expected->n = 0;
    for (int i = 0; i < 10; i++) {
        memset(name, 'a' + i, (size_t)i);
        name[i] = '\0';
        assert_int_equal(insert(0, name, (uint32_t)i), 0);
        put_le(expected, (uint64_t)i + 1, 8);
        put_str(expected, name);
        put_le(expected, (uint64_t)i, 4);
    }
}

static void test_iterator_chunks_whole_rows(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    Bytes expected, got = { .n = 0 };
    ten_rows(&expected);
    assert_int_equal(CALL("datastore_table_scan_bsatn", 2, (int)tid, OUT), 0);
    uint32_t it = peek32(OUT);
    assert_int_not_equal(it, 0);

    poke32(LEN, 40);                                        /* rows of 16 + 17 fit, + 18 not */
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, BUF, LEN), 0);
    assert_int_equal(peek32(LEN), 33);
    put(&got, at(BUF), 33);

    memset(at(BUF), 0xEE, 64);
    poke32(LEN, 10);                                        /* the next row (18) does not fit */
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, BUF, LEN), DBE_BUFFER_TOO_SMALL);
    assert_int_equal(peek32(LEN), 18);                      /* the size needed */
    assert_int_equal(*at(BUF), 0xEE);                       /* nothing copied */

    poke32(LEN, 18 + 19 + 20);                              /* exactly three rows */
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, BUF, LEN), 0);
    assert_int_equal(peek32(LEN), 57);
    put(&got, at(BUF), 57);

    /* The rest fits exactly: -1 in the same call that delivers the last rows. */
    uint32_t rest = (uint32_t)(expected.n - got.n);
    poke32(LEN, rest);
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, BUF, LEN), -1);
    assert_int_equal(peek32(LEN), rest);
    put(&got, at(BUF), rest);
    assert_int_equal(got.n, expected.n);
    assert_memory_equal(got.b, expected.b, expected.n);     /* never a split row */

    /* The handle is dead now. */
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, BUF, LEN), DBE_NO_SUCH_ITER);
    assert_int_equal(CALL("row_iter_bsatn_close", 1, (int)it), DBE_NO_SUCH_ITER);
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, 0, BUF, LEN), DBE_NO_SUCH_ITER);
}

static void test_iterator_empty_and_snapshot(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    assert_int_equal(CALL("datastore_table_scan_bsatn", 2, (int)tid, OUT), 0);
    uint32_t empty = peek32(OUT);
    poke32(LEN, 100);
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)empty, BUF, LEN), -1);
    assert_int_equal(peek32(LEN), 0);

    assert_int_equal(insert(0, "a", 1), 0);
    assert_int_equal(CALL("datastore_table_scan_bsatn", 2, (int)tid, OUT), 0);
    uint32_t it = peek32(OUT);
    assert_int_equal(it, empty);                            /* handles are reused */
    assert_int_equal(insert(0, "b", 2), 0);                 /* after the scan: not in it */
    poke32(LEN, 1000);
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, BUF, LEN), -1);
    assert_int_equal(peek32(LEN), 17);                      /* one row */

    assert_int_equal(CALL("datastore_table_scan_bsatn", 2, (int)tid, OUT), 0);
    it = peek32(OUT);
    assert_int_equal(CALL("row_iter_bsatn_close", 1, (int)it), 0);   /* closed early */
    assert_int_equal(CALL("row_iter_bsatn_close", 1, (int)it), DBE_NO_SUCH_ITER);

    /* Bad buffers trap. */
    assert_int_equal(CALL("datastore_table_scan_bsatn", 2, (int)tid, OUT), 0);
    it = peek32(OUT);
    poke32(LEN, 100);
    assert_int_equal(imp("row_iter_bsatn_advance", &r, 3, (int)it, 0, LEN), ST_TRAP);
    poke32(LEN, 70000);
    assert_int_equal(imp("row_iter_bsatn_advance", &r, 3, (int)it, BUF, LEN), ST_TRAP);
    assert_int_equal(env.live_iters, 1);
    abi_call_end(&env);                                     /* the call's end closes it */
    assert_int_equal(env.live_iters, 0);
    abi_call_begin(&env, "test_reducer", T0);
}

/* ---- bytes sources and the sink --------------------------------------------------------------- */

static void test_bytes_source(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    static const uint8_t args[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    uint32_t id, id2;
    assert_int_equal(abi_source_new(&env, args, sizeof args, &id), ST_OK);
    assert_int_equal(id, 1);                                /* ids count up from 1 per call */
    assert_int_equal(CALL("bytes_source_remaining_length", 2, (int)id, OUT), 0);
    assert_int_equal(peek32(OUT), 10);
    poke32(LEN, 4);
    assert_int_equal(CALL("bytes_source_read", 3, (int)id, BUF, LEN), 0);
    assert_int_equal(peek32(LEN), 4);
    assert_memory_equal(at(BUF), args, 4);
    assert_int_equal(CALL("bytes_source_read", 3, (int)id, BUF, LEN), 0);
    assert_memory_equal(at(BUF), args + 4, 4);
    assert_int_equal(CALL("bytes_source_read", 3, (int)id, BUF, LEN), -1);   /* drained */
    assert_int_equal(peek32(LEN), 2);
    assert_memory_equal(at(BUF), args + 8, 2);
    assert_int_equal(CALL("bytes_source_read", 3, (int)id, BUF, LEN), DBE_NO_SUCH_BYTES);
    assert_int_equal(CALL("bytes_source_remaining_length", 2, (int)id, OUT), DBE_NO_SUCH_BYTES);
    assert_int_equal(CALL("bytes_source_read", 3, 0, BUF, LEN), DBE_NO_SUCH_BYTES);
    assert_int_equal(abi_source_new(&env, args, sizeof args, &id2), ST_OK);
    assert_int_equal(id2, 2);
    poke32(LEN, 100);                                       /* a big buffer: all, and -1 */
    assert_int_equal(CALL("bytes_source_read", 3, (int)id2, BUF, LEN), -1);
    assert_int_equal(peek32(LEN), 10);
    abi_call_begin(&env, "next", T0);                       /* a new call: ids restart */
    assert_int_equal(abi_source_new(&env, args, 3, &id), ST_OK);
    assert_int_equal(id, 1);
    assert_int_equal(imp("bytes_source_read", &r, 3, (int)id, 0, LEN), ST_TRAP);   /* NULL buffer */
}

static void test_sink(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    poke(BUF, "hello", 5);
    poke32(LEN, 3);
    assert_int_equal(CALL("bytes_sink_write", 3, 1, BUF, LEN), 0);
    assert_int_equal(peek32(LEN), 3);                       /* left as is: all written */
    poke32(LEN, 2);
    assert_int_equal(CALL("bytes_sink_write", 3, 1, BUF + 3, LEN), 0);
    assert_int_equal(env.sink.len, 5);
    assert_memory_equal(env.sink.data, "hello", 5);
    assert_int_equal(CALL("bytes_sink_write", 3, 2, BUF, LEN), DBE_NO_SUCH_BYTES);
    abi_call_end(&env);                                     /* closed between calls */
    assert_int_equal(CALL("bytes_sink_write", 3, 1, BUF, LEN), DBE_NO_SUCH_BYTES);
    abi_call_begin(&env, "test_reducer", T0);
    assert_int_equal(env.sink.len, 0);
    assert_int_equal(imp("bytes_sink_write", &r, 3, 1, 0, LEN), ST_TRAP);
}

/* ---- insert and update ---------------------------------------------------------------------- */

static void test_insert_writes_back_generated_columns(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    poke32(LEN, put_row(ROW, 0, "ann", 5));
    assert_int_equal(CALL("datastore_insert_bsatn", 3, (int)tid, ROW, LEN), 0);
    assert_int_equal(peek32(LEN), 8);                       /* the product of generated columns */
    static const uint8_t one[8] = { 1 };
    assert_memory_equal(at(ROW), one, 8);                   /* id = 1 */

    uint32_t len = put_row(ROW, 42, "bob", 5);              /* an explicit id: nothing generated */
    poke32(LEN, len);
    assert_int_equal(CALL("datastore_insert_bsatn", 3, (int)tid, ROW, LEN), 0);
    assert_int_equal(peek32(LEN), 0);
    assert_int_equal(*at(ROW), 42);

    poke32(LEN, put_row(ROW, 0, "cid", 5));
    assert_int_equal(CALL("datastore_insert_bsatn", 3, (int)tid, ROW, LEN), 0);
    assert_int_equal(*at(ROW), 2);                          /* 42 did not move the sequence */

    /* A unique violation: 12, and nothing written back. */
    len = put_row(ROW, 0, "ann", 9);
    poke32(LEN, len);
    assert_int_equal(CALL("datastore_insert_bsatn", 3, (int)tid, ROW, LEN), DBE_UNIQUE_ALREADY_EXISTS);
    assert_int_equal(peek32(LEN), len);
    assert_int_equal(*at(ROW), 0);

    /* The identical row again: a silent success (tables are sets). */
    poke32(LEN, put_row(ROW, 42, "bob", 5));
    assert_int_equal(CALL("datastore_insert_bsatn", 3, (int)tid, ROW, LEN), 0);
    assert_int_equal(table_row_count(db_table(db, tid)), 3);

    /* Bytes that are not a row: 3.  A short length: 3.  No such table: 4. */
    poke(ROW, "\x01\x02\x03", 3);
    poke32(LEN, 3);
    assert_int_equal(CALL("datastore_insert_bsatn", 3, (int)tid, ROW, LEN), DBE_BSATN_DECODE_ERROR);
    poke32(LEN, put_row(ROW, 0, "dan", 5) - 1);
    assert_int_equal(CALL("datastore_insert_bsatn", 3, (int)tid, ROW, LEN), DBE_BSATN_DECODE_ERROR);
    assert_int_equal(CALL("datastore_insert_bsatn", 3, 9999, ROW, LEN), DBE_NO_SUCH_TABLE);
    assert_int_equal(imp("datastore_insert_bsatn", &r, 3, (int)tid, 0, LEN), ST_TRAP);
    assert_int_equal(imp("datastore_insert_bsatn", &r, 3, (int)tid, ROW, 0), ST_TRAP);
    poke32(LEN, 100000);
    assert_int_equal(imp("datastore_insert_bsatn", &r, 3, (int)tid, ROW, LEN), ST_TRAP);
}

static void test_update(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    assert_int_equal(insert(0, "ann", 5), 0);
    assert_int_equal(insert(0, "bob", 6), 0);
    uint32_t by_id = db_index_id(db, tid, 0), by_v = db_index_id(db, tid, 2);
    uint32_t len = put_row(ROW, 1, "ann", 50);
    poke32(LEN, len);
    assert_int_equal(CALL("datastore_update_bsatn", 4, (int)tid, (int)by_v, ROW, LEN),
                     DBE_INDEX_NOT_UNIQUE);
    assert_int_equal(CALL("datastore_update_bsatn", 4, (int)tid, 4242, ROW, LEN), DBE_NO_SUCH_INDEX);
    poke32(LEN, put_row(ROW, 7, "zed", 1));
    assert_int_equal(CALL("datastore_update_bsatn", 4, (int)tid, (int)by_id, ROW, LEN), DBE_NO_SUCH_ROW);
    poke32(LEN, put_row(ROW, 1, "bob", 1));                 /* bob's name is taken */
    assert_int_equal(CALL("datastore_update_bsatn", 4, (int)tid, (int)by_id, ROW, LEN),
                     DBE_UNIQUE_ALREADY_EXISTS);
    poke32(LEN, put_row(ROW, 1, "ann", 50));
    assert_int_equal(CALL("datastore_update_bsatn", 4, (int)tid, (int)by_id, ROW, LEN), 0);
    assert_int_equal(peek32(LEN), 0);                       /* nothing generated */
    poke32(LEN, put_row(ROW, 0, "cat", 1));                 /* id 0: generated, then not found */
    assert_int_equal(CALL("datastore_update_bsatn", 4, (int)tid, (int)by_id, ROW, LEN), DBE_NO_SUCH_ROW);
    StrBuf key;
    strbuf_init(&key);
    RowList rows;
    rowlist_init(&rows);
    assert_int_equal(table_scan_point_bsatn(db_table(db, tid), 0, (const uint8_t *)"\1\0\0\0\0\0\0\0",
                                            8, &rows, NULL), ST_OK);
    assert_int_equal(rows.count, 1);
    size_t n;
    const uint8_t *row = rowlist_get(&rows, 0, &n);
    assert_int_equal(row[n - 4], 50);                       /* v changed */
    rowlist_fini(&rows);
    strbuf_fini(&key);
}

/* ---- index scans and deletes ------------------------------------------------------------------ */

static void test_ranges_points_and_deletes(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    Bytes expected;
    ten_rows(&expected);                                    /* v = 0..9 */
    uint32_t by_v = db_index_id(db, tid, 2), by_id = db_index_id(db, tid, 0);
    /* find(v = 3) as Rust 1.1.2 sends it: prefix_elems 0, a non-NULL empty prefix,
     * rstart = rend = the same Included(3). */
    poke(BUF, (uint8_t[]){ 0, 3, 0, 0, 0 }, 5);
    assert_int_equal(CALL("datastore_index_scan_range_bsatn", 9, (int)by_v, 1, 0, 0, BUF, 5,
                          BUF, 5, OUT), 0);
    uint32_t it = peek32(OUT);
    poke32(LEN, 65536 - ROW2 - 1);
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, ROW2, LEN), -1);
    assert_int_equal(peek32(LEN), 19);                      /* one row: v 3, name "ddd" */
    assert_memory_equal(at(ROW2 + 12), "ddd", 3);
    /* prefix_elems 0: the prefix pointer is not read, even when NULL. */
    assert_int_equal(CALL("datastore_index_scan_range_bsatn", 9, (int)by_v, 0, 0, 0, BUF, 5,
                          BUF, 5, OUT), 0);
    assert_int_equal(imp("datastore_index_scan_range_bsatn", &r, 9, (int)by_v, 0, 0, 1, BUF, 5,
                         BUF, 5, OUT), ST_TRAP);            /* ... but it is with 1 */
    assert_int_equal(imp("datastore_index_scan_range_bsatn", &r, 9, (int)by_v, BUF, 0, 70000,
                         BUF, 5, BUF, 5, OUT), ST_TRAP);    /* prefix_elems > 65535 */
    assert_int_equal(imp("datastore_index_scan_range_bsatn", &r, 9, (int)by_v, 1, 0, 0, 0, 5,
                         BUF, 5, OUT), ST_TRAP);            /* rstart NULL */
    assert_int_equal(CALL("datastore_index_scan_range_bsatn", 9, (int)by_v, 1, 0, 0, BUF, 2,
                          BUF, 5, OUT), DBE_BSATN_DECODE_ERROR);
    assert_int_equal(CALL("datastore_index_scan_range_bsatn", 9, 4242, 1, 0, 0, BUF, 5, BUF, 5,
                          OUT), DBE_NO_SUCH_INDEX);

    /* Delete v < 4 (Unbounded .. Excluded(4)): four rows. */
    poke(BUF, (uint8_t[]){ 2, 1, 4, 0, 0, 0 }, 6);
    assert_int_equal(CALL("datastore_delete_by_index_scan_range_bsatn", 9, (int)by_v, 1, 0, 0,
                          BUF, 1, BUF + 1, 5, OUT), 0);
    assert_int_equal(peek32(OUT), 4);
    assert_int_equal(CALL("datastore_delete_by_btree_scan_bsatn", 9, (int)by_v, 1, 0, 0,
                          BUF, 1, BUF + 1, 5, OUT), 0);     /* the old alias */
    assert_int_equal(peek32(OUT), 0);

    /* 10.4 point scan and delete on the id index. */
    poke(BUF, (uint8_t[]){ 7, 0, 0, 0, 0, 0, 0, 0 }, 8);
    assert_int_equal(CALL("datastore_index_scan_point_bsatn", 4, (int)by_id, BUF, 8, OUT), 0);
    it = peek32(OUT);
    poke32(LEN, 1000);
    assert_int_equal(CALL("row_iter_bsatn_advance", 3, (int)it, ROW2, LEN), -1);
    assert_int_equal(peek32(LEN), 22);                      /* id 7: name of 6 bytes */
    assert_int_equal(CALL("datastore_delete_by_index_scan_point_bsatn", 4, (int)by_id, BUF, 8,
                          OUT), 0);
    assert_int_equal(peek32(OUT), 1);

    /* Delete by value: an array of two rows, one present (id 9), one not. */
    Bytes rel = { .n = 0 };
    put_le(&rel, 2, 4);
    put_le(&rel, 9, 8);
    put_str(&rel, "iiiiiiii");
    put_le(&rel, 8, 4);
    put_le(&rel, 99, 8);
    put_str(&rel, "nobody");
    put_le(&rel, 1, 4);
    poke(ROW, rel.b, rel.n);
    assert_int_equal(CALL("datastore_delete_all_by_eq_bsatn", 4, (int)tid, ROW, (int)rel.n, OUT), 0);
    assert_int_equal(peek32(OUT), 1);
    assert_int_equal(CALL("datastore_delete_all_by_eq_bsatn", 4, (int)tid, ROW, 3, OUT),
                     DBE_BSATN_DECODE_ERROR);
    assert_int_equal(table_row_count(db_table(db, tid)), 4);   /* 10 - 4 - 1 - 1 */
}

/* ---- logging, timers, identity ------------------------------------------------------------------ */

static void test_console_log(void **state)
{
    (void)state;
    int32_t r;
    poke(BUF, "my_crate::gamesrc/lib.rshello \xff world", 37);
    assert_int_equal(imp("console_log", &r, 8, 2, BUF, 14, BUF + 14, 10, 42, BUF + 24, 13), ST_OK);
    assert_int_equal(logs_count(logs), 1);
    const LogRecord *rec = logs_get(logs, 0);
    assert_int_equal(rec->level, MODLOG_INFO);
    assert_string_equal(rec->target, "my_crate::game");
    assert_string_equal(rec->filename, "src/lib.rs");
    assert_int_equal(rec->line, 42);
    assert_string_equal(rec->function, "test_reducer");
    assert_string_equal(rec->message, "hello \xEF\xBF\xBD world");   /* lossy UTF-8 */
    assert_int_equal(rec->ts, T0);
    /* NULL target and file are absent; an unknown level is Debug; no line. */
    assert_int_equal(imp("console_log", &r, 8, 77, 0, 0, 0, 0, -1, BUF + 24, 5), ST_OK);
    rec = logs_get(logs, 1);
    assert_null(rec->target);
    assert_null(rec->filename);
    assert_int_equal(rec->line, LOGS_NO_LINE);
    assert_int_equal(rec->level, MODLOG_DEBUG);
    /* Bad memory never traps: the record is dropped. */
    assert_int_equal(imp("console_log", &r, 8, 2, 0, 0, 0, 0, 1, 0, 5), ST_OK);
    assert_int_equal(imp("console_log", &r, 8, 2, 0, 0, 0, 0, 1, 65000, 5000), ST_OK);
    assert_int_equal(logs_count(logs), 2);
    /* A panic is remembered for the trap that follows. */
    assert_int_equal(imp("console_log", &r, 8, 101, 0, 0, BUF + 14, 10, 7, BUF + 24, 5), ST_OK);
    assert_string_equal(env.panic, "hello at src/lib.rs:7");
    assert_int_equal(logs_get(logs, 2)->level, MODLOG_PANIC);
}

static void test_timers_and_identity(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    poke(NAME, "load", 4);
    int32_t t1 = CALL("console_timer_start", 2, NAME, 4);
    int32_t t2 = CALL("console_timer_start", 2, NAME, 2);
    assert_int_equal(t1, 1);
    assert_int_equal(t2, 2);
    assert_int_equal(CALL("console_timer_end", 1, t1), 0);
    assert_int_equal(logs_count(logs), 1);
    assert_contains(logs_get(logs, 0)->message, "Timing span \"load\": ");
    assert_int_equal(CALL("console_timer_end", 1, t1), DBE_NO_SUCH_CONSOLE_TIMER);
    assert_int_equal(CALL("console_timer_end", 1, 0), DBE_NO_SUCH_CONSOLE_TIMER);
    assert_int_equal(CALL("console_timer_start", 2, NAME, 1), 1);    /* slot reused */
    assert_int_equal(imp("console_timer_start", &r, 2, 0, 0), ST_TRAP);

    memset(at(OUT), 0, 32);
    assert_int_equal(imp("identity", NULL, 1, OUT), ST_OK);
    assert_memory_equal(at(OUT), env.identity, 32);
    assert_int_equal(imp("identity", NULL, 1, 0), ST_TRAP);
    assert_int_equal(imp("identity", NULL, 1, 65530), ST_TRAP);
}

static void test_jwt_and_procedures(void **state)
{
    (void)state;
    int32_t r;
    Status st;
    poke32(OUT, 77);
    assert_int_equal(CALL("get_jwt", 2, BUF, OUT), 0);
    assert_int_equal(peek32(OUT), 0);                       /* no token: no source */
    assert_int_equal(CALL("procedure_start_mut_tx", 1, OUT), 17);
    assert_int_equal(CALL("procedure_commit_mut_tx", 0), 18);
    assert_int_equal(CALL("procedure_abort_mut_tx", 0), 18);
    assert_int_equal(imp("procedure_sleep_until", &r, 1, (int64_t)0), ST_TRAP);
}

static void test_trace_wrapper(void **state)
{
    (void)state;
    int32_t r;
    char text[512] = { 0 };
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    assert_non_null(f);
    env.trace = f;
    poke(NAME, "t", 1);
    assert_int_equal(imp("table_id_from_name", &r, 3, NAME, 1, OUT), ST_OK);
    env.trace = NULL;
    fclose(f);
    assert_string_equal(text, "  spacetime_10.0::table_id_from_name(100, 1, 200) -> 0\n");
}

/* Every import of describe.h's table has an implementation here. */
static void test_every_import_is_bound(void **state)
{
    (void)state;
    size_t n;
    const HostImport *all = describe_imports(&n);
    assert_true(n <= ABI_MAX_IMPORTS);
    for (size_t i = 0; i < n; i++) {
        WasmHostFn fn = NULL;
        void *user = NULL;
        abi_bind(&env, &all[i], &fn, &user);
        if (!fn)
            fail_msg("spacetime_10.%u::%s has no implementation", all[i].minor, all[i].name);
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_every_import_is_bound),
        T(test_names),
        T(test_row_count),
        T(test_iterator_chunks_whole_rows),
        T(test_iterator_empty_and_snapshot),
        T(test_bytes_source),
        T(test_sink),
        T(test_insert_writes_back_generated_columns),
        T(test_update),
        T(test_ranges_points_and_deletes),
        T(test_console_log),
        T(test_timers_and_identity),
        T(test_jwt_and_procedures),
        T(test_trace_wrapper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
