/*
 * test_sha256.c - SHA-256 against the FIPS 180-4 / NIST examples, and the
 * incremental interface against the one-shot one.
 *
 * The expected digests are the published test vectors: "abc", the 448-bit
 * message and one million 'a' from FIPS 180-2 appendix B, and the widely
 * published values for the empty string and the 896-bit message; the
 * padding-boundary ones (55, 56, 63, 64, 65, 119, 120 times 'a') were
 * computed once with an independent implementation (coreutils sha256sum)
 * because those lengths are where the padding takes one block or two.
 *
 * Book: chapter 21, book/21-identities.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/sha256.h"

static void hex_of(const uint8_t d[SHA256_DIGEST_LEN], char out[2 * SHA256_DIGEST_LEN + 1])
{
    for (int i = 0; i < SHA256_DIGEST_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void assert_digest(const void *msg, size_t len, const char *expect)
{
    uint8_t d[SHA256_DIGEST_LEN];
    char hex[2 * SHA256_DIGEST_LEN + 1];
    sha256_digest(msg, len, d);
    hex_of(d, hex);
    assert_string_equal(hex, expect);
}

/* ---- the standard's examples -------------------------------------------- */

static void test_sha256_empty(void **state)
{
    (void)state;
    assert_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_digest(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_abc(void **state)
{
    (void)state;
    assert_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_448_bits(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(m), 56);
    assert_digest(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_896_bits(void **state)
{
    (void)state;
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_int_equal(strlen(m), 112);
    assert_digest(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a(void **state)
{
    (void)state;
    static const char *expect = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char *m = mem_alloc(1000000);
    assert_non_null(m);
    memset(m, 'a', 1000000);
    assert_digest(m, 1000000, expect);
    /* and fed 1000 bytes at a time, as the standard's test describes it */
    Sha256 s;
    uint8_t d[SHA256_DIGEST_LEN];
    char hex[2 * SHA256_DIGEST_LEN + 1];
    sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        sha256_update(&s, m, 1000);
    assert_true(sha256_check(&s));
    sha256_final(&s, d);
    hex_of(d, hex);
    assert_string_equal(hex, expect);
    mem_free(m);
}

/* Lengths where the padding needs one block or spills into a second. */
static void test_sha256_padding_boundaries(void **state)
{
    (void)state;
    static const struct { size_t n; const char *hex; } cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char m[128];
    memset(m, 'a', sizeof m);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_digest(m, cases[i].n, cases[i].hex);
}

/* "alice", the deterministic test identity's source (module-abi.md). */
static void test_sha256_alice(void **state)
{
    (void)state;
    assert_digest("alice", 5, "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90");
}

/* ---- incremental == one shot ------------------------------------------- */

static void message200(uint8_t m[200])
{
    for (int i = 0; i < 200; i++)
        m[i] = (uint8_t)(i * 7 + 3);
}

static void test_sha256_split_every_offset(void **state)
{
    (void)state;
    uint8_t m[200], whole[SHA256_DIGEST_LEN], parts[SHA256_DIGEST_LEN];
    message200(m);
    sha256_digest(m, sizeof m, whole);
    for (size_t k = 0; k <= sizeof m; k++) {
        Sha256 s;
        sha256_init(&s);
        sha256_update(&s, m, k);
        assert_true(sha256_check(&s));
        sha256_update(&s, m + k, sizeof m - k);
        assert_true(sha256_check(&s));
        sha256_final(&s, parts);
        assert_memory_equal(whole, parts, SHA256_DIGEST_LEN);
    }
}

static void test_sha256_three_pieces_and_bytes(void **state)
{
    (void)state;
    uint8_t m[200], whole[SHA256_DIGEST_LEN], parts[SHA256_DIGEST_LEN];
    message200(m);
    sha256_digest(m, sizeof m, whole);
    for (size_t j = 0; j <= sizeof m; j += 13)   /* two cut points */
        for (size_t k = j; k <= sizeof m; k += 11) {
            Sha256 s;
            sha256_init(&s);
            sha256_update(&s, m, j);
            sha256_update(&s, m + j, k - j);
            sha256_update(&s, m + k, sizeof m - k);
            sha256_final(&s, parts);
            assert_memory_equal(whole, parts, SHA256_DIGEST_LEN);
        }
    Sha256 s;                                     /* one byte at a time */
    sha256_init(&s);
    for (size_t i = 0; i < sizeof m; i++) {
        sha256_update(&s, m + i, 1);
        sha256_update(&s, m, 0);                  /* empty updates change nothing */
        assert_true(sha256_check(&s));
    }
    sha256_final(&s, parts);
    assert_memory_equal(whole, parts, SHA256_DIGEST_LEN);
}

/* Different messages give different digests (a sanity check that the
 * whole input is used, including the last byte and the length). */
static void test_sha256_every_byte_counts(void **state)
{
    (void)state;
    uint8_t m[200], a[SHA256_DIGEST_LEN], b[SHA256_DIGEST_LEN];
    message200(m);
    sha256_digest(m, sizeof m, a);
    for (size_t i = 0; i < sizeof m; i++) {
        m[i] ^= 1;
        sha256_digest(m, sizeof m, b);
        assert_memory_not_equal(a, b, SHA256_DIGEST_LEN);
        m[i] ^= 1;
    }
    sha256_digest(m, sizeof m - 1, b);
    assert_memory_not_equal(a, b, SHA256_DIGEST_LEN);
}

static void test_sha256_check_catches_bad_state(void **state)
{
    (void)state;
    Sha256 s;
    sha256_init(&s);
    assert_true(sha256_check(&s));
    sha256_update(&s, "abc", 3);
    assert_true(sha256_check(&s));
    s.buffered = 2;                  /* disagrees with length 3 */
    assert_false(sha256_check(&s));
    s.buffered = 64;
    s.length = 64;
    assert_false(sha256_check(&s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_empty),
        cmocka_unit_test(test_sha256_abc),
        cmocka_unit_test(test_sha256_448_bits),
        cmocka_unit_test(test_sha256_896_bits),
        cmocka_unit_test(test_sha256_million_a),
        cmocka_unit_test(test_sha256_padding_boundaries),
        cmocka_unit_test(test_sha256_alice),
        cmocka_unit_test(test_sha256_split_every_offset),
        cmocka_unit_test(test_sha256_three_pieces_and_bytes),
        cmocka_unit_test(test_sha256_every_byte_counts),
        cmocka_unit_test(test_sha256_check_catches_bad_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
