/*
 * test_commitlog.c - the commit log: round trips, torn tails at every
 * byte, bit flips, write failures, repair, replay into a database.
 *
 * Strategy (chapter 27): a crash can stop a write after ANY byte, so the
 * torn-tail test truncates the last segment to every length from 0 to
 * its full size and reopens each time: the earlier commits must all come
 * back, the torn bytes must be reported dropped, and appending must go on
 * at the right offset.  A flipped bit in the last commit is a torn tail;
 * in any earlier commit it is corruption that must be refused with the
 * segment, byte position and offset named, leaving the files untouched.
 * Write failures come from an I/O shim (CommitLogIo) that runs out of
 * space after a byte budget or fails fsync.  A segment left with its
 * preallocated zeros (no close) reopens with nothing dropped.  Replay into a database is
 * in test_commitlog_replay.c.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/commitlog.h"
#include "table_util.h"
#include "util/crc32c.h"
#include "util/log.h"
#include "file_util.h"

/* ---- files ---- */

static void seg_path(const char *dir, uint64_t first, char *out, size_t n)
{
    snprintf(out, n, "%s/%020llu.stdblog", dir, (unsigned long long)first);
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* ---- synthetic commits: payload i is a function of i ---- */

static void put32(StrBuf *b, uint32_t v) { put_uint(b, v, 4); }

static void payload_of(uint64_t i, StrBuf *b)
{
    strbuf_clear(b);
    put32(b, 4097 + (uint32_t)(i % 3));          /* table id */
    put32(b, (uint32_t)(i % 2));                 /* deletes */
    put32(b, 1 + (uint32_t)(i % 4));             /* inserts */
    put32(b, 1);                                 /* sequences */
    for (uint32_t r = 0; r < i % 2 + 1 + i % 4; r++) {
        uint32_t len = (uint32_t)((i * 7 + r * 13) % 40);
        put32(b, len);
        for (uint32_t k = 0; k < len; k++)
            put_uint(b, (uint8_t)(i + r + k), 1);
    }
    put32(b, 0);
    put_uint(b, i + 1, 8);
    put_uint(b, 0, 8);
}

static void append_n(CommitLog *l, uint64_t first, uint64_t n)
{
    StrBuf b;
    strbuf_init(&b);
    for (uint64_t i = first; i < first + n; i++) {
        uint64_t off;
        payload_of(i, &b);
        assert_int_equal(commitlog_append_raw(l, (uint8_t *)b.data, b.len, 1, (int64_t)i * 1000,
                                              &off, NULL), ST_OK);
        assert_int_equal(off, i);
    }
    strbuf_fini(&b);
    char msg[256];
    assert_int_equal(commitlog_check(l, msg, sizeof msg), ST_OK);
}

/* A visitor that checks every commit against payload_of. */
typedef struct Seen {
    uint64_t count, next;
} Seen;

static Status check_visit(void *ctx, const CommitLogCommit *c, CommitLogError *err)
{
    (void)err;
    Seen *s = ctx;
    StrBuf b;
    strbuf_init(&b);
    payload_of(c->offset, &b);
    assert_int_equal(c->offset, s->next);
    assert_int_equal(c->time_us, (int64_t)c->offset * 1000);
    assert_int_equal(c->len, b.len);
    assert_memory_equal(c->payload, b.data, b.len);
    size_t pos = 0;
    CommitLogRecord rec;
    assert_true(commitlog_commit_next_record(c, &pos, &rec));
    assert_int_equal(rec.table_id, 4097 + c->offset % 3);
    assert_int_equal(rec.deletes.left, c->offset % 2);
    uint32_t idx;
    I128 v;
    commitlog_record_seq(&rec, 0, &idx, &v);
    assert_int_equal(v.lo, c->offset + 1);
    assert_false(commitlog_commit_next_record(c, &pos, &rec));
    strbuf_fini(&b);
    s->count++;
    s->next++;
    return ST_OK;
}

static CommitLog *open_ok(const char *dir, const CommitLogOptions *o, Seen *seen,
                          CommitLogReport *rep)
{
    CommitLog *l;
    CommitLogError err;
    Status st = commitlog_open(dir, o, 0, check_visit, seen, &l, rep, &err);
    if (st != ST_OK)
        fail_msg("open: %s", err.msg);
    return l;
}

/* ---- tests ---- */

static void test_round_trip_segments(void **state)
{
    (void)state;
    char *dir = test_make_dir("clog");
    CommitLogOptions o = {.sync = COMMITLOG_SYNC_BATCH, .max_segment_bytes = 4096,
                          .buffer_bytes = 1000};
    Seen seen = {0};
    CommitLogReport rep;
    CommitLog *l = open_ok(dir, &o, &seen, &rep);
    assert_int_equal(rep.ncommits, 0);
    append_n(l, 0, 500);
    assert_int_equal(commitlog_end_batch(l, NULL), ST_OK);
    assert_int_equal(commitlog_durable_upto(l), 500);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);

    seen = (Seen){0};
    l = open_ok(dir, &o, &seen, &rep);
    assert_int_equal(seen.count, 500);
    assert_true(rep.nsegments >= 10);
    assert_int_equal(rep.dropped_bytes, 0);
    assert_int_equal(commitlog_next_offset(l), 500);
    append_n(l, 500, 20);                        /* continues at the right offset */
    assert_int_equal(commitlog_close(l, NULL), ST_OK);

    seen = (Seen){0};
    assert_int_equal(commitlog_scan(dir, 0, check_visit, &seen, &rep, NULL), ST_OK);
    assert_int_equal(seen.count, 520);
    assert_int_equal(rep.next_offset, 520);
    /* visiting from an offset */
    seen = (Seen){.next = 300};
    assert_int_equal(commitlog_scan(dir, 300, check_visit, &seen, &rep, NULL), ST_OK);
    assert_int_equal(seen.count, 220);
    /* every segment but the last is within the limit plus one commit */
    char p[512];
    seg_path(dir, 0, p, sizeof p);
    assert_true(file_size(p) > 0 && file_size(p) <= 4096);
    test_remove_dir(dir);
}

/* Every segment file of a log, to put back between experiments. */
typedef struct Saved {
    uint64_t first[64];
    uint8_t *bytes[64];
    size_t size[64], n;
} Saved;

static void save_all(const char *dir, uint64_t upto, Saved *sv)
{
    char p[512];
    sv->n = 0;
    for (uint64_t f = 0; f < upto; f++) {
        seg_path(dir, f, p, sizeof p);
        if (file_size(p) < 0)
            continue;
        assert_true(sv->n < 64);
        sv->first[sv->n] = f;
        sv->bytes[sv->n] = file_read_all(p, &sv->size[sv->n]);
        sv->n++;
    }
}

static void restore_all(const char *dir, const Saved *sv)
{
    char cmd[600], p[512];
    snprintf(cmd, sizeof cmd, "rm -f '%s'/*.stdblog", dir);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < sv->n; i++) {
        seg_path(dir, sv->first[i], p, sizeof p);
        file_write_all(p, sv->bytes[i], sv->size[i]);
    }
}

static void free_saved(Saved *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        mem_free(sv->bytes[i]);
}

/* Reopen after the last segment was cut to len bytes (commit ends in
 * ends[0..nends)); check what comes back and what is reported dropped. */
static void reopen_torn(const char *dir, uint64_t last_first, size_t len, const size_t *ends,
                        size_t nends, const CommitLogOptions *o)
{
    size_t whole = 0;
    while (whole < nends && ends[whole] <= len)
        whole++;
    size_t kept = whole ? ends[whole - 1] : COMMITLOG_SEGMENT_HEADER;
    size_t dropped = len < COMMITLOG_SEGMENT_HEADER ? len
                     : len == kept                  ? 0
                     : whole == 0 && last_first > 0 ? len          /* the file goes */
                                                    : len - kept;
    Seen seen = {0};
    CommitLogReport rep;
    CommitLog *l = open_ok(dir, o, &seen, &rep);
    uint64_t expect = last_first + whole;
    assert_int_equal(seen.count, expect);
    assert_int_equal(commitlog_next_offset(l), expect);
    assert_int_equal(rep.dropped_bytes, dropped);
    append_n(l, expect, 1);                   /* appending continues */
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    seen = (Seen){0};
    assert_int_equal(commitlog_scan(dir, 0, check_visit, &seen, &rep, NULL), ST_OK);
    assert_int_equal(seen.count, expect + 1);
    assert_int_equal(rep.dropped_bytes, 0);
}

/* Truncate the last segment of an n-commit log to every length. */
static void torn_every_byte(uint64_t max_segment, uint64_t n)
{
    char *dir = test_make_dir("clog");
    CommitLogOptions o = {.max_segment_bytes = max_segment};
    Seen seen = {0};
    CommitLog *l = open_ok(dir, &o, &seen, NULL);
    append_n(l, 0, n);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    Saved sv;
    save_all(dir, n, &sv);
    uint64_t last_first = sv.first[sv.n - 1];
    const uint8_t *orig = sv.bytes[sv.n - 1];
    size_t size = sv.size[sv.n - 1];
    size_t ends[64], nends = 0, pos = COMMITLOG_SEGMENT_HEADER;
    while (pos < size) {
        pos += COMMITLOG_COMMIT_HEADER + (orig[pos + 12] | orig[pos + 13] << 8) + 4;
        ends[nends++] = pos;
    }
    assert_int_equal(pos, size);
    char p[512];
    seg_path(dir, last_first, p, sizeof p);
    for (size_t len = 0; len <= size; len++) {
        restore_all(dir, &sv);
        file_write_all(p, orig, len);
        reopen_torn(dir, last_first, len, ends, nends, &o);
    }
    free_saved(&sv);
    test_remove_dir(dir);
}

static void test_torn_tail_every_byte_one_segment(void **state)
{
    (void)state;
    torn_every_byte(1 << 20, 6);
}

static void test_torn_tail_every_byte_later_segment(void **state)
{
    (void)state;
    torn_every_byte(300, 12);                 /* a few commits per segment */
}

/* A log of n commits in one segment; positions of each commit. */
static char *one_segment_log(uint64_t n, size_t *starts, uint8_t **bytes, size_t *size)
{
    char *dir = test_make_dir("clog");
    Seen seen = {0};
    CommitLog *l = open_ok(dir, NULL, &seen, NULL);
    append_n(l, 0, n);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    char p[512];
    seg_path(dir, 0, p, sizeof p);
    *bytes = file_read_all(p, size);
    size_t pos = COMMITLOG_SEGMENT_HEADER;
    for (uint64_t i = 0; i <= n; i++) {
        starts[i] = pos;
        if (i < n)
            pos += COMMITLOG_COMMIT_HEADER + ((*bytes)[pos + 12] | (*bytes)[pos + 13] << 8) + 4;
    }
    return dir;
}

static void test_bit_flip_in_last_commit_is_torn(void **state)
{
    (void)state;
    size_t starts[8], size;
    uint8_t *orig;
    char *dir = one_segment_log(5, starts, &orig, &size);
    char p[512];
    seg_path(dir, 0, p, sizeof p);
    for (size_t at = starts[4]; at < size; at++) {
        orig[at] ^= (uint8_t)(1u << at % 8);
        file_write_all(p, orig, size);
        orig[at] ^= (uint8_t)(1u << at % 8);
        Seen seen = {0};
        CommitLogReport rep;
        CommitLog *l = open_ok(dir, NULL, &seen, &rep);
        assert_int_equal(seen.count, 4);
        assert_int_equal(rep.dropped_bytes, size - starts[4]);
        assert_int_equal(file_size(p), (long)starts[4]);
        assert_int_equal(commitlog_close(l, NULL), ST_OK);
    }
    mem_free(orig);
    test_remove_dir(dir);
}

static void test_bit_flip_earlier_is_refused(void **state)
{
    (void)state;
    size_t starts[8], size;
    uint8_t *orig;
    char *dir = one_segment_log(5, starts, &orig, &size);
    char p[512];
    seg_path(dir, 0, p, sizeof p);
    for (size_t at = starts[0]; at < starts[4]; at++) {
        orig[at] ^= (uint8_t)(0x80u >> at % 8);
        file_write_all(p, orig, size);
        uint64_t bad = 0;                        /* the commit holding byte `at` */
        while (starts[bad + 1] <= at)
            bad++;
        CommitLog *l = NULL;
        CommitLogError err;
        Seen seen = {0};
        Status st = commitlog_open(dir, NULL, 0, check_visit, &seen, &l, NULL, &err);
        assert_int_equal(st, ST_MALFORMED);
        assert_null(l);
        assert_string_equal(err.segment, "00000000000000000000.stdblog");
        assert_int_equal(err.byte_pos, starts[bad]);
        assert_int_equal(err.offset, bad);
        assert_non_null(strstr(err.msg, "corrupt"));
        assert_non_null(strstr(err.msg, "00000000000000000000.stdblog"));
        assert_int_equal(file_size(p), (long)size);   /* nothing changed on disk */
        orig[at] ^= (uint8_t)(0x80u >> at % 8);
    }
    /* repair cuts at the bad commit, on request */
    orig[starts[2] + 30] ^= 1;
    file_write_all(p, orig, size);
    CommitLogReport rep;
    assert_int_equal(commitlog_repair(dir, &rep, NULL), ST_OK);
    assert_int_equal(rep.next_offset, 2);
    assert_int_equal(rep.dropped_bytes, size - starts[2]);
    Seen seen = {0};
    assert_int_equal(commitlog_scan(dir, 0, check_visit, &seen, &rep, NULL), ST_OK);
    assert_int_equal(seen.count, 2);
    mem_free(orig);
    test_remove_dir(dir);
}

static void test_corruption_in_earlier_segment(void **state)
{
    (void)state;
    char *dir = test_make_dir("clog");
    CommitLogOptions o = {.max_segment_bytes = 300};
    Seen seen = {0};
    CommitLog *l = open_ok(dir, &o, &seen, NULL);
    append_n(l, 0, 12);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    Saved sv;
    save_all(dir, 12, &sv);
    assert_true(sv.n >= 3);
    char p[512];
    seg_path(dir, sv.first[1], p, sizeof p);
    /* the LAST commit of a middle segment: no intact commit after it in
     * that file, yet it is not a torn tail */
    sv.bytes[1][sv.size[1] - 1] ^= 4;
    file_write_all(p, sv.bytes[1], sv.size[1]);
    CommitLogError err;
    assert_int_equal(commitlog_open(dir, &o, 0, NULL, NULL, &l, NULL, &err), ST_MALFORMED);
    assert_non_null(strstr(err.msg, "not the last segment"));
    CommitLogReport rep;
    assert_int_equal(commitlog_scan(dir, 0, NULL, NULL, &rep, &err), ST_MALFORMED);
    /* a missing middle segment is a gap */
    restore_all(dir, &sv);
    unlink(p);
    assert_int_equal(commitlog_scan(dir, 0, NULL, NULL, &rep, &err), ST_MALFORMED);
    assert_non_null(strstr(err.msg, "missing"));
    /* repair keeps the first segment only */
    assert_int_equal(commitlog_repair(dir, &rep, &err), ST_OK);
    assert_int_equal(rep.next_offset, sv.first[1]);
    seen = (Seen){0};
    assert_int_equal(commitlog_scan(dir, 0, check_visit, &seen, &rep, NULL), ST_OK);
    assert_int_equal(seen.count, sv.first[1]);
    free_saved(&sv);
    test_remove_dir(dir);
}

/* A commit with a correct CRC but the wrong offset was written wrong:
 * refused even at the tail. */
static void test_wrong_offset_refused_at_tail(void **state)
{
    (void)state;
    size_t starts[8], size;
    uint8_t *b;
    char *dir = one_segment_log(3, starts, &b, &size);
    uint8_t *h = b + starts[2];
    h[4] = 7;                                    /* offset 2 -> 7 */
    size_t body = size - starts[2] - 4;
    uint32_t crc = crc32c_compute(h, body);
    for (int i = 0; i < 4; i++)
        h[body + i] = (uint8_t)(crc >> 8 * i);
    char p[512];
    seg_path(dir, 0, p, sizeof p);
    file_write_all(p, b, size);
    CommitLogError err;
    CommitLogReport rep;
    assert_int_equal(commitlog_scan(dir, 0, NULL, NULL, &rep, &err), ST_MALFORMED);
    assert_non_null(strstr(err.msg, "out of order"));
    assert_int_equal(err.offset, 2);
    mem_free(b);
    test_remove_dir(dir);
}

/* ---- write failures through the I/O shim ---- */

typedef struct Shim {
    long budget;                  /* bytes write() may still take; <0: unlimited */
    int write_errno;
    bool fail_fsync;
    long fsyncs;
} Shim;

static ssize_t shim_write(void *ctx, int fd, const void *buf, size_t n)
{
    Shim *s = ctx;
    if (s->budget >= 0 && (size_t)s->budget < n) {
        if (s->budget == 0) {
            errno = s->write_errno;
            return -1;
        }
        n = (size_t)s->budget;                   /* a short write first, like a full disk */
    }
    ssize_t w = write(fd, buf, n);
    if (w > 0 && s->budget >= 0)
        s->budget -= w;
    return w;
}

static int shim_fsync(void *ctx, int fd)
{
    Shim *s = ctx;
    s->fsyncs++;
    if (s->fail_fsync) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static void test_enospc_fails_and_never_lies(void **state)
{
    (void)state;
    char *dir = test_make_dir("clog");
    Shim shim = {.budget = -1, .write_errno = ENOSPC};
    CommitLogIo io = {shim_write, shim_fsync, &shim};
    CommitLogOptions o = {.sync = COMMITLOG_SYNC_BATCH, .io = &io};
    Seen seen = {0};
    CommitLog *l = open_ok(dir, &o, &seen, NULL);
    append_n(l, 0, 30);
    assert_int_equal(commitlog_end_batch(l, NULL), ST_OK);
    assert_int_equal(commitlog_durable_upto(l), 30);
    shim.budget = 100;                           /* the disk fills up */
    StrBuf b;
    strbuf_init(&b);
    CommitLogError err;
    for (uint64_t i = 30; i < 40; i++) {
        payload_of(i, &b);
        assert_int_equal(commitlog_append_raw(l, (uint8_t *)b.data, b.len, 1, (int64_t)i * 1000,
                                              NULL, NULL), ST_OK);
    }
    assert_int_equal(commitlog_end_batch(l, &err), ST_IO);
    assert_non_null(strstr(err.msg, strerror(ENOSPC)));
    assert_true(commitlog_failed(l));
    assert_int_equal(commitlog_durable_upto(l), 30);   /* nothing new claimed */
    payload_of(40, &b);
    assert_int_equal(commitlog_append_raw(l, (uint8_t *)b.data, b.len, 1, 0, NULL, &err), ST_IO);
    assert_non_null(strstr(err.msg, "no further commits"));
    shim.budget = -1;                            /* space again: still refused */
    assert_int_equal(commitlog_sync(l, &err), ST_IO);
    assert_int_equal(commitlog_durable_upto(l), 30);
    assert_int_equal(commitlog_close(l, NULL), ST_IO);
    strbuf_fini(&b);
    /* reopen: the 30 durable commits, the partial write dropped as torn
     * (with the preallocated zeros after it) */
    seen = (Seen){0};
    CommitLogReport rep;
    l = open_ok(dir, NULL, &seen, &rep);
    assert_int_equal(seen.count, 30);
    assert_true(rep.dropped_bytes > 0 && rep.dropped_bytes <= 100 + COMMITLOG_PREALLOC);
    append_n(l, 30, 5);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    test_remove_dir(dir);
}

static void test_fsync_failure_and_always(void **state)
{
    (void)state;
    char *dir = test_make_dir("clog");
    Shim shim = {.budget = -1};
    CommitLogIo io = {shim_write, shim_fsync, &shim};
    CommitLogOptions o = {.sync = COMMITLOG_SYNC_ALWAYS, .io = &io};
    Seen seen = {0};
    CommitLog *l = open_ok(dir, &o, &seen, NULL);
    long before = shim.fsyncs;
    append_n(l, 0, 5);                           /* one fsync per commit */
    assert_int_equal(shim.fsyncs - before, 5);
    assert_int_equal(commitlog_durable_upto(l), 5);
    shim.fail_fsync = true;
    StrBuf b;
    strbuf_init(&b);
    payload_of(5, &b);
    CommitLogError err;
    assert_int_equal(commitlog_append_raw(l, (uint8_t *)b.data, b.len, 1, 5000, NULL, &err),
                     ST_IO);
    assert_non_null(strstr(err.msg, "fsync"));
    assert_int_equal(commitlog_durable_upto(l), 5);
    strbuf_fini(&b);
    assert_int_equal(commitlog_close(l, NULL), ST_IO);
    test_remove_dir(dir);
}

static void test_torn_tail_log_line(void **state)
{
    (void)state;
    size_t starts[8], size;
    uint8_t *b;
    char *dir = one_segment_log(3, starts, &b, &size);
    char p[512];
    seg_path(dir, 0, p, sizeof p);
    file_write_all(p, b, size - 3);
    char *text = NULL;
    size_t textlen = 0;
    FILE *out = open_memstream(&text, &textlen);
    log_set_output(out);
    log_set_level(LOG_WARN);
    Seen seen = {0};
    CommitLog *l = open_ok(dir, NULL, &seen, NULL);
    log_set_level(LOG_ERROR);
    log_set_output(NULL);
    fclose(out);
    char want[64];
    snprintf(want, sizeof want, "dropped %zu bytes", size - 3 - starts[2]);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "after offset 2"));
    free(text);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    mem_free(b);
    test_remove_dir(dir);
}

/* A process that dies without closing leaves the preallocated zeros
 * after its last commit (a copy of the open segment stands for it):
 * they are unused space, not a torn tail; appending writes over them;
 * close cuts them off. */
static void test_preallocated_zeros_after_crash(void **state)
{
    (void)state;
    char *dir = test_make_dir("clog"), *copy = test_make_dir("clog");
    CommitLogOptions o = {.sync = COMMITLOG_SYNC_BATCH};
    Seen seen = {0};
    CommitLog *l = open_ok(dir, &o, &seen, NULL);
    append_n(l, 0, 10);
    assert_int_equal(commitlog_end_batch(l, NULL), ST_OK);
    char p[512], q[512];
    seg_path(dir, 0, p, sizeof p);
    seg_path(copy, 0, q, sizeof q);
    size_t n;
    uint8_t *b = file_read_all(p, &n);
    assert_true(b[n - 1] == 0);                  /* zeros ahead */
    file_write_all(q, b, n);
    mem_free(b);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    long content = file_size(p);                 /* close cut the zeros off */
    assert_true(content < (long)n);
    CommitLogReport rep;
    seen = (Seen){0};
    l = open_ok(copy, &o, &seen, &rep);
    assert_int_equal(seen.count, 10);
    assert_int_equal(rep.dropped_bytes, 0);
    append_n(l, 10, 2);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    seen = (Seen){0};
    assert_int_equal(commitlog_scan(copy, 0, check_visit, &seen, &rep, NULL), ST_OK);
    assert_int_equal(seen.count, 12);
    assert_int_equal(rep.dropped_bytes, 0);
    assert_true(file_size(q) > content && file_size(q) < (long)n);
    test_remove_dir(dir);
    test_remove_dir(copy);
}

static void test_sync_names(void **state)
{
    (void)state;
    CommitLogSync s;
    assert_true(commitlog_sync_parse("batch", &s));
    assert_int_equal(s, COMMITLOG_SYNC_BATCH);
    assert_true(commitlog_sync_parse("never", &s));
    assert_string_equal(commitlog_sync_name(s), "never");
    assert_true(commitlog_sync_parse("always", &s));
    assert_false(commitlog_sync_parse("sometimes", &s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_segments),
        cmocka_unit_test(test_torn_tail_every_byte_one_segment),
        cmocka_unit_test(test_torn_tail_every_byte_later_segment),
        cmocka_unit_test(test_bit_flip_in_last_commit_is_torn),
        cmocka_unit_test(test_bit_flip_earlier_is_refused),
        cmocka_unit_test(test_corruption_in_earlier_segment),
        cmocka_unit_test(test_wrong_offset_refused_at_tail),
        cmocka_unit_test(test_enospc_fails_and_never_lies),
        cmocka_unit_test(test_fsync_failure_and_always),
        cmocka_unit_test(test_torn_tail_log_line),
        cmocka_unit_test(test_preallocated_zeros_after_crash),
        cmocka_unit_test(test_sync_names),
    };
    log_set_level(LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
