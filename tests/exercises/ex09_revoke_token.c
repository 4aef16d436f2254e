/*
 * ex09_revoke_token.c - graded exercise: take a token back.
 *
 * Exercise: 9
 * Title: Revoke a token
 * Change: identity_store_revoke() in src/net/identity_store.c (new; declare it in identity.h)
 * Book: chapter 21, book/21-identities.md
 *
 *   Status identity_store_revoke(IdentityStore *st, const char *token,
 *                                size_t len, IdError *err);
 *
 * removes the entry of a token: ST_MALFORMED if the text is not a token,
 * ST_NOT_FOUND if the store does not hold it (any more).  Afterwards the
 * token no longer looks up while every other token still does, the
 * remaining entries keep their minting order (the file order), the store
 * is dirty, and identity_store_check passes - so a removed slot cannot
 * simply be emptied in the middle of a probe run.
 */
#define EXERCISE_NUMBER 9
#define EXERCISE_SEE "book/21-identities.md, exercise 2"
#include "exercise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/identity.h"

EXERCISE_WEAK Status identity_store_revoke(IdentityStore *st, const char *token, size_t len,
                                           IdError *err);

typedef struct Minted {
    char token[IDENTITY_TOKEN_LEN + 1];
    Identity id;
    bool revoked;
} Minted;

static void mint(IdentityStore *st, Minted *m)
{
    IdError err;
    assert_int_equal(identity_store_mint(st, m->token, &m->id, &err), ST_OK);
    m->revoked = false;
}

static void lookup_all(const IdentityStore *st, const Minted *m, size_t n)
{
    CHECK(identity_store_check(st), "identity_store_check fails");
    for (size_t i = 0; i < n; i++) {
        Identity got;
        IdError err;
        Status s = identity_store_lookup(st, m[i].token, IDENTITY_TOKEN_LEN, &got, &err);
        if (m[i].revoked) {
            CHECK(s == ST_NOT_FOUND, "revoked token %zu still looks up (status %d)", i, s);
        } else {
            CHECK(s == ST_OK, "token %zu was not revoked but no longer looks up: a probe run "
                  "was broken", i);
            CHECK(identity_equal(&got, &m[i].id), "token %zu now maps to another identity", i);
        }
    }
}

static void revoke(IdentityStore *st, Minted *m)
{
    IdError err;
    st->dirty = false;
    Status s = identity_store_revoke(st, m->token, IDENTITY_TOKEN_LEN, &err);
    CHECK(s == ST_OK, "revoking a live token returned %d", s);
    CHECK(st->dirty, "a revoke must mark the store dirty");
    m->revoked = true;
}

/* The entries, in order, are the live tokens' identities in minting order. */
static void expect_order(const IdentityStore *st, const Minted *m, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i].revoked)
            continue;
        CHECK(k < st->len && identity_equal(&st->entries[k].identity, &m[i].id),
              "the entries no longer follow the minting order at %zu", k);
        k++;
    }
    CHECK(k == st->len, "the store holds %zu entries, %zu are live", st->len, k);
}

static void test_store_revoke(void **state)
{
    (void)state;
    NEED(identity_store_revoke);
    enum { N = 200 };
    static Minted m[N];
    IdentityStore st;
    identity_store_init(&st, NULL, 0);
    for (size_t i = 0; i < N; i++)
        mint(&st, &m[i]);
    for (size_t i = 0; i < N; i += 3) {
        revoke(&st, &m[i]);
        CHECK(identity_store_check(&st), "identity_store_check fails after revoking token %zu", i);
    }
    lookup_all(&st, m, N);
    expect_order(&st, m, N);
    IdError err;
    CHECK(identity_store_revoke(&st, m[0].token, IDENTITY_TOKEN_LEN, &err) == ST_NOT_FOUND,
          "revoking a token twice must give ST_NOT_FOUND");
    CHECK(identity_store_revoke(&st, "not a token", 11, &err) == ST_MALFORMED,
          "revoking text that is not a token must give ST_MALFORMED");
    char unknown[IDENTITY_TOKEN_LEN + 1];
    memcpy(unknown, m[1].token, sizeof unknown);
    unknown[IDENTITY_TOKEN_LEN - 1] = unknown[IDENTITY_TOKEN_LEN - 1] == '0' ? '1' : '0';
    CHECK(identity_store_revoke(&st, unknown, IDENTITY_TOKEN_LEN, &err) == ST_NOT_FOUND,
          "revoking a token never issued must give ST_NOT_FOUND");
    lookup_all(&st, m, N);
    /* What is saved is what is left, and it loads back. */
    char dir[] = "/tmp/ex09-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(identity_store_save(&st, dir, &err), ST_OK);
    IdentityStore back;
    identity_store_init(&back, NULL, 0);
    assert_int_equal(identity_store_load(&back, dir, &err), ST_OK);
    lookup_all(&back, m, N);
    expect_order(&back, m, N);
    identity_store_fini(&back);
    char path[64];
    snprintf(path, sizeof path, "%s/%s", dir, IDENTITY_STORE_FILE);
    unlink(path);
    rmdir(dir);
    identity_store_fini(&st);
}

/* Random mints and revokes against a list of what was minted. */
static void test_store_revoke_random(void **state)
{
    (void)state;
    NEED(identity_store_revoke);
    enum { N = 3000 };
    Minted *m = calloc(N, sizeof *m);
    assert_non_null(m);
    size_t n = 0;
    IdentityStore st;
    identity_store_init(&st, NULL, 0);
    uint64_t r = 12345;
    for (int op = 0; op < 6000; op++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        if (n < N && (n == 0 || r % 100 < 55)) {
            mint(&st, &m[n++]);
        } else {
            Minted *pick = &m[(r >> 8) % n];
            if (!pick->revoked)
                revoke(&st, pick);
        }
        if (op % 500 == 0)
            lookup_all(&st, m, n);
    }
    lookup_all(&st, m, n);
    expect_order(&st, m, n);
    for (size_t i = 0; i < n; i++)   /* revoke everything that is left */
        if (!m[i].revoked)
            revoke(&st, &m[i]);
    lookup_all(&st, m, n);
    CHECK(st.len == 0, "after revoking every token the store holds %zu entries", st.len);
    identity_store_fini(&st);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_revoke),
        cmocka_unit_test(test_store_revoke_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
