/*
 * commitlog_apply.c - replay: re-apply a logged commit to a database.
 *
 * Restart rebuilds memory from the log: the tables are created from the
 * module's schema (empty), then every commit is applied in order, outside
 * any transaction (table.h: changes outside a transaction are immediate,
 * "used when loading a database").  Per record:
 *
 *   1. delete each deleted row   (it must be there: the log says it was)
 *   2. insert each inserted row  (it must be new and fit every constraint)
 *   3. set each sequence to the value it had after the transaction
 *
 * Deletes first: an update is logged as old row deleted, new row
 * inserted under the same unique key, so the other order would collide.
 * Any mismatch means the log and the schema disagree (wrong module, or a
 * bug): ST_MALFORMED naming the commit, never a partial guess.
 *
 * Rows go in exactly as logged (table_insert_exact): no sequence runs,
 * so a logged 0 in an auto_inc column (a sequence with min <= 0 hands
 * out 0) stays 0; step 3 puts each sequence where the log says it was.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include "commitlog_int.h"
#include "table.h"

static Status mismatch(const CommitLogCommit *c, CommitLogError *err, uint32_t table_id,
                       const char *what)
{
    return clog_error(err, ST_MALFORMED, c->segment ? c->segment : "", c->byte_pos, c->offset,
                      "replay of commit %llu: table %u: %s", (unsigned long long)c->offset,
                      table_id, what);
}

static Status apply_rows(Table *t, const CommitLogCommit *c, const CommitLogRecord *rec,
                         CommitLogError *err)
{
    CommitLogRows rows = rec->deletes;
    const uint8_t *row;
    size_t len;
    DbError de;
    while (commitlog_rows_next(&rows, &row, &len)) {
        bool deleted = false;
        if (table_delete_row(t, row, len, &deleted, &de) != ST_OK || !deleted)
            return mismatch(c, err, rec->table_id, deleted ? de.msg : "a deleted row is absent");
    }
    rows = rec->inserts;
    while (commitlog_rows_next(&rows, &row, &len)) {
        TableWrite w;
        if (table_insert_exact(t, row, len, &w, &de) != ST_OK)
            return mismatch(c, err, rec->table_id, de.msg);
        if (!w.changed)
            return mismatch(c, err, rec->table_id, "an inserted row was already present");
    }
    return ST_OK;
}

static Status apply_seqs(Table *t, const CommitLogCommit *c, const CommitLogRecord *rec,
                         CommitLogError *err)
{
    for (uint32_t i = 0; i < rec->nseqs; i++) {
        uint32_t index;
        I128 v;
        commitlog_record_seq(rec, i, &index, &v);
        if (index >= table_sequence_count(t))
            return mismatch(c, err, rec->table_id, "no such sequence");
        const Sequence *s = table_sequence(t, index);
        if (i128_cmp(v, s->min) < 0 || i128_cmp(s->max, v) < 0)
            return mismatch(c, err, rec->table_id, "sequence value out of its range");
        table_sequence_set(t, index, v);
    }
    return ST_OK;
}

Status commitlog_apply_commit(Db *db, const CommitLogCommit *c, CommitLogError *err)
{
    size_t pos = 0;
    CommitLogRecord rec;
    while (commitlog_commit_next_record(c, &pos, &rec)) {
        Table *t = db_table(db, rec.table_id);
        if (!t)
            return mismatch(c, err, rec.table_id, "no such table");
        Status st = apply_rows(t, c, &rec, err);
        if (st == ST_OK)
            st = apply_seqs(t, c, &rec, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

Status commitlog_apply_visit(void *db, const CommitLogCommit *c, CommitLogError *err)
{
    return commitlog_apply_commit(db, c, err);
}
