/*
 * db.h - a database: its tables, found by id or by name.
 *
 * One Db holds the tables of one SpacetimeDB database (one module).  The
 * host creates a table for each table of the module def, in def order;
 * tables and indexes get ids in that order, counting from DB_FIRST_ID:
 *
 *   def: tables [player (2 indexes), item (1 index)]
 *   ids: player 4097, item 4098;  player's indexes 4097, 4098, item's 4099
 *
 * (SpacetimeDB reserves the ids up to 4096 for its system tables and
 * numbers user objects from 4097; we do the same so that ids look
 * familiar in traces.  Modules treat ids as opaque.)  Table, index,
 * constraint and sequence names share one namespace per database
 * (module-abi.md 5.2) and must all differ.
 *
 * The name lookups are the ABI's table_id_from_name and
 * index_id_from_name; they are hash lookups because C# modules look an
 * index up on every use.  Those imports also need an open transaction
 * (NOT_IN_TRANSACTION otherwise): the host checks tx_is_open (tx.h).
 *
 * Invariants (db_check): names maps every name to its object exactly;
 * every table passes table_check; no table is in a transaction unless
 * the Db is.
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_DB_DB_H
#define TINYSTDB_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dberror.h"
#include "hashidx.h"
#include "table.h"

#define DB_FIRST_ID 4097

typedef struct DbIndexRef {
    uint32_t table;               /* position of the table */
    uint32_t index;               /* position of the index in the table */
} DbIndexRef;

/* Fields are private to db.c and tx.c. */
typedef struct Db {
    Table **tables;               /* table id = DB_FIRST_ID + position */
    uint32_t ntables, tcap;
    DbIndexRef *indexes;          /* index id = DB_FIRST_ID + position */
    uint32_t nindexes;
    size_t icap;
    HashIndex *names;             /* name bytes -> kind << 32 | position */
    bool in_tx;
} Db;

Status db_new(Db **out);
void db_free(Db *db);

/* Create a table from s (see table_new), not during a transaction.
 * ST_EXISTS when one of its names is taken; *table_id (may be NULL)
 * receives its id. */
Status db_create_table(Db *db, const TableSchema *s, uint32_t *table_id, DbError *err);

uint32_t db_table_count(const Db *db);
/* The table with this id, or NULL. */
Table *db_table(const Db *db, uint32_t table_id);

/* table_id_from_name: ST_NOT_FOUND + NO_SUCH_TABLE if unknown. */
Status db_table_id_from_name(const Db *db, const char *name, size_t len, uint32_t *table_id,
                             DbError *err);
/* index_id_from_name: ST_NOT_FOUND + NO_SUCH_INDEX if unknown. */
Status db_index_id_from_name(const Db *db, const char *name, size_t len, uint32_t *index_id,
                             DbError *err);
/* The table and position of an index id (NO_SUCH_INDEX if unknown). */
Status db_index(const Db *db, uint32_t index_id, Table **table, uint32_t *index, DbError *err);
/* The id of index `index` of table `table_id` (0 if there is none). */
uint32_t db_index_id(const Db *db, uint32_t table_id, uint32_t index);

/* Every invariant of every table, and the name map. */
Status db_check(Db *db, char *msg, size_t msglen);
/* Heap bytes held by all tables and the Db's own maps. */
size_t db_memory(const Db *db);

#endif
