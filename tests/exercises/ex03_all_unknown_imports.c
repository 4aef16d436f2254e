/*
 * ex03_all_unknown_imports.c - graded exercise: report every missing import.
 *
 * Exercise: 3
 * Title: Report every missing import at once
 * Change: link_imports() in src/wasm/instance.c
 * Book: chapter 6, book/06-wasm-instances.md
 *
 * Instantiation with several unresolvable imports must fail with ST_LINK
 * and one message, starting "unknown import", that names every unknown
 * import as "module" "name" in the module's order - whether the resolver
 * was silent or wrote its own message - and names no import that did
 * resolve.  A message too long for WasmError.msg is cut, never overrun.
 */
#define EXERCISE_NUMBER 3
#define EXERCISE_SEE "book/06-wasm-instances.md, exercise 1"
#include "exercise.h"

#include <stdio.h>
#include <string.h>

#include "leak_check.h"
#include "util/vec.h"
#include "wasm/wasm.h"

typedef struct Import {
    const char *module, *name;
} Import;

/* A module of function imports, all of type () -> (). */
static WasmModule *module_with(const Import *imps, size_t n)
{
    StrBuf b = {0}, sec = {0};
    assert_int_equal(strbuf_append(&b, "\x00\x61\x73\x6D\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00", 14), ST_OK);
    assert_true(n < 128);
    assert_int_equal(strbuf_putc(&sec, (char)n), ST_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strbuf_putc(&sec, (char)strlen(imps[i].module)), ST_OK);
        assert_int_equal(strbuf_puts(&sec, imps[i].module), ST_OK);
        assert_int_equal(strbuf_putc(&sec, (char)strlen(imps[i].name)), ST_OK);
        assert_int_equal(strbuf_puts(&sec, imps[i].name), ST_OK);
        assert_int_equal(strbuf_append(&sec, "\x00\x00", 2), ST_OK);
    }
    assert_true(sec.len < 16384);
    char hdr[3] = {0x02, (char)(0x80 | (sec.len & 0x7F)), (char)(sec.len >> 7)};
    assert_int_equal(strbuf_append(&b, hdr, 3), ST_OK);
    assert_int_equal(strbuf_append(&b, sec.data, sec.len), ST_OK);
    WasmModule *m = NULL;
    WasmError err = {0};
    assert_int_equal(wasm_module_load((const uint8_t *)b.data, b.len, &m, &err), ST_OK);
    strbuf_fini(&b);
    strbuf_fini(&sec);
    return m;
}

static Status host_nop(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    (void)s, (void)user, (void)args, (void)results;
    return ST_OK;
}

typedef struct Resolver {
    WasmStore *store;
    const char *known;   /* names that resolve (in any module), space separated */
    bool explain;        /* write a message of our own for the others */
} Resolver;

static Status resolve(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    Resolver *r = user;
    char word[80];
    snprintf(word, sizeof word, " %s ", imp->name.s);
    if (strstr(r->known, word)) {
        out->kind = WASM_EXTERN_FUNC;
        out->u.func = wasm_host_func_new(r->store, NULL, 0, NULL, 0, host_nop, NULL);
        return ST_OK;
    }
    if (r->explain)
        return wasm_error(err, ST_LINK, -1, "unknown import: %s.%s", imp->module.s, imp->name.s);
    return ST_LINK;
}

/* Instantiate; return the status, the message in err. */
static Status link(const Import *imps, size_t n, const char *known, bool explain, WasmError *err)
{
    WasmModule *m = module_with(imps, n);
    WasmStore *s = wasm_store_new(NULL);
    Resolver r = {s, known, explain};
    WasmInstance *inst = NULL;
    *err = (WasmError){0};
    Status st = wasm_instantiate(s, m, resolve, &r, &inst, err);
    wasm_store_free(s);
    wasm_module_free(m);
    return st;
}

static const Import imps[] = {
    {"env", "a"}, {"env", "known1"}, {"env", "c"}, {"wasi", "fd_write"}, {"env", "known2"},
    {"env", "zz_last"},
};
#define NIMPS (sizeof imps / sizeof imps[0])

static void expect_all_named(const WasmError *err)
{
    CHECK(strncmp(err->msg, "unknown import", 14) == 0, "the message must start \"unknown import\": \"%s\"",
          err->msg);
    const char *at = err->msg;
    const char *want[] = {"\"env\" \"a\"", "\"env\" \"c\"", "\"wasi\" \"fd_write\"", "\"env\" \"zz_last\""};
    for (size_t i = 0; i < 4; i++) {
        const char *p = strstr(at, want[i]);
        CHECK(p != NULL, "the message must name %s (after the ones before it): \"%s\"", want[i],
              err->msg);
        at = p + strlen(want[i]);
    }
    CHECK(!strstr(err->msg, "known1") && !strstr(err->msg, "known2"),
          "the message names an import that resolved: \"%s\"", err->msg);
}

static void test_silent_resolver(void **state)
{
    (void)state;
    WasmError err;
    assert_int_equal(link(imps, NIMPS, " known1 known2 ", false, &err), ST_LINK);
    expect_all_named(&err);
}

static void test_resolver_with_message(void **state)
{
    (void)state;
    WasmError err;
    assert_int_equal(link(imps, NIMPS, " known1 known2 ", true, &err), ST_LINK);
    expect_all_named(&err);
}

static void test_one_unknown_and_none(void **state)
{
    (void)state;
    WasmError err;
    assert_int_equal(link(imps, NIMPS, " a known1 c fd_write known2 ", false, &err), ST_LINK);
    CHECK(strstr(err.msg, "\"env\" \"zz_last\"") && !strstr(err.msg, "\"env\" \"a\""),
          "one unknown import: name it alone: \"%s\"", err.msg);
    assert_int_equal(link(imps, 2, " a known1 ", false, &err), ST_OK);
}

static void test_too_many_for_the_message(void **state)
{
    (void)state;
    static Import many[100];
    static char names[100][40];
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof names[i], "a_rather_long_import_name_%03d", i);
        many[i] = (Import){"env", names[i]};
    }
    WasmError err;
    memset(&err, 0x55, sizeof err);
    assert_int_equal(link(many, 100, " ", false, &err), ST_LINK);
    CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL, "the message is not terminated");
    CHECK(strstr(err.msg, "\"env\" \"a_rather_long_import_name_000\"") &&
          strstr(err.msg, "\"env\" \"a_rather_long_import_name_001\""),
          "the first unknown imports must be named even when they do not all fit: \"%s\"", err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_silent_resolver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolver_with_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_unknown_and_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_for_the_message, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
