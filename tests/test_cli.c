/*
 * test_cli.c - the tinystdb command: value text (src/cli/value.c) and
 * file reading in process, and `tinystdb wasm run|validate|dump` end to
 * end, by running the built binary on the committed example modules and
 * checking its output and exit status (0 ok, 1 error, 2 trap).
 *
 * The end-to-end tests find the binary next to this test's build
 * directory (build/tests/test_cli -> build/tinystdb), or in $TINYSTDB_BIN,
 * and skip when it or examples/wasm/demo.wasm is absent (they expect to
 * run from the repository root, as tools/run-tests.sh does).
 *
 * Book: chapter 8, book/08-cli.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/value.h"
#include "util/alloc.h"

/* ---- parsing ------------------------------------------------------------ */

/* Parse `text` (typed) and return its bits; fails the test on error. */
static WasmCell parse_ok(const char *text, uint8_t want_type)
{
    WasmError err = {0};
    WasmCell v = 0;
    uint8_t type = 0;
    Status st = value_parse(text, 0, &type, &v, &err);
    if (st != ST_OK)
        fail_msg("\"%s\": %s", text, err.msg);
    assert_int_equal(type, want_type);
    return v;
}

/* Parse must fail with ST_ARG and a message containing `why`. */
static void parse_bad(const char *text, uint8_t want, const char *why)
{
    WasmError err = {0};
    WasmCell v = 0;
    assert_int_equal(value_parse(text, want, NULL, &v, &err), ST_ARG);
    if (!strstr(err.msg, why))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.msg, why);
}

static void test_parse_integers(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("i32:5", WASM_I32), 5);
    assert_int_equal(parse_ok("i32:-1", WASM_I32), 0xffffffffu);
    assert_int_equal(parse_ok("i32:0xffffffff", WASM_I32), 0xffffffffu);
    assert_int_equal(parse_ok("i32:0XFFFFFFFF", WASM_I32), 0xffffffffu);
    assert_int_equal(parse_ok("i32:4294967295", WASM_I32), 0xffffffffu);
    assert_int_equal(parse_ok("i32:-2147483648", WASM_I32), 0x80000000u);
    assert_int_equal(parse_ok("i32:+7", WASM_I32), 7);
    assert_int_equal(parse_ok("i32:-0x10", WASM_I32), 0xfffffff0u);
    assert_int_equal(parse_ok("i64:42", WASM_I64), 42);
    assert_int_equal(parse_ok("i64:-1", WASM_I64), UINT64_MAX);
    assert_int_equal(parse_ok("i64:-9223372036854775808", WASM_I64), 0x8000000000000000u);
    assert_int_equal(parse_ok("i64:18446744073709551615", WASM_I64), UINT64_MAX);
    assert_int_equal(parse_ok("i64:0x123456789abcdef0", WASM_I64), 0x123456789abcdef0u);

    parse_bad("i32:4294967296", 0, "out of range");
    parse_bad("i32:-2147483649", 0, "out of range");
    parse_bad("i32:0x100000000", 0, "out of range");
    parse_bad("i64:18446744073709551616", 0, "out of range");
    parse_bad("i64:-9223372036854775809", 0, "out of range");
    parse_bad("i64:0x10000000000000000", 0, "out of range");
    parse_bad("i64:99999999999999999999999", 0, "out of range");
    parse_bad("i32:", 0, "no digits");
    parse_bad("i32:0x", 0, "no digits");
    parse_bad("i32:-", 0, "no digits");
    parse_bad("i32:12abc", 0, "not a number");
    parse_bad("i32: 5", 0, "not a number");
    parse_bad("i32:5 ", 0, "not a number");
    parse_bad("i32:1.5", 0, "not a number");
    parse_bad("i32:--1", 0, "not a number");
    parse_bad("i32:0xg", 0, "not a number");
}

static void test_parse_floats(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("f32:1.5", WASM_F32), 0x3fc00000u);
    assert_int_equal(parse_ok("f32:0x3fc00000", WASM_F32), 0x3fc00000u);
    assert_int_equal(parse_ok("f32:0x1.8p0", WASM_F32), 0x3fc00000u);   /* a hex float */
    assert_int_equal(parse_ok("f32:-0", WASM_F32), 0x80000000u);
    assert_int_equal(parse_ok("f32:0.1", WASM_F32), 0x3dcccccdu);
    assert_int_equal(parse_ok("f32:3.4028235e38", WASM_F32), 0x7f7fffffu);
    assert_int_equal(parse_ok("f32:1e-45", WASM_F32), 1);               /* smallest subnormal */
    assert_int_equal(parse_ok("f32:nan", WASM_F32), 0x7fc00000u);
    assert_int_equal(parse_ok("f32:-nan", WASM_F32), 0xffc00000u);
    assert_int_equal(parse_ok("f32:inf", WASM_F32), 0x7f800000u);
    assert_int_equal(parse_ok("f32:-inf", WASM_F32), 0xff800000u);
    assert_int_equal(parse_ok("f32:0x7fa00001", WASM_F32), 0x7fa00001u); /* signalling NaN kept */
    assert_int_equal(parse_ok("f64:1.5", WASM_F64), 0x3ff8000000000000u);
    assert_int_equal(parse_ok("f64:-2.5e-3", WASM_F64), 0xbf647ae147ae147bu);
    assert_int_equal(parse_ok("f64:.5", WASM_F64), 0x3fe0000000000000u);
    assert_int_equal(parse_ok("f64:nan", WASM_F64), 0x7ff8000000000000u);
    assert_int_equal(parse_ok("f64:+inf", WASM_F64), 0x7ff0000000000000u);
    assert_int_equal(parse_ok("f64:-inf", WASM_F64), 0xfff0000000000000u);
    assert_int_equal(parse_ok("f64:0x7ff8000000000001", WASM_F64), 0x7ff8000000000001u);
    assert_int_equal(parse_ok("f64:0xfff4000000000000", WASM_F64), 0xfff4000000000000u);
    assert_int_equal(parse_ok("f64:1", WASM_F64), 0x3ff0000000000000u);

    parse_bad("f32:0x100000000", 0, "more bits");
    parse_bad("f64:0x10000000000000000", 0, "more bits");
    parse_bad("f32:1e39", 0, "out of range");
    parse_bad("f64:1e309", 0, "out of range");
    parse_bad("f64:-1e309", 0, "out of range");
    parse_bad("f32:abc", 0, "not a number");
    parse_bad("f32:infinity", 0, "not a number");
    parse_bad("f32:NaN", 0, "not a number");
    parse_bad("f64:nan(1)", 0, "not a number");
    parse_bad("f64: 1", 0, "not a number");
    parse_bad("f64:1.5x", 0, "not a number");
    parse_bad("f64:", 0, "not a number");
    parse_bad("f64:-0x3ff0000000000000", 0, "take no sign");   /* raw bits: no sign */
    assert_int_equal(parse_ok("f64:-0x1p0", WASM_F64), 0xbff0000000000000u);
}

static void test_parse_refs_and_prefixes(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("funcref:null", WASM_FUNCREF), 0);
    assert_int_equal(parse_ok("externref:null", WASM_EXTERNREF), 0);
    assert_int_equal(parse_ok("externref:7", WASM_EXTERNREF), 7);
    parse_bad("funcref:1", 0, "only funcref:null");
    parse_bad("externref:0", 0, "would be null");
    parse_bad("externref:-1", 0, "host value");
    parse_bad("externref:nil", 0, "host value");

    /* Without a prefix the expected type decides; with one it must agree. */
    WasmError err = {0};
    WasmCell v = 0;
    uint8_t type = 0;
    assert_int_equal(value_parse("-1", WASM_I64, &type, &v, &err), ST_OK);
    assert_int_equal(type, WASM_I64);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(value_parse("2.5", WASM_F32, &type, &v, &err), ST_OK);
    assert_int_equal(v, 0x40200000u);
    assert_int_equal(value_parse("i32:3", WASM_I32, NULL, &v, &err), ST_OK);
    assert_int_equal(v, 3);
    parse_bad("f32:1.5", WASM_I32, "expected i32, not f32");
    parse_bad("5", 0, "write the type too, e.g. i32:5");
    parse_bad("i33:5", 0, "unknown type \"i33\"");
    parse_bad(":5", 0, "unknown type");
    parse_bad("v128:0", 0, "unknown type");
    assert_int_equal(value_type_parse("externref", 9), WASM_EXTERNREF);
    assert_int_equal(value_type_parse("i3", 2), 0);
    assert_string_equal(value_type_name(WASM_F64), "f64");
    assert_string_equal(value_type_name(0x42), "?");
}

/* ---- printing ------------------------------------------------------------- */

static void format_is(uint8_t type, WasmCell v, const char *want)
{
    char buf[VALUE_TEXT_MAX];
    int n = value_format(buf, sizeof buf, type, v);
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_format(void **state)
{
    (void)state;
    format_is(WASM_I32, 0xffffffffu, "i32:-1");
    format_is(WASM_I32, 0x80000000u, "i32:-2147483648");
    format_is(WASM_I32, 0x7fffffffu, "i32:2147483647");
    format_is(WASM_I64, 42, "i64:42");
    format_is(WASM_I64, 0x8000000000000000u, "i64:-9223372036854775808");
    format_is(WASM_I64, UINT64_MAX, "i64:-1");
    format_is(WASM_F32, 0x3fc00000u, "f32:0x3fc00000 (1.5)");
    format_is(WASM_F32, 0x3dcccccdu, "f32:0x3dcccccd (0.1)");
    format_is(WASM_F32, 0x00000001u, "f32:0x00000001 (1e-45)");
    format_is(WASM_F32, 0x7fc00000u, "f32:0x7fc00000 (nan)");
    format_is(WASM_F32, 0xffc00000u, "f32:0xffc00000 (-nan)");
    format_is(WASM_F32, 0x7fa00001u, "f32:0x7fa00001 (nan)");
    format_is(WASM_F32, 0xff800000u, "f32:0xff800000 (-inf)");
    format_is(WASM_F64, 0x7ff8000000000000u, "f64:0x7ff8000000000000 (nan)");
    format_is(WASM_F64, 0xfff8000000000001u, "f64:0xfff8000000000001 (-nan)");
    format_is(WASM_F64, 0x7ff0000000000000u, "f64:0x7ff0000000000000 (inf)");
    format_is(WASM_F64, 0x8000000000000000u, "f64:0x8000000000000000 (-0)");
    format_is(WASM_F64, 0x3fb999999999999au, "f64:0x3fb999999999999a (0.1)");
    format_is(WASM_F64, 0x3fd5555555555555u, "f64:0x3fd5555555555555 (0.3333333333333333)");
    format_is(WASM_F64, 0x3fd3333333333334u, "f64:0x3fd3333333333334 (0.30000000000000004)");
    format_is(WASM_F64, 0x4014000000000000u, "f64:0x4014000000000000 (5)");
    format_is(WASM_F64, 0x4059000000000000u, "f64:0x4059000000000000 (100)");
    format_is(WASM_F64, 0x4202a05f20000000u, "f64:0x4202a05f20000000 (10000000000)");
    format_is(WASM_F64, 0x4415af1d78b58c40u, "f64:0x4415af1d78b58c40 (1e+20)");
    format_is(WASM_F64, 0x3f50624dd2f1a9fcu, "f64:0x3f50624dd2f1a9fc (0.001)");
    format_is(WASM_F64, 0x3ee4f8b588e368f1u, "f64:0x3ee4f8b588e368f1 (1e-05)");
    format_is(WASM_F32, 0x501502f9u, "f32:0x501502f9 (10000000000)");
    format_is(WASM_FUNCREF, 0, "funcref:null");
    format_is(WASM_EXTERNREF, 0, "externref:null");
    format_is(WASM_EXTERNREF, 7, "externref:7");

    /* snprintf contract: truncated, terminated, full length returned. */
    char small[8];
    assert_int_equal(value_format(small, sizeof small, WASM_I64, 1234567890123u), 17);
    assert_string_equal(small, "i64:123");

    uint8_t types[] = {WASM_I32, WASM_F64, WASM_EXTERNREF};
    WasmFuncType ft = {2, 1, types};
    char sig[64];
    assert_int_equal(value_format_functype(sig, sizeof sig, &ft), 25);
    assert_string_equal(sig, "(i32, f64) -> (externref)");
    WasmFuncType empty = {0, 0, types};
    value_format_functype(sig, sizeof sig, &empty);
    assert_string_equal(sig, "() -> ()");
    assert_int_equal(value_format_functype(sig, 4, &ft), 25);
    assert_string_equal(sig, "(i3");
}

/* Format, then parse both the hex and the decimal back: same bits. */
static void round_trip(uint8_t type, uint64_t bits)
{
    char text[VALUE_TEXT_MAX], dec[VALUE_TEXT_MAX];
    value_format(text, sizeof text, type, bits);
    char *space = strchr(text, ' ');
    assert_non_null(space);
    *space = '\0';
    assert_int_equal(parse_ok(text, type), bits);
    const char *open = space + 2;
    snprintf(dec, sizeof dec, "%s:%.*s", value_type_name(type), (int)strcspn(open, ")"), open);
    WasmCell back = parse_ok(dec, type);
    bool nan = type == WASM_F32 ? (bits & 0x7fffffffu) > 0x7f800000u
                                : (bits & 0x7fffffffffffffffu) > 0x7ff0000000000000u;
    if (!nan && back != bits)
        fail_msg("%s read back as 0x%llx", dec, (unsigned long long)back);
}

static void test_float_round_trip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u;   /* xorshift64 */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        round_trip(WASM_F64, x);
        round_trip(WASM_F32, x & 0xffffffffu);
        round_trip(WASM_F32, (x >> 32) & 0x807fffffu);   /* small exponents: subnormals */
    }
    round_trip(WASM_F64, 1);                                 /* smallest subnormal */
    round_trip(WASM_F64, 0x7fefffffffffffffu);               /* largest finite */
    round_trip(WASM_F32, 0x7f7fffffu);
}

/* ---- reading files --------------------------------------------------------- */

static void test_read_file(void **state)
{
    (void)state;
    uint8_t *bytes = NULL;
    size_t len = 0;
    WasmError err = {0};
    long live = mem_live();
    if (access("examples/wasm/demo.wasm", R_OK) != 0)
        skip();
    assert_int_equal(cmd_wasm_read_file("examples/wasm/demo.wasm", &bytes, &len, &err), ST_OK);
    assert_true(len > 8);
    assert_memory_equal(bytes, "\0asm\1\0\0\0", 8);
    mem_free(bytes);

    assert_int_equal(cmd_wasm_read_file("examples/wasm/no-such.wasm", &bytes, &len, &err), ST_IO);
    assert_non_null(strstr(err.msg, "cannot open: "));
    assert_int_equal(cmd_wasm_read_file("examples/wasm", &bytes, &len, &err), ST_IO);
    assert_non_null(strstr(err.msg, "cannot read: "));
    mem_fail_after(0);   /* the first buffer cannot be had */
    assert_int_equal(cmd_wasm_read_file("examples/wasm/demo.wasm", &bytes, &len, &err), ST_NOMEM);
    mem_fail_after(-1);
    assert_int_equal(mem_live(), live);
}

/* ---- end to end ------------------------------------------------------------ */

typedef struct Cli {
    char bin[512];
    char dir[64];      /* scratch directory */
    int status;        /* exit status; 128+N when killed by signal N */
    char out[16384], err[4096];
} Cli;

static Cli cli;
static const char *argv0 = "build/tests/test_cli";

static void read_into(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t len = f ? fread(buf, 1, n - 1, f) : 0;
    buf[len] = '\0';
    if (f)
        fclose(f);
}

/* Run "tinystdb ARGS" (a shell word list of our own making). */
static int run(const char *fmt, ...)
{
    char args[1024], cmd[2048], path[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s >%s/out 2>%s/err", cli.bin, args, cli.dir, cli.dir);
    int st = system(cmd);
    cli.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    snprintf(path, sizeof path, "%s/out", cli.dir);
    read_into(path, cli.out, sizeof cli.out);
    snprintf(path, sizeof path, "%s/err", cli.dir);
    read_into(path, cli.err, sizeof cli.err);
    return cli.status;
}

static void write_file(const char *name, const void *bytes, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", cli.dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

static size_t read_demo(uint8_t *buf, size_t n)
{
    FILE *f = fopen("examples/wasm/demo.wasm", "rb");
    assert_non_null(f);
    size_t len = fread(buf, 1, n, f);
    fclose(f);
    return len;
}

static int setup_e2e(void **state)
{
    (void)state;
    const char *env = getenv("TINYSTDB_BIN");
    if (env) {
        snprintf(cli.bin, sizeof cli.bin, "%s", env);
    } else {   /* BUILD/tests/test_cli -> BUILD/tinystdb */
        snprintf(cli.bin, sizeof cli.bin, "%s", argv0);
        char *slash = strrchr(cli.bin, '/');
        if (slash)
            *slash = '\0';   /* BUILD/tests */
        slash = strrchr(cli.bin, '/');
        char *name = slash ? slash + 1 : cli.bin;
        snprintf(name, sizeof cli.bin - (size_t)(name - cli.bin), "tinystdb");
    }
    snprintf(cli.dir, sizeof cli.dir, "/tmp/test_cli.XXXXXX");
    return mkdtemp(cli.dir) ? 0 : -1;
}

static int teardown_e2e(void **state)
{
    (void)state;
    static const char *const names[] = {"out",      "err",       "bad.wasm", "mv.wasm",
                                        "cut.wasm", "text.wasm", "flip.wasm"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", cli.dir, names[i]);
        unlink(path);
    }
    rmdir(cli.dir);
    return 0;
}

#define NEED_BINARY()                                                                  \
    do {                                                                               \
        if (access(cli.bin, X_OK) != 0 || access("examples/wasm/demo.wasm", R_OK) != 0) \
            skip();                                                                    \
    } while (0)

#define DEMO "examples/wasm/demo.wasm"

static void expect(int status, const char *out, const char *err_part)
{
    if (cli.status != status || (out && strcmp(cli.out, out) != 0) ||
        (err_part && !strstr(cli.err, err_part)))
        fail_msg("status %d (want %d)\nstdout: %s\nstderr: %s\nwanted stdout %s, stderr with %s",
                 cli.status, status, cli.out, cli.err, out ? out : "(any)",
                 err_part ? err_part : "(any)");
}

static void test_run_results(void **state)
{
    (void)state;
    NEED_BINARY();
    run("wasm run " DEMO " add 2 3");
    expect(0, "i32:5\n", "");
    run("wasm run " DEMO " add i32:-1 i32:0xffffffff");
    expect(0, "i32:-2\n", "");
    run("wasm run " DEMO " fact 20");
    expect(0, "i64:2432902008176640000\n", "");
    run("wasm run " DEMO " checksum 43");
    expect(0, "i32:1541148634\n", "");   /* Adler-32 of the sentence: 0x5bdc0fda */
    run("wasm run " DEMO " hypot f64:3 4");
    expect(0, "f64:0x4014000000000000 (5)\n", "");
    run("wasm run " DEMO " half f32:3");
    expect(0, "f32:0x3fc00000 (1.5)\n", "");
    run("wasm run " DEMO " half -inf");
    expect(0, "f32:0xff800000 (-inf)\n", "");
    run("wasm run " DEMO " collatz 27");
    expect(0, "i32:111\n", "");
}

/* Multiple results and reference values, from a module written by hand:
 *   (func (export "many") (result i32 i64 f32 f64)
 *     i32.const -1  i64.const 42  f32.const 1.5  f64.const nan)
 *   (func (export "refs") (param externref) (result externref funcref)
 *     local.get 0  ref.null func) */
static void test_run_multi_value_and_refs(void **state)
{
    (void)state;
    NEED_BINARY();
    static const uint8_t mv[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x02, 0x60, 0x00,
        0x04, 0x7f, 0x7e, 0x7d, 0x7c, 0x60, 0x01, 0x6f, 0x02, 0x6f, 0x70, 0x03, 0x03,
        0x02, 0x00, 0x01, 0x07, 0x0f, 0x02, 0x04, 0x6d, 0x61, 0x6e, 0x79, 0x00, 0x00,
        0x04, 0x72, 0x65, 0x66, 0x73, 0x00, 0x01, 0x0a, 0x1d, 0x02, 0x14, 0x00, 0x41,
        0x7f, 0x42, 0x2a, 0x43, 0x00, 0x00, 0xc0, 0x3f, 0x44, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xf8, 0x7f, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xd0, 0x70, 0x0b,
    };
    write_file("mv.wasm", mv, sizeof mv);
    run("wasm run %s/mv.wasm many", cli.dir);
    expect(0, "i32:-1\ni64:42\nf32:0x3fc00000 (1.5)\nf64:0x7ff8000000000000 (nan)\n", "");
    run("wasm run %s/mv.wasm refs externref:7", cli.dir);
    expect(0, "externref:7\nfuncref:null\n", "");
    run("wasm run %s/mv.wasm refs null", cli.dir);
    expect(0, "externref:null\nfuncref:null\n", "");
    run("wasm run %s/mv.wasm refs funcref:null", cli.dir);
    expect(1, "", "expected externref, not funcref");
}

static void test_run_traps(void **state)
{
    (void)state;
    NEED_BINARY();
    run("wasm run " DEMO " divide 1 0");
    expect(2, "", "trap: integer divide by zero\n");
    run("wasm run " DEMO " divide i32:-2147483648 -1");
    expect(2, "", "trap: integer overflow\n");
    run("wasm run " DEMO " collatz 27 --fuel 50");
    expect(2, "", "trap: out of fuel\n");
    run("wasm run " DEMO " --fuel 100000 collatz 27");
    expect(0, "i32:111\n", "fuel: ");
}

static void test_run_trace(void **state)
{
    (void)state;
    NEED_BINARY();
    run("wasm run " DEMO " add 1 2 --trace");
    expect(0, NULL, NULL);
    size_t len = strlen(cli.out), lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += cli.out[i] == '\n';
    assert_true(lines >= 2);   /* at least one traced node, then the result */
    assert_string_equal(cli.out + len - 6, "i32:3\n");   /* results after the trace */
    assert_non_null(strstr(cli.out, "i32.add"));
}

static void test_run_errors(void **state)
{
    (void)state;
    NEED_BINARY();
    run("wasm run " DEMO " add 1");
    expect(1, "", "add takes 2 arguments, got 1; its type is (i32, i32) -> (i32)");
    run("wasm run " DEMO " add f32:1 2");
    expect(1, "", "expected i32, not f32");
    run("wasm run " DEMO " add 1 2x");
    expect(1, "", "(i32, i32) -> (i32)");
    run("wasm run " DEMO " nosuch");
    expect(1, "", "no export \"nosuch\"; exported functions: add, fact");
    run("wasm run " DEMO " memory");
    expect(1, "", "is a memory, not a function");
    run("wasm run examples/wasm/imports.wasm hello");
    expect(1, "", "imports function \"env\".\"print_i32\"");
    run("wasm run %s/missing.wasm f", cli.dir);
    expect(1, "", "missing.wasm: cannot open: ");
    run("wasm run " DEMO " add 1 2 --fuel");
    expect(1, "", "--fuel needs a count");
    run("wasm run " DEMO);
    expect(1, "", "usage: tinystdb wasm run");
    run("wasm frob");
    expect(1, "", "unknown subcommand");
    run("frob");
    expect(1, "", "unknown command");
    run("help wasm");
    expect(0, NULL, "");
    assert_non_null(strstr(cli.out, "tinystdb wasm run FILE.wasm FUNC"));
}

/* Bad files: one line on stderr, exit 1, never a crash. */
static void test_bad_files(void **state)
{
    (void)state;
    NEED_BINARY();
    /* () -> i32 whose body is `i64.const 0`: a type mismatch. */
    static const uint8_t bad[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f,
                                  3, 2, 1, 0, 10, 6, 1, 4, 0, 0x42, 0, 0x0b};
    write_file("bad.wasm", bad, sizeof bad);
    run("wasm validate %s/bad.wasm", cli.dir);
    expect(1, "", "bad.wasm: invalid: type mismatch");
    assert_non_null(strstr(cli.err, " at byte 0x"));
    write_file("text.wasm", "hello\n", 6);
    run("wasm run %s/text.wasm f", cli.dir);
    expect(1, "", "text.wasm: malformed: ");
    assert_ptr_equal(strchr(cli.err, '\n'), cli.err + strlen(cli.err) - 1);

    uint8_t demo[4096];
    size_t len = read_demo(demo, sizeof demo);
    for (size_t cut = 0; cut < len; cut += 37) {   /* truncated files */
        write_file("cut.wasm", demo, cut);
        run("wasm validate %s/cut.wasm", cli.dir);
        expect(1, "", "cut.wasm: ");
        assert_ptr_equal(strchr(cli.err, '\n'), cli.err + strlen(cli.err) - 1);
    }
    for (size_t at = 8; at < len; at += 23) {   /* one corrupted byte */
        uint8_t saved = demo[at];
        demo[at] ^= 0xff;
        write_file("flip.wasm", demo, len);
        demo[at] = saved;
        run("wasm run %s/flip.wasm collatz 27", cli.dir);
        if (cli.status > 2)
            fail_msg("byte %zu flipped: status %d, stderr %s", at, cli.status, cli.err);
    }
}

static void test_validate_and_dump(void **state)
{
    (void)state;
    NEED_BINARY();
    run("wasm validate " DEMO);
    expect(0, "valid\n", "");
    run("wasm dump " DEMO);
    expect(0, NULL, "");
    assert_non_null(strstr(cli.out, "sections:"));
    assert_non_null(strstr(cli.out, "  0: (i32, i32) -> (i32)\n"));
    assert_non_null(strstr(cli.out, "\"add\" function 0\n"));
    assert_non_null(strstr(cli.out, "0: mut i32 = i32.const "));
    run("wasm dump " DEMO " --func add");
    expect(0, NULL, "");
    assert_memory_equal(cli.out, "function 0 add: (i32, i32) -> (i32)\n", 36);
    assert_non_null(strstr(cli.out, "i32.add"));
    run("wasm dump " DEMO " --func 3");
    expect(0, NULL, "");
    assert_memory_equal(cli.out, "function 3 divide:", 18);
    run("wasm dump " DEMO " --func 99");
    expect(1, "", "no function \"99\"");
    run("wasm dump examples/wasm/imports.wasm --func 0");
    expect(1, "", "imported; it has no body");
}

int main(int argc, char **argv)
{
    (void)argc;
    argv0 = argv[0];
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_parse_integers),
        cmocka_unit_test(test_parse_floats),
        cmocka_unit_test(test_parse_refs_and_prefixes),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_float_round_trip),
        cmocka_unit_test(test_read_file),
    };
    const struct CMUnitTest e2e[] = {
        cmocka_unit_test(test_run_results),
        cmocka_unit_test(test_run_multi_value_and_refs),
        cmocka_unit_test(test_run_traps),
        cmocka_unit_test(test_run_trace),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_validate_and_dump),
    };
    int failed = cmocka_run_group_tests_name("value", unit, NULL, NULL);
    return failed + cmocka_run_group_tests_name("tinystdb command", e2e, setup_e2e, teardown_e2e);
}
