/*
 * ex04_key_decode.c - graded exercise: decode an index key back to BSATN.
 *
 * Exercise: 4
 * Title: Decode a key
 * Change: key_decode_value() in src/db/key.c (new; declare it in key.h)
 * Book: chapter 9, book/09-values-bsatn.md
 *
 *   Status key_decode_value(const Typespace *ts, const AlgType *t,
 *                           const uint8_t *key, size_t len, StrBuf *out);
 *
 * appends to `out` the BSATN of the value whose key (key_encode_value) is
 * exactly the `len` bytes at `key`.  Bytes that are not the whole key of a
 * value of type t - cut short, with bytes left over, a bad escape, a sum
 * tag the type does not have, a bool that is not 0 or 1, a string that is
 * not UTF-8, a NaN other than the canonical one - give ST_INVALID and
 * leave `out` as it was.  Floats cannot come back bit for bit (every
 * NaN and -0.0 share a key with NaN and 0.0); everything else must.
 */
#define EXERCISE_NUMBER 4
#define EXERCISE_SEE "book/09-values-bsatn.md, exercise 1"
#include "exercise.h"

#include "db/bsatn.h"
#include "db/key.h"
#include "util/alloc.h"
#include "values_gen.h"

EXERCISE_WEAK Status key_decode_value(const Typespace *ts, const AlgType *t, const uint8_t *key,
                                      size_t len, StrBuf *out);

/* memcmp that allows empty (possibly NULL) buffers. */
static bool same_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Does a value of type t hold a float anywhere? */
static bool has_float(const Typespace *ts, const AlgType *t, int depth)
{
    t = alg_resolve(ts, t);
    if (!t || depth > ALG_MAX_DEPTH)
        return true;
    switch (t->kind) {
    case ALG_F32: case ALG_F64: return true;
    case ALG_ARRAY: return has_float(ts, t->elem, depth + 1);
    case ALG_PRODUCT: case ALG_SUM:
        for (uint32_t i = 0; i < t->nmembers; i++)
            if (has_float(ts, t->members[i].type, depth + 1))
                return true;
        return false;
    default: return false;
    }
}

static void describe(const Typespace *ts, const AlgType *t, StrBuf *f)
{
    strbuf_init(f);
    alg_type_format(ts, t, f);
}

/* One random type, a few random values: key -> value -> key. */
static void round_trip_once(Rng *rng, long *checked)
{
    Typespace ts;
    typespace_init(&ts);
    const AlgType *t = gen_type(&ts, rng, 1 + (int)rng_below(rng, 4));
    bool exact = !has_float(&ts, t, 0);
    for (int i = 0; i < 4; i++) {
        StrBuf val, key, back, key2, f;
        strbuf_init(&val), strbuf_init(&key), strbuf_init(&back), strbuf_init(&key2);
        gen_value(&ts, t, rng, &val);
        const uint8_t *v = (const uint8_t *)val.data;
        assert_int_equal(key_encode_value(&ts, t, v, &key), ST_OK);
        assert_int_equal(strbuf_append(&back, "junk", 4), ST_OK);   /* decode appends */
        Status st = key_decode_value(&ts, t, (const uint8_t *)key.data, key.len, &back);
        describe(&ts, t, &f);
        CHECK(st == ST_OK, "a key of type %s did not decode (status %d)", f.data, st);
        CHECK(back.len >= 4 && memcmp(back.data, "junk", 4) == 0,
              "key_decode_value must append to out, not overwrite it");
        const uint8_t *b = (const uint8_t *)back.data + 4;
        size_t blen = back.len - 4;
        CHECK(bsatn_validate_exact(&ts, t, b, blen, NULL) == ST_OK,
              "the decoded bytes are not valid BSATN of type %s", f.data);
        CHECK(bsatn_compare(&ts, t, v, b) == 0, "type %s: the decoded value differs", f.data);
        assert_int_equal(key_encode_value(&ts, t, b, &key2), ST_OK);
        CHECK(same_bytes(key2.data, key2.len, key.data, key.len),
              "type %s: the decoded value has a different key", f.data);
        if (exact)
            CHECK(same_bytes(b, blen, v, val.len),
                  "type %s has no floats, so its value must come back byte for byte", f.data);
        strbuf_fini(&val), strbuf_fini(&key), strbuf_fini(&back), strbuf_fini(&key2);
        strbuf_fini(&f);
        (*checked)++;
    }
    typespace_fini(&ts);
}

static void test_key_decode_round_trip(void **state)
{
    (void)state;
    NEED(key_decode_value);
    long checked = 0;
    Rng rng = {20261126};
    for (int i = 0; i < 5000; i++)
        round_trip_once(&rng, &checked);
    assert_int_equal(checked, 20000);
}

/* Every proper prefix of a key, and the key plus one byte, are refused. */
static void prefixes_once(Rng *rng)
{
    Typespace ts;
    typespace_init(&ts);
    const AlgType *t = gen_type(&ts, rng, 1 + (int)rng_below(rng, 3));
    StrBuf val, key, out, f;
    strbuf_init(&val), strbuf_init(&key), strbuf_init(&out);
    gen_value(&ts, t, rng, &val);
    assert_int_equal(key_encode_value(&ts, t, (const uint8_t *)val.data, &key), ST_OK);
    describe(&ts, t, &f);
    for (size_t n = 0; n < key.len; n++) {
        Status st = key_decode_value(&ts, t, (const uint8_t *)key.data, n, &out);
        CHECK(st == ST_INVALID, "type %s: the first %zu of %zu key bytes must be refused with "
              "ST_INVALID, got %d", f.data, n, key.len, st);
        CHECK(out.len == 0, "a refused key must leave out as it was");
    }
    assert_int_equal(strbuf_putc(&key, (char)rng_next(rng)), ST_OK);
    Status st = key_decode_value(&ts, t, (const uint8_t *)key.data, key.len, &out);
    CHECK(st == ST_INVALID, "type %s: a key with a byte left over must be refused, got %d",
          f.data, st);
    CHECK(out.len == 0, "a refused key must leave out as it was");
    strbuf_fini(&val), strbuf_fini(&key), strbuf_fini(&out), strbuf_fini(&f);
    typespace_fini(&ts);
}

static void test_key_decode_refuses_partial(void **state)
{
    (void)state;
    NEED(key_decode_value);
    Rng rng = {7};
    for (int i = 0; i < 2000; i++)
        prefixes_once(&rng);
}

/* Random bytes: refused, or a valid value whose key is exactly those bytes. */
static void test_key_decode_garbage(void **state)
{
    (void)state;
    NEED(key_decode_value);
    Rng rng = {99};
    long accepted = 0;
    for (int i = 0; i < 20000; i++) {
        Typespace ts;
        typespace_init(&ts);
        const AlgType *t = gen_type(&ts, &rng, 1 + (int)rng_below(&rng, 3));
        uint8_t bytes[24];
        size_t n = rng_below(&rng, sizeof bytes + 1);
        for (size_t k = 0; k < n; k++)   /* mostly small bytes: escapes, tags, ends */
            bytes[k] = (uint8_t)(rng_below(&rng, 4) ? rng_below(&rng, 3) : rng_next(&rng));
        StrBuf out, key;
        strbuf_init(&out), strbuf_init(&key);
        Status st = key_decode_value(&ts, t, bytes, n, &out);
        CHECK(st == ST_OK || st == ST_INVALID, "random bytes gave status %d", st);
        if (st == ST_OK) {
            CHECK(bsatn_validate_exact(&ts, t, (const uint8_t *)out.data, out.len, NULL) == ST_OK,
                  "accepted bytes decoded to invalid BSATN");
            assert_int_equal(key_encode_value(&ts, t, (const uint8_t *)out.data, &key), ST_OK);
            CHECK(same_bytes(key.data, key.len, bytes, n),
                  "accepted bytes that are not the key of the value they decode to");
            accepted++;
        } else {
            CHECK(out.len == 0, "a refused key must leave out as it was");
        }
        strbuf_fini(&out), strbuf_fini(&key);
        typespace_fini(&ts);
    }
    assert_true(accepted > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_decode_round_trip),
        cmocka_unit_test(test_key_decode_refuses_partial),
        cmocka_unit_test(test_key_decode_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
