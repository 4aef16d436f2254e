/*
 * cmd_log.c - `tinystdb log dump | verify DIR`: a commit log, by hand.
 *
 * Both read the log with commitlog_scan, which opens every segment in
 * order, checks every commit's CRC-32C, length and offset, and changes
 * nothing on disk (unlike commitlog_open, which truncates a torn tail):
 *
 *     DIR/NNN.stdblog ──> commitlog_scan ──> visit(commit) ──> print
 *                        (CRC, order)        records, rows, sequences
 *
 * `dump` prints one block per commit: its offset, time, segment and byte
 * position, then per changed table the deleted (-) and inserted (+) rows
 * (as hex up to 32 bytes, else only the BSATN length) and the sequence
 * values.  The log holds no schema, so rows are bytes, not values.
 *
 * `verify` prints a one-line summary.  Exit status 1 names the first
 * problem (segment file, byte position in it, commit offset expected):
 * corruption, or a torn tail (bytes after the last good commit), which
 * restart would cut but which is still worth knowing about.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../db/commitlog.h"
#include "../db/sequence.h"
#include "cli.h"

#define HEX_MAX 32               /* longer rows are shown by length only */

static const char log_help[] =
    "usage: tinystdb log dump DIR     print every commit of the log in DIR\n"
    "       tinystdb log verify DIR   check every CRC; exit 1 at the first problem\n"
    "DIR is a commit log directory (the one holding *.stdblog segments).\n";

/* "2026-11-26 10:55:00.123456" (UTC) from microseconds since 1970. */
static void format_time(int64_t us, char *out, size_t n)
{
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    if (us < 0 || !gmtime_r(&s, &tm)) {
        snprintf(out, n, "%" PRId64 " us", us);
        return;
    }
    size_t k = strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%06ld", (long)(us % 1000000));
}

static void print_rows(FILE *out, char sign, CommitLogRows rows)
{
    const uint8_t *row;
    size_t len;
    while (commitlog_rows_next(&rows, &row, &len)) {
        fprintf(out, "    %c ", sign);
        if (len > HEX_MAX) {
            fprintf(out, "(%zu bytes of BSATN)\n", len);
            continue;
        }
        for (size_t i = 0; i < len; i++)
            fprintf(out, "%02x", row[i]);
        fprintf(out, "  (%zu bytes)\n", len);
    }
}

static void print_seqs(FILE *out, const CommitLogRecord *rec)
{
    for (uint32_t i = 0; i < rec->nseqs; i++) {
        uint32_t index;
        I128 value;
        commitlog_record_seq(rec, i, &index, &value);
        StrBuf b;
        strbuf_init(&b);
        if (i128_format(value, &b) == ST_OK)
            fprintf(out, "    sequence %" PRIu32 " next %s\n", index, b.data);
        strbuf_fini(&b);
    }
}

/* A CommitLogVisit for dump: ctx is the FILE. */
static Status dump_commit(void *ctx, const CommitLogCommit *c, CommitLogError *err)
{
    (void)err;
    FILE *out = ctx;
    char when[48];
    format_time(c->time_us, when, sizeof when);
    fprintf(out, "commit %" PRIu64 "  %s  %s @%" PRIu64 "  %zu bytes, %" PRIu32 " table(s)\n",
            c->offset, when, c->segment, c->byte_pos, c->len, c->nrecords);
    size_t pos = 0;
    CommitLogRecord rec;
    while (commitlog_commit_next_record(c, &pos, &rec)) {
        fprintf(out, "  table %" PRIu32 ": %" PRIu32 " deleted, %" PRIu32 " inserted\n",
                rec.table_id, rec.deletes.left, rec.inserts.left);
        print_rows(out, '-', rec.deletes);
        print_rows(out, '+', rec.inserts);
        print_seqs(out, &rec);
    }
    return ST_OK;
}

/* The reader's messages usually name the place already; add it if not. */
static void print_error(const char *dir, const CommitLogError *e)
{
    if (strstr(e->msg, "segment ") && strstr(e->msg, ", byte ")) {
        fprintf(stderr, "tinystdb log: %s: %s\n", dir, e->msg);
        return;
    }
    fprintf(stderr, "tinystdb log: %s: segment %s, byte %" PRIu64 ", offset %" PRIu64 ": %s\n",
            dir, e->segment[0] ? e->segment : "(none)", e->byte_pos, e->offset, e->msg);
}

static int dump_cmd(const char *dir)
{
    CommitLogReport r;
    CommitLogError e;
    if (commitlog_scan(dir, 0, dump_commit, stdout, &r, &e) != ST_OK) {
        print_error(dir, &e);
        return CLI_EXIT_ERROR;
    }
    printf("%" PRIu64 " commit(s) in %" PRIu32 " segment(s), offsets %" PRIu64 "..%" PRIu64
           "; torn tail: %" PRIu64 " bytes\n",
           r.ncommits, r.nsegments, r.first_offset, r.next_offset, r.dropped_bytes);
    return CLI_EXIT_OK;
}

/* Count rows while verifying, for the summary. */
static Status count_rows(void *ctx, const CommitLogCommit *c, CommitLogError *err)
{
    (void)err;
    uint64_t *rows = ctx;
    size_t pos = 0;
    CommitLogRecord rec;
    while (commitlog_commit_next_record(c, &pos, &rec))
        rows[0] += rec.deletes.left, rows[1] += rec.inserts.left;
    return ST_OK;
}

static int verify_cmd(const char *dir)
{
    CommitLogReport r;
    CommitLogError e;
    uint64_t rows[2] = {0, 0};
    if (commitlog_scan(dir, 0, count_rows, rows, &r, &e) != ST_OK) {
        print_error(dir, &e);
        return CLI_EXIT_ERROR;
    }
    if (r.dropped_bytes > 0) {
        /* The scan does not say where the tail starts in bytes; offset does. */
        fprintf(stderr, "tinystdb log: %s: torn tail: %" PRIu64 " bytes after the last good "
                "commit (offset %" PRIu64 "); restart would cut them\n",
                dir, r.dropped_bytes, r.next_offset);
        return CLI_EXIT_ERROR;
    }
    printf("ok: %" PRIu64 " commit(s) in %" PRIu32 " segment(s), offsets %" PRIu64 "..%" PRIu64
           ", %" PRIu64 " row(s) deleted, %" PRIu64 " inserted, every CRC good\n",
           r.ncommits, r.nsegments, r.first_offset, r.next_offset, rows[0], rows[1]);
    return CLI_EXIT_OK;
}

int cmd_log(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(log_help, stdout);
        return CLI_EXIT_OK;
    }
    if (argc != 3) {
        fputs(log_help, stderr);
        return CLI_EXIT_ERROR;
    }
    if (strcmp(argv[1], "dump") == 0)
        return dump_cmd(argv[2]);
    if (strcmp(argv[1], "verify") == 0)
        return verify_cmd(argv[2]);
    fprintf(stderr, "tinystdb log: unknown subcommand \"%s\"\n%s", argv[1], log_help);
    return CLI_EXIT_ERROR;
}
