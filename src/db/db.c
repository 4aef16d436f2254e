/*
 * db.c - the tables of a database and the one namespace of their names.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "db.h"

#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"

enum { NAME_TABLE = 1, NAME_INDEX = 2, NAME_OTHER = 3 };

Status db_new(Db **out)
{
    Db *db = mem_calloc(1, sizeof *db);
    if (!db || !(db->names = hashidx_new())) {
        mem_free(db);
        *out = NULL;
        return ST_NOMEM;
    }
    *out = db;
    return ST_OK;
}

void db_free(Db *db)
{
    if (!db)
        return;
    for (uint32_t i = 0; i < db->ntables; i++)
        table_free(db->tables[i]);
    mem_free(db->tables);
    mem_free(db->indexes);
    hashidx_free(db->names);
    mem_free(db);
}

/* Every name the table brings into the namespace, in a fixed order:
 * the table, its indexes, its unique constraints, its sequences. */
static uint32_t name_count(const Table *t)
{
    return 1 + 2 * table_index_count(t) + table_sequence_count(t);
}

static const char *name_at(const Table *t, uint32_t i, uint64_t *kind)
{
    IndexInfo info;
    *kind = NAME_OTHER;
    if (i == 0) {
        *kind = NAME_TABLE;
        return table_name(t);
    }
    i--;
    if (i < 2 * table_index_count(t)) {
        table_index_info(t, i / 2, &info);
        if (i % 2 == 0) {
            *kind = NAME_INDEX;
            return info.name;
        }
        /* The constraint's name, once: indexes over the same columns
         * (a btree and a hash, say) both back it. */
        for (uint32_t j = 0; info.unique && j < i / 2; j++) {
            IndexInfo other;
            table_index_info(t, j, &other);
            if (other.unique && strcmp(other.unique, info.unique) == 0)
                return NULL;
        }
        return info.unique;
    }
    return table_sequence(t, i - 2 * table_index_count(t))->name;
}

/* Enter the table's names (it will sit at position pos, its first index
 * at ipos); on a clash or no memory take back the ones entered. */
static Status add_names(Db *db, const Table *t, uint32_t pos, uint32_t ipos, DbError *err)
{
    uint32_t n = name_count(t), i = 0;
    Status st = ST_OK;
    for (; i < n && st == ST_OK; i++) {
        uint64_t kind;
        const char *name = name_at(t, i, &kind);
        if (!name)
            continue;
        uint64_t val = kind << 32 | (kind == NAME_INDEX ? ipos + (i - 1) / 2 : pos);
        if (hashidx_contains_key(db->names, (const uint8_t *)name, strlen(name), NULL))
            st = db_error(err, ST_EXISTS, DBE_HOST_CALL_FAILURE,
                          "the name %s is already used in this database", name);
        else if (hashidx_insert(db->names, (const uint8_t *)name, strlen(name), val) != ST_OK)
            st = db_error(err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
    }
    if (st != ST_OK) {   /* entry i-1 failed: remove 0..i-2 */
        for (uint32_t j = 0; j + 1 < i; j++) {
            uint64_t kind;
            const char *name = name_at(t, j, &kind);
            uint64_t val = kind << 32 | (kind == NAME_INDEX ? ipos + (j - 1) / 2 : pos);
            if (name)
                hashidx_delete(db->names, (const uint8_t *)name, strlen(name), val);
        }
    }
    return st;
}

static Status grow(Db *db, uint32_t more_indexes)
{
    if (db->ntables == db->tcap) {
        uint32_t ncap = db->tcap ? 2 * db->tcap : 8;
        Table **t = mem_realloc_array(db->tables, ncap, sizeof *t);
        if (!t)
            return ST_NOMEM;
        db->tables = t, db->tcap = ncap;
    }
    return vec_reserve_(&db->indexes, &db->icap, (size_t)db->nindexes + more_indexes,
                        sizeof *db->indexes);
}

Status db_create_table(Db *db, const TableSchema *s, uint32_t *table_id, DbError *err)
{
    if (db->in_tx)
        return db_error(err, ST_ARG, DBE_HOST_CALL_FAILURE, "tables are created outside transactions");
    Table *t;
    Status st = table_new(s, &t, err);
    if (st != ST_OK)
        return st;
    uint32_t nidx = table_index_count(t);
    if (grow(db, nidx) != ST_OK) {
        table_free(t);
        return db_error(err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
    }
    if ((st = add_names(db, t, db->ntables, db->nindexes, err)) != ST_OK) {
        table_free(t);
        return st;
    }
    for (uint32_t i = 0; i < nidx; i++)
        db->indexes[db->nindexes++] = (DbIndexRef){ db->ntables, i };
    db->tables[db->ntables++] = t;
    if (table_id)
        *table_id = DB_FIRST_ID + db->ntables - 1;
    return ST_OK;
}

uint32_t db_table_count(const Db *db)
{
    return db->ntables;
}

Table *db_table(const Db *db, uint32_t table_id)
{
    uint32_t pos = table_id - DB_FIRST_ID;
    return table_id >= DB_FIRST_ID && pos < db->ntables ? db->tables[pos] : NULL;
}

/* The position of a name of the given kind, or false. */
static bool lookup(const Db *db, const char *name, size_t len, uint64_t kind, uint32_t *pos)
{
    HashIter it;
    uint64_t val;
    hashidx_find(db->names, (const uint8_t *)name, len, &it);
    while (hashidx_iter_next(&it, &val)) {
        if (val >> 32 == kind) {
            *pos = (uint32_t)val;
            return true;
        }
    }
    return false;
}

Status db_table_id_from_name(const Db *db, const char *name, size_t len, uint32_t *table_id,
                             DbError *err)
{
    uint32_t pos;
    if (!lookup(db, name, len, NAME_TABLE, &pos))
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_TABLE, "no table named %.*s",
                        (int)(len < 200 ? len : 200), name);
    *table_id = DB_FIRST_ID + pos;
    return ST_OK;
}

Status db_index_id_from_name(const Db *db, const char *name, size_t len, uint32_t *index_id,
                             DbError *err)
{
    uint32_t pos;
    if (!lookup(db, name, len, NAME_INDEX, &pos))
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_INDEX, "no index named %.*s",
                        (int)(len < 200 ? len : 200), name);
    *index_id = DB_FIRST_ID + pos;
    return ST_OK;
}

Status db_index(const Db *db, uint32_t index_id, Table **table, uint32_t *index, DbError *err)
{
    uint32_t pos = index_id - DB_FIRST_ID;
    if (index_id < DB_FIRST_ID || pos >= db->nindexes)
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_INDEX, "no index with id %u", index_id);
    *table = db->tables[db->indexes[pos].table];
    *index = db->indexes[pos].index;
    return ST_OK;
}

uint32_t db_index_id(const Db *db, uint32_t table_id, uint32_t index)
{
    uint32_t pos = table_id - DB_FIRST_ID;
    for (uint32_t i = 0; i < db->nindexes; i++)
        if (db->indexes[i].table == pos && db->indexes[i].index == index)
            return DB_FIRST_ID + i;
    return 0;
}

/* Every name of every table maps back to it, and nothing else is named. */
static Status check_names(const Db *db, char *msg, size_t msglen)
{
    size_t expect = 0;
    uint32_t ipos = 0;
    for (uint32_t p = 0; p < db->ntables; p++) {
        const Table *t = db->tables[p];
        for (uint32_t i = 0; i < name_count(t); i++) {
            uint64_t kind;
            const char *name = name_at(t, i, &kind);
            uint32_t found;
            if (!name)
                continue;
            expect++;
            uint32_t want = kind == NAME_INDEX ? ipos + (i - 1) / 2 : p;
            if (!lookup(db, name, strlen(name), kind, &found) || found != want) {
                snprintf(msg, msglen, "name %s does not map to its object", name);
                return ST_INVALID;
            }
        }
        ipos += table_index_count(t);
    }
    if (hashidx_count(db->names) != expect || ipos != db->nindexes) {
        snprintf(msg, msglen, "%zu names for %zu objects", hashidx_count(db->names), expect);
        return ST_INVALID;
    }
    return ST_OK;
}

Status db_check(Db *db, char *msg, size_t msglen)
{
    char dummy[1];
    if (!msg)
        msg = dummy, msglen = sizeof dummy;
    Status st = check_names(db, msg, msglen);
    for (uint32_t i = 0; i < db->ntables && st == ST_OK; i++) {
        if (table_tx_dirty(db->tables[i]) && !db->in_tx) {
            snprintf(msg, msglen, "table %s has undo records outside a transaction",
                     table_name(db->tables[i]));
            return ST_INVALID;
        }
        st = table_check(db->tables[i], msg, msglen);
    }
    return st;
}

size_t db_memory(const Db *db)
{
    size_t n = sizeof *db + hashidx_memory(db->names) + db->tcap * sizeof *db->tables +
               db->icap * sizeof *db->indexes;
    for (uint32_t i = 0; i < db->ntables; i++)
        n += table_memory(db->tables[i], NULL);
    return n;
}
