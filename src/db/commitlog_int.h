/*
 * commitlog_int.h - what commitlog.c (writing) and commitlog_read.c
 * (reading, recovery, repair) share: byte order helpers, segment names,
 * the record parser, and the scan that open uses to find the end.
 *
 * All integers in the log are little-endian, whatever the host.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#ifndef TINYSTDB_DB_COMMITLOG_INT_H
#define TINYSTDB_DB_COMMITLOG_INT_H

#include <stdarg.h>

#include "commitlog.h"

#define CLOG_SEG_MAGIC "TSTDBLOG"
#define CLOG_COMMIT_MAGIC "CMIT"
#define CLOG_NAME_LEN (20 + sizeof COMMITLOG_SUFFIX - 1)
#define CLOG_SEQ_BYTES 20         /* u32 index + i128 */
#define CLOG_RECORD_HEADER 16     /* table id, ndeletes, ninserts, nseqs */
#define CLOG_MAX_FILE ((uint64_t)COMMITLOG_MAX_PAYLOAD * 4)

static inline void clog_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static inline void clog_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static inline uint32_t clog_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t clog_get64(const uint8_t *p)
{
    return (uint64_t)clog_get32(p) | (uint64_t)clog_get32(p + 4) << 32;
}

/* Where the good part of the log ends, for the writer to continue. */
typedef struct ClogTail {
    bool have;                    /* false: no segment is left */
    uint64_t seg_first;           /* the last segment's first offset */
    uint64_t seg_len;             /* its length after recovery: up to the last commit */
    uint64_t zero_len;            /* preallocated zeros after that (commitlog.c) */
} ClogTail;

typedef enum ClogMode {
    CLOG_READ,                    /* change nothing */
    CLOG_RECOVER,                 /* truncate a torn tail */
    CLOG_REPAIR,                  /* cut at the first bad commit, wherever it is */
} ClogMode;

Status clog_scan(const char *dir, ClogMode mode, uint64_t from, CommitLogVisit visit, void *ctx,
                 CommitLogReport *rep, ClogTail *tail, CommitLogError *err);

/* "DIR/00000000000000000042.stdblog" into out; ST_LIMIT if too long. */
Status clog_segment_path(const char *dir, uint64_t first, char *out, size_t outlen);
void clog_segment_name(uint64_t first, char out[CLOG_NAME_LEN + 1]);
/* Parse the record at *pos of payload[0..len); false if it does not fit. */
bool clog_record_parse(const uint8_t *p, size_t len, size_t *pos, CommitLogRecord *rec);
/* Fill err (may be NULL) and return st. */
Status clog_error(CommitLogError *err, Status st, const char *segment, uint64_t byte_pos,
                  uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* fsync a directory, so that a created or removed name is on disk. */
int clog_fsync_dir(const char *dir);

#endif
