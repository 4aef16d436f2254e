/*
 * tx.c - a database transaction: every table's undo log, begun and ended
 * together, and the commit delta gathered from them.
 *
 * Book: chapter 13, book/13-transactions.md
 */
#include "tx.h"

#include <string.h>

#include "../util/alloc.h"

void tx_delta_init(TxDelta *d)
{
    memset(d, 0, sizeof *d);
}

void tx_delta_fini(TxDelta *d)
{
    for (size_t i = 0; i < d->cap; i++) {   /* entries past ntables keep memory too */
        rowlist_fini(&d->tables[i].inserts);
        rowlist_fini(&d->tables[i].deletes);
    }
    mem_free(d->tables);
    tx_delta_init(d);
}

void tx_delta_clear(TxDelta *d)
{
    for (size_t i = 0; i < d->ntables; i++) {
        rowlist_clear(&d->tables[i].inserts);
        rowlist_clear(&d->tables[i].deletes);
    }
    d->ntables = 0;
}

/* The next entry, its lists empty. */
static TxTableDelta *next_entry(TxDelta *d)
{
    if (d->ntables == d->cap) {
        size_t ncap = d->cap ? 2 * d->cap : 8;
        TxTableDelta *grown = mem_realloc_array(d->tables, ncap, sizeof *grown);
        if (!grown)
            return NULL;
        for (size_t i = d->cap; i < ncap; i++) {
            rowlist_init(&grown[i].inserts);
            rowlist_init(&grown[i].deletes);
        }
        d->tables = grown;
        d->cap = ncap;
    }
    return &d->tables[d->ntables++];
}

Status tx_begin(Db *db, DbError *err)
{
    if (db->in_tx)
        return db_error(err, ST_ARG, DBE_HOST_CALL_FAILURE, "a transaction is already open");
    for (uint32_t i = 0; i < db->ntables; i++)
        table_tx_begin(db->tables[i]);
    db->in_tx = true;
    return ST_OK;
}

bool tx_is_open(const Db *db)
{
    return db->in_tx;
}

/* The net changes of every dirty table, in table id order. */
static Status gather(Db *db, TxDelta *d)
{
    for (uint32_t i = 0; i < db->ntables; i++) {
        Table *t = db->tables[i];
        if (!table_tx_dirty(t))
            continue;
        TxTableDelta *e = next_entry(d);
        if (!e)
            return ST_NOMEM;
        e->table_id = DB_FIRST_ID + i;
        e->table = t;
        Status st = table_tx_delta(t, &e->inserts, &e->deletes);
        if (st != ST_OK)
            return st;
        if (e->inserts.count == 0 && e->deletes.count == 0)
            d->ntables--;           /* the changes cancelled out */
    }
    return ST_OK;
}

Status tx_commit(Db *db, TxDelta *delta, DbError *err)
{
    if (!db->in_tx)
        return db_error(err, ST_ARG, DBE_NOT_IN_TRANSACTION, "no transaction is open");
    if (delta) {
        tx_delta_clear(delta);
        Status st = gather(db, delta);
        if (st != ST_OK) {
            tx_delta_clear(delta);
            return db_error(err, st, DBE_HOST_CALL_FAILURE, "out of memory building the delta");
        }
    }
    for (uint32_t i = 0; i < db->ntables; i++)
        table_tx_commit(db->tables[i]);
    db->in_tx = false;
    return ST_OK;
}

void tx_rollback(Db *db)
{
    if (!db->in_tx)
        return;
    for (uint32_t i = 0; i < db->ntables; i++)
        table_tx_rollback(db->tables[i]);
    db->in_tx = false;
}
