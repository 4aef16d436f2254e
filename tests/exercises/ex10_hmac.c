/*
 * ex10_hmac.c - graded exercise: HMAC-SHA256 for stateless tokens.
 *
 * Exercise: 10
 * Title: HMAC-SHA256 (stateless tokens)
 * Change: sha256_hmac() in src/util/sha256.c (new; declare it in sha256.h)
 * Book: chapter 21, book/21-identities.md
 *
 *   void sha256_hmac(const void *key, size_t key_len, const void *msg,
 *                    size_t msg_len, uint8_t out[SHA256_DIGEST_LEN]);
 *
 * computes HMAC-SHA256 as RFC 2104 defines it (a key longer than a block
 * is hashed first; the key, zero-padded to a block, is XORed with 0x36
 * for the inner hash and 0x5c for the outer one).  Checked against the
 * seven RFC 4231 vectors and, for random keys and messages of every
 * length around the block size, against the definition.
 */
#define EXERCISE_NUMBER 10
#define EXERCISE_SEE "book/21-identities.md, exercise 3"
#include "exercise.h"

#include <stdio.h>
#include <string.h>

#include "util/sha256.h"

EXERCISE_WEAK void sha256_hmac(const void *key, size_t key_len, const void *msg, size_t msg_len,
                               uint8_t out[SHA256_DIGEST_LEN]);

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

typedef struct Vector {
    const char *key;         /* bytes, or NULL: `fill` repeated key_len times */
    uint8_t fill;
    size_t key_len;
    const char *msg;
    uint8_t mfill;
    size_t msg_len;
    const char *mac;         /* hex; test case 5 checks only 128 bits */
} Vector;

static const char k4[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
                         "\x11\x12\x13\x14\x15\x16\x17\x18\x19";

static const Vector rfc4231[] = {
    {NULL, 0x0b, 20, "Hi There", 0, 8,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"Jefe", 0, 4, "what do ya want for nothing?", 0, 28,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {NULL, 0xaa, 20, NULL, 0xdd, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {k4, 0, 25, NULL, 0xcd, 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {NULL, 0x0c, 20, "Test With Truncation", 0, 20, "a3b6167473100ee06e0c796c2955552b"},
    {NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 54,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {NULL, 0xaa, 131, "This is a test using a larger than block-size key and a larger than "
     "block-size data. The key needs to be hashed before being used by the HMAC algorithm.", 0,
     152, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void test_sha256_hmac_rfc4231(void **state)
{
    (void)state;
    NEED(sha256_hmac);
    for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
        const Vector *v = &rfc4231[i];
        uint8_t key[200], msg[200], mac[SHA256_DIGEST_LEN];
        if (v->key)
            memcpy(key, v->key, v->key_len);
        else
            memset(key, v->fill, v->key_len);
        if (v->msg)
            memcpy(msg, v->msg, v->msg_len);
        else
            memset(msg, v->mfill, v->msg_len);
        sha256_hmac(key, v->key_len, msg, v->msg_len, mac);
        char got[2 * SHA256_DIGEST_LEN + 1];
        hex(mac, sizeof mac, got);
        CHECK(strncmp(got, v->mac, strlen(v->mac)) == 0,
              "RFC 4231 test case %zu:\n  expected %s\n  got      %s", i + 1, v->mac, got);
    }
}

/* HMAC written out from RFC 2104, with the one-call hash. */
static void model(const uint8_t *key, size_t klen, const uint8_t *msg, size_t mlen,
                  uint8_t out[SHA256_DIGEST_LEN])
{
    uint8_t k[SHA256_BLOCK_LEN] = {0}, buf[SHA256_BLOCK_LEN + 600], inner[SHA256_DIGEST_LEN];
    if (klen > SHA256_BLOCK_LEN)
        sha256_digest(key, klen, k);
    else
        memcpy(k, key, klen);
    for (size_t i = 0; i < SHA256_BLOCK_LEN; i++)
        buf[i] = k[i] ^ 0x36;
    memcpy(buf + SHA256_BLOCK_LEN, msg, mlen);
    sha256_digest(buf, SHA256_BLOCK_LEN + mlen, inner);
    for (size_t i = 0; i < SHA256_BLOCK_LEN; i++)
        buf[i] = k[i] ^ 0x5c;
    memcpy(buf + SHA256_BLOCK_LEN, inner, sizeof inner);
    sha256_digest(buf, SHA256_BLOCK_LEN + sizeof inner, out);
}

static void test_sha256_hmac_lengths(void **state)
{
    (void)state;
    NEED(sha256_hmac);
    uint8_t key[300], msg[600];
    uint64_t r = 42;
    for (size_t i = 0; i < sizeof key; i++)
        r = r * 6364136223846793005u + 1442695040888963407u, key[i] = (uint8_t)(r >> 56);
    for (size_t i = 0; i < sizeof msg; i++)
        r = r * 6364136223846793005u + 1442695040888963407u, msg[i] = (uint8_t)(r >> 56);
    static const size_t klens[] = {0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 300};
    for (size_t a = 0; a < sizeof klens / sizeof klens[0]; a++) {
        for (size_t mlen = 0; mlen <= 600; mlen += mlen < 140 ? 1 : 97) {
            uint8_t want[SHA256_DIGEST_LEN], got[SHA256_DIGEST_LEN];
            model(key, klens[a], msg, mlen, want);
            sha256_hmac(key, klens[a], msg, mlen, got);
            CHECK(memcmp(want, got, sizeof want) == 0,
                  "a key of %zu bytes and a message of %zu bytes give the wrong MAC", klens[a], mlen);
        }
    }
    /* A key longer than a block is the same as its hash. */
    uint8_t h[SHA256_DIGEST_LEN], m1[SHA256_DIGEST_LEN], m2[SHA256_DIGEST_LEN];
    sha256_digest(key, 100, h);
    sha256_hmac(key, 100, "x", 1, m1);
    sha256_hmac(h, sizeof h, "x", 1, m2);
    CHECK(memcmp(m1, m2, sizeof m1) == 0, "a 100-byte key must act like its SHA-256");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_hmac_rfc4231),
        cmocka_unit_test(test_sha256_hmac_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
