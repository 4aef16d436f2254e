/*
 * snapshot.h - a database's whole state in one file, so that restart
 * need not replay the commit log from the beginning.
 *
 * A snapshot records "every table as of log offset N": the effect of
 * commits 0 .. N-1 and nothing else.  Restart is then
 *
 *   tables from the module's schema (empty)
 *     -> snapshot_find_latest + snapshot_load      state as of N
 *     -> commitlog_open(dir, opts, N, commitlog_apply_visit, db, ...)
 *                                                   commits N, N+1, ...
 *
 * Files, named by N (20 digits, so names sort like numbers):
 *
 *   DIR/snapshot-00000000000000000100.stdbsnap       state as of offset 100
 *   DIR/snapshot-00000000000000000200.stdbsnap.tmp   a write that never finished
 *
 * Layout (integers little-endian; chapter 27):
 *   header  "TSTDSNAP", u32 version, u32 table count, u64 log offset N
 *   per table, in table id order:
 *           u32 table id, u32 name length, name, u32 row type length,
 *           row type (alg_type_encode), u32 nseqs, nseqs x i128 next value,
 *           u64 nrows, nrows x (u32 length, BSATN row)
 *   trailer u32 CRC-32C of every byte before it
 *
 * Invariants: a file with the final name is complete (it was written as
 * .tmp, fsynced, renamed, and the directory fsynced); a file whose CRC,
 * header or name disagree is never loaded, and skipping it is logged and
 * reported.  Indexes are not stored: loading re-inserts the rows, which
 * rebuilds every index and re-checks every unique constraint.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#ifndef TINYSTDB_DB_SNAPSHOT_H
#define TINYSTDB_DB_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/status.h"
#include "db.h"
#include "dberror.h"

#define SNAPSHOT_MAGIC "TSTDSNAP"
#define SNAPSHOT_VERSION 1
#define SNAPSHOT_HEADER 24            /* magic, version, table count, offset */
#define SNAPSHOT_PREFIX "snapshot-"
#define SNAPSHOT_SUFFIX ".stdbsnap"
#define SNAPSHOT_TMP ".tmp"
#define SNAPSHOT_NAME_LEN (sizeof SNAPSHOT_PREFIX - 1 + 20 + sizeof SNAPSHOT_SUFFIX - 1)

/* What snapshot_write wrote. */
typedef struct SnapshotReport {
    uint64_t offset;
    uint32_t ntables;
    uint64_t nrows;
    uint64_t bytes;               /* the file's size */
    char name[SNAPSHOT_NAME_LEN + 1];
} SnapshotReport;

/* What snapshot_find_latest passed over on its way to a valid file. */
typedef struct SnapshotScan {
    uint32_t nvalid_seen;         /* 1 when one was found (the search stops there) */
    uint32_t nskipped;            /* newer snapshots that failed verification */
    char skipped[SNAPSHOT_NAME_LEN + 1];   /* the newest skipped one ("" if none) */
    char why[256];                /* why it was skipped */
} SnapshotScan;

/* Write every table of db (not in a transaction) as the state as of
 * log_offset, atomically, to DIR/snapshot-<log_offset>.stdbsnap (DIR
 * must exist).  On any failure the temp file is removed and no file with
 * the final name is created or changed.  report may be NULL. */
Status snapshot_write(const Db *db, const char *dir, uint64_t log_offset,
                      SnapshotReport *report, DbError *err);

/* The newest snapshot of DIR that verifies (header, name, CRC): its
 * offset and a path to mem_free.  Newer ones that fail are skipped with a
 * LOG_WARN line each and counted in scan (may be NULL).  ST_NOT_FOUND
 * when there is none (including DIR missing). */
Status snapshot_find_latest(const char *dir, uint64_t *offset, char **path, SnapshotScan *scan,
                            DbError *err);

/* Check one file without loading it: ST_OK, or ST_MALFORMED / ST_IO with
 * the reason in err. */
Status snapshot_verify(const char *path, uint64_t *offset, DbError *err);

/* Load the snapshot at path into db, whose tables exist (created from the
 * module's schema) and are empty.  The file is verified first, then every
 * table is compared with the schema (id, name, row type, sequence count):
 * a mismatch is ST_INVALID naming the table, with db untouched.  *offset
 * (may be NULL) receives N.  An error after rows were inserted leaves db
 * partly loaded: the caller discards it. */
Status snapshot_load(Db *db, const char *path, uint64_t *offset, DbError *err);

/* Delete all but the newest `keep` valid snapshots: every snapshot older
 * than the oldest one kept, valid or not, and leftover .tmp files.  Newer
 * invalid ones are left as evidence (find_latest skips them).  *removed
 * (may be NULL) counts deleted files. */
Status snapshot_prune(const char *dir, uint32_t keep, uint32_t *removed, DbError *err);

#endif
