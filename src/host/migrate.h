/*
 * migrate.h - republishing a module over a database that has data: the
 * plan (what changes, and is that allowed?) and its execution.
 *
 * A database outlives its module: the owner publishes version 2 of the
 * code and expects the accounts of version 1 to still be there.  Whether
 * that is possible depends only on the two module definitions, so the
 * decision is a PURE function of them (migrate.c):
 *
 *   old ModuleDef ─┐
 *                  ├─ migrate_plan ─► steps  (add table, add index, ...)
 *   new ModuleDef ─┘                  errors (remove table, add column, ...)
 *
 * The rules are SpacetimeDB 1.x's automatic migration (crates/schema/src/
 * auto_migrate.rs, chapter 29): tables, columns, indexes, constraints,
 * sequences and schedules are matched BY NAME, never by position.  Only
 * changes that cannot lose or invalidate a stored row are steps; every
 * other difference is an error naming the table, column, index or
 * constraint, and ALL of them are listed, not just the first.  Reducers
 * are code, not schema: they may change freely.
 *
 * Executing a plan without errors (migrate_apply.c) fills the new
 * module's tables, created empty from the new definition, with the old
 * tables' rows, matched by name; indexes are built by the inserts and
 * sequence positions carried over by name.  The old database is only
 * read, so a failure leaves it as it was.
 *
 * Invariants (migrate_plan_check): steps sorted by kind, every REMOVE
 * before every ADD (SpacetimeDB's order: an index re-added under its old
 * name must be dropped first); every step names an object of the old
 * definition (REMOVE_*) or the new one (ADD_*, CHANGE_ACCESS).
 *
 * Book: chapter 29, book/29-republish.md
 */
#ifndef TINYSTDB_HOST_MIGRATE_H
#define TINYSTDB_HOST_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../db/db.h"
#include "../util/arena.h"
#include "../util/status.h"
#include "../util/vec.h"
#include "moddef.h"

/* In execution order (removes before adds), as AutoMigrateStep. */
typedef enum MigrateStepKind {
    MIGRATE_REMOVE_INDEX,
    MIGRATE_REMOVE_UNIQUE,
    MIGRATE_REMOVE_SEQUENCE,
    MIGRATE_REMOVE_SCHEDULE,
    MIGRATE_REMOVE_RLS,
    MIGRATE_ADD_TABLE,        /* with its indexes, constraints, sequences */
    MIGRATE_ADD_INDEX,
    MIGRATE_ADD_SEQUENCE,     /* precheck: no stored value in its range */
    MIGRATE_ADD_SCHEDULE,
    MIGRATE_ADD_RLS,
    MIGRATE_CHANGE_ACCESS,
} MigrateStepKind;

typedef struct MigrateStep {
    MigrateStepKind kind;
    const char *table;        /* the table (NULL for RLS) */
    const char *name;         /* the index/constraint/sequence/schedule, the
                                 RLS SQL; NULL for ADD_TABLE, CHANGE_ACCESS */
} MigrateStep;

/* Why an automatic migration is impossible (AutoMigrateError). */
typedef enum MigrateErrorKind {
    MIGRATE_ERR_REMOVE_TABLE,
    MIGRATE_ERR_CHANGE_TABLE_TYPE,
    MIGRATE_ERR_ADD_COLUMN,
    MIGRATE_ERR_REMOVE_COLUMN,
    MIGRATE_ERR_REORDER_TABLE,
    MIGRATE_ERR_CHANGE_COLUMN_TYPE,
    MIGRATE_ERR_ADD_UNIQUE,
    MIGRATE_ERR_CHANGE_UNIQUE,
    MIGRATE_ERR_CHANGE_INDEX_ACCESSOR,
} MigrateErrorKind;

typedef struct MigrateError {
    MigrateErrorKind kind;
    const char *table;        /* the table concerned */
    const char *name;         /* the column, index or constraint (or NULL) */
    const char *text;         /* one line for a person, naming them */
} MigrateError;

typedef struct MigratePlan {
    const ModuleDef *old, *new;
    VEC(MigrateStep) steps;
    VEC(MigrateError) errors;
    Arena arena;              /* the error texts */
} MigratePlan;

void migrate_plan_init(MigratePlan *p);
void migrate_plan_fini(MigratePlan *p);

/* Compare old and new (both valid, moddef_decode) into p (initialised,
 * empty).  ST_OK: the migration is automatic, p->steps says how;
 * ST_INVALID: p->errors lists every reason it is not; ST_NOMEM.  p keeps
 * pointers into both definitions: they must outlive it. */
Status migrate_plan(const ModuleDef *old, const ModuleDef *new, MigratePlan *p);

/* The invariants above: ST_OK, or ST_INVALID and a message. */
Status migrate_plan_check(const MigratePlan *p, char *msg, size_t msglen);

/* "add table", "remove index", ... */
const char *migrate_step_name(MigrateStepKind k);

/* One line per step ("+ add index account_balance_idx_btree on account"),
 * or, when there are errors, one per error ("- Removing the table ...").
 * Appends to out. */
Status migrate_plan_format(const MigratePlan *p, StrBuf *out);

/* ---- migrate_apply.c ---- */

/* What migrate_apply did. */
typedef struct MigrateReport {
    uint32_t tables_kept;     /* tables whose rows were carried over */
    uint64_t rows;            /* rows copied */
} MigrateReport;

/* Execute p (which has no errors) from `from`, a database with p->old's
 * tables, into `to`, a database created from p->new with empty tables,
 * outside any transaction.  The prechecks first (an added sequence's
 * column must hold no value in the sequence's range), then every kept
 * table's rows and sequence positions.  `from` is only read.  Errors
 * (ST_INVALID: precheck, or a row the new table refuses) name the table
 * and leave `to` partly filled: the caller discards it. */
Status migrate_apply(const MigratePlan *p, Db *from, Db *to, MigrateReport *rep, char *err,
                     size_t errlen);

#endif
