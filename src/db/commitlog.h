/*
 * commitlog.h - the commit log: every committed transaction, appended to
 * files in a directory, checksummed, read back on restart.
 *
 * The database lives in memory; the log is what survives a crash.  Each
 * committed transaction becomes one COMMIT carrying its TxDelta (tx.h):
 * per table, the rows deleted and the rows inserted as BSATN, plus the
 * table's sequence values after the transaction.  Replaying the commits
 * in order rebuilds the tables.
 *
 *   DIR/00000000000000000000.stdblog   commits 0 .. 9999       (sealed)
 *   DIR/00000000000000010000.stdblog   commits 10000 .. now    (appending)
 *
 * A SEGMENT file is named by the offset of its first commit (20 digits,
 * so names sort like numbers) and starts with a 24-byte header; a commit
 * is a 28-byte header, its payload and a CRC-32C over both (layout in
 * chapter 27 and commitlog.c).  Offsets count commits from 0 without gaps.
 *
 * Writing: commitlog_append encodes into a memory buffer;
 * commitlog_flush write()s the buffer; commitlog_sync flush()es and
 * fsync()s.  Only then is a commit durable, and commitlog_durable_upto
 * says so.  WHEN to sync is the caller's policy (CommitLogSync): the
 * server's group commit syncs once per batch of transactions.  A segment
 * is fsynced before the next one is created, and the directory after.
 * The last segment is PREALLOCATED: zeros are written ahead of the
 * commits (up to 1 MiB at a time), so that a sync rarely changes the file's
 * length and fdatasync() has only the data to write.  Zeros after the
 * last commit are unused space, not damage; close cuts them off.
 *
 * Failure: any write or fsync error (ENOSPC, EIO, a short write) puts the
 * log in a FAILED state: nothing more is written, every later call
 * returns ST_IO with the first error's message, durable_upto never moves
 * again.  (After a failed fsync the kernel may have dropped the dirty
 * pages; retrying could report as durable what is not.)
 *
 * Reading (commitlog_read.c): segments in order, every commit's CRC,
 * length and offset verified.  Damage after the last good commit of the
 * LAST segment, with no good commit after it, is a TORN TAIL (a crash
 * during a write): commitlog_open truncates it and logs how many bytes
 * it dropped.  Anything else (a bad commit followed by a good one, damage
 * in an earlier segment, an offset out of order) is CORRUPTION: open
 * refuses, naming segment, byte position and offset; commitlog_repair
 * cuts the log at the first bad commit when an operator asks for it.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#ifndef TINYSTDB_DB_COMMITLOG_H
#define TINYSTDB_DB_COMMITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/status.h"
#include "../util/vec.h"
#include "db.h"
#include "sequence.h"
#include "tx.h"

#define COMMITLOG_SUFFIX ".stdblog"
#define COMMITLOG_SEGMENT_HEADER 24   /* magic "TSTDBLOG", u32 version, u32 0, u64 first */
#define COMMITLOG_COMMIT_HEADER 28    /* "CMIT", u64 offset, u32 len, i64 time, u32 nrecords */
#define COMMITLOG_CRC_BYTES 4
#define COMMITLOG_VERSION 1
#define COMMITLOG_MAX_PAYLOAD (1u << 30)           /* 1 GiB per commit */
#define COMMITLOG_DEFAULT_SEGMENT (16u << 20)      /* rotate near 16 MiB */
#define COMMITLOG_DEFAULT_BUFFER (1u << 20)        /* write() when 1 MiB is buffered */
#define COMMITLOG_PREALLOC (1u << 20)              /* at most this many zeros ahead */

/* When the caller makes appended commits durable (issue 8's --fsync). */
typedef enum CommitLogSync {
    COMMITLOG_SYNC_NEVER,         /* write at each batch end, fsync only at rotation/close */
    COMMITLOG_SYNC_BATCH,         /* one fsync per batch (group commit) */
    COMMITLOG_SYNC_ALWAYS,        /* one fsync per commit, inside commitlog_append */
} CommitLogSync;

/* The system calls the writer makes, replaceable by tests (ENOSPC, EIO,
 * short writes).  They behave like write(2) and fsync(2): -1 + errno. */
typedef struct CommitLogIo {
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t n);
    int (*fsync)(void *ctx, int fd);
    void *ctx;
} CommitLogIo;

typedef struct CommitLogOptions {
    CommitLogSync sync;           /* used by commitlog_append/commitlog_end_batch */
    uint64_t max_segment_bytes;   /* 0: COMMITLOG_DEFAULT_SEGMENT */
    size_t buffer_bytes;          /* 0: COMMITLOG_DEFAULT_BUFFER */
    const CommitLogIo *io;        /* NULL: write(2) and fsync(2) */
} CommitLogOptions;

/* Where and why reading stopped.  segment is the file name ("" if none). */
typedef struct CommitLogError {
    char msg[512];
    char segment[32];
    uint64_t byte_pos;            /* position in that segment file */
    uint64_t offset;              /* the commit offset expected there */
} CommitLogError;

/* What a scan found. */
typedef struct CommitLogReport {
    uint64_t first_offset;        /* of the first segment (0 for an empty log) */
    uint64_t next_offset;         /* one past the last good commit */
    uint64_t ncommits;            /* good commits read */
    uint32_t nsegments;
    uint64_t dropped_bytes;       /* torn tail (open, scan; with any zeros after
                                     it) or cut (repair); unused zeros alone: 0 */
    uint32_t dropped_segments;    /* whole files removed (repair, torn header) */
} CommitLogReport;

/* ---- one commit, as read back: views into the reader's buffer ---- */

/* Rows of one list: count, then (u32 length, bytes) each; validated. */
typedef struct CommitLogRows {
    const uint8_t *p;
    uint32_t left;
} CommitLogRows;

typedef struct CommitLogRecord {
    uint32_t table_id;
    CommitLogRows deletes, inserts;
    uint32_t nseqs;               /* (u32 sequence index, i128 next value) pairs */
    const uint8_t *seqs;
} CommitLogRecord;

typedef struct CommitLogCommit {
    uint64_t offset;
    int64_t time_us;              /* commit time, microseconds since 1970 */
    uint32_t nrecords;            /* tables changed */
    const uint8_t *payload;       /* valid only during the callback */
    size_t len;
    uint64_t byte_pos;            /* of the commit header in its segment */
    const char *segment;
} CommitLogCommit;

/* Records of a commit in order: start with *pos = 0; false at the end. */
bool commitlog_commit_next_record(const CommitLogCommit *c, size_t *pos, CommitLogRecord *rec);
bool commitlog_rows_next(CommitLogRows *r, const uint8_t **row, size_t *len);
/* Sequence pair i (< rec->nseqs). */
void commitlog_record_seq(const CommitLogRecord *rec, uint32_t i, uint32_t *index, I128 *value);

/* Called for each good commit; a non-OK return stops the scan with it. */
typedef Status (*CommitLogVisit)(void *ctx, const CommitLogCommit *c, CommitLogError *err);

/* ---- writing ---- */
typedef struct CommitLog CommitLog;

/* Open (creating DIR if missing) for appending, after reading every
 * commit: visit (may be NULL) sees those with offset >= from.  A torn
 * tail is truncated (LOG_WARN line; report->dropped_bytes); corruption
 * is ST_MALFORMED with err filled, and nothing is changed on disk.
 * report may be NULL. */
Status commitlog_open(const char *dir, const CommitLogOptions *o, uint64_t from,
                      CommitLogVisit visit, void *ctx, CommitLog **out,
                      CommitLogReport *report, CommitLogError *err);
/* Flush and sync what is buffered (unless failed), then free.  The
 * Status says whether that last sync worked. */
Status commitlog_close(CommitLog *l, CommitLogError *err);

/* Append the delta as commit number *offset (may be NULL) at time_us.
 * Sequence values of each changed table are recorded too.  ST_NOMEM
 * leaves the log as it was; ST_LIMIT for a payload over
 * COMMITLOG_MAX_PAYLOAD; ST_IO when failed.  With SYNC_ALWAYS the commit
 * is durable when this returns ST_OK. */
Status commitlog_append(CommitLog *l, const TxDelta *delta, int64_t time_us, uint64_t *offset,
                        CommitLogError *err);
/* Append a commit whose payload the caller encoded (tests, tools). */
Status commitlog_append_raw(CommitLog *l, const uint8_t *payload, size_t len, uint32_t nrecords,
                            int64_t time_us, uint64_t *offset, CommitLogError *err);
Status commitlog_flush(CommitLog *l, CommitLogError *err);
Status commitlog_sync(CommitLog *l, CommitLogError *err);
/* The end of a batch under the log's policy: NEVER flushes, BATCH and
 * ALWAYS sync. */
Status commitlog_end_batch(CommitLog *l, CommitLogError *err);

uint64_t commitlog_next_offset(const CommitLog *l);
/* Every commit with an offset below this is on disk (fsynced). */
uint64_t commitlog_durable_upto(const CommitLog *l);
bool commitlog_failed(const CommitLog *l);
/* Bytes buffered, not yet written. */
size_t commitlog_buffered(const CommitLog *l);
/* The writer's invariants (offsets ordered, buffer consistent). */
Status commitlog_check(const CommitLog *l, char *msg, size_t msglen);

/* ---- reading without writing ---- */

/* Read every commit (visit those >= from); change nothing.  A torn tail
 * is reported in report->dropped_bytes, not an error. */
Status commitlog_scan(const char *dir, uint64_t from, CommitLogVisit visit, void *ctx,
                      CommitLogReport *report, CommitLogError *err);
/* Cut the log at its first bad commit: truncate that segment there and
 * delete every later segment.  The operator's explicit choice; what was
 * cut is counted in report and logged at LOG_WARN. */
Status commitlog_repair(const char *dir, CommitLogReport *report, CommitLogError *err);

/* "never", "batch", "always"; false for anything else. */
bool commitlog_sync_parse(const char *s, CommitLogSync *out);
const char *commitlog_sync_name(CommitLogSync s);

/* ---- replay into a database (commitlog_apply.c) ---- */

/* Apply one commit's records to db outside any transaction: deletes,
 * inserts, sequence values.  ST_MALFORMED when the log does not fit the
 * database (unknown table, a deleted row absent, an insert refused). */
Status commitlog_apply_commit(Db *db, const CommitLogCommit *c, CommitLogError *err);
/* A CommitLogVisit with ctx = the Db. */
Status commitlog_apply_visit(void *db, const CommitLogCommit *c, CommitLogError *err);

#endif
