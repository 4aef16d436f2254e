/*
 * decode_util.h - helpers shared by the decoder's tests (test_reader.c,
 * test_decode.c, test_decode_code.c): hand-written binaries with computed
 * section sizes, "must decode" and "must fail with these words at this
 * offset" checks, and a leak check around every test.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#ifndef TINYSTDB_TESTS_DECODE_UTIL_H
#define TINYSTDB_TESTS_DECODE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "leak_check.h"
#include "util/alloc.h"
#include "wasm/decode.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"
#include "wasm/wasm.h"

#define HEADER 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00
#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* A module under construction: header, then sections with computed sizes. */
typedef struct Buf {
    uint8_t b[16384];
    size_t n;
} Buf;

static inline void put(Buf *b, const uint8_t *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->b);
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static inline void start_module(Buf *b)
{
    b->n = 0;
    put(b, BYTES(HEADER));
}

static inline void section(Buf *b, uint8_t id, const uint8_t *p, size_t n)
{
    uint8_t hdr[6] = {id};
    size_t k = 1;
    size_t v = n;
    do {
        hdr[k++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, hdr, k);
    put(b, p, n);
}

#define SECTION(buf, id, ...) section(buf, id, BYTES(__VA_ARGS__))

/* The smallest function type and one function: (func) with body `code`. */
#define TYPE_VOID 0x01, 0x04, 0x01, 0x60, 0x00, 0x00
#define ONE_FUNC 0x03, 0x02, 0x01, 0x00

static inline WasmModule *decode_ok(const uint8_t *bytes, size_t n)
{
    WasmModule *m = NULL;
    WasmError err = {0};
    Status st = wasm_module_decode(bytes, n, &m, &err);
    if (st != ST_OK)
        print_error("unexpected error: %s (at %u)\n", err.msg, (unsigned)err.pos);
    assert_int_equal(st, ST_OK);
    assert_non_null(m);
    assert_int_equal(decode_module_check(m), ST_OK);
    return m;
}

/* Decoding must fail with status `st`, a message starting with `prefix`,
 * and (pos >= 0) that byte offset. */
static inline void expect_error(const uint8_t *bytes, size_t n, Status st, const char *prefix, long pos)
{
    WasmModule *m = (WasmModule *)1;
    WasmError err = {0};
    Status got = wasm_module_decode(bytes, n, &m, &err);
    if (got != st || strncmp(err.msg, prefix, strlen(prefix)) != 0)
        print_error("expected %d \"%s\", got %d \"%s\"\n", st, prefix, got, err.msg);
    assert_int_equal(got, st);
    assert_null(m);
    assert_int_equal(err.status, st);
    assert_true(strncmp(err.msg, prefix, strlen(prefix)) == 0);
    if (pos >= 0) {
        assert_true(err.has_pos);
        assert_int_equal(err.pos, pos);
    }
}

/* One function of type 0 whose body (locals vector included) is `body`. */
static inline WasmModule *decode_body(const uint8_t *body, size_t n)
{
    static Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC));
    uint8_t code[2] = {0x01, (uint8_t)n};
    assert_true(n < 0x80);
    uint8_t payload[200];
    memcpy(payload, code, 2);
    memcpy(payload + 2, body, n);
    section(&b, 10, payload, n + 2);
    return decode_ok(b.b, b.n);
}

static inline void expect_body_error(const uint8_t *body, size_t n, const char *prefix)
{
    static Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC));
    uint8_t payload[200] = {0x01, (uint8_t)n};
    assert_true(n < 0x80);
    memcpy(payload + 2, body, n);
    section(&b, 10, payload, n + 2);
    expect_error(b.b, b.n, ST_MALFORMED, prefix, -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
