/*
 * snapshot.c - writing, finding, verifying, loading and pruning snapshots.
 *
 * Writing streams the tables into DIR/snapshot-N.stdbsnap.tmp through a
 * 1 MiB buffer, computing the CRC-32C on the way, then makes the file
 * count in four steps whose order is the whole point:
 *
 *   write .tmp  ->  fsync .tmp  ->  rename .tmp to the final name  ->  fsync DIR
 *
 * A crash before the rename leaves a .tmp that every reader ignores and
 * prune deletes; rename(2) replaces names atomically, so a reader sees no
 * file or a complete one; the directory fsync makes the new name itself
 * durable (without it a crash could keep the bytes and lose the name).
 *
 * Reading trusts nothing: the trailer CRC covers every byte, so a file
 * that was truncated, had a bit flipped, or is not a snapshot at all is
 * refused before one byte of it reaches a table.  find_latest walks from
 * the newest file down and takes the first that verifies, logging each
 * one it passes over; the commit log still holds everything after the
 * older snapshot, so falling back loses nothing (it only costs replay).
 *
 * Loading checks the snapshot's tables against the schema in a first
 * pass (nothing is inserted unless all of them match), then inserts the
 * rows through table_insert_exact, which rebuilds the indexes and
 * re-checks the unique constraints but runs no sequence (a stored 0 in
 * an auto_inc column stays 0), then restores the sequences.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include "snapshot.h"

#include <assert.h>
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
#include "commitlog_int.h"        /* little-endian helpers, clog_fsync_dir */
#include "table.h"
#include "tx.h"

#define FLUSH_AT (1u << 20)       /* write() when this much is buffered */
#define CHUNK (64u << 10)         /* read size when verifying */
#define PATH_MAX_LEN 4096
#define ERR(err, st, ...) db_error((err), (st), DBE_HOST_CALL_FAILURE, __VA_ARGS__)

typedef VEC(uint64_t) OffsetVec;

/* ---- names ---- */

static Status snap_path(const char *dir, uint64_t off, bool tmp, char *out, DbError *err)
{
    int n = snprintf(out, PATH_MAX_LEN, "%s/" SNAPSHOT_PREFIX "%020llu" SNAPSHOT_SUFFIX "%s", dir,
                     (unsigned long long)off, tmp ? SNAPSHOT_TMP : "");
    if (n < 0 || n >= PATH_MAX_LEN)
        return ERR(err, ST_LIMIT, "snapshot directory name too long: %s", dir);
    return ST_OK;
}

/* "snapshot-<20 digits>.stdbsnap" (tmp = false) or the same + ".tmp". */
static bool parse_name(const char *s, uint64_t *off, bool *tmp)
{
    size_t plen = strlen(SNAPSHOT_PREFIX);
    if (strncmp(s, SNAPSHOT_PREFIX, plen) != 0)
        return false;
    uint64_t v = 0;
    for (size_t i = plen; i < plen + 20; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    const char *rest = s + plen + 20;
    if (strcmp(rest, SNAPSHOT_SUFFIX) == 0)
        *tmp = false;
    else if (strcmp(rest, SNAPSHOT_SUFFIX SNAPSHOT_TMP) == 0)
        *tmp = true;
    else
        return false;
    *off = v;
    return true;
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x > y ? -1 : x < y;
}

/* The snapshots (newest first) and leftover temp files of dir.
 * ST_NOT_FOUND when dir does not exist. */
static Status list_dir(const char *dir, OffsetVec *snaps, OffsetVec *tmps, DbError *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return ERR(err, errno == ENOENT ? ST_NOT_FOUND : ST_IO, "snapshot directory %s: %s", dir,
                   strerror(errno));
    Status st = ST_OK;
    struct dirent *e;
    while (st == ST_OK && (e = readdir(d)) != NULL) {
        uint64_t off;
        bool tmp;
        if (parse_name(e->d_name, &off, &tmp))
            st = tmp ? vec_push(tmps, off) : vec_push(snaps, off);
    }
    closedir(d);
    if (st != ST_OK)
        return ERR(err, st, "snapshot directory %s: out of memory", dir);
    if (snaps->len)
        qsort(snaps->items, snaps->len, sizeof *snaps->items, cmp_desc);
    return ST_OK;
}

/* ---- writing ---- */

typedef struct Out {
    int fd;
    StrBuf buf;                   /* bytes not yet written */
    uint32_t crc;                 /* of every byte put so far */
    uint64_t bytes;
    Status st;                    /* the first failure; later puts do nothing */
    int errnum;                   /* its errno, for ST_IO */
} Out;

static void out_flush(Out *o)
{
    size_t done = 0;
    while (o->st == ST_OK && done < o->buf.len) {
        ssize_t n = write(o->fd, o->buf.data + done, o->buf.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {             /* n == 0 would loop for ever: call it EIO */
            o->st = ST_IO;
            o->errnum = n < 0 ? errno : EIO;
        } else {
            done += (size_t)n;    /* a short write: write the rest */
        }
    }
    strbuf_clear(&o->buf);
}

static void out_put(Out *o, const void *p, size_t n)
{
    if (o->st != ST_OK)
        return;
    o->crc = crc32c_update(o->crc, p, n);
    o->bytes += n;
    if (strbuf_append(&o->buf, p, n) != ST_OK)
        o->st = ST_NOMEM;
    else if (o->buf.len >= FLUSH_AT)
        out_flush(o);
}

static void out_u32(Out *o, uint32_t v)
{
    uint8_t b[4];
    clog_put32(b, v);
    out_put(o, b, 4);
}

static void out_u64(Out *o, uint64_t v)
{
    uint8_t b[8];
    clog_put64(b, v);
    out_put(o, b, 8);
}

/* One table: id, name, row type, sequences, rows in RowId order. */
static void put_table(Out *o, Table *t, uint32_t id, StrBuf *type, uint64_t *nrows)
{
    const char *name = table_name(t);
    out_u32(o, id);
    out_u32(o, (uint32_t)strlen(name));
    out_put(o, name, strlen(name));
    strbuf_clear(type);
    if (alg_type_encode(table_row_type(t), type) != ST_OK && o->st == ST_OK)
        o->st = ST_NOMEM;
    out_u32(o, (uint32_t)type->len);
    out_put(o, type->data, type->len);
    out_u32(o, table_sequence_count(t));
    for (uint32_t i = 0; i < table_sequence_count(t); i++) {
        uint8_t le[16];
        i128_to_le(table_sequence(t, i)->value, le);
        out_put(o, le, 16);
    }
    out_u64(o, table_row_count(t));
    TableCursor c;
    RowId rid;
    const uint8_t *row;
    size_t len;
    uint64_t n = 0;
    table_cursor_all(t, &c);
    while (o->st == ST_OK && table_cursor_next(&c, &rid, &row, &len)) {
        assert(len <= UINT32_MAX);
        out_u32(o, (uint32_t)len);
        out_put(o, row, len);
        n++;
    }
    if (table_cursor_status(&c) != ST_OK && o->st == ST_OK)
        o->st = table_cursor_status(&c);
    table_cursor_fini(&c);
    assert(o->st != ST_OK || n == table_row_count(t));
    *nrows += n;
}

/* Header, every table, CRC trailer; everything written (not fsynced). */
static Status write_image(const Db *db, int fd, uint64_t off, SnapshotReport *rep, int *errnum)
{
    Out o = {.fd = fd};
    strbuf_init(&o.buf);
    StrBuf type;
    strbuf_init(&type);
    uint32_t nt = db_table_count(db);
    out_put(&o, SNAPSHOT_MAGIC, 8);
    out_u32(&o, SNAPSHOT_VERSION);
    out_u32(&o, nt);
    out_u64(&o, off);
    for (uint32_t i = 0; i < nt; i++)
        put_table(&o, db_table(db, DB_FIRST_ID + i), DB_FIRST_ID + i, &type, &rep->nrows);
    out_u32(&o, o.crc);           /* the CRC of everything before it */
    out_flush(&o);
    rep->ntables = nt;
    rep->bytes = o.bytes;
    *errnum = o.errnum;
    strbuf_fini(&type);
    strbuf_fini(&o.buf);
    return o.st;
}

/* The steps after the temp file is open; fd is closed on every path. */
static Status commit_file(const Db *db, int fd, const char *dir, const char *tmp,
                          const char *final, SnapshotReport *rep, DbError *err)
{
    int e = 0;
    Status st = write_image(db, fd, rep->offset, rep, &e);
    if (st == ST_IO)
        ERR(err, st, "snapshot write to %s: %s", tmp, strerror(e));
    else if (st != ST_OK)
        ERR(err, st, "snapshot %s: %s", tmp, status_str(st));
    else if (fsync(fd) != 0)
        st = ERR(err, ST_IO, "snapshot fsync of %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && st == ST_OK)
        st = ERR(err, ST_IO, "snapshot close of %s: %s", tmp, strerror(errno));
    if (st == ST_OK && rename(tmp, final) != 0)
        st = ERR(err, ST_IO, "snapshot rename to %s: %s", final, strerror(errno));
    if (st != ST_OK) {
        unlink(tmp);              /* never leave a half-written file behind on purpose */
        return st;
    }
    /* The file is complete under its final name; only its name may not be
     * durable yet.  Report a failure, but the file itself is valid. */
    if (clog_fsync_dir(dir) != 0)
        return ERR(err, ST_IO, "snapshot fsync of directory %s: %s", dir, strerror(errno));
    return ST_OK;
}

Status snapshot_write(const Db *db, const char *dir, uint64_t log_offset, SnapshotReport *report,
                      DbError *err)
{
    SnapshotReport local;
    SnapshotReport *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    rep->offset = log_offset;
    snprintf(rep->name, sizeof rep->name, SNAPSHOT_PREFIX "%020llu" SNAPSHOT_SUFFIX,
             (unsigned long long)log_offset);
    if (tx_is_open(db))
        return ERR(err, ST_ARG, "snapshot during a transaction");
    char tmp[PATH_MAX_LEN], final[PATH_MAX_LEN];
    Status st = snap_path(dir, log_offset, true, tmp, err);
    if (st == ST_OK)
        st = snap_path(dir, log_offset, false, final, err);
    if (st != ST_OK)
        return st;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ERR(err, ST_IO, "snapshot %s: %s", tmp, strerror(errno));
    st = commit_file(db, fd, dir, tmp, final, rep, err);
    if (st == ST_OK)
        log_msg(LOG_INFO, "snapshot %s: %u tables, %llu rows, %llu bytes (log offset %llu)", final,
                rep->ntables, (unsigned long long)rep->nrows, (unsigned long long)rep->bytes,
                (unsigned long long)log_offset);
    return st;
}

/* ---- verifying ---- */

/* pread exactly n bytes at pos: 0, or -1 with errno (0 = the file ended). */
static int pread_full(int fd, void *p, size_t n, uint64_t pos)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t k = pread(fd, b, n, (off_t)pos);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = 0;
            return -1;
        }
        b += k;
        n -= (size_t)k;
        pos += (uint64_t)k;
    }
    return 0;
}

static Status read_error(const char *path, DbError *err)
{
    if (errno == 0)
        return ERR(err, ST_MALFORMED, "snapshot %s: the file ended early", path);
    return ERR(err, ST_IO, "snapshot %s: %s", path, strerror(errno));
}

/* Header and checksum of a whole image; *ntables and *off from the header. */
static Status check_image(const char *path, const uint8_t *hdr, uint64_t size, uint32_t stored,
                          uint32_t computed, uint32_t *ntables, uint64_t *off, DbError *err)
{
    if (memcmp(hdr, SNAPSHOT_MAGIC, 8) != 0)
        return ERR(err, ST_MALFORMED, "snapshot %s: not a snapshot (bad magic)", path);
    if (clog_get32(hdr + 8) != SNAPSHOT_VERSION)
        return ERR(err, ST_MALFORMED, "snapshot %s: format version %u, expected %u", path,
                   clog_get32(hdr + 8), SNAPSHOT_VERSION);
    if (stored != computed)
        return ERR(err, ST_MALFORMED,
                   "snapshot %s: CRC-32C mismatch over %llu bytes (stored %08x, computed %08x): "
                   "truncated or damaged", path, (unsigned long long)size, stored, computed);
    *ntables = clog_get32(hdr + 12);
    *off = clog_get64(hdr + 16);
    return ST_OK;
}

static Status open_sized(const char *path, int *fd, uint64_t *size, DbError *err)
{
    struct stat sb;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 || fstat(*fd, &sb) != 0) {
        Status st = ERR(err, ST_IO, "snapshot %s: %s", path, strerror(errno));
        if (*fd >= 0)
            close(*fd);
        return st;
    }
    *size = (uint64_t)sb.st_size;
    if (*size < SNAPSHOT_HEADER + 4) {
        close(*fd);
        return ERR(err, ST_MALFORMED, "snapshot %s: %llu bytes, too short for a snapshot", path,
                   (unsigned long long)*size);
    }
    return ST_OK;
}

/* Stream the CRC of [0, size - 4) in CHUNK-sized reads. */
static Status stream_crc(int fd, const char *path, uint64_t size, uint32_t *crc, DbError *err)
{
    uint8_t *buf = mem_alloc(CHUNK);
    if (!buf)
        return ERR(err, ST_NOMEM, "snapshot %s: out of memory", path);
    Status st = ST_OK;
    *crc = 0;
    for (uint64_t pos = 0; pos < size - 4 && st == ST_OK;) {
        size_t n = size - 4 - pos < CHUNK ? (size_t)(size - 4 - pos) : CHUNK;
        if (pread_full(fd, buf, n, pos) != 0)
            st = read_error(path, err);
        *crc = crc32c_update(*crc, buf, n);
        pos += n;
    }
    mem_free(buf);
    return st;
}

Status snapshot_verify(const char *path, uint64_t *offset, DbError *err)
{
    int fd;
    uint64_t size, off = 0;
    Status st = open_sized(path, &fd, &size, err);
    if (st != ST_OK)
        return st;
    uint8_t hdr[SNAPSHOT_HEADER], tail[4];
    uint32_t crc = 0, ntables;
    if (pread_full(fd, hdr, sizeof hdr, 0) != 0 || pread_full(fd, tail, 4, size - 4) != 0)
        st = read_error(path, err);
    if (st == ST_OK)
        st = stream_crc(fd, path, size, &crc, err);
    if (st == ST_OK)
        st = check_image(path, hdr, size, clog_get32(tail), crc, &ntables, &off, err);
    close(fd);
    if (st == ST_OK && offset)
        *offset = off;
    return st;
}

/* ---- finding the newest valid snapshot ---- */

/* Verify dir's snapshot at off; its header must agree with its name. */
static Status verify_named(const char *dir, uint64_t off, char *path, DbError *err)
{
    uint64_t hoff;
    Status st = snap_path(dir, off, false, path, err);
    if (st == ST_OK)
        st = snapshot_verify(path, &hoff, err);
    if (st == ST_OK && hoff != off)
        st = ERR(err, ST_MALFORMED, "snapshot %s: header says log offset %llu", path,
                 (unsigned long long)hoff);
    return st;
}

Status snapshot_find_latest(const char *dir, uint64_t *offset, char **path, SnapshotScan *scan,
                            DbError *err)
{
    SnapshotScan local;
    SnapshotScan *sc = scan ? scan : &local;
    memset(sc, 0, sizeof *sc);
    OffsetVec snaps = {0}, tmps = {0};
    Status st = list_dir(dir, &snaps, &tmps, err);
    for (size_t i = 0; st == ST_OK && i < snaps.len; i++) {
        char p[PATH_MAX_LEN];
        DbError e;
        st = verify_named(dir, snaps.items[i], p, &e);
        if (st == ST_OK) {
            *offset = snaps.items[i];
            *path = mem_strdup(p);
            sc->nvalid_seen = 1;
            if (!*path)
                st = ERR(err, ST_NOMEM, "snapshot: out of memory");
            goto done;
        }
        if (st == ST_NOMEM || st == ST_LIMIT) {   /* our problem, not the file's */
            *err = e;
            goto done;
        }
        log_msg(LOG_WARN, "%s; skipped, falling back to an older snapshot", e.msg);
        if (sc->nskipped++ == 0) {
            snprintf(sc->skipped, sizeof sc->skipped, SNAPSHOT_PREFIX "%020llu" SNAPSHOT_SUFFIX,
                     (unsigned long long)snaps.items[i]);
            snprintf(sc->why, sizeof sc->why, "%s", e.msg);
        }
        st = ST_OK;
    }
    if (st == ST_OK)
        st = ERR(err, ST_NOT_FOUND, "no valid snapshot in %s (%u skipped)", dir, sc->nskipped);
done:
    vec_fini(&snaps);
    vec_fini(&tmps);
    return st;
}

/* ---- pruning ---- */

static Status remove_file(const char *dir, uint64_t off, bool tmp, uint32_t *removed,
                          DbError *err)
{
    char p[PATH_MAX_LEN];
    Status st = snap_path(dir, off, tmp, p, err);
    if (st != ST_OK)
        return st;
    if (unlink(p) != 0)
        return ERR(err, ST_IO, "snapshot prune: %s: %s", p, strerror(errno));
    log_msg(LOG_INFO, "snapshot prune: removed %s", p);
    (*removed)++;
    return ST_OK;
}

Status snapshot_prune(const char *dir, uint32_t keep, uint32_t *removed, DbError *err)
{
    uint32_t nrem = 0, kept = 0;
    OffsetVec snaps = {0}, tmps = {0};
    Status st = list_dir(dir, &snaps, &tmps, err);
    for (size_t i = 0; st == ST_OK && i < snaps.len; i++) {
        if (kept < keep) {        /* still looking for the ones to keep */
            char p[PATH_MAX_LEN];
            DbError e;
            Status v = verify_named(dir, snaps.items[i], p, &e);
            if (v == ST_NOMEM)
                st = ERR(err, v, "snapshot prune: out of memory");
            kept += v == ST_OK;
            continue;
        }
        st = remove_file(dir, snaps.items[i], false, &nrem, err);
    }
    for (size_t i = 0; st == ST_OK && i < tmps.len; i++)
        st = remove_file(dir, tmps.items[i], true, &nrem, err);
    if (st == ST_OK && nrem > 0 && clog_fsync_dir(dir) != 0)
        st = ERR(err, ST_IO, "snapshot prune: fsync of %s: %s", dir, strerror(errno));
    vec_fini(&snaps);
    vec_fini(&tmps);
    if (removed)
        *removed = nrem;
    return st;
}

/* ---- loading ---- */

typedef struct Rd {
    const uint8_t *p;
    size_t len, pos;
} Rd;

static bool rd_bytes(Rd *r, size_t n, const uint8_t **out)
{
    if (n > r->len - r->pos)
        return false;
    *out = r->p + r->pos;
    r->pos += n;
    return true;
}

static bool rd_u32(Rd *r, uint32_t *v)
{
    const uint8_t *b;
    if (!rd_bytes(r, 4, &b))
        return false;
    *v = clog_get32(b);
    return true;
}

static bool rd_u64(Rd *r, uint64_t *v)
{
    const uint8_t *b;
    if (!rd_bytes(r, 8, &b))
        return false;
    *v = clog_get64(b);
    return true;
}

/* A table's record up to its rows. */
typedef struct TableHead {
    uint32_t id, name_len, type_len, nseqs;
    const uint8_t *name, *type, *seqs;
    uint64_t nrows;
} TableHead;

static bool read_head(Rd *r, TableHead *h)
{
    return rd_u32(r, &h->id) && rd_u32(r, &h->name_len) &&
           rd_bytes(r, h->name_len, &h->name) && rd_u32(r, &h->type_len) &&
           rd_bytes(r, h->type_len, &h->type) && rd_u32(r, &h->nseqs) &&
           h->nseqs <= (r->len - r->pos) / 16 && rd_bytes(r, (size_t)h->nseqs * 16, &h->seqs) &&
           rd_u64(r, &h->nrows) && h->nrows <= (r->len - r->pos) / 4;
}

static bool read_row(Rd *r, const uint8_t **row, size_t *len)
{
    uint32_t n;
    if (!rd_u32(r, &n) || !rd_bytes(r, n, row))
        return false;
    *len = n;
    return true;
}

/* Does table i of the snapshot match table i of the schema (and is it empty)? */
static Status check_table(const Db *db, uint32_t i, const TableHead *h, StrBuf *type,
                          const char *path, DbError *err)
{
    uint32_t want = DB_FIRST_ID + i;
    Table *t = db_table(db, want);
    if (!t)
        return ERR(err, ST_INVALID, "snapshot %s: table \"%.*s\" is not in the schema", path,
                   (int)h->name_len, (const char *)h->name);
    const char *name = table_name(t);
    if (h->id != want || strlen(name) != h->name_len || memcmp(name, h->name, h->name_len) != 0)
        return ERR(err, ST_INVALID,
                   "snapshot %s: table %u is \"%.*s\" (id %u) in the snapshot but \"%s\" in "
                   "the schema", path, want, (int)h->name_len, (const char *)h->name, h->id, name);
    strbuf_clear(type);
    if (alg_type_encode(table_row_type(t), type) != ST_OK)
        return ERR(err, ST_NOMEM, "snapshot %s: out of memory", path);
    if (type->len != h->type_len || memcmp(type->data, h->type, h->type_len) != 0)
        return ERR(err, ST_INVALID, "snapshot %s: table \"%s\": row type differs from the schema",
                   path, name);
    if (h->nseqs != table_sequence_count(t))
        return ERR(err, ST_INVALID, "snapshot %s: table \"%s\": %u sequences, the schema has %u",
                   path, name, h->nseqs, table_sequence_count(t));
    if (table_row_count(t) != 0)
        return ERR(err, ST_ARG, "snapshot %s: table \"%s\" is not empty", path, name);
    return ST_OK;
}

/* Pass 1: every table matches the schema and the records parse. */
static Status check_all(const Db *db, Rd r, uint32_t ntables, const char *path, DbError *err)
{
    if (ntables < db_table_count(db))
        return ERR(err, ST_INVALID, "snapshot %s: table \"%s\" of the schema is missing", path,
                   table_name(db_table(db, DB_FIRST_ID + ntables)));
    StrBuf type;
    strbuf_init(&type);
    Status st = ST_OK;
    for (uint32_t i = 0; i < ntables && st == ST_OK; i++) {
        TableHead h = {0};
        if (!read_head(&r, &h))
            st = ERR(err, ST_MALFORMED, "snapshot %s: table #%u: record truncated", path, i);
        else
            st = check_table(db, i, &h, &type, path, err);
        const uint8_t *row;
        size_t len;
        for (uint64_t k = 0; st == ST_OK && k < h.nrows; k++)
            if (!read_row(&r, &row, &len))
                st = ERR(err, ST_MALFORMED, "snapshot %s: table #%u: row %llu truncated", path,
                         i, (unsigned long long)k);
    }
    if (st == ST_OK && r.pos != r.len)
        st = ERR(err, ST_MALFORMED, "snapshot %s: %zu bytes after the last table", path,
                 r.len - r.pos);
    strbuf_fini(&type);
    return st;
}

/* Pass 2, one table (already checked): rows, then sequence values. */
static Status load_table(Table *t, Rd *r, const char *path, DbError *err)
{
    TableHead h;
    bool ok = read_head(r, &h);
    assert(ok);                   /* check_all parsed the same bytes */
    const uint8_t *row;
    size_t len;
    for (uint64_t k = 0; k < h.nrows && read_row(r, &row, &len); k++) {
        TableWrite w;
        DbError de;
        if (table_insert_exact(t, row, len, &w, &de) != ST_OK)
            return ERR(err, de.status, "snapshot %s: table \"%s\": row %llu refused: %s", path,
                       table_name(t), (unsigned long long)k, de.msg);
        if (!w.changed)
            return ERR(err, ST_MALFORMED, "snapshot %s: table \"%s\": row %llu appears twice",
                       path, table_name(t), (unsigned long long)k);
    }
    for (uint32_t i = 0; i < h.nseqs; i++) {
        const Sequence *s = table_sequence(t, i);
        I128 v = i128_from_le(h.seqs + 16 * i);
        if (i128_cmp(v, s->min) < 0 || i128_cmp(s->max, v) < 0)
            return ERR(err, ST_INVALID, "snapshot %s: table \"%s\": sequence %s out of its range",
                       path, table_name(t), s->name);
        table_sequence_set(t, i, v);
    }
    return ST_OK;
}

/* The whole file in memory, header and CRC checked.  *body covers the
 * tables (between header and trailer). */
static Status read_image(const char *path, uint8_t **buf, Rd *body, uint32_t *ntables,
                         uint64_t *off, DbError *err)
{
    int fd;
    uint64_t size;
    Status st = open_sized(path, &fd, &size, err);
    if (st != ST_OK)
        return st;
    *buf = size <= SIZE_MAX ? mem_alloc((size_t)size) : NULL;
    if (!*buf)
        st = ERR(err, ST_NOMEM, "snapshot %s: no memory for %llu bytes", path,
                 (unsigned long long)size);
    else if (pread_full(fd, *buf, (size_t)size, 0) != 0)
        st = read_error(path, err);
    close(fd);
    if (st != ST_OK)
        return st;
    size_t n = (size_t)size - 4;
    st = check_image(path, *buf, size, clog_get32(*buf + n), crc32c_compute(*buf, n), ntables,
                     off, err);
    *body = (Rd){*buf, n, SNAPSHOT_HEADER};
    return st;
}

Status snapshot_load(Db *db, const char *path, uint64_t *offset, DbError *err)
{
    if (tx_is_open(db))
        return ERR(err, ST_ARG, "snapshot load during a transaction");
    uint8_t *buf = NULL;
    Rd body;
    uint32_t ntables;
    uint64_t off;
    Status st = read_image(path, &buf, &body, &ntables, &off, err);
    if (st == ST_OK)
        st = check_all(db, body, ntables, path, err);
    for (uint32_t i = 0; st == ST_OK && i < ntables; i++)
        st = load_table(db_table(db, DB_FIRST_ID + i), &body, path, err);
    mem_free(buf);
    if (st != ST_OK)
        return st;
    if (offset)
        *offset = off;
    log_msg(LOG_INFO, "snapshot %s loaded: %u tables (log offset %llu)", path, ntables,
            (unsigned long long)off);
    return ST_OK;
}
