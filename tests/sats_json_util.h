/*
 * sats_json_util.h - shared helpers of the SATS-JSON tests
 * (test_sats_json.c, test_sats_json_msgs.c): a typespace and output
 * buffer per test, types built by hand (prod, sum, arr, opt, and the
 * special types), and checks that compare whole outputs and whole error
 * messages.
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#ifndef TINYSTDB_TESTS_SATS_JSON_UTIL_H
#define TINYSTDB_TESTS_SATS_JSON_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "db/types.h"
#include "host/sats_json.h"

#define P(k) alg_prim(ALG_##k)

static Typespace ts;
static StrBuf out;
static DbError err;

static inline int setup(void **state)
{
    (void)state;
    typespace_init(&ts);
    strbuf_init(&out);
    memset(&err, 0, sizeof err);
    return 0;
}

static inline int teardown(void **state)
{
    (void)state;
    strbuf_fini(&out);
    typespace_fini(&ts);
    return 0;
}

/* ---- building types by hand ---------------------------------------------- */

/* prod(n, "a", type_a, "b", type_b, ...) */
static inline AlgType *prod(uint32_t n, ...)
{
    AlgType *t = typespace_new_type(&ts, ALG_PRODUCT, n);
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; i < n; i++) {
        t->members[i].name = va_arg(ap, const char *);
        t->members[i].type = va_arg(ap, const AlgType *);
    }
    va_end(ap);
    return t;
}

static inline AlgType *sum(uint32_t n, ...)
{
    AlgType *t = typespace_new_type(&ts, ALG_SUM, n);
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; i < n; i++) {
        t->members[i].name = va_arg(ap, const char *);
        t->members[i].type = va_arg(ap, const AlgType *);
    }
    va_end(ap);
    return t;
}

static inline const AlgType *arr(const AlgType *elem)
{
    AlgType *t = typespace_new_type(&ts, ALG_ARRAY, 0);
    t->elem = elem;
    return t;
}

static inline const AlgType *opt(const AlgType *t)
{
    return sum(2, "some", t, "none", alg_unit());
}

static inline const AlgType *ref_to(const AlgType *target)
{
    uint32_t n;
    assert_int_equal(typespace_add(&ts, target, &n), ST_OK);
    AlgType *r = typespace_new_type(&ts, ALG_REF, 0);
    r->ref = n;
    return r;
}

static inline const AlgType *identity_t(void) { return prod(1, "__identity__", P(U256)); }
static inline const AlgType *connid_t(void) { return prod(1, "__connection_id__", P(U128)); }
static inline const AlgType *timestamp_t(void)
{
    return prod(1, "__timestamp_micros_since_unix_epoch__", P(I64));
}
static inline const AlgType *duration_t(void) { return prod(1, "__time_duration_micros__", P(I64)); }

/* ---- helpers ------------------------------------------------------------- */

static inline size_t unhex(const char *hex, uint8_t *b)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned x;
        sscanf(hex, "%2x", &x);
        b[n++] = (uint8_t)x;
    }
    return n;
}

/* BSATN (given as hex) -> JSON must be exactly `want`. */
static inline void check_out(const AlgType *t, const char *hex, SatsJsonStyle style, const char *want)
{
    uint8_t b[512];
    size_t n = unhex(hex, b);
    strbuf_clear(&out);
    Status st = sats_json_from_bsatn(&ts, t, b, n, NULL, style, &out, &err);
    if (st != ST_OK)
        fail_msg("from_bsatn %s: %s", hex, err.msg);
    assert_string_equal(out.data ? out.data : "", want);
}

/* JSON text -> BSATN must be exactly the bytes `hex`. */
static inline void check_in(const AlgType *t, const char *json, const char *hex)
{
    uint8_t b[512];
    size_t n = unhex(hex, b);
    strbuf_clear(&out);
    Status st = sats_json_text_to_bsatn(&ts, t, json, strlen(json), &out, &err);
    if (st != ST_OK)
        fail_msg("to_bsatn %s: %s", json, err.msg);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, b, n);
}

/* Both directions at once. */
static inline void check_both(const AlgType *t, const char *json, const char *hex)
{
    check_in(t, json, hex);
    check_out(t, hex, SATS_JSON_NAMED, json);
}

/* JSON text -> BSATN must fail with st and exactly the message msg; the
 * output buffer must be unchanged. */
static inline void check_err(const AlgType *t, const char *json, Status want, const char *msg)
{
    strbuf_clear(&out);
    strbuf_puts(&out, "keep");
    Status st = sats_json_text_to_bsatn(&ts, t, json, strlen(json), &out, &err);
    assert_int_equal(st, want);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    assert_string_equal(err.msg, msg);
    assert_int_equal(out.len, 4);
    assert_string_equal(out.data, "keep");
}

#endif
