/*
 * commitlog_read.c - reading the commit log back: verification, torn
 * tails, corruption, repair.
 *
 * A scan visits the segments in offset order and, in each, the commits
 * one after another.  A commit is GOOD when its header magic is right,
 * its length fits in the file, its CRC-32C matches, its offset is the one
 * expected (the previous plus one; a segment's first equals its name and
 * the previous segment's end) and its payload parses.  The first commit
 * that is not good decides what the log is:
 *
 *   last segment, and no good commit anywhere after it  -> TORN TAIL
 *       a crash interrupted the last write(s); nothing after this point
 *       was ever durable, so cutting it loses nothing acknowledged
 *   anything else                                       -> CORRUPTION
 *       bytes that WERE good are damaged; refuse, say where
 *
 * "No good commit after it" is checked by trying every later position
 * that starts with the commit magic: a bit flip inside commit 7 of 10
 * leaves 8..10 intact, so it can never pass for a torn tail.  A commit
 * whose CRC is right but whose offset or payload is wrong was written
 * that way, so it is corruption wherever it is.
 *
 * The last segment may end in zeros: the writer preallocates the file
 * ahead of its commits (commitlog.c).  Zeros where the next commit would
 * start, up to the end of the file, are unused space: the log ends
 * there, cleanly, and the writer goes on writing over them.  (Zeros
 * after a torn commit are cut with it and counted in dropped_bytes.)
 *
 * Whole segment files are read into memory (they are bounded by the
 * segment size plus one commit; CLOG_MAX_FILE refuses anything huge).
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/alloc.h"
#include "../util/crc32c.h"
#include "../util/log.h"
#include "commitlog_int.h"

/* The scan's state, shared by the functions below. */
typedef struct Scan {
    const char *dir;
    ClogMode mode;
    uint64_t from;
    CommitLogVisit visit;
    void *ctx;
    CommitLogReport *rep;
    ClogTail *tail;
    CommitLogError *err;
    uint64_t *firsts;             /* segment first offsets, ascending */
    size_t nsegs;
    uint64_t next;                /* offset the next commit must have */
    char name[CLOG_NAME_LEN + 1]; /* the segment being read */
    bool cut;                     /* the log ended early: later segments go */
} Scan;

typedef enum Verdict {
    V_GOOD,
    V_DAMAGED,                    /* short, bad magic, bad length, bad CRC */
    V_WRONG,                      /* CRC right, offset or payload wrong */
} Verdict;

/* ---- segment files ---- */

static bool parse_name(const char *s, uint64_t *first)
{
    if (strlen(s) != CLOG_NAME_LEN || strcmp(s + 20, COMMITLOG_SUFFIX) != 0)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *first = v;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static Status list_segments(Scan *s)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return clog_error(s->err, ST_IO, "", 0, 0, "commit log %s: %s", s->dir, strerror(errno));
    VEC(uint64_t) v = {0};
    Status st = ST_OK;
    struct dirent *e;
    uint64_t first;
    while ((e = readdir(d)) != NULL)
        if (parse_name(e->d_name, &first) && (st = vec_push(&v, first)) != ST_OK)
            break;
    closedir(d);
    if (st != ST_OK) {
        vec_fini(&v);
        return clog_error(s->err, st, "", 0, 0, "commit log %s: out of memory", s->dir);
    }
    if (v.len)
        qsort(v.items, v.len, sizeof *v.items, cmp_u64);
    s->firsts = v.items;
    s->nsegs = v.len;
    return ST_OK;
}

static Status read_segment(Scan *s, uint64_t first, uint8_t **out, size_t *n)
{
    char path[4096];
    Status st = clog_segment_path(s->dir, first, path, sizeof path);
    if (st != ST_OK)
        return clog_error(s->err, st, s->name, 0, first, "commit log path too long");
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        st = clog_error(s->err, ST_IO, s->name, 0, first, "%s: %s", path, strerror(errno));
        goto done;
    }
    if ((uint64_t)sb.st_size > CLOG_MAX_FILE) {
        st = clog_error(s->err, ST_LIMIT, s->name, 0, first, "%s: %lld bytes is too large",
                        path, (long long)sb.st_size);
        goto done;
    }
    *n = (size_t)sb.st_size;
    *out = mem_alloc(*n ? *n : 1);
    if (!*out) {
        st = clog_error(s->err, ST_NOMEM, s->name, 0, first, "out of memory reading %s", path);
        goto done;
    }
    for (size_t got = 0; got < *n;) {
        ssize_t r = read(fd, *out + got, *n - got);
        if (r <= 0 && !(r < 0 && errno == EINTR)) {
            st = clog_error(s->err, ST_IO, s->name, got, first, "%s: %s", path,
                            r == 0 ? "file shrank while read" : strerror(errno));
            goto done;
        }
        got += r > 0 ? (size_t)r : 0;
    }
done:
    if (fd >= 0)
        close(fd);
    return st;
}

/* ---- one commit ---- */

static bool payload_ok(const uint8_t *p, size_t len, uint32_t nrecords)
{
    size_t pos = 0;
    CommitLogRecord rec;
    for (uint32_t i = 0; i < nrecords; i++)
        if (!clog_record_parse(p, len, &pos, &rec))
            return false;
    return pos == len;
}

/* Is there a good commit at b[pos..n)?  Fills c and *why. */
static Verdict judge(const uint8_t *b, size_t n, size_t pos, uint64_t expect,
                     CommitLogCommit *c, const char **why)
{
    size_t room = n - pos;
    if (room < COMMITLOG_COMMIT_HEADER + COMMITLOG_CRC_BYTES)
        return *why = "incomplete commit header", V_DAMAGED;
    const uint8_t *h = b + pos;
    if (memcmp(h, CLOG_COMMIT_MAGIC, 4) != 0)
        return *why = "bad commit magic", V_DAMAGED;
    c->offset = clog_get64(h + 4);
    c->len = clog_get32(h + 12);
    c->time_us = (int64_t)clog_get64(h + 16);
    c->nrecords = clog_get32(h + 24);
    c->payload = h + COMMITLOG_COMMIT_HEADER;
    c->byte_pos = pos;
    if (c->len > room - COMMITLOG_COMMIT_HEADER - COMMITLOG_CRC_BYTES)
        return *why = "commit runs past the end of the file", V_DAMAGED;
    size_t body = COMMITLOG_COMMIT_HEADER + c->len;
    if (crc32c_compute(h, body) != clog_get32(h + body))
        return *why = "CRC-32C mismatch", V_DAMAGED;
    if (c->offset != expect)
        return *why = "commit offset out of order", V_WRONG;
    if (!payload_ok(c->payload, c->len, c->nrecords))
        return *why = "malformed records (CRC correct)", V_WRONG;
    return V_GOOD;
}

/* The position of a CRC-valid commit after pos, if there is one. */
static bool good_commit_after(const uint8_t *b, size_t n, size_t pos, size_t *found)
{
    CommitLogCommit c;
    const char *why;
    for (size_t q = pos + 1; q + COMMITLOG_COMMIT_HEADER + COMMITLOG_CRC_BYTES <= n; q++) {
        const uint8_t *m = memchr(b + q, CLOG_COMMIT_MAGIC[0], n - q);
        if (!m)
            return false;
        q = (size_t)(m - b);
        /* any offset will do: we only ask whether intact commits follow */
        if (judge(b, n, q, 0, &c, &why) != V_DAMAGED) {
            *found = q;
            return true;
        }
    }
    return false;
}

/* ---- cutting ---- */

/* Truncate the current segment to len bytes (remove it when len is 0)
 * and make that durable.  Only in RECOVER and REPAIR modes. */
static Status cut_segment(Scan *s, uint64_t first, size_t len, size_t had)
{
    char path[4096];
    Status st = clog_segment_path(s->dir, first, path, sizeof path);
    if (st != ST_OK)
        return clog_error(s->err, st, s->name, len, s->next, "commit log path too long");
    if (len == 0) {
        if (unlink(path) != 0 || clog_fsync_dir(s->dir) != 0)
            return clog_error(s->err, ST_IO, s->name, 0, s->next, "removing %s: %s", path,
                              strerror(errno));
        s->rep->dropped_segments++;
    } else {
        int fd = open(path, O_WRONLY);
        if (fd < 0 || ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return clog_error(s->err, ST_IO, s->name, len, s->next, "truncating %s: %s", path,
                              strerror(e));
        }
        close(fd);
    }
    log_msg(LOG_WARN, "commit log %s: dropped %zu bytes of %s after offset %llu (%s)", s->dir,
            had - len, s->name, (unsigned long long)s->next,
            len == 0 ? "segment removed" : "truncated to the last good commit");
    return ST_OK;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* The first commit at pos of segment i (n bytes) is not good: torn tail,
 * corruption, or (repair) the place to cut. */
static Status bad_commit(Scan *s, size_t i, const uint8_t *b, size_t n, size_t pos,
                         Verdict v, const char *why)
{
    size_t later;
    bool last = i + 1 == s->nsegs;
    bool intact_after = v == V_DAMAGED && good_commit_after(b, n, pos, &later);
    if (s->mode != CLOG_REPAIR && (v == V_WRONG || !last || intact_after)) {
        if (intact_after)
            return clog_error(s->err, ST_MALFORMED, s->name, pos, s->next,
                              "commit log corrupt: segment %s, byte %zu, offset %llu: %s, "
                              "but an intact commit follows at byte %zu; refusing (repair cuts "
                              "the log here)", s->name, pos, (unsigned long long)s->next, why,
                              later);
        return clog_error(s->err, ST_MALFORMED, s->name, pos, s->next,
                          "commit log corrupt: segment %s, byte %zu, offset %llu: %s%s", s->name,
                          pos, (unsigned long long)s->next, why,
                          last ? "" : " (not the last segment); refusing (repair cuts the log here)");
    }
    s->cut = true;
    /* a segment left with no commit and not the first goes entirely */
    size_t keep = pos == COMMITLOG_SEGMENT_HEADER && i > 0 ? 0 : pos;
    s->rep->dropped_bytes += n - keep;
    if (keep > 0) {
        s->tail->have = true;
        s->tail->seg_first = s->firsts[i];
        s->tail->seg_len = keep;
    }
    return s->mode == CLOG_READ ? ST_OK : cut_segment(s, s->firsts[i], keep, n);
}

/* Header of segment i; false (with *why) when damaged. */
static bool header_ok(const Scan *s, size_t i, const uint8_t *b, size_t n, const char **why)
{
    if (n < COMMITLOG_SEGMENT_HEADER)
        return *why = "incomplete segment header", false;
    if (memcmp(b, CLOG_SEG_MAGIC, 8) != 0)
        return *why = "not a commit log segment (bad magic)", false;
    if (clog_get32(b + 8) != COMMITLOG_VERSION || clog_get32(b + 12) != 0)
        return *why = "unsupported segment version", false;
    if (clog_get64(b + 16) != s->firsts[i])
        return *why = "segment header names another first offset", false;
    return true;
}

static Status drop_later(Scan *s, size_t from);

/* A crash while creating the last segment can leave its header short or
 * zero-filled: torn, the file goes.  Any other bad header is corruption. */
static Status bad_header(Scan *s, size_t i, const uint8_t *b, size_t n, const char *why)
{
    bool torn = i + 1 == s->nsegs &&
                (n < COMMITLOG_SEGMENT_HEADER || memcmp(b, "\0\0\0\0\0\0\0\0", 8) == 0);
    if (!torn && s->mode != CLOG_REPAIR)
        return clog_error(s->err, ST_MALFORMED, s->name, 0, s->next,
                          "commit log corrupt: segment %s, byte 0, offset %llu: %s", s->name,
                          (unsigned long long)s->next, why);
    s->rep->dropped_bytes += n;
    s->cut = true;
    return s->mode == CLOG_READ ? ST_OK : cut_segment(s, s->firsts[i], 0, n);
}

static Status visit_commit(Scan *s, CommitLogCommit *c)
{
    c->segment = s->name;
    s->rep->ncommits++;
    if (!s->visit || c->offset < s->from)
        return ST_OK;
    return s->visit(s->ctx, c, s->err);
}

static Status scan_commits(Scan *s, size_t i, const uint8_t *b, size_t n)
{
    size_t pos = COMMITLOG_SEGMENT_HEADER;
    CommitLogCommit c;
    const char *why = NULL;
    while (pos < n) {
        Verdict v = judge(b, n, pos, s->next, &c, &why);
        if (v != V_GOOD && i + 1 == s->nsegs && all_zero(b + pos, n - pos))
            break;                /* preallocated zeros: the log ends here */
        if (v != V_GOOD)
            return bad_commit(s, i, b, n, pos, v, why);
        Status st = visit_commit(s, &c);
        if (st != ST_OK)
            return st;
        s->next++;
        pos += COMMITLOG_COMMIT_HEADER + c.len + COMMITLOG_CRC_BYTES;
    }
    s->tail->have = true;
    s->tail->seg_first = s->firsts[i];
    s->tail->seg_len = pos;
    s->tail->zero_len = n - pos;
    return ST_OK;
}

static Status scan_segment(Scan *s, size_t i)
{
    clog_segment_name(s->firsts[i], s->name);
    if (i == 0)
        s->next = s->rep->first_offset = s->firsts[0];
    if (s->firsts[i] != s->next && s->mode == CLOG_REPAIR) {
        Status st = drop_later(s, i);          /* a gap: keep what precedes it */
        s->nsegs = i;
        s->cut = true;
        return st;
    }
    if (s->firsts[i] != s->next)
        return clog_error(s->err, ST_MALFORMED, s->name, 0, s->next,
                          "commit log corrupt: segment %s should start at offset %llu "
                          "(a segment is missing or misnamed)", s->name,
                          (unsigned long long)s->next);
    uint8_t *b = NULL;
    size_t n = 0;
    const char *why;
    Status st = read_segment(s, s->firsts[i], &b, &n);
    if (st == ST_OK && header_ok(s, i, b, n, &why)) {
        s->rep->nsegments++;
        st = scan_commits(s, i, b, n);
    } else if (st == ST_OK) {
        st = bad_header(s, i, b, n, why);
    }
    mem_free(b);
    return st;
}

/* Segments after the cut (repair only: a torn tail is in the last). */
static Status drop_later(Scan *s, size_t from)
{
    for (size_t i = from; i < s->nsegs; i++) {
        char path[4096];
        clog_segment_name(s->firsts[i], s->name);
        struct stat sb;
        if (clog_segment_path(s->dir, s->firsts[i], path, sizeof path) != ST_OK ||
            stat(path, &sb) != 0 || unlink(path) != 0)
            return clog_error(s->err, ST_IO, s->name, 0, s->next, "removing %s: %s", path,
                              strerror(errno));
        s->rep->dropped_bytes += (uint64_t)sb.st_size;
        s->rep->dropped_segments++;
        log_msg(LOG_WARN, "commit log %s: repair removed segment %s (%lld bytes)", s->dir,
                s->name, (long long)sb.st_size);
    }
    return from < s->nsegs && clog_fsync_dir(s->dir) != 0
               ? clog_error(s->err, ST_IO, "", 0, s->next, "fsync %s: %s", s->dir, strerror(errno))
               : ST_OK;
}

Status clog_scan(const char *dir, ClogMode mode, uint64_t from, CommitLogVisit visit, void *ctx,
                 CommitLogReport *rep, ClogTail *tail, CommitLogError *err)
{
    CommitLogReport rep0;
    ClogTail tail0;
    Scan s = {.dir = dir, .mode = mode, .from = from, .visit = visit, .ctx = ctx,
              .rep = rep ? rep : &rep0, .tail = tail ? tail : &tail0, .err = err};
    memset(s.rep, 0, sizeof *s.rep);
    memset(s.tail, 0, sizeof *s.tail);
    if (err)
        memset(err, 0, sizeof *err);
    Status st = list_segments(&s);
    size_t i = 0;
    for (; st == ST_OK && i < s.nsegs && !s.cut; i++)
        st = scan_segment(&s, i);
    if (st == ST_OK && s.cut && mode == CLOG_REPAIR)
        st = drop_later(&s, i);
    s.rep->next_offset = s.next;
    mem_free(s.firsts);
    return st;
}

Status commitlog_scan(const char *dir, uint64_t from, CommitLogVisit visit, void *ctx,
                      CommitLogReport *report, CommitLogError *err)
{
    return clog_scan(dir, CLOG_READ, from, visit, ctx, report, NULL, err);
}

Status commitlog_repair(const char *dir, CommitLogReport *report, CommitLogError *err)
{
    return clog_scan(dir, CLOG_REPAIR, 0, NULL, NULL, report, NULL, err);
}

/* ---- records ---- */

static bool rows_parse(const uint8_t *p, size_t len, size_t *pos, uint32_t count,
                       CommitLogRows *rows)
{
    rows->p = p + *pos;
    rows->left = count;
    for (uint32_t i = 0; i < count; i++) {
        if (len - *pos < 4)
            return false;
        uint32_t n = clog_get32(p + *pos);
        *pos += 4;
        if (len - *pos < n)
            return false;
        *pos += n;
    }
    return true;
}

bool clog_record_parse(const uint8_t *p, size_t len, size_t *pos, CommitLogRecord *rec)
{
    if (*pos > len || len - *pos < CLOG_RECORD_HEADER)
        return false;
    const uint8_t *h = p + *pos;
    rec->table_id = clog_get32(h);
    uint32_t ndel = clog_get32(h + 4), nins = clog_get32(h + 8);
    rec->nseqs = clog_get32(h + 12);
    *pos += CLOG_RECORD_HEADER;
    if (!rows_parse(p, len, pos, ndel, &rec->deletes) ||
        !rows_parse(p, len, pos, nins, &rec->inserts))
        return false;
    if ((len - *pos) / CLOG_SEQ_BYTES < rec->nseqs)
        return false;
    rec->seqs = p + *pos;
    *pos += (size_t)rec->nseqs * CLOG_SEQ_BYTES;
    return true;
}

bool commitlog_commit_next_record(const CommitLogCommit *c, size_t *pos, CommitLogRecord *rec)
{
    if (*pos >= c->len)
        return false;
    /* the payload was validated when the commit was read */
    return clog_record_parse(c->payload, c->len, pos, rec);
}

bool commitlog_rows_next(CommitLogRows *r, const uint8_t **row, size_t *len)
{
    if (r->left == 0)
        return false;
    *len = clog_get32(r->p);
    *row = r->p + 4;
    r->p += 4 + *len;
    r->left--;
    return true;
}

void commitlog_record_seq(const CommitLogRecord *rec, uint32_t i, uint32_t *index, I128 *value)
{
    const uint8_t *p = rec->seqs + (size_t)i * CLOG_SEQ_BYTES;
    *index = clog_get32(p);
    *value = i128_from_le(p + 4);
}
