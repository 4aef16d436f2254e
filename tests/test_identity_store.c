/*
 * test_identity_store.c - tokens and the token store
 * (src/net/identity_store.c): minting, looking up, the size limit, saving
 * and loading, and what a damaged file is told.
 *
 * Files live in a fresh mkdtemp directory under /tmp, emptied after every
 * test and removed by the group teardown.  Allocation failure injection
 * is disarmed in the teardown too, even when an assertion fails half-way.
 *
 * Book: chapter 21, book/21-identities.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/identity.h"
#include "util/alloc.h"

static char tmpdir[64];

static void store_file(char *out, size_t n, const char *suffix)
{
    snprintf(out, n, "%s/%s%s", tmpdir, IDENTITY_STORE_FILE, suffix);
}

static int make_tmpdir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/tinystdb-identity-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int cleanup(void **state)
{
    (void)state;
    char p[128];
    mem_fail_after(-1);
    identity_set_random_source(NULL);
    store_file(p, sizeof p, "");
    unlink(p);
    store_file(p, sizeof p, ".tmp");
    unlink(p);
    return 0;
}

static int remove_tmpdir(void **state)
{
    cleanup(state);
    return rmdir(tmpdir);
}

/* The whole store file as a string (caller frees with mem_free). */
static char *slurp(void)
{
    char p[128];
    store_file(p, sizeof p, "");
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char *buf = mem_alloc(1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_store_file(const char *text, size_t len)
{
    char p[128];
    store_file(p, sizeof p, "");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* ---- tokens ------------------------------------------------------------- */

static void test_token_shape(void **state)
{
    (void)state;
    IdentityStore st;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_int_equal(strlen(token), IDENTITY_TOKEN_LEN);
    assert_int_equal(IDENTITY_TOKEN_LEN, 6 + 64);
    assert_memory_equal(token, "tstdb_", 6);
    assert_true(identity_token_well_formed(token, strlen(token)));
    char bad[IDENTITY_TOKEN_LEN + 1];
    strcpy(bad, token);
    bad[0] = 'T';
    assert_false(identity_token_well_formed(bad, strlen(bad)));
    strcpy(bad, token);
    bad[10] = 'A';                                    /* uppercase is not ours */
    assert_false(identity_token_well_formed(bad, strlen(bad)));
    assert_false(identity_token_well_formed(token, strlen(token) - 1));
    assert_false(identity_token_well_formed("", 0));
    identity_store_fini(&st);
}

static void test_mint_gives_c200_identities(void **state)
{
    (void)state;
    IdentityStore st;
    char t1[IDENTITY_TOKEN_LEN + 1], t2[IDENTITY_TOKEN_LEN + 1], hex[IDENTITY_HEX_LEN + 1];
    Identity a, b;
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_mint(&st, t1, &a, NULL), ST_OK);
    assert_int_equal(identity_store_mint(&st, t2, &b, NULL), ST_OK);
    identity_format_hex(&a, hex);
    assert_memory_equal(hex, "c200", 4);
    assert_true(identity_checksum_ok(&a));
    assert_true(identity_checksum_ok(&b));
    assert_false(identity_equal(&a, &b));
    assert_string_not_equal(t1, t2);
    assert_int_equal(st.len, 2);
    assert_true(st.dirty);
    /* the identity is derived from the stored subject, a version 4 UUID */
    const char *sub = st.entries[0].subject;
    assert_int_equal(strlen(sub), 36);
    assert_true(sub[8] == '-' && sub[13] == '-' && sub[14] == '4' && sub[18] == '-');
    Identity derived;
    identity_from_claims(IDENTITY_ISSUER, sub, &derived);
    assert_true(identity_equal(&derived, &a));
    assert_true(identity_store_check(&st));
    identity_store_fini(&st);
}

static void test_token_gives_same_identity(void **state)
{
    (void)state;
    enum { N = 200 };   /* enough to grow the table several times */
    static char tokens[N][IDENTITY_TOKEN_LEN + 1];
    static Identity ids[N];
    IdentityStore st;
    identity_store_init(&st, NULL, 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(identity_store_mint(&st, tokens[i], &ids[i], NULL), ST_OK);
    assert_true(identity_store_check(&st));
    for (int i = 0; i < N; i++) {
        Identity got;
        assert_int_equal(identity_store_lookup(&st, tokens[i], strlen(tokens[i]), &got, NULL),
                         ST_OK);
        assert_true(identity_equal(&got, &ids[i]));
    }
    identity_store_fini(&st);
}

static void test_unknown_token_rejected(void **state)
{
    (void)state;
    IdentityStore st;
    char token[IDENTITY_TOKEN_LEN + 1], other[IDENTITY_TOKEN_LEN + 1];
    Identity id, got;
    IdError e;
    identity_store_init(&st, NULL, 0);
    /* an empty store knows no token */
    snprintf(other, sizeof other, "tstdb_%064d", 0);
    assert_int_equal(identity_store_lookup(&st, other, strlen(other), &got, &e), ST_NOT_FOUND);
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_int_equal(identity_store_lookup(&st, other, strlen(other), &got, &e), ST_NOT_FOUND);
    assert_non_null(strstr(e.msg, "unknown token"));
    strcpy(other, token);                       /* one digit off */
    other[IDENTITY_TOKEN_LEN - 1] = other[IDENTITY_TOKEN_LEN - 1] == '0' ? '1' : '0';
    assert_int_equal(identity_store_lookup(&st, other, strlen(other), &got, &e), ST_NOT_FOUND);
    /* not a token at all */
    assert_int_equal(identity_store_lookup(&st, "hello", 5, &got, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "not a tinystdb token"));
    assert_int_equal(identity_store_lookup(&st, token, strlen(token) - 1, &got, &e),
                     ST_MALFORMED);
    identity_store_fini(&st);
}

static void test_store_limit(void **state)
{
    (void)state;
    IdentityStore st;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    IdError e;
    identity_store_init(&st, NULL, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_int_equal(identity_store_mint(&st, token, &id, &e), ST_LIMIT);
    assert_non_null(strstr(e.msg, "full (3 identities)"));
    assert_string_equal(token, "");             /* no token for an unkept identity */
    assert_int_equal(st.len, 3);
    assert_true(identity_store_check(&st));
    identity_store_fini(&st);
}

static void test_mint_out_of_memory(void **state)
{
    (void)state;
    long live = mem_live();
    IdentityStore st;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    identity_store_init(&st, NULL, 0);
    for (int i = 0; i < 16; i++)                /* fill the first array */
        assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    for (long k = 0; k < 3; k++) {              /* fail each allocation of a grow */
        mem_fail_after(k);
        Status rc = identity_store_mint(&st, token, &id, NULL);
        mem_fail_after(-1);
        assert_true(rc == ST_OK || rc == ST_NOMEM);
        assert_true(identity_store_check(&st));
    }
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_true(identity_store_check(&st));
    identity_store_fini(&st);
    assert_int_equal(mem_live(), live);
}

/* ---- the file ------------------------------------------------------------ */

static void test_store_save_load_round_trip(void **state)
{
    (void)state;
    enum { N = 40 };
    static char tokens[N][IDENTITY_TOKEN_LEN + 1];
    static Identity ids[N];
    IdentityStore st, back;
    IdError e;
    identity_store_init(&st, NULL, 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(identity_store_mint(&st, tokens[i], &ids[i], NULL), ST_OK);
    assert_int_equal(identity_store_save(&st, tmpdir, &e), ST_OK);
    assert_false(st.dirty);

    char *text = slurp();                       /* header, N lines, no tokens */
    assert_memory_equal(text, IDENTITY_STORE_HEADER "\n", strlen(IDENTITY_STORE_HEADER) + 1);
    size_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, N + 1);
    for (int i = 0; i < N; i++)
        assert_null(strstr(text, tokens[i] + 6));
    char hex[IDENTITY_HEX_LEN + 1];
    identity_format_hex(&ids[0], hex);
    assert_non_null(strstr(text, hex));
    mem_free(text);
    char tmp[128];
    store_file(tmp, sizeof tmp, ".tmp");
    assert_int_equal(access(tmp, F_OK), -1);    /* the temporary file was renamed */

    identity_store_init(&back, NULL, 0);
    assert_int_equal(identity_store_load(&back, tmpdir, &e), ST_OK);
    assert_int_equal(back.len, N);
    assert_false(back.dirty);
    assert_true(identity_store_check(&back));
    for (int i = 0; i < N; i++) {
        Identity got;
        assert_int_equal(identity_store_lookup(&back, tokens[i], IDENTITY_TOKEN_LEN, &got, &e),
                         ST_OK);
        assert_true(identity_equal(&got, &ids[i]));
        assert_string_equal(back.entries[i].subject, st.entries[i].subject);
    }
    identity_store_fini(&back);
    identity_store_fini(&st);
}

static void test_store_load_missing_file_is_empty(void **state)
{
    (void)state;
    IdentityStore st;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_int_equal(identity_store_load(&st, tmpdir, NULL), ST_OK);   /* replaces */
    assert_int_equal(st.len, 0);
    assert_int_equal(identity_store_lookup(&st, token, strlen(token), &id, NULL), ST_NOT_FOUND);
    assert_true(identity_store_check(&st));
    IdError e;
    assert_int_equal(identity_store_load(&st, "/nonexistent/dir", &e), ST_OK);
    assert_int_equal(identity_store_save(&st, "/nonexistent/dir", &e), ST_IO);
    assert_non_null(strstr(e.msg, "/nonexistent/dir"));
    identity_store_fini(&st);
}

/* A valid line for subject sub: a made-up token hash, the right identity. */
static void good_line(char *out, size_t n, const char *hash_digit, const char *sub)
{
    Identity id;
    char hex[IDENTITY_HEX_LEN + 1], hash[65];
    identity_from_claims(IDENTITY_ISSUER, sub, &id);
    identity_format_hex(&id, hex);
    for (int i = 0; i < 64; i++)
        hash[i] = hash_digit[0];
    hash[64] = '\0';
    snprintf(out, n, "%s %s %s\n", hash, hex, sub);
}

/* Load text; expect ST_MALFORMED (or want), a message containing `needle`,
 * and an empty store afterwards. */
static void expect_load_error(const char *text, size_t len, Status want, const char *needle)
{
    IdentityStore st;
    IdError e;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    write_store_file(text, len);
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_int_equal(identity_store_load(&st, tmpdir, &e), want);
    if (!strstr(e.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
    assert_int_equal(st.len, 0);
    assert_true(identity_store_check(&st));
    identity_store_fini(&st);
}

static void test_store_load_corrupt_names_line(void **state)
{
    (void)state;
    char l1[400], l2[400], text[2000];
    const char *h = IDENTITY_STORE_HEADER "\n";
    good_line(l1, sizeof l1, "a", "alice");
    good_line(l2, sizeof l2, "b", "bob");
    snprintf(text, sizeof text, "%s%s%s", h, l1, l2);      /* the good file loads */
    write_store_file(text, strlen(text));
    IdentityStore st;
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_load(&st, tmpdir, NULL), ST_OK);
    assert_int_equal(st.len, 2);
    identity_store_fini(&st);

    expect_load_error("", 0, ST_MALFORMED, "line 1: empty file");
    expect_load_error("tinystdb-identities 2\n", 22, ST_MALFORMED, "line 1: expected");
    snprintf(text, sizeof text, "%s%s%s", h, l1, l1);      /* same hash twice */
    expect_load_error(text, strlen(text), ST_MALFORMED, "line 3: the same token hash");
    snprintf(text, sizeof text, "%s%sgarbage\n", h, l1);
    expect_load_error(text, strlen(text), ST_MALFORMED, "line 3: expected \"<token hash>");
    snprintf(text, sizeof text, "%s%s%s", h, l1, l2);
    text[strlen(h) + strlen(l1) + 3] = 'G';                /* bad hash digit */
    expect_load_error(text, strlen(text), ST_MALFORMED, "line 3: the token hash");
    snprintf(text, sizeof text, "%s%s%s", h, l1, l2);
    text[strlen(h) + 70] = 'z';                            /* bad identity digit */
    expect_load_error(text, strlen(text), ST_MALFORMED, "line 2: identity: bad hex digit");
    snprintf(text, sizeof text, "%s%s%s", h, l1, l2);
    text[strlen(text) - 2] = 'c';                          /* "bob" -> "boc" */
    expect_load_error(text, strlen(text), ST_MALFORMED, "line 3: the identity is not the one");
    snprintf(text, sizeof text, "%s%s%s", h, l1, l2);      /* truncated */
    expect_load_error(text, strlen(text) - 1, ST_MALFORMED, "line 3: last line has no newline");
    snprintf(text, sizeof text, "%s%s", h, l1);
    text[strlen(h) + 5] = '\0';                            /* NUL byte */
    expect_load_error(text, strlen(h) + strlen(l1), ST_MALFORMED, "line 2: NUL byte");
    char long_line[1000];
    memset(long_line, 'a', sizeof long_line);
    snprintf(text, sizeof text, "%s%.*s\n", h, (int)sizeof long_line, long_line);
    expect_load_error(text, strlen(text), ST_MALFORMED, "line 2: line too long");
    snprintf(text, sizeof text, "%s%.*sali ce\n", h, 64 + 1 + 64 + 1, l1);   /* a space */
    expect_load_error(text, strlen(text), ST_MALFORMED, "line 2: the subject must be");
}

static void test_store_load_respects_limit(void **state)
{
    (void)state;
    char l1[400], l2[400], text[1000];
    good_line(l1, sizeof l1, "a", "alice");
    good_line(l2, sizeof l2, "b", "bob");
    snprintf(text, sizeof text, "%s\n%s%s", IDENTITY_STORE_HEADER, l1, l2);
    write_store_file(text, strlen(text));
    IdentityStore st;
    IdError e;
    identity_store_init(&st, NULL, 1);
    assert_int_equal(identity_store_load(&st, tmpdir, &e), ST_LIMIT);
    assert_non_null(strstr(e.msg, "line 3: identity store is full"));
    assert_int_equal(st.len, 0);
    identity_store_fini(&st);
}

/* Saving again replaces the file; a save that fails (no memory) leaves the
 * old file as it was. */
static void test_store_save_failure_keeps_old_file(void **state)
{
    (void)state;
    IdentityStore st, back;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_int_equal(identity_store_save(&st, tmpdir, NULL), ST_OK);
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    mem_fail_after(0);
    assert_int_equal(identity_store_save(&st, tmpdir, NULL), ST_NOMEM);
    mem_fail_after(-1);
    assert_true(st.dirty);
    identity_store_init(&back, NULL, 0);
    assert_int_equal(identity_store_load(&back, tmpdir, NULL), ST_OK);
    assert_int_equal(back.len, 1);                        /* the old file */
    assert_int_equal(identity_store_save(&st, tmpdir, NULL), ST_OK);
    assert_int_equal(identity_store_load(&back, tmpdir, NULL), ST_OK);
    assert_int_equal(back.len, 2);
    Identity got;
    assert_int_equal(identity_store_lookup(&back, token, strlen(token), &got, NULL), ST_OK);
    assert_true(identity_equal(&got, &id));
    identity_store_fini(&back);
    identity_store_fini(&st);
}

/* A store whose issuer differs cannot load the file: the identities no
 * longer follow from the subjects. */
static void test_store_issuer_matters(void **state)
{
    (void)state;
    IdentityStore st, other;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    IdError e;
    identity_store_init(&st, NULL, 0);
    assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_int_equal(identity_store_save(&st, tmpdir, NULL), ST_OK);
    identity_store_init(&other, "example.com", 0);
    assert_int_equal(identity_store_load(&other, tmpdir, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "issuer \"example.com\""));
    identity_store_fini(&other);
    identity_store_fini(&st);
}

static void test_store_check_catches_damage(void **state)
{
    (void)state;
    IdentityStore st;
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    identity_store_init(&st, NULL, 0);
    assert_true(identity_store_check(&st));
    for (int i = 0; i < 5; i++)
        assert_int_equal(identity_store_mint(&st, token, &id, NULL), ST_OK);
    assert_true(identity_store_check(&st));
    /* Move entry 2's home slot half-way round the 32-slot table (the table
     * hash is the first 8 bytes, big-endian): probing from there cannot
     * reach its slot through only 4 other entries. */
    assert_int_equal(st.nslots, 32);
    st.entries[2].hash[7] ^= 0x10;
    assert_false(identity_store_check(&st));
    st.entries[2].hash[7] ^= 0x10;
    st.entries[3].subject[0] ^= 1;              /* identity no longer derived */
    assert_false(identity_store_check(&st));
    st.entries[3].subject[0] ^= 1;
    assert_true(identity_store_check(&st));
    st.len--;                                   /* a slot points past the end */
    assert_false(identity_store_check(&st));
    st.len++;
    identity_store_fini(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_token_shape, cleanup),
        cmocka_unit_test_teardown(test_mint_gives_c200_identities, cleanup),
        cmocka_unit_test_teardown(test_token_gives_same_identity, cleanup),
        cmocka_unit_test_teardown(test_unknown_token_rejected, cleanup),
        cmocka_unit_test_teardown(test_store_limit, cleanup),
        cmocka_unit_test_teardown(test_mint_out_of_memory, cleanup),
        cmocka_unit_test_teardown(test_store_save_load_round_trip, cleanup),
        cmocka_unit_test_teardown(test_store_load_missing_file_is_empty, cleanup),
        cmocka_unit_test_teardown(test_store_load_corrupt_names_line, cleanup),
        cmocka_unit_test_teardown(test_store_load_respects_limit, cleanup),
        cmocka_unit_test_teardown(test_store_save_failure_keeps_old_file, cleanup),
        cmocka_unit_test_teardown(test_store_issuer_matters, cleanup),
        cmocka_unit_test_teardown(test_store_check_catches_damage, cleanup),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
