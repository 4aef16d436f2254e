/*
 * test_cli_log.c - `tinystdb log dump | verify` on a real log.
 *
 * Each test writes a small log with commitlog_append (four transactions
 * on a table t(id u64 pk, name String)) into a temporary directory, runs
 * cmd_log with stdout and stderr captured in files, and reads what it
 * printed.  The corruption test flips one payload byte of commit 1 (a
 * commit in the middle: good commits follow it) and expects verify to
 * fail naming the segment, the byte position of that commit and offset 1.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "db/commitlog.h"
#include "db/tx.h"
#include "table_util.h"
#include "util/fs.h"


#define NCOMMITS 4

static const char *const COLS[] = {"id", "name"};
static const uint16_t C0[] = {0};

typedef struct Fixture {
    char dir[64];
    uint64_t byte_pos[NCOMMITS];    /* of each commit header */
} Fixture;

static Db *make_db(Typespace *ts)
{
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    const AlgType *pt[] = {alg_prim(ALG_U64), alg_prim(ALG_STRING)};
    IndexSchema idx = {NULL, INDEX_BTREE, C0, 1};
    UniqueSchema pk = {NULL, C0, 1};
    TableSchema s = {.name = "t", .ts = ts, .row_type = make_row_type(ts, 2, COLS, pt),
                     .primary_key = 0, .indexes = &idx, .nindexes = 1, .uniques = &pk,
                     .nuniques = 1};
    assert_int_equal(db_create_table(db, &s, NULL, NULL), ST_OK);
    return db;
}

/* Transaction i inserts row i; the last one also deletes row 0. */
static void write_log(const char *dir)
{
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    Table *t = db_table(db, DB_FIRST_ID);
    CommitLog *l;
    assert_int_equal(commitlog_open(dir, NULL, 0, NULL, NULL, &l, NULL, NULL), ST_OK);
    TxDelta d;
    tx_delta_init(&d);
    StrBuf b;
    strbuf_init(&b);
    for (uint64_t i = 0; i < NCOMMITS; i++) {
        assert_int_equal(tx_begin(db, NULL), ST_OK);
        strbuf_clear(&b);
        put_uint(&b, i, 8);
        put_str(&b, "row");
        assert_int_equal(table_insert(t, (uint8_t *)b.data, b.len, NULL, NULL, NULL), ST_OK);
        if (i == NCOMMITS - 1) {
            strbuf_clear(&b);
            put_uint(&b, 0, 8);
            put_str(&b, "row");
            bool deleted;
            assert_int_equal(table_delete_row(t, (uint8_t *)b.data, b.len, &deleted, NULL),
                             ST_OK);
            assert_true(deleted);
        }
        assert_int_equal(tx_commit(db, &d, NULL), ST_OK);
        assert_int_equal(commitlog_append(l, &d, 1764154500000000 + (int64_t)i, NULL, NULL),
                         ST_OK);
    }
    strbuf_fini(&b);
    tx_delta_fini(&d);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    db_free(db);
    typespace_fini(&ts);
}

static Status note_pos(void *ctx, const CommitLogCommit *c, CommitLogError *err)
{
    (void)err;
    ((Fixture *)ctx)->byte_pos[c->offset] = c->byte_pos;
    return ST_OK;
}

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/tinystdb-clilog-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    write_log(f->dir);
    assert_int_equal(commitlog_scan(f->dir, 0, note_pos, f, NULL, NULL), ST_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    fs_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Run `log SUB DIR` with stdout and stderr each captured into a buffer. */
static int run_log(const char *sub, const char *dir, char *out, char *errb, size_t n)
{
    char so[] = "/tmp/tinystdb-clilog-out-XXXXXX", se[] = "/tmp/tinystdb-clilog-err-XXXXXX";
    int fo = mkstemp(so), fe = mkstemp(se);
    assert_true(fo >= 0 && fe >= 0);
    fflush(stdout);
    fflush(stderr);
    int keep_o = dup(1), keep_e = dup(2);
    dup2(fo, 1);
    dup2(fe, 2);
    char a0[] = "log", a1[32], a2[64];
    snprintf(a1, sizeof a1, "%s", sub);
    snprintf(a2, sizeof a2, "%s", dir);
    char *argv[] = {a0, a1, a2, NULL};
    int rc = cmd_log(3, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(keep_o, 1);
    dup2(keep_e, 2);
    close(keep_o);
    close(keep_e);
    ssize_t k = pread(fo, out, n - 1, 0);
    out[k > 0 ? k : 0] = '\0';
    k = pread(fe, errb, n - 1, 0);
    errb[k > 0 ? k : 0] = '\0';
    close(fo);
    close(fe);
    unlink(so);
    unlink(se);
    return rc;
}

static void test_dump(void **state)
{
    Fixture *f = *state;
    static char out[16384], errb[4096];
    assert_int_equal(run_log("dump", f->dir, out, errb, sizeof out), CLI_EXIT_OK);
    char want[128];
    for (int i = 0; i < NCOMMITS; i++) {
        snprintf(want, sizeof want, "commit %d  2025-11-26 10:55:00.00000%d", i, i);
        if (!strstr(out, want))
            fail_msg("no \"%s\" in:\n%s", want, out);
    }
    /* row 2: id 2 (u64 LE), then "row" as (u32 length 3, bytes) */
    assert_non_null(strstr(out, "+ 020000000000000003000000726f77  (15 bytes)"));
    assert_non_null(strstr(out, "- 000000000000000003000000726f77  (15 bytes)"));
    assert_non_null(strstr(out, "table 4097: 1 deleted, 1 inserted"));
    assert_non_null(strstr(out, "4 commit(s) in 1 segment(s), offsets 0..4"));
}

static void test_verify_good(void **state)
{
    Fixture *f = *state;
    static char out[4096], errb[4096];
    assert_int_equal(run_log("verify", f->dir, out, errb, sizeof out), CLI_EXIT_OK);
    assert_non_null(strstr(out, "ok: 4 commit(s) in 1 segment(s), offsets 0..4, 1 row(s) "
                                "deleted, 4 inserted"));
}

static void test_verify_corrupt_middle(void **state)
{
    Fixture *f = *state;
    char seg[128];
    snprintf(seg, sizeof seg, "%s/00000000000000000000" COMMITLOG_SUFFIX, f->dir);
    int fd = open(seg, O_RDWR);
    assert_true(fd >= 0);
    off_t at = (off_t)f->byte_pos[1] + COMMITLOG_COMMIT_HEADER + 3;   /* inside the payload */
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0x40;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);

    static char out[4096], errb[4096];
    assert_int_equal(run_log("verify", f->dir, out, errb, sizeof out), CLI_EXIT_ERROR);
    char want[128];
    snprintf(want, sizeof want, "segment 00000000000000000000.stdblog, byte %" PRIu64
             ", offset 1:", f->byte_pos[1]);
    if (!strstr(errb, want))
        fail_msg("no \"%s\" in:\n%s", want, errb);
    assert_int_equal(run_log("dump", f->dir, out, errb, sizeof out), CLI_EXIT_ERROR);
    assert_non_null(strstr(errb, want));
}

static void test_usage(void **state)
{
    Fixture *f = *state;
    static char out[4096], errb[4096];
    assert_int_equal(run_log("frobnicate", f->dir, out, errb, sizeof out), CLI_EXIT_ERROR);
    assert_non_null(strstr(errb, "unknown subcommand"));
    assert_int_equal(run_log("verify", "", out, errb, sizeof out), CLI_EXIT_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_corrupt_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
