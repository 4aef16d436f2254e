/*
 * test_identity.c - identities, connection ids and random bytes
 * (src/net/identity.c); the token store is tested in test_identity_store.c.
 *
 * Known answers come from outside the code under test: the claim-derived
 * identities were computed with Python's hashlib following the layout in
 * identity.h, "alice" is the example of module-abi.md, and the u128
 * decimal strings are 2^128 - 1 and friends.
 *
 * The random-source test hook is reset in the teardown of the test that
 * sets it.
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

#include "net/identity.h"

static int reset_hooks(void **state)
{
    (void)state;
    identity_set_random_source(NULL);
    return 0;
}

static Identity from_hex(const char *hex)
{
    Identity id;
    assert_int_equal(identity_parse_hex(hex, strlen(hex), &id, NULL), ST_OK);
    return id;
}

/* ---- hex forms ------------------------------------------------------------ */

static void test_identity_hex_is_big_endian(void **state)
{
    (void)state;
    Identity id = {{0}};
    id.le[31] = 0xc2;                 /* most significant byte */
    id.le[0] = 0x9a;                  /* least significant byte */
    char hex[IDENTITY_HEX_LEN + 1];
    identity_format_hex(&id, hex);
    assert_int_equal(strlen(hex), 64);
    assert_memory_equal(hex, "c200", 4);
    assert_string_equal(hex + 62, "9a");
    uint64_t w[4];
    identity_words(&id, w);
    assert_true(w[3] == 0xc200000000000000ull);
    assert_true(w[0] == 0x9a);
}

static void test_identity_parse_hex_forms(void **state)
{
    (void)state;
    const char *h = "c200db168bc209241d1e4356cdea60ff004c3f21a973dd6c8bbfddc7b59ca899";
    char with0x[80], upper[80], back[IDENTITY_HEX_LEN + 1];
    snprintf(with0x, sizeof with0x, "0x%s", h);
    for (size_t i = 0; i <= strlen(h); i++)
        upper[i] = (char)(h[i] >= 'a' && h[i] <= 'f' ? h[i] - 32 : h[i]);
    Identity a = from_hex(h), b = from_hex(with0x), c = from_hex(upper);
    assert_true(identity_equal(&a, &b));
    assert_true(identity_equal(&a, &c));
    assert_int_equal(a.le[31], 0xc2);
    assert_int_equal(a.le[0], 0x99);
    identity_format_hex(&a, back);
    assert_string_equal(back, h);      /* lowercase on the way out */
}

static void test_identity_parse_hex_errors(void **state)
{
    (void)state;
    const char *h = "c200db168bc209241d1e4356cdea60ff004c3f21a973dd6c8bbfddc7b59ca899";
    Identity id;
    IdError e;
    assert_int_equal(identity_parse_hex(h, 63, &id, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "expected 64 hex digits, got 63"));
    char longer[80];
    snprintf(longer, sizeof longer, "%s0", h);
    assert_int_equal(identity_parse_hex(longer, 65, &id, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "got 65"));
    assert_int_equal(identity_parse_hex("", 0, &id, &e), ST_MALFORMED);
    assert_int_equal(identity_parse_hex("0x", 2, &id, &e), ST_MALFORMED);
    char bad[80];
    strcpy(bad, h);
    bad[10] = 'g';
    assert_int_equal(identity_parse_hex(bad, 64, &id, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "'g' at offset 10"));
    snprintf(bad, sizeof bad, "0x%s", h);
    bad[5] = ' ';
    assert_int_equal(identity_parse_hex(bad, 66, &id, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "at offset 5"));
    assert_int_equal(identity_parse_hex(h, 64, &id, NULL), ST_OK);   /* err may be NULL */
}

static void test_identity_u256_form(void **state)
{
    (void)state;
    Identity id = {{0}};
    char out[IDENTITY_U256_LEN + 1];
    identity_format_u256(&id, out);
    assert_string_equal(out, "0x0");
    id.le[0] = 1;
    identity_format_u256(&id, out);
    assert_string_equal(out, "0x1");
    id.le[1] = 0xab;
    identity_format_u256(&id, out);
    assert_string_equal(out, "0xab01");
    Identity full = from_hex("c200db168bc209241d1e4356cdea60ff004c3f21a973dd6c8bbfddc7b59ca899");
    identity_format_u256(&full, out);
    assert_string_equal(out, "0xc200db168bc209241d1e4356cdea60ff004c3f21a973dd6c8bbfddc7b59ca899");

    Identity p;
    assert_int_equal(identity_parse_u256("0xab01", 6, &p, NULL), ST_OK);
    assert_true(identity_equal(&p, &id));
    assert_int_equal(identity_parse_u256(out, strlen(out), &p, NULL), ST_OK);
    assert_true(identity_equal(&p, &full));
    IdError e;
    assert_int_equal(identity_parse_u256("ab01", 4, &p, &e), ST_MALFORMED);   /* no 0x */
    assert_non_null(strstr(e.msg, "0x"));
    assert_int_equal(identity_parse_u256("0x", 2, &p, &e), ST_MALFORMED);
    char too_long[80] = "0x1";
    strcat(too_long, "c200db168bc209241d1e4356cdea60ff004c3f21a973dd6c8bbfddc7b59ca899");
    assert_int_equal(identity_parse_u256(too_long, strlen(too_long), &p, &e), ST_MALFORMED);
}

/* ---- derivation ------------------------------------------------------------ */

static void test_identity_from_claims_known_answers(void **state)
{
    (void)state;
    static const struct { const char *iss, *sub, *hex; } cases[] = {
        {"localhost", "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
         "c200db168bc209241d1e4356cdea60ff004c3f21a973dd6c8bbfddc7b59ca899"},
        {"localhost", "bob", "c200b61154c4e1fd43764c5d230e09f1e6e6857dc59ac41910de430752d043ec"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Identity id;
        char hex[IDENTITY_HEX_LEN + 1];
        identity_from_claims(cases[i].iss, cases[i].sub, &id);
        identity_format_hex(&id, hex);
        assert_string_equal(hex, cases[i].hex);
        assert_true(identity_checksum_ok(&id));
    }
}

static void test_identity_from_claims_deterministic(void **state)
{
    (void)state;
    Identity a, b, c, d;
    identity_from_claims("localhost", "alice", &a);
    identity_from_claims("localhost", "alice", &b);
    identity_from_claims("localhost", "alicf", &c);
    identity_from_claims("example.com", "alice", &d);
    assert_true(identity_equal(&a, &b));
    assert_false(identity_equal(&a, &c));
    assert_false(identity_equal(&a, &d));
    char hex[IDENTITY_HEX_LEN + 1];
    identity_format_hex(&c, hex);
    assert_memory_equal(hex, "c200", 4);
}

static void test_identity_checksum_detects_damage(void **state)
{
    (void)state;
    Identity id;
    identity_from_claims("localhost", "carol", &id);
    assert_true(identity_checksum_ok(&id));
    for (size_t i = 0; i < IDENTITY_LEN; i++) {   /* any changed byte is caught */
        Identity bad = id;
        bad.le[i] ^= 0x10;
        assert_false(identity_checksum_ok(&bad));
    }
}

static void test_identity_from_name_alice(void **state)
{
    (void)state;
    Identity id;
    char hex[IDENTITY_HEX_LEN + 1];
    identity_from_name("alice", &id);
    identity_format_hex(&id, hex);
    assert_string_equal(hex, "c20006c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90");
}

/* ---- connection ids -------------------------------------------------------- */

static void test_connid_random_nonzero_distinct(void **state)
{
    (void)state;
    enum { N = 500 };
    static ConnectionId ids[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(identity_conn_random(&ids[i], NULL), ST_OK);
        assert_false(identity_conn_is_zero(&ids[i]));
        for (int j = 0; j < i; j++)
            assert_false(identity_conn_equal(&ids[i], &ids[j]));
    }
}

static void test_connid_decimal(void **state)
{
    (void)state;
    ConnectionId c;
    char dec[CONNID_DECIMAL_LEN + 1];
    memset(&c, 0, sizeof c);
    identity_conn_format_decimal(&c, dec);
    assert_string_equal(dec, "0");
    c.le[0] = 1;
    c.le[8] = 1;                                    /* 2^64 + 1 */
    identity_conn_format_decimal(&c, dec);
    assert_string_equal(dec, "18446744073709551617");
    memset(&c, 0xff, sizeof c);
    identity_conn_format_decimal(&c, dec);
    assert_string_equal(dec, "340282366920938463463374607431768211455");

    ConnectionId p;
    assert_int_equal(identity_conn_parse_decimal(dec, strlen(dec), &p, NULL), ST_OK);
    assert_true(identity_conn_equal(&p, &c));
    assert_int_equal(identity_conn_parse_decimal("18446744073709551617", 20, &p, NULL), ST_OK);
    uint64_t w[2];
    identity_conn_words(&p, w);
    assert_true(w[0] == 1 && w[1] == 1);
    IdError e;
    const char *over = "340282366920938463463374607431768211456";   /* 2^128 */
    assert_int_equal(identity_conn_parse_decimal(over, strlen(over), &p, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "128 bits"));
    assert_int_equal(identity_conn_parse_decimal("12a", 3, &p, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "'a' at offset 2"));
    assert_int_equal(identity_conn_parse_decimal("", 0, &p, &e), ST_MALFORMED);
    for (int i = 0; i < 50; i++) {                  /* random round trips */
        assert_int_equal(identity_conn_random(&c, NULL), ST_OK);
        identity_conn_format_decimal(&c, dec);
        assert_int_equal(identity_conn_parse_decimal(dec, strlen(dec), &p, NULL), ST_OK);
        assert_true(identity_conn_equal(&p, &c));
    }
}

static void test_connid_hex(void **state)
{
    (void)state;
    ConnectionId c, p;
    memset(&c, 0, sizeof c);
    c.le[15] = 0xff;
    c.le[14] = 0x01;
    c.le[0] = 0x0f;
    char hex[CONNID_HEX_LEN + 1];
    identity_conn_format_hex(&c, hex);
    assert_string_equal(hex, "ff01000000000000000000000000000f");
    assert_int_equal(identity_conn_parse_hex(hex, 32, &p, NULL), ST_OK);
    assert_true(identity_conn_equal(&p, &c));
    assert_int_equal(identity_conn_parse_hex("0xff01000000000000000000000000000f", 34, &p, NULL),
                     ST_OK);
    assert_true(identity_conn_equal(&p, &c));
    IdError e;
    assert_int_equal(identity_conn_parse_hex(hex, 31, &p, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "expected 32 hex digits"));
}

/* ---- randomness --------------------------------------------------------------- */

static void test_random_bytes_vary(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    assert_int_equal(identity_random_bytes(a, sizeof a, NULL), ST_OK);
    assert_int_equal(identity_random_bytes(b, sizeof b, NULL), ST_OK);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(identity_random_bytes(a, 0, NULL), ST_OK);
}

static void test_random_source_failure_is_clear(void **state)
{
    (void)state;
    uint8_t buf[16];
    IdError e;
    identity_set_random_source("/nonexistent/urandom");
    assert_int_equal(identity_random_bytes(buf, sizeof buf, &e), ST_IO);
    assert_non_null(strstr(e.msg, "/nonexistent/urandom"));
    ConnectionId c;
    assert_int_equal(identity_conn_random(&c, &e), ST_IO);
    identity_set_random_source("/dev/null");        /* opens, but yields nothing */
    assert_int_equal(identity_random_bytes(buf, sizeof buf, &e), ST_IO);
    assert_non_null(strstr(e.msg, "end of file"));

    IdentityStore st;                               /* minting fails, store unchanged */
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_mint(&st, token, &id, &e), ST_IO);
    assert_int_equal(st.len, 0);
    assert_true(identity_store_check(&st));
    identity_store_fini(&st);
}

static void test_ct_equal(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    memset(a, 7, sizeof a);
    memcpy(b, a, sizeof b);
    assert_true(identity_ct_equal(a, b, sizeof a));
    b[0] ^= 1;
    assert_false(identity_ct_equal(a, b, sizeof a));
    b[0] ^= 1;
    b[31] ^= 0x80;
    assert_false(identity_ct_equal(a, b, sizeof a));
    assert_true(identity_ct_equal(a, b, 31));
    assert_true(identity_ct_equal(a, b, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_hex_is_big_endian),
        cmocka_unit_test(test_identity_parse_hex_forms),
        cmocka_unit_test(test_identity_parse_hex_errors),
        cmocka_unit_test(test_identity_u256_form),
        cmocka_unit_test(test_identity_from_claims_known_answers),
        cmocka_unit_test(test_identity_from_claims_deterministic),
        cmocka_unit_test(test_identity_checksum_detects_damage),
        cmocka_unit_test(test_identity_from_name_alice),
        cmocka_unit_test(test_connid_random_nonzero_distinct),
        cmocka_unit_test(test_connid_decimal),
        cmocka_unit_test(test_connid_hex),
        cmocka_unit_test(test_random_bytes_vary),
        cmocka_unit_test_teardown(test_random_source_failure_is_clear, reset_hooks),
        cmocka_unit_test(test_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
