/*
 * test_reader.c - the decoder's primitive reads (src/wasm/reader.c):
 * LEB128 integers at their limits, padded and over-long, and UTF-8 names.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "decode_util.h"

/* ---- LEB128 ---------------------------------------------------------------- */

static Status read_u32_of(const uint8_t *p, size_t n, uint32_t *v, WasmError *err)
{
    Reader r;
    reader_init(&r, p, n, err);
    Status st = reader_u32(&r, v);
    if (st == ST_OK)
        assert_int_equal(r.pos, n);   /* consumed exactly the encoding */
    return st;
}

static void test_leb_u32(void **state)
{
    (void)state;
    uint32_t v;
    WasmError err = {0};
    assert_int_equal(read_u32_of(BYTES(0x00), &v, &err), ST_OK);
    assert_int_equal(v, 0);
    assert_int_equal(read_u32_of(BYTES(0xE5, 0x8E, 0x26), &v, &err), ST_OK);
    assert_int_equal(v, 624485);
    assert_int_equal(read_u32_of(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x0F), &v, &err), ST_OK);
    assert_int_equal(v, UINT32_MAX);
    /* Padding, as wasm-ld writes it, is fine within 5 bytes. */
    assert_int_equal(read_u32_of(BYTES(0x81, 0x80, 0x80, 0x80, 0x00), &v, &err), ST_OK);
    assert_int_equal(v, 1);
    assert_int_equal(read_u32_of(BYTES(0x80, 0x00), &v, &err), ST_OK);
    assert_int_equal(v, 0);
    /* Six bytes is too long even when the value is small. */
    assert_int_equal(read_u32_of(BYTES(0x80, 0x80, 0x80, 0x80, 0x80, 0x00), &v, &err), ST_MALFORMED);
    assert_string_equal(err.msg, "integer representation too long");
    assert_int_equal(err.pos, 5);
    /* Bits above bit 31 in the fifth byte. */
    assert_int_equal(read_u32_of(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x1F), &v, &err), ST_MALFORMED);
    assert_string_equal(err.msg, "integer too large");
    assert_int_equal(err.pos, 4);
    assert_int_equal(read_u32_of(BYTES(0x80, 0x80, 0x80, 0x80, 0x10), &v, &err), ST_MALFORMED);
    /* Truncated. */
    assert_int_equal(read_u32_of(BYTES(0x80, 0x80), &v, &err), ST_MALFORMED);
    assert_string_equal(err.msg, "unexpected end of section or function");
    assert_int_equal(err.pos, 2);
}

static Status read_signed(const uint8_t *p, size_t n, unsigned bits, int64_t *v, WasmError *err)
{
    Reader r;
    reader_init(&r, p, n, err);
    Status st;
    if (bits == 32) {
        int32_t x = 0;
        st = reader_s32(&r, &x);
        *v = x;
    } else
        st = bits == 33 ? reader_s33(&r, v) : reader_s64(&r, v);
    if (st == ST_OK)
        assert_int_equal(r.pos, n);
    return st;
}

static void test_leb_signed(void **state)
{
    (void)state;
    int64_t v;
    WasmError err = {0};
    assert_int_equal(read_signed(BYTES(0x7F), 32, &v, &err), ST_OK);
    assert_int_equal(v, -1);
    assert_int_equal(read_signed(BYTES(0xC0, 0xBB, 0x78), 32, &v, &err), ST_OK);
    assert_int_equal(v, -123456);
    assert_int_equal(read_signed(BYTES(0x80, 0x80, 0x80, 0x80, 0x78), 32, &v, &err), ST_OK);
    assert_int_equal(v, INT32_MIN);
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x07), 32, &v, &err), ST_OK);
    assert_int_equal(v, INT32_MAX);
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x7F), 32, &v, &err), ST_OK);
    assert_int_equal(v, -1);   /* padded -1 */
    /* The unused bits of the last byte must copy the sign bit. */
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x4F), 32, &v, &err), ST_MALFORMED);
    assert_string_equal(err.msg, "integer too large");
    assert_int_equal(read_signed(BYTES(0x80, 0x80, 0x80, 0x80, 0x08), 32, &v, &err), ST_MALFORMED);
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F), 32, &v, &err),
                     ST_MALFORMED);
    assert_string_equal(err.msg, "integer representation too long");
    /* s33: block type indices reach 2^32 - 1. */
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x0F), 33, &v, &err), ST_OK);
    assert_int_equal(v, 4294967295LL);
    assert_int_equal(read_signed(BYTES(0x40), 33, &v, &err), ST_OK);
    assert_int_equal(v, -64);
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x1F), 33, &v, &err), ST_MALFORMED);
    /* s64 extremes and limits. */
    assert_int_equal(read_signed(BYTES(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F),
                                 64, &v, &err), ST_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00),
                                 64, &v, &err), ST_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(read_signed(BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01),
                                 64, &v, &err), ST_MALFORMED);
    assert_string_equal(err.msg, "integer too large");
    assert_int_equal(read_signed(BYTES(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                       0x00), 64, &v, &err), ST_MALFORMED);
    assert_string_equal(err.msg, "integer representation too long");
}

static void test_leb_u1(void **state)
{
    (void)state;
    Reader r;
    uint32_t v;
    WasmError err = {0};
    reader_init(&r, BYTES(0x01), &err);
    assert_int_equal(reader_u1(&r, &v), ST_OK);
    assert_int_equal(v, 1);
    reader_init(&r, BYTES(0x02), &err);
    assert_int_equal(reader_u1(&r, &v), ST_MALFORMED);
    assert_string_equal(err.msg, "integer too large");
    reader_init(&r, BYTES(0x81, 0x00), &err);
    assert_int_equal(reader_u1(&r, &v), ST_MALFORMED);
    assert_string_equal(err.msg, "integer representation too long");
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(reader_utf8_valid((const uint8_t *)"plain", 5));
    assert_true(reader_utf8_valid(BYTES(0xC3, 0xA9)));                /* é */
    assert_true(reader_utf8_valid(BYTES(0xF0, 0x9F, 0x98, 0x80)));    /* U+1F600 */
    assert_true(reader_utf8_valid(BYTES(0xF4, 0x8F, 0xBF, 0xBF)));    /* U+10FFFF */
    assert_false(reader_utf8_valid(BYTES(0xC0, 0x80)));               /* overlong NUL */
    assert_false(reader_utf8_valid(BYTES(0xE0, 0x80, 0x80)));         /* overlong */
    assert_false(reader_utf8_valid(BYTES(0xED, 0xA0, 0x80)));         /* surrogate */
    assert_false(reader_utf8_valid(BYTES(0xF4, 0x90, 0x80, 0x80)));   /* > U+10FFFF */
    assert_false(reader_utf8_valid(BYTES(0xE2, 0x82)));               /* truncated */
    assert_false(reader_utf8_valid(BYTES(0x80)));                     /* stray continuation */
    assert_false(reader_utf8_valid(BYTES(0xFF)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_leb_u32),
        T(test_leb_signed),
        T(test_leb_u1),
        T(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
