/*
 * logbench.c - commit log benchmarks (build/logbench; the lead wires it
 * into `make bench`).
 *
 * Each commit carries one record of 4 rows of 32 bytes (a small reducer's
 * delta: about 190 bytes on disk).  Measured, in a temporary directory
 * under /tmp:
 *
 *   log_append_never     commits/s and MB/s, write() every 100 commits,
 *                        no fsync (what the page cache can take)
 *   log_append_batchN    commits/s, one fsync per N commits (group commit)
 *   log_append_always    commits/s, one fsync per commit
 *   log_scan             rows/s reading the log back with CRC checks
 *
 * Usage: logbench [COMMITS]   (default 200000)
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/commitlog.h"

#define ROWS 4
#define ROW_BYTES 32

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* One record: table 4097, 0 deletes, ROWS inserts, 0 sequences. */
static size_t payload(uint8_t *p, uint64_t i)
{
    le32(p, 4097);
    le32(p + 4, 0);
    le32(p + 8, ROWS);
    le32(p + 12, 0);
    size_t n = 16;
    for (int r = 0; r < ROWS; r++) {
        le32(p + n, ROW_BYTES);
        for (int k = 0; k < ROW_BYTES; k++)
            p[n + 4 + k] = (uint8_t)(i * 31 + (uint64_t)r * 7 + (uint64_t)k);
        n += 4 + ROW_BYTES;
    }
    return n;
}

/* Append n commits, ending a batch every `batch`; returns seconds. */
static double run(const char *dir, CommitLogSync sync, uint64_t n, uint64_t batch, double *mb)
{
    CommitLogOptions o = {.sync = sync};
    CommitLog *l;
    CommitLogError err;
    if (commitlog_open(dir, &o, 0, NULL, NULL, &l, NULL, &err) != ST_OK) {
        fprintf(stderr, "logbench: %s\n", err.msg);
        exit(1);
    }
    uint8_t p[16 + ROWS * (4 + ROW_BYTES)];
    uint64_t bytes = 0;
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        size_t len = payload(p, i);
        bytes += len + COMMITLOG_COMMIT_HEADER + COMMITLOG_CRC_BYTES;
        if (commitlog_append_raw(l, p, len, 1, (int64_t)i, NULL, &err) != ST_OK ||
            ((i + 1) % batch == 0 && commitlog_end_batch(l, &err) != ST_OK)) {
            fprintf(stderr, "logbench: %s\n", err.msg);
            exit(1);
        }
    }
    if (commitlog_close(l, &err) != ST_OK) {
        fprintf(stderr, "logbench: %s\n", err.msg);
        exit(1);
    }
    double t = now() - t0;
    *mb = (double)bytes / 1e6;
    return t;
}

static Status count_rows(void *ctx, const CommitLogCommit *c, CommitLogError *err)
{
    (void)err;
    size_t pos = 0;
    CommitLogRecord rec;
    const uint8_t *row;
    size_t len;
    while (commitlog_commit_next_record(c, &pos, &rec))
        while (commitlog_rows_next(&rec.inserts, &row, &len))
            (*(uint64_t *)ctx)++;
    return ST_OK;
}

/* A new empty directory; removed by cleanup(). */
static char *fresh(void)
{
    static char dir[64];
    strcpy(dir, "/tmp/tinystdb-logbench-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("logbench: mkdtemp");
        exit(1);
    }
    return dir;
}

static void cleanup(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "logbench: could not remove %s\n", dir);
}

static void bench_sync(const char *name, CommitLogSync sync, uint64_t n, uint64_t batch)
{
    char *dir = fresh();
    double mb, t = run(dir, sync, n, batch, &mb);
    printf("bench %s: %.0f commits/s\n", name, (double)n / t);
    printf("bench %s_mb: %.1f MB/s\n", name, mb / t);
    cleanup(dir);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    char *dir = fresh();
    double mb, t = run(dir, COMMITLOG_SYNC_NEVER, n, 100, &mb);
    printf("bench log_append_never: %.0f commits/s\n", (double)n / t);
    printf("bench log_append_never_mb: %.1f MB/s\n", mb / t);
    uint64_t rows = 0;
    CommitLogError err;
    double t0 = now();
    if (commitlog_scan(dir, 0, count_rows, &rows, NULL, &err) != ST_OK || rows != n * ROWS) {
        fprintf(stderr, "logbench: scan: %s (%llu rows)\n", err.msg, (unsigned long long)rows);
        return 1;
    }
    printf("bench log_scan: %.0f rows/s\n", (double)rows / (now() - t0));
    cleanup(dir);
    bench_sync("log_append_batch1000", COMMITLOG_SYNC_BATCH, n / 4, 1000);
    bench_sync("log_append_batch100", COMMITLOG_SYNC_BATCH, n / 20, 100);
    bench_sync("log_append_always", COMMITLOG_SYNC_ALWAYS, n / 200, 1);
    return 0;
}
