/*
 * test_describe.c - loading modules for describing (src/host/describe*.c)
 * and the `tinystdb describe` command.
 *
 * The modules are tiny WebAssembly binaries assembled here (build_wasm):
 * a fixed type section, then whatever imports, functions, exports and
 * data a test asks for.  The "fake module" imports bytes_sink_write and
 * console_log, logs from two preinit exports listed in reverse name
 * order, and describes itself with a hand-built RawModuleDefV9 kept in
 * its data segment, so the whole §2.1 sequence is checked without the
 * Rust module.  Each load error must name its cause.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_util.h"

#include <fcntl.h>
#include <unistd.h>

#include "host/describe.h"
#include "leak_check.h"
#include "wasm/wasm.h"

int cmd_describe(int argc, char **argv);

/* ---- a small assembler ------------------------------------------------------ */

typedef struct Bytes {
    uint8_t b[16384];
    size_t n;
} Bytes;

static void put(Bytes *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->b);
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void uleb(Bytes *b, uint32_t v)
{
    do {
        uint8_t c = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        put(b, &c, 1);
        v >>= 7;
    } while (v);
}

static void sleb(Bytes *b, int32_t v)
{
    for (bool more = true; more;) {
        uint8_t c = (uint8_t)(v & 0x7F);
        v >>= 7;   /* arithmetic shift on every compiler we use */
        more = !((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40)));
        c |= more ? 0x80 : 0;
        put(b, &c, 1);
    }
}

static void name(Bytes *b, const char *s)
{
    uleb(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}

static void section(Bytes *out, uint8_t id, const Bytes *payload)
{
    put(out, &id, 1);
    uleb(out, (uint32_t)payload->n);
    put(out, payload->b, payload->n);
}

enum { T_SINK, T_LOG, T_VOID, T_DESCRIBE, T_REDUCER };

/* Function types, in the order of the enum above. */
static const uint8_t type_section[] = {
    5,
    0x60, 3, 0x7F, 0x7F, 0x7F, 1, 0x7F,                                       /* T_SINK */
    0x60, 8, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0,               /* T_LOG */
    0x60, 0, 0,                                                               /* T_VOID */
    0x60, 1, 0x7F, 0,                                                         /* T_DESCRIBE */
    0x60, 10, 0x7F, 0x7E, 0x7E, 0x7E, 0x7E, 0x7E, 0x7E, 0x7E, 0x7F, 0x7F, 1, 0x7F, /* T_REDUCER */
};

typedef struct WImport { const char *module, *name; uint8_t type; } WImport;
typedef struct WFunc { uint8_t type; const uint8_t *body; size_t len; } WFunc;
typedef struct WExport { const char *name; uint8_t kind; uint32_t index; } WExport;

typedef struct WSpec {
    WImport imports[4];
    int nimports;
    WFunc funcs[6];
    int nfuncs;
    WExport exports[8];
    int nexports;
    const uint8_t *def;         /* data at 64, its length (u32) at 32, "ab" at 16 */
    size_t def_len;
} WSpec;

static void data_segment(Bytes *s, uint32_t offset, const void *bytes, size_t len)
{
    uint8_t hdr[] = { 0x00, 0x41 };   /* active, memory 0, offset i32.const ... */
    put(s, hdr, sizeof hdr);
    sleb(s, (int32_t)offset);
    uint8_t end = 0x0B;
    put(s, &end, 1);
    uleb(s, (uint32_t)len);
    put(s, bytes, len);
}

static void build_wasm(Bytes *out, const WSpec *w)
{
    static const uint8_t header[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    static const uint8_t memory[] = { 1, 0x00, 1 };   /* one memory, min 1 page */
    Bytes s = {0};
    out->n = 0;
    put(out, header, sizeof header);
    put(&s, type_section, sizeof type_section);
    section(out, 1, &s);
    s.n = 0;
    uleb(&s, (uint32_t)w->nimports);
    for (int i = 0; i < w->nimports; i++) {
        name(&s, w->imports[i].module);
        name(&s, w->imports[i].name);
        uint8_t kt[2] = { 0x00, w->imports[i].type };
        put(&s, kt, 2);
    }
    section(out, 2, &s);
    s.n = 0;
    uleb(&s, (uint32_t)w->nfuncs);
    for (int i = 0; i < w->nfuncs; i++)
        put(&s, &w->funcs[i].type, 1);
    section(out, 3, &s);
    s.n = 0;
    put(&s, memory, sizeof memory);
    section(out, 5, &s);
    s.n = 0;
    uleb(&s, (uint32_t)w->nexports);
    for (int i = 0; i < w->nexports; i++) {
        name(&s, w->exports[i].name);
        put(&s, &w->exports[i].kind, 1);
        uleb(&s, w->exports[i].index);
    }
    section(out, 7, &s);
    s.n = 0;
    uleb(&s, (uint32_t)w->nfuncs);
    for (int i = 0; i < w->nfuncs; i++) {
        uleb(&s, (uint32_t)w->funcs[i].len + 1);
        uint8_t nolocals = 0;
        put(&s, &nolocals, 1);
        put(&s, w->funcs[i].body, w->funcs[i].len);
    }
    section(out, 10, &s);
    s.n = 0;
    uint8_t len4[4] = { (uint8_t)w->def_len, (uint8_t)(w->def_len >> 8), 0, 0 };
    uleb(&s, 3);
    data_segment(&s, 16, "ab", 2);
    data_segment(&s, 32, len4, 4);
    data_segment(&s, 64, w->def ? (const void *)w->def : "", w->def_len);
    section(out, 11, &s);
}

/* console_log(level, NULL, 0, NULL, 0, -1, 16 + which, 1) with level < 64 */
#define LOG_BODY(level, which) 0x41, (level), 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0x7F, \
        0x41, 16 + (which), 0x41, 1, 0x10, 1
static const uint8_t preinit_a[] = { LOG_BODY(2, 0), 0x0B };
static const uint8_t preinit_b[] = { LOG_BODY(2, 1), 0x0B };
/* bytes_sink_write(sink, 64, 32); drop */
static const uint8_t describe_ok[] = { 0x20, 0, 0x41, 0xC0, 0, 0x41, 32, 0x10, 0, 0x1A, 0x0B };
static const uint8_t reducer_body[] = { 0x41, 0, 0x0B };

#define F(t, body) { (t), (body), sizeof (body) }

/* The fake module: funcs 0 sink, 1 log (imports), 2 preinit_a, 3 preinit_b,
 * 4 describe, 5 __call_reducer__. */
static WSpec fake_module(const DefBuf *def)
{
    WSpec w = {
        .imports = { { "spacetime_10.0", "bytes_sink_write", T_SINK },
                     { "spacetime_10.0", "console_log", T_LOG } },
        .nimports = 2,
        .funcs = { F(T_VOID, preinit_a), F(T_VOID, preinit_b), F(T_DESCRIBE, describe_ok),
                   F(T_REDUCER, reducer_body) },
        .nfuncs = 4,
        .exports = { { "memory", 2, 0 }, { "__preinit__20_b", 0, 3 }, { "__preinit__10_a", 0, 2 },
                     { "__describe_module__", 0, 4 }, { "__call_reducer__", 0, 5 } },
        .nexports = 5,
        .def = def->b,
        .def_len = def->n,
    };
    return w;
}

static DefBuf base_def(void)
{
    DefBuf d;
    V9Spec s = V9_BASE;
    build_v9(&d, &s);
    return d;
}

/* describe_wasm must fail with st and a message containing w1 (and w2). */
static void expect_load_error(const WSpec *w, const DescribeOptions *opt, Status st,
                              const char *w1, const char *w2)
{
    static Bytes b;
    build_wasm(&b, w);
    ModuleDef *def = NULL;
    ModError err = {0};
    Status got = describe_wasm(b.b, b.n, opt, &def, &err);
    bool ok = got == st && strstr(err.msg, w1) && (!w2 || strstr(err.msg, w2));
    if (!ok)
        print_error("expected %s \"%s\", got %s \"%s\"\n", status_str(st), w1, status_str(got),
                    err.msg);
    assert_true(ok);
    assert_null(def);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_fake_module(void **state)
{
    (void)state;
    DefBuf d = base_def();
    WSpec w = fake_module(&d);
    static Bytes b;
    build_wasm(&b, &w);
    StrBuf log;
    strbuf_init(&log);
    DescribeOptions opt = { .log = &log };
    ModuleDef *def = NULL;
    ModError err = {0};
    Status st = describe_wasm(b.b, b.n, &opt, &def, &err);
    if (st != ST_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, ST_OK);
    assert_non_null(moddef_find_index(def, "person_id_idx_btree", NULL));
    /* preinits ran in name order (10_a before 20_b), not export order */
    assert_string_equal(log.data, "info: a\ninfo: b\n");
    strbuf_fini(&log);
    moddef_free(def);
}

static void test_import_errors(void **state)
{
    (void)state;
    DefBuf d = base_def();
    WSpec w = fake_module(&d);
    w.imports[1] = (WImport){ "env", "foo", T_LOG };
    expect_load_error(&w, NULL, ST_LINK, "unknown import \"env::foo\"", NULL);
    w.imports[1] = (WImport){ "wasi_snapshot_preview1", "fd_write", T_LOG };
    expect_load_error(&w, NULL, ST_LINK, "WASI import \"wasi_snapshot_preview1::fd_write\"", NULL);
    w.imports[1] = (WImport){ "spacetime_10.0", "bogus", T_LOG };
    expect_load_error(&w, NULL, ST_LINK, "unknown import \"spacetime_10.0::bogus\"", NULL);
    w.imports[1] = (WImport){ "spacetime_10.0", "bytes_source_remaining_length", T_LOG };
    expect_load_error(&w, NULL, ST_LINK, "\"spacetime_10.0::bytes_source_remaining_length\"", NULL);
    w.imports[1] = (WImport){ "spacetime_10.5", "datastore_clear", T_LOG };
    expect_load_error(&w, NULL, ST_LINK, "needs ABI 10.5", "10.0 to 10.4");
    w.imports[1] = (WImport){ "spacetime_11.0", "console_log", T_LOG };
    expect_load_error(&w, NULL, ST_LINK, "one ABI major version", NULL);
    static const uint8_t nop[] = { 0x0B };
    w.funcs[0] = w.funcs[1] = (WFunc)F(T_VOID, nop);   /* nothing calls console_log now */
    w.imports[1] = (WImport){ "spacetime_10.0", "console_log", T_SINK };
    expect_load_error(&w, NULL, ST_LINK, "\"spacetime_10.0::console_log\" has the wrong type", NULL);
}

/* No imports at all: funcs shift down by two, so only exports are needed. */
static void test_no_spacetime_import(void **state)
{
    (void)state;
    static const uint8_t nop[] = { 0x0B };
    WSpec w = {
        .funcs = { F(T_DESCRIBE, nop), F(T_REDUCER, reducer_body) },
        .nfuncs = 2,
        .exports = { { "memory", 2, 0 }, { "__describe_module__", 0, 0 },
                     { "__call_reducer__", 0, 1 } },
        .nexports = 3,
    };
    expect_load_error(&w, NULL, ST_LINK, "no spacetime_10.x function import",
                      "cannot determine the module's ABI version");
}

static void test_export_errors(void **state)
{
    (void)state;
    DefBuf d = base_def();
    WSpec w = fake_module(&d);
    w.exports[3].name = "__describe__";
    expect_load_error(&w, NULL, ST_LINK, "does not export __describe_module__", NULL);
    w = fake_module(&d);
    w.exports[0].name = "mem";
    expect_load_error(&w, NULL, ST_LINK, "does not export its memory as \"memory\"", NULL);
    w = fake_module(&d);
    w.exports[1].index = 4;   /* a preinit of type (i32) -> () */
    expect_load_error(&w, NULL, ST_LINK, "__preinit__20_b must be a function () -> ()", NULL);
    w = fake_module(&d);
    w.exports[4].index = 4;
    expect_load_error(&w, NULL, ST_LINK, "export __call_reducer__ has the wrong type", NULL);
}

static void test_traps(void **state)
{
    (void)state;
    DefBuf d = base_def();
    WSpec w = fake_module(&d);
    /* describe calls an import it may not use while describing (func 0 retyped below) */
    w.imports[0] = (WImport){ "spacetime_10.0", "datastore_insert_bsatn", T_SINK };
    expect_load_error(&w, NULL, ST_TRAP, "__describe_module__ trapped",
                      "spacetime_10.0::datastore_insert_bsatn is not available while describing");
    /* a panic: log at level 101 (SLEB e5 00), then unreachable */
    static const uint8_t panic[] = { 0x41, 0xE5, 0x00, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0,
                                     0x41, 0x7F, 0x41, 16, 0x41, 2, 0x10, 1, 0x00, 0x0B };
    w = fake_module(&d);
    w.funcs[2] = (WFunc)F(T_DESCRIBE, panic);
    expect_load_error(&w, NULL, ST_TRAP, "unreachable", "(the module panicked: ab)");
    /* an endless loop runs out of fuel */
    static const uint8_t spin[] = { 0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B };
    w.funcs[2] = (WFunc)F(T_DESCRIBE, spin);
    DescribeOptions opt = { .fuel = 100000 };
    expect_load_error(&w, &opt, ST_TRAP, "__describe_module__ trapped", "fuel");
    /* bytes_sink_write with a NULL buffer */
    static const uint8_t null_ptr[] = { 0x20, 0, 0x41, 0, 0x41, 32, 0x10, 0, 0x1A, 0x0B };
    w.funcs[2] = (WFunc)F(T_DESCRIBE, null_ptr);
    expect_load_error(&w, NULL, ST_TRAP, "bytes_sink_write: NULL pointer", NULL);
    /* a definition over the cap */
    w = fake_module(&d);
    opt = (DescribeOptions){ .max_def_bytes = 10 };
    expect_load_error(&w, &opt, ST_TRAP, "larger than 10 bytes", NULL);
}

/* The sink exists only around describe: a preinit writing to it gets 8. */
static void test_sink_closed_in_preinit(void **state)
{
    (void)state;
    /* if (bytes_sink_write(1, 64, 32) != 8) unreachable */
    static const uint8_t body[] = { 0x41, 1, 0x41, 0xC0, 0, 0x41, 32, 0x10, 0, 0x41, 8, 0x47,
                                    0x04, 0x40, 0x00, 0x0B, 0x0B };
    DefBuf d = base_def();
    WSpec w = fake_module(&d);
    w.funcs[0] = (WFunc)F(T_VOID, body);
    static Bytes b;
    build_wasm(&b, &w);
    ModuleDef *def = NULL;
    ModError err = {0};
    Status st = describe_wasm(b.b, b.n, NULL, &def, &err);
    if (st != ST_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, ST_OK);
    moddef_free(def);
}

static void test_bad_definitions(void **state)
{
    (void)state;
    DefBuf d = base_def();
    d.b[0] = 2;   /* V10 */
    WSpec w = fake_module(&d);
    expect_load_error(&w, NULL, ST_UNSUPPORTED, "V10 modules (SpacetimeDB 2.x) are not supported",
                      NULL);
    d.n = 0;      /* describe writes nothing */
    w = fake_module(&d);
    expect_load_error(&w, NULL, ST_MALFORMED, "truncated at byte 0", NULL);
    ModuleDef *def = NULL;
    ModError err = {0};
    assert_int_equal(describe_wasm((const uint8_t *)"hello", 5, NULL, &def, &err), ST_MALFORMED);
    assert_non_null(strstr(err.msg, "not a valid WebAssembly module"));
}

static void test_import_table(void **state)
{
    (void)state;
    const HostImport *h = describe_find_import("spacetime_10.0", 14, "console_log", 11);
    assert_non_null(h);
    assert_int_equal(h->nparams, 8);
    assert_int_equal(h->nresults, 0);
    h = describe_find_import("spacetime_10.4", 14, "datastore_index_scan_point_bsatn", 32);
    assert_non_null(h);
    assert_int_equal(h->minor, 4);
    assert_null(describe_find_import("spacetime_10.1", 14, "console_log", 11));
    assert_null(describe_find_import("spacetime_10.00x", 16, "console_log", 11));
    size_t n;
    const HostImport *all = describe_imports(&n);
    assert_true(n >= 29);
    for (size_t i = 0; i < n; i++)
        assert_true(all[i].nparams <= 9 && all[i].nresults <= 1 && all[i].minor <= 4);
}

static void test_rust_imports(void **state)
{
    (void)state;
    char path[512];
    size_t len = 0;
    uint8_t *wasm = read_rust_module(&len, path, sizeof path);
    if (!wasm) {
        print_message("SKIPPED: %s not found (set TINYSTDB_SHARED)\n", RUST_MODULE);
        skip();
    }
    WasmModule *m = NULL;
    WasmError werr = {0};
    assert_int_equal(wasm_module_load(wasm, len, &m, &werr), ST_OK);
    uint32_t minor = 99;
    ModError err = {0};
    assert_int_equal(describe_check_imports(m, &minor, &err), ST_OK);
    assert_int_equal(minor, 0);
    assert_int_equal(describe_check_exports(m, &err), ST_OK);
    wasm_module_free(m);
    mem_free(wasm);
}

/* Run cmd_describe with stdout and stderr sent to /dev/null. */
static int quiet_describe(int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), errfd = dup(2), null = open("/dev/null", O_WRONLY);
    assert_true(out >= 0 && errfd >= 0 && null >= 0);
    dup2(null, 1);
    dup2(null, 2);
    int rc = cmd_describe(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(errfd, 2);
    close(out);
    close(errfd);
    close(null);
    return rc;
}

static void test_cmd_describe(void **state)
{
    (void)state;
    char *missing[] = { "describe", "--wasm", "/nonexistent/x.wasm", NULL };
    assert_int_equal(quiet_describe(3, missing), 1);
    char *none[] = { "describe", NULL };
    assert_int_equal(quiet_describe(1, none), 1);
    char *bad[] = { "describe", "--wasm", "a.wasm", "--frob", NULL };
    assert_int_equal(quiet_describe(4, bad), 1);
    char *help[] = { "describe", "--help", NULL };
    assert_int_equal(quiet_describe(2, help), 0);
    char path[512];
    size_t len = 0;
    uint8_t *wasm = read_rust_module(&len, path, sizeof path);
    if (!wasm)
        return;
    mem_free(wasm);
    char *ok[] = { "describe", "--wasm", path, "--json", NULL };
    assert_int_equal(quiet_describe(4, ok), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fake_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_spacetime_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_closed_in_preinit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_definitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_imports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_describe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
