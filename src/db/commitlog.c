/*
 * commitlog.c - appending to the commit log: encoding, buffering,
 * write, fsync, segment rotation, the failed state.
 *
 * The bytes, all integers little-endian:
 *
 *   segment header (24 bytes)
 *     0  "TSTDBLOG"          8  u32 version (1)   12  u32 reserved (0)
 *     16 u64 first offset (the file's name)
 *   commit (28 + len + 4 bytes), repeated
 *     0  "CMIT"   4  u64 offset   12  u32 len   16  i64 time (us)
 *     24 u32 nrecords   28  payload[len]   28+len  u32 CRC-32C of bytes 0..28+len
 *   payload = nrecords records, one per changed table
 *     u32 table id, u32 ndeletes, u32 ninserts, u32 nseqs,
 *     ndeletes x (u32 length, BSATN row), ninserts x (u32 length, BSATN row),
 *     nseqs x (u32 sequence index, i128 next value)
 *
 * Deletes come before inserts because that is the order replay applies
 * them in: an update is "old row out, new row in" under the same key.
 *
 * State and invariants (commitlog_check):
 *
 *   durable <= written <= next      commit offsets
 *   [durable, written)   written to the segment, not yet fsynced
 *   [written, next)      encoded in buf, not yet written
 *   seg_bytes            the segment's content: header and commits
 *   file_bytes           >= seg_bytes: the file, preallocated zeros included
 *
 * The segment file runs ahead of its content with zeros (ensure_room),
 * so that syncing rarely changes the file's length and fdatasync() has
 * only data to write; rotation and close cut the zeros off.
 *
 * Once failed, nothing is written again and durable never moves: a
 * commit is never reported durable that is not.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/alloc.h"
#include "../util/crc32c.h"
#include "../util/log.h"
#include "commitlog_int.h"
#include "table.h"

struct CommitLog {
    char *dir;
    CommitLogOptions opts;
    CommitLogIo io;
    int fd;                       /* the segment being appended to */
    uint64_t seg_first;           /* its first offset, its name */
    uint64_t seg_bytes;           /* its length: header and commits written */
    uint64_t file_bytes;          /* the file's length: seg_bytes + zeros ahead */
    StrBuf buf;                   /* encoded commits not yet written */
    uint64_t next, written, durable;
    bool failed;
    char failmsg[480];
};

/* ---- the real system calls ---- */

static ssize_t sys_write(void *ctx, int fd, const void *buf, size_t n)
{
    (void)ctx;
    return write(fd, buf, n);
}

/* fdatasync: the data and the length, not the timestamps.  With the
 * file preallocated (ensure_room) the length rarely changes, so a sync
 * is usually one write of the data, not two (data, then the inode). */
static int sys_fsync(void *ctx, int fd)
{
    (void)ctx;
    return fdatasync(fd);
}

static const CommitLogIo sys_io = {sys_write, sys_fsync, NULL};

/* ---- shared helpers ---- */

void clog_segment_name(uint64_t first, char out[CLOG_NAME_LEN + 1])
{
    snprintf(out, CLOG_NAME_LEN + 1, "%020llu" COMMITLOG_SUFFIX, (unsigned long long)first);
}

Status clog_segment_path(const char *dir, uint64_t first, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/%020llu" COMMITLOG_SUFFIX, dir, (unsigned long long)first);
    return n < 0 || (size_t)n >= outlen ? ST_LIMIT : ST_OK;
}

Status clog_error(CommitLogError *err, Status st, const char *segment, uint64_t byte_pos,
                  uint64_t offset, const char *fmt, ...)
{
    if (!err)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    snprintf(err->segment, sizeof err->segment, "%s", segment);
    err->byte_pos = byte_pos;
    err->offset = offset;
    return st;
}

int clog_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* ---- the failed state ---- */

/* Enter the failed state: remember why, log it once, report ST_IO. */
static Status fail(CommitLog *l, CommitLogError *err, const char *what, int e)
{
    char name[CLOG_NAME_LEN + 1];
    clog_segment_name(l->seg_first, name);
    snprintf(l->failmsg, sizeof l->failmsg,
             "commit log %s failed: %s %s: %s; no further commits are accepted "
             "(commits from offset %llu on are not durable)",
             l->dir, what, name, strerror(e), (unsigned long long)l->durable);
    l->failed = true;
    log_msg(LOG_ERROR, "%s", l->failmsg);
    return clog_error(err, ST_IO, name, l->seg_bytes, l->durable, "%s", l->failmsg);
}

static Status refuse_if_failed(const CommitLog *l, CommitLogError *err)
{
    if (!l->failed)
        return ST_OK;
    char name[CLOG_NAME_LEN + 1];
    clog_segment_name(l->seg_first, name);
    return clog_error(err, ST_IO, name, l->seg_bytes, l->durable, "%s", l->failmsg);
}

/* write() all of buf[0..n) at the file position, through short writes
 * and EINTR; *done counts the bytes that made it. */
static Status write_fd(CommitLog *l, const void *buf, size_t n, uint64_t *done,
                       CommitLogError *err)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = l->io.write(l->io.ctx, l->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return fail(l, err, "write to", w == 0 ? EIO : errno);
        p += w;
        n -= (size_t)w;
        *done += (uint64_t)w;
    }
    return ST_OK;
}

/* Append buf[0..n) to the segment's content (at seg_bytes). */
static Status write_all(CommitLog *l, const void *buf, size_t n, CommitLogError *err)
{
    Status st = write_fd(l, buf, n, &l->seg_bytes, err);
    if (l->file_bytes < l->seg_bytes)
        l->file_bytes = l->seg_bytes;
    return st;
}

/* Preallocation: make the file at least seg_bytes + n long by writing
 * zeros after its end, ahead by as much as the segment holds, between
 * 64 KiB and COMMITLOG_PREALLOC (so a small log stays small), and not
 * past the segment limit.  Zeros, not posix_fallocate: ext4 records fallocated
 * blocks as "unwritten", and the first write to them changes metadata
 * again.  The reader takes zeros after the last commit for unused space
 * (commitlog_read.c); rotation and close cut them off. */
static Status ensure_room(CommitLog *l, size_t n, CommitLogError *err)
{
    static const uint8_t zeros[1 << 16];
    uint64_t need = l->seg_bytes + n;
    if (need <= l->file_bytes)
        return ST_OK;
    uint64_t ahead = l->seg_bytes < sizeof zeros         ? sizeof zeros
                     : l->seg_bytes > COMMITLOG_PREALLOC ? COMMITLOG_PREALLOC
                                                         : l->seg_bytes;
    uint64_t want = need + ahead;
    if (want > l->opts.max_segment_bytes)
        want = need > l->opts.max_segment_bytes ? need : l->opts.max_segment_bytes;
    if (lseek(l->fd, (off_t)l->file_bytes, SEEK_SET) < 0)
        return fail(l, err, "seeking in", errno);
    Status st = ST_OK;
    while (st == ST_OK && l->file_bytes < want) {
        uint64_t left = want - l->file_bytes;
        st = write_fd(l, zeros, left < sizeof zeros ? (size_t)left : sizeof zeros,
                      &l->file_bytes, err);
    }
    if (st == ST_OK && lseek(l->fd, (off_t)l->seg_bytes, SEEK_SET) < 0)
        return fail(l, err, "seeking in", errno);
    return st;
}

/* Cut the preallocated zeros off (rotation, close): a finished segment
 * ends with its last commit. */
static Status trim(CommitLog *l, CommitLogError *err)
{
    if (l->file_bytes == l->seg_bytes)
        return ST_OK;
    if (ftruncate(l->fd, (off_t)l->seg_bytes) != 0)
        return fail(l, err, "truncating", errno);
    l->file_bytes = l->seg_bytes;
    return ST_OK;
}

static Status sync_fd(CommitLog *l, CommitLogError *err)
{
    if (l->io.fsync(l->io.ctx, l->fd) != 0)
        return fail(l, err, "fsync of", errno);
    l->durable = l->written;
    return ST_OK;
}

/* ---- segments ---- */

/* Create segment `first`: header written and fsynced, then the
 * directory fsynced, so that after a crash the name exists iff the
 * header does. */
static Status create_segment(CommitLog *l, uint64_t first, CommitLogError *err)
{
    char path[4096];
    if (clog_segment_path(l->dir, first, path, sizeof path) != ST_OK)
        return clog_error(err, ST_LIMIT, "", 0, first, "commit log path too long: %s", l->dir);
    l->seg_first = first;
    l->seg_bytes = l->file_bytes = 0;
    l->fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (l->fd < 0)
        return fail(l, err, "creating", errno);
    uint8_t h[COMMITLOG_SEGMENT_HEADER];
    memcpy(h, CLOG_SEG_MAGIC, 8);
    clog_put32(h + 8, COMMITLOG_VERSION);
    clog_put32(h + 12, 0);
    clog_put64(h + 16, first);
    Status st = write_all(l, h, sizeof h, err);
    if (st == ST_OK)
        st = sync_fd(l, err);
    if (st == ST_OK && clog_fsync_dir(l->dir) != 0)
        st = fail(l, err, "fsync of the directory of", errno);
    return st;
}

/* Seal the current segment (everything in it fsynced) and start the
 * next one at offset l->next. */
static Status rotate(CommitLog *l, CommitLogError *err)
{
    Status st = trim(l, err);
    if (st == ST_OK)
        st = sync_fd(l, err);
    if (st != ST_OK)
        return st;
    close(l->fd);
    l->fd = -1;
    return create_segment(l, l->next, err);
}

/* Reopen the last segment after a scan; fsync it once, because a
 * previous process may have exited without syncing what it wrote.  The
 * file may go on past the last commit with preallocated zeros (a crash
 * left them; the scan checked they are zeros): they are reused. */
static Status reopen_segment(CommitLog *l, const ClogTail *t, CommitLogError *err)
{
    char path[4096];
    if (clog_segment_path(l->dir, t->seg_first, path, sizeof path) != ST_OK)
        return clog_error(err, ST_LIMIT, "", 0, t->seg_first, "commit log path too long");
    l->seg_first = t->seg_first;
    l->seg_bytes = t->seg_len;
    l->fd = open(path, O_WRONLY);
    if (l->fd < 0)
        return fail(l, err, "opening", errno);
    off_t end = lseek(l->fd, 0, SEEK_END);
    if (end < 0)
        return fail(l, err, "seeking in", errno);
    if ((uint64_t)end != t->seg_len + t->zero_len)
        return fail(l, err, "length changed under us:", EIO);
    l->file_bytes = (uint64_t)end;
    if (lseek(l->fd, (off_t)l->seg_bytes, SEEK_SET) < 0)
        return fail(l, err, "seeking in", errno);
    return sync_fd(l, err);
}

/* ---- writing what is buffered ---- */

/* Write the whole commits in buf[0..n); commits below upto are then in
 * the file. */
static Status write_prefix(CommitLog *l, size_t n, uint64_t upto, CommitLogError *err)
{
    Status st = ensure_room(l, n, err);
    if (st == ST_OK)
        st = write_all(l, l->buf.data, n, err);
    if (st != ST_OK)
        return st;
    memmove(l->buf.data, l->buf.data + n, l->buf.len - n);
    l->buf.len -= n;
    l->written = upto;
    return ST_OK;
}

Status commitlog_flush(CommitLog *l, CommitLogError *err)
{
    Status st = refuse_if_failed(l, err);
    if (st != ST_OK || l->buf.len == 0)
        return st;
    return write_prefix(l, l->buf.len, l->next, err);
}

Status commitlog_sync(CommitLog *l, CommitLogError *err)
{
    Status st = commitlog_flush(l, err);
    if (st != ST_OK || l->durable == l->written)
        return st;
    return sync_fd(l, err);
}

Status commitlog_end_batch(CommitLog *l, CommitLogError *err)
{
    if (l->opts.sync == COMMITLOG_SYNC_NEVER)
        return commitlog_flush(l, err);
    return commitlog_sync(l, err);
}

/* ---- appending ---- */

static Status begin_commit(CommitLog *l, size_t *start, CommitLogError *err)
{
    Status st = refuse_if_failed(l, err);
    if (st != ST_OK)
        return st;
    *start = l->buf.len;
    uint8_t h[COMMITLOG_COMMIT_HEADER] = {0};
    if (strbuf_append(&l->buf, h, sizeof h) != ST_OK)
        return clog_error(err, ST_NOMEM, "", 0, l->next, "commit log: out of memory");
    return ST_OK;
}

/* The commit at buf[start..) goes to a new segment if it would push a
 * non-empty segment past the size limit. */
static Status place(CommitLog *l, size_t start, CommitLogError *err)
{
    uint64_t before = l->seg_bytes + start;
    if (before <= COMMITLOG_SEGMENT_HEADER || before + (l->buf.len - start) <= l->opts.max_segment_bytes)
        return ST_OK;
    Status st = write_prefix(l, start, l->next, err);
    return st == ST_OK ? rotate(l, err) : st;
}

/* Finish the commit at buf[start..): header fields, CRC, placement, its
 * offset, then the sync policy. */
static Status end_commit(CommitLog *l, size_t start, uint32_t nrecords, int64_t time_us,
                         uint64_t *offset, CommitLogError *err)
{
    size_t len = l->buf.len - start - COMMITLOG_COMMIT_HEADER;
    if (len > COMMITLOG_MAX_PAYLOAD) {
        l->buf.len = start;
        return clog_error(err, ST_LIMIT, "", 0, l->next, "commit of %zu bytes exceeds %u", len,
                          COMMITLOG_MAX_PAYLOAD);
    }
    uint8_t *h = (uint8_t *)l->buf.data + start, crc[4];
    memcpy(h, CLOG_COMMIT_MAGIC, 4);
    clog_put64(h + 4, l->next);
    clog_put32(h + 12, (uint32_t)len);
    clog_put64(h + 16, (uint64_t)time_us);
    clog_put32(h + 24, nrecords);
    clog_put32(crc, crc32c_compute(h, COMMITLOG_COMMIT_HEADER + len));
    if (strbuf_append(&l->buf, crc, sizeof crc) != ST_OK) {
        l->buf.len = start;
        return clog_error(err, ST_NOMEM, "", 0, l->next, "commit log: out of memory");
    }
    Status st = place(l, start, err);
    if (st != ST_OK)
        return st;
    if (offset)
        *offset = l->next;
    l->next++;
    if (l->opts.sync == COMMITLOG_SYNC_ALWAYS)
        return commitlog_sync(l, err);
    return l->buf.len >= l->opts.buffer_bytes ? commitlog_flush(l, err) : ST_OK;
}

Status commitlog_append_raw(CommitLog *l, const uint8_t *payload, size_t len, uint32_t nrecords,
                            int64_t time_us, uint64_t *offset, CommitLogError *err)
{
    size_t start;
    Status st = begin_commit(l, &start, err);
    if (st != ST_OK)
        return st;
    if (len > COMMITLOG_MAX_PAYLOAD || strbuf_append(&l->buf, payload, len) != ST_OK) {
        l->buf.len = start;
        return clog_error(err, len > COMMITLOG_MAX_PAYLOAD ? ST_LIMIT : ST_NOMEM, "", 0,
                          l->next, "commit log: payload of %zu bytes not accepted", len);
    }
    return end_commit(l, start, nrecords, time_us, offset, err);
}

static Status put_rows(StrBuf *b, const RowList *rows)
{
    for (size_t i = 0; i < rows->count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(rows, i, &len);
        uint8_t n[4];
        if (len > UINT32_MAX)
            return ST_LIMIT;
        clog_put32(n, (uint32_t)len);
        if (strbuf_append(b, n, 4) != ST_OK || strbuf_append(b, row, len) != ST_OK)
            return ST_NOMEM;
    }
    return ST_OK;
}

/* One record: a table's deletes, inserts and sequence values. */
static Status put_table(StrBuf *b, const TxTableDelta *d)
{
    uint32_t nseqs = d->table ? table_sequence_count(d->table) : 0;
    if (d->deletes.count > UINT32_MAX || d->inserts.count > UINT32_MAX)
        return ST_LIMIT;
    uint8_t h[CLOG_RECORD_HEADER];
    clog_put32(h, d->table_id);
    clog_put32(h + 4, (uint32_t)d->deletes.count);
    clog_put32(h + 8, (uint32_t)d->inserts.count);
    clog_put32(h + 12, nseqs);
    Status st = strbuf_append(b, h, sizeof h);
    if (st == ST_OK)
        st = put_rows(b, &d->deletes);
    if (st == ST_OK)
        st = put_rows(b, &d->inserts);
    for (uint32_t i = 0; st == ST_OK && i < nseqs; i++) {
        uint8_t q[CLOG_SEQ_BYTES];
        clog_put32(q, i);
        i128_to_le(table_sequence(d->table, i)->value, q + 4);
        st = strbuf_append(b, q, sizeof q);
    }
    return st;
}

Status commitlog_append(CommitLog *l, const TxDelta *delta, int64_t time_us, uint64_t *offset,
                        CommitLogError *err)
{
    size_t start;
    Status st = begin_commit(l, &start, err);
    if (st != ST_OK)
        return st;
    if (delta->ntables > UINT32_MAX)
        st = ST_LIMIT;
    for (size_t i = 0; st == ST_OK && i < delta->ntables; i++)
        st = put_table(&l->buf, &delta->tables[i]);
    if (st != ST_OK) {
        l->buf.len = start;
        return clog_error(err, st, "", 0, l->next, "commit log: cannot encode commit: %s",
                          status_str(st));
    }
    return end_commit(l, start, (uint32_t)delta->ntables, time_us, offset, err);
}

/* ---- open, close, accessors ---- */

Status commitlog_open(const char *dir, const CommitLogOptions *o, uint64_t from,
                      CommitLogVisit visit, void *ctx, CommitLog **out,
                      CommitLogReport *report, CommitLogError *err)
{
    CommitLogReport rep0;
    ClogTail tail;
    *out = NULL;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return clog_error(err, ST_IO, "", 0, 0, "creating %s: %s", dir, strerror(errno));
    report = report ? report : &rep0;
    Status st = clog_scan(dir, CLOG_RECOVER, from, visit, ctx, report, &tail, err);
    if (st != ST_OK)
        return st;
    CommitLog *l = mem_calloc(1, sizeof *l);
    if (!l || !(l->dir = mem_strdup(dir))) {
        mem_free(l);
        return clog_error(err, ST_NOMEM, "", 0, 0, "commit log: out of memory");
    }
    l->opts = o ? *o : (CommitLogOptions){0};
    if (!l->opts.max_segment_bytes)
        l->opts.max_segment_bytes = COMMITLOG_DEFAULT_SEGMENT;
    if (!l->opts.buffer_bytes)
        l->opts.buffer_bytes = COMMITLOG_DEFAULT_BUFFER;
    l->io = l->opts.io ? *l->opts.io : sys_io;
    l->fd = -1;
    strbuf_init(&l->buf);
    l->next = l->written = l->durable = report->next_offset;
    st = tail.have ? reopen_segment(l, &tail, err) : create_segment(l, l->next, err);
    if (st != ST_OK) {
        commitlog_close(l, NULL);
        return st;
    }
    *out = l;
    return ST_OK;
}

Status commitlog_close(CommitLog *l, CommitLogError *err)
{
    if (!l)
        return ST_OK;
    Status st = l->fd >= 0 ? commitlog_sync(l, err) : refuse_if_failed(l, err);
    if (st == ST_OK && l->fd >= 0)
        st = trim(l, err);        /* not synced: zeros left by a crash are harmless */
    if (l->fd >= 0)
        close(l->fd);
    strbuf_fini(&l->buf);
    mem_free(l->dir);
    mem_free(l);
    return st;
}

uint64_t commitlog_next_offset(const CommitLog *l) { return l->next; }
uint64_t commitlog_durable_upto(const CommitLog *l) { return l->durable; }
bool commitlog_failed(const CommitLog *l) { return l->failed; }
size_t commitlog_buffered(const CommitLog *l) { return l->buf.len; }

Status commitlog_check(const CommitLog *l, char *msg, size_t msglen)
{
    if (!(l->durable <= l->written && l->written <= l->next))
        return db_check_fail(msg, msglen, "offsets out of order: durable %llu written %llu next %llu",
                             (unsigned long long)l->durable, (unsigned long long)l->written,
                             (unsigned long long)l->next);
    if (!l->failed && l->seg_bytes < COMMITLOG_SEGMENT_HEADER)
        return db_check_fail(msg, msglen, "segment shorter than its header");
    if (l->file_bytes < l->seg_bytes)
        return db_check_fail(msg, msglen, "file shorter than its content");
    size_t pos = 0;
    uint64_t off = l->written;
    while (pos < l->buf.len) {
        const uint8_t *h = (const uint8_t *)l->buf.data + pos;
        size_t len = l->buf.len - pos < COMMITLOG_COMMIT_HEADER ? 0 : clog_get32(h + 12);
        size_t size = COMMITLOG_COMMIT_HEADER + len + COMMITLOG_CRC_BYTES;
        if (l->buf.len - pos < size || clog_get64(h + 4) != off ||
            crc32c_compute(h, size - 4) != clog_get32(h + size - 4))
            return db_check_fail(msg, msglen, "buffered commit %llu at %zu is not intact",
                                 (unsigned long long)off, pos);
        pos += size;
        off++;
    }
    if (off != l->next)
        return db_check_fail(msg, msglen, "buffer holds commits up to %llu, next is %llu",
                             (unsigned long long)off, (unsigned long long)l->next);
    return ST_OK;
}

bool commitlog_sync_parse(const char *s, CommitLogSync *out)
{
    static const char *const names[] = {"never", "batch", "always"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0)
            return *out = (CommitLogSync)i, true;
    return false;
}

const char *commitlog_sync_name(CommitLogSync s)
{
    return s == COMMITLOG_SYNC_NEVER ? "never" : s == COMMITLOG_SYNC_BATCH ? "batch" : "always";
}
