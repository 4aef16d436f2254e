/*
 * ex02_nesting_limit.c - graded exercise: cap block nesting in the validator.
 *
 * Exercise: 2
 * Title: A nesting limit
 * Change: push_ctrl() in src/wasm/validate_code.c (VALIDATE_MAX_DEPTH in src/wasm/validate.h)
 * Book: chapter 4, book/04-wasm-validation.md
 *
 * A function body may hold at most 10,000 `block`/`loop`/`if` open inside
 * each other (the function's own frame not counted); one more fails
 * validation with ST_LIMIT.  Depth is what counts, not the number of
 * blocks: many blocks one after another stay valid.
 */
#define EXERCISE_NUMBER 2
#define EXERCISE_SEE "book/04-wasm-validation.md, exercise 1"
#include "exercise.h"

#include <string.h>

#include "leak_check.h"
#include "util/alloc.h"
#include "util/vec.h"
#include "wasm/wasm.h"

static void put_leb(StrBuf *b, size_t v)
{
    do {
        assert_int_equal(strbuf_putc(b, (char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0))), ST_OK);
        v >>= 7;
    } while (v);
}

static void put(StrBuf *b, const char *bytes, size_t n)
{
    assert_int_equal(strbuf_append(b, bytes, n), ST_OK);
}

/* A module with one function () -> () exported as "f", whose body opens
 * `nested` blocks inside each other (cycling block, loop, if) and then
 * `sequence` empty blocks one after another. */
static void build(StrBuf *mod, size_t nested, size_t sequence)
{
    StrBuf body = {0};
    put(&body, "\x00", 1);   /* no locals */
    for (size_t i = 0; i < nested; i++) {
        switch (i % 3) {
        case 0: put(&body, "\x02\x40", 2); break;           /* block */
        case 1: put(&body, "\x03\x40", 2); break;           /* loop */
        default: put(&body, "\x41\x00\x04\x40", 4); break;  /* i32.const 0; if */
        }
    }
    for (size_t i = 0; i < nested; i++)
        put(&body, "\x0B", 1);
    for (size_t i = 0; i < sequence; i++)
        put(&body, "\x02\x40\x0B", 3);
    put(&body, "\x0B", 1);
    strbuf_clear(mod);
    put(mod, "\x00\x61\x73\x6D\x01\x00\x00\x00", 8);
    put(mod, "\x01\x04\x01\x60\x00\x00", 6);              /* type 0: () -> () */
    put(mod, "\x03\x02\x01\x00", 4);                      /* func 0: type 0 */
    put(mod, "\x07\x05\x01\x01\x66\x00\x00", 7);          /* export "f" func 0 */
    StrBuf code = {0};
    put(&code, "\x01", 1);
    put_leb(&code, body.len);
    put(&code, body.data, body.len);
    put(mod, "\x0A", 1);
    put_leb(mod, code.len);
    put(mod, code.data, code.len);
    strbuf_fini(&code);
    strbuf_fini(&body);
}

static Status load(size_t nested, size_t sequence, WasmError *err)
{
    StrBuf mod = {0};
    build(&mod, nested, sequence);
    WasmModule *m = NULL;
    *err = (WasmError){0};
    Status st = wasm_module_load((const uint8_t *)mod.data, mod.len, &m, err);
    strbuf_fini(&mod);
    if (st != ST_OK)
        return st;
    /* Valid means runnable: instantiate it and call f. */
    WasmStore *s = wasm_store_new(NULL);
    WasmInstance *inst = NULL;
    assert_int_equal(wasm_instantiate(s, m, NULL, NULL, &inst, err), ST_OK);
    WasmExtern f;
    assert_int_equal(wasm_instance_export(inst, "f", &f), ST_OK);
    assert_int_equal(wasm_call(s, f.u.func, NULL, NULL, err), ST_OK);
    wasm_store_free(s);
    wasm_module_free(m);
    return ST_OK;
}

static void test_depth_at_limit_is_valid(void **state)
{
    (void)state;
    WasmError err;
    Status st = load(10000, 0, &err);
    CHECK(st == ST_OK, "10,000 nested blocks must still validate, got %d \"%s\"", st, err.msg);
    assert_int_equal(load(1, 0, &err), ST_OK);
}

static void test_depth_over_limit(void **state)
{
    (void)state;
    WasmError err;
    Status st = load(10001, 0, &err);
    CHECK(st == ST_LIMIT, "10,001 nested blocks must fail with ST_LIMIT, got %d \"%s\"", st,
          err.msg);
    CHECK(err.msg[0] != '\0', "the ST_LIMIT error has no message");
    st = load(60000, 0, &err);
    CHECK(st == ST_LIMIT, "60,000 nested blocks must fail with ST_LIMIT, got %d \"%s\"", st,
          err.msg);
}

static void test_sequence_is_not_depth(void **state)
{
    (void)state;
    WasmError err;
    Status st = load(9999, 30000, &err);
    CHECK(st == ST_OK, "30,000 blocks one after another (at depth 9,999 before them) must "
          "validate, got %d \"%s\": count open blocks, not blocks", st, err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_depth_at_limit_is_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_over_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_is_not_depth, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
