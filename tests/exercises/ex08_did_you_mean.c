/*
 * ex08_did_you_mean.c - graded exercise: suggest the field a client meant.
 *
 * Exercise: 8
 * Title: Did you mean?
 * Change: proto_read_product() in src/net/proto_decode.c
 * Book: chapter 20, book/20-protocol.md
 *
 * When a message names a field its product does not have, the error
 *     CallReducer: unknown field `flag`
 * gains ", did you mean `flags`?" if some field of that product is at
 * edit distance (Levenshtein: insert, delete or replace one byte) at most
 * 2 from the unknown name; the closest one, the first in declaration
 * order on a tie.  With no field that close the message stays as it is.
 * The test checks every message of both directions against its own model
 * of the rule, with random misspellings of every field.
 */
#define EXERCISE_NUMBER 8
#define EXERCISE_SEE "book/20-protocol.md, exercise 1"
#include "exercise.h"

#include <stdio.h>
#include <string.h>

#include "net/proto.h"
#include "net/proto_int.h"
#include "util/arena.h"

static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    assert_true(lb < 64);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best, diag = up;
        }
    }
    return row[lb];
}

/* The message the rule asks for, for unknown key `key` in message m. */
static void expected(const Message *m, const char *key, char *out, size_t outlen)
{
    const Product *p = &m->payload;
    size_t best = 3, at = p->nfields;
    for (size_t i = 0; i < p->nfields; i++) {
        size_t d = distance(key, p->fields[i].name);
        if (d < best)
            best = d, at = i;
    }
    if (at < p->nfields)
        snprintf(out, outlen, "%s: unknown field `%s`, did you mean `%s`?", m->name, key,
                 p->fields[at].name);
    else
        snprintf(out, outlen, "%s: unknown field `%s`", m->name, key);
}

static Status decode(bool request, const char *line, ProtoError *err)
{
    Arena a;
    arena_init(&a);
    ProtoRequest req;
    ProtoReply rep;
    Status st = request ? proto_decode_request(&a, line, strlen(line), &req, err)
                        : proto_decode_reply(&a, line, strlen(line), &rep, err);
    arena_fini(&a);
    return st;
}

static void expect_message(bool request, const char *line, const char *want)
{
    ProtoError err = {{0}};
    Status st = decode(request, line, &err);
    assert_int_equal(st, ST_INVALID);
    CHECK(strcmp(err.msg, want) == 0, "for %s\n  expected: %s\n  got:      %s", line, want, err.msg);
}

static void test_examples(void **state)
{
    (void)state;
    const char *base = "{\"CallReducer\":{\"reducer\":\"r\",\"args\":\"[]\",\"request_id\":1,";
    char line[256];
    snprintf(line, sizeof line, "%s\"flag\":0}}", base);
    expect_message(true, line, "CallReducer: unknown field `flag`, did you mean `flags`?");
    snprintf(line, sizeof line, "%s\"flgas\":0}}", base);
    expect_message(true, line, "CallReducer: unknown field `flgas`, did you mean `flags`?");
    /* "falgs" is 2 from both; args comes first. */
    snprintf(line, sizeof line, "%s\"falgs\":0}}", base);
    expect_message(true, line, "CallReducer: unknown field `falgs`, did you mean `args`?");
    snprintf(line, sizeof line, "{\"CallReducer\":{\"reqeust_id\":1}}");
    expect_message(true, line, "CallReducer: unknown field `reqeust_id`, did you mean `request_id`?");
    /* Nothing close: the message is unchanged. */
    snprintf(line, sizeof line, "%s\"x\":0}}", base);
    expect_message(true, line, "CallReducer: unknown field `x`");
    snprintf(line, sizeof line, "%s\"flagstaff\":0}}", base);
    expect_message(true, line, "CallReducer: unknown field `flagstaff`");
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* name with 1..3 random edits, letters drawn from "aeflgrstu_". */
static void misspell(const char *name, char *out)
{
    static const char letters[] = "aeflgrstu_";
    strcpy(out, name);
    unsigned edits = 1 + rnd(3);
    for (unsigned e = 0; e < edits; e++) {
        size_t n = strlen(out);
        unsigned kind = rnd(3), at = rnd((unsigned)n + 1);
        if (kind == 0 && n < 30) {
            memmove(out + at + 1, out + at, n - at + 1);
            out[at] = letters[rnd(sizeof letters - 1)];
        } else if (kind == 1 && n > 1 && at < n) {
            memmove(out + at, out + at + 1, n - at);
        } else if (at < n) {
            out[at] = letters[rnd(sizeof letters - 1)];
        }
    }
}

static void every_message(const MessageTable *t, bool request, long *checked)
{
    for (size_t k = 0; k < t->n; k++) {
        const Message *m = &t->msgs[k];
        if (m->newtype || m->payload.nfields == 0)
            continue;
        for (size_t f = 0; f < m->payload.nfields; f++) {
            for (int r = 0; r < 60; r++) {
                char key[48], want[256], line[256];
                misspell(m->payload.fields[f].name, key);
                bool is_field = false;
                for (size_t g = 0; g < m->payload.nfields; g++)
                    is_field |= strcmp(key, m->payload.fields[g].name) == 0;
                if (is_field)
                    continue;
                snprintf(line, sizeof line, "{\"%s\":{\"%s\":0}}", m->name, key);
                expected(m, key, want, sizeof want);
                expect_message(request, line, want);
                (*checked)++;
            }
        }
    }
}

static void test_every_field_misspelt(void **state)
{
    (void)state;
    long checked = 0;
    every_message(&proto_requests, true, &checked);
    every_message(&proto_replies, false, &checked);
    assert_true(checked > 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_every_field_misspelt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
