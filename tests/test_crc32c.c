/*
 * test_crc32c.c - CRC-32C against the published check values.
 *
 * "123456789" -> 0xE3069283 is the catalogue check value of CRC-32C;
 * the four 32-byte buffers are the iSCSI test vectors of RFC 3720 B.4.
 * A bit-at-a-time reference (written from the definition, no tables)
 * cross-checks random buffers of every length 0..300, so the slicing-by-8
 * path and its byte-wise tail are both covered; the incremental API must
 * give the one-shot result at every split point.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "util/crc32c.h"

/* The definition: one bit at a time, no tables. */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

static void test_check_value(void **state)
{
    (void)state;
    assert_int_equal(crc32c_compute("123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c_compute("", 0), 0);
    assert_int_equal(crc32c_update(0, "a", 1), 0xC1D04330u);
}

static void test_rfc3720_vectors(void **state)
{
    (void)state;
    uint8_t b[32];
    memset(b, 0, sizeof b);
    assert_int_equal(crc32c_compute(b, 32), 0x8A9136AAu);
    memset(b, 0xFF, sizeof b);
    assert_int_equal(crc32c_compute(b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    assert_int_equal(crc32c_compute(b, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    assert_int_equal(crc32c_compute(b, 32), 0x113FDB5Cu);
}

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void test_matches_definition(void **state)
{
    (void)state;
    uint8_t b[301];
    for (size_t n = 0; n <= 300; n++) {
        fill(b, sizeof b, (uint32_t)n);
        /* unaligned starts too: the loader reads bytes, never words */
        assert_int_equal(crc32c_compute(b, n), crc_bitwise(b, n));
        if (n > 0)
            assert_int_equal(crc32c_compute(b + 1, n - 1), crc_bitwise(b + 1, n - 1));
    }
}

static void test_incremental_every_split(void **state)
{
    (void)state;
    uint8_t b[200];
    fill(b, sizeof b, 7);
    uint32_t whole = crc32c_compute(b, sizeof b);
    for (size_t i = 0; i <= sizeof b; i++) {
        uint32_t c = crc32c_update(0, b, i);
        assert_int_equal(crc32c_update(c, b + i, sizeof b - i), whole);
        for (size_t j = i; j <= sizeof b; j += 37) {
            uint32_t c3 = crc32c_update(crc32c_update(c, b + i, j - i), b + j, sizeof b - j);
            assert_int_equal(c3, whole);
        }
    }
    /* the check value in pieces of one byte */
    uint32_t c = 0;
    for (const char *s = "123456789"; *s; s++)
        c = crc32c_update(c, s, 1);
    assert_int_equal(c, 0xE3069283u);
}

static void test_detects_every_single_bit_flip(void **state)
{
    (void)state;
    uint8_t b[64];
    fill(b, sizeof b, 99);
    uint32_t good = crc32c_compute(b, sizeof b);
    for (size_t bit = 0; bit < 8 * sizeof b; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << bit % 8);
        assert_int_not_equal(crc32c_compute(b, sizeof b), good);
        b[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_rfc3720_vectors),
        cmocka_unit_test(test_matches_definition),
        cmocka_unit_test(test_incremental_every_split),
        cmocka_unit_test(test_detects_every_single_bit_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
