/*
 * moddef_check.c - the validation rules of module-abi.md §5.3, per table.
 *
 * Decoding proved the bytes have the right shape; this file proves the
 * definition makes sense before the host builds anything from it.  The
 * order matters, because each step relies on the ones before:
 *
 *   1. every type reference resolves (typespace, reducer params, ...)
 *   2. each table's row type is a product; its elements become columns
 *   3. every column position in the table's def is in range
 *   4. then the rules that compare things: unique constraints have an
 *      index over the same column set, the primary key has a unique
 *      constraint, sequences sit on integer columns, a schedule's column
 *      is a ScheduleAt and its reducer takes the row
 *   5. names are generated for whatever the module left unnamed (§5.2)
 *
 * Module-wide rules (reducers, lifecycles, misc exports, one namespace
 * for all names) are in moddef_module.c.  Every failure is ST_INVALID with
 * a message naming the table and the object, e.g.
 *   table "player": primary key column 7 out of range (the row has 3 columns)
 *
 * Hostile definitions: the pairwise comparisons below (constraints
 * against indexes) are quadratic, so tables are limited to
 * MODDEF_MAX_PER_TABLE indexes, constraints and sequences, and key column
 * lists to MODDEF_MAX_KEY_COLS; real modules are far below both.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_int.h"

#include <string.h>

#define MODDEF_MAX_PER_TABLE 256
#define MODDEF_MAX_KEY_COLS 64

#define FAIL(err, ...) moddef_error((err), ST_INVALID, __VA_ARGS__)

/* ---- types ---------------------------------------------------------------- */

/* Every Ref inside t resolves.  Decoded trees are at most ALG_MAX_DEPTH
 * deep (plus one product level for params), so the recursion is bounded. */
Status moddef_check_refs(const ModuleDef *def, const AlgType *t, const char *where,
                         ModError *err)
{
    if (t->kind == ALG_REF) {
        if (alg_resolve(&def->ts, t))
            return ST_OK;
        return FAIL(err, "%s: type ref &%u does not resolve (%s; the typespace has %u types)",
                    where, t->ref, t->ref < def->ts.ntypes ? "a cycle of refs" : "dangling",
                    def->ts.ntypes);
    }
    if (t->kind == ALG_ARRAY)
        return moddef_check_refs(def, t->elem, where, err);
    for (uint32_t i = 0; i < t->nmembers; i++) {
        Status st = moddef_check_refs(def, t->members[i].type, where, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Structural equality after resolving refs.  Two distinct recursive types
 * could make the comparison branch at every level, so besides the depth
 * bound a budget of steps keeps hostile definitions from taking forever;
 * running out counts as "different". */
static bool same_type(const Typespace *ts, const AlgType *a, const AlgType *b, unsigned depth,
                      unsigned *budget)
{
    a = alg_resolve(ts, a);
    b = alg_resolve(ts, b);
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind || a->nmembers != b->nmembers || depth > ALG_MAX_DEPTH ||
        (*budget)-- == 0)
        return false;
    if (a->kind == ALG_ARRAY)
        return same_type(ts, a->elem, b->elem, depth + 1, budget);
    for (uint32_t i = 0; i < a->nmembers; i++) {
        const char *na = a->members[i].name, *nb = b->members[i].name;
        if ((!na) != (!nb) || (na && strcmp(na, nb) != 0) ||
            !same_type(ts, a->members[i].type, b->members[i].type, depth + 1, budget))
            return false;
    }
    return true;
}

bool moddef_same_type(const Typespace *ts, const AlgType *a, const AlgType *b)
{
    unsigned budget = 1u << 16;
    return same_type(ts, a, b, 0, &budget);
}

/* ---- columns ------------------------------------------------------------ */

static Status setup_columns(ModuleDef *def, ModTable *t, ModError *err)
{
    if (t->row_ref >= def->ts.ntypes)
        return FAIL(err, "table \"%s\": product_type_ref &%u is out of range (the typespace has %u types)",
                    t->name, t->row_ref, def->ts.ntypes);
    const AlgType *row = alg_resolve(&def->ts, def->ts.types[t->row_ref]);
    if (!row || row->kind != ALG_PRODUCT)
        return FAIL(err, "table \"%s\": row type &%u is %s, not a product", t->name, t->row_ref,
                    row ? alg_kind_name(row->kind) : "unresolvable");
    if (row->nmembers > UINT16_MAX)
        return FAIL(err, "table \"%s\": %u columns (at most %u)", t->name, row->nmembers, UINT16_MAX);
    t->row_type = row;
    t->ncols = (uint16_t)row->nmembers;
    t->cols = arena_calloc(&def->arena, t->ncols ? t->ncols : 1, sizeof *t->cols);
    if (!t->cols)
        return moddef_error(err, ST_NOMEM, "out of memory");
    for (uint16_t i = 0; i < t->ncols; i++) {
        const char *name = row->members[i].name;
        if (name && !moddef_is_identifier(name))
            return FAIL(err, "table \"%s\": column %u name \"%s\" is not a valid identifier",
                        t->name, i, name);
        t->cols[i].name = name ? name : moddef_strf(def, "col_%u", i);
        t->cols[i].type = row->members[i].type;
        if (!t->cols[i].name)
            return moddef_error(err, ST_NOMEM, "out of memory");
        for (uint16_t j = 0; j < i; j++)
            if (strcmp(t->cols[j].name, t->cols[i].name) == 0)
                return FAIL(err, "table \"%s\": duplicate column name \"%s\" (columns %u and %u)",
                            t->name, t->cols[i].name, j, i);
    }
    return ST_OK;
}

/* A non-empty list of in-range columns.  what: "index 0", "unique constraint 1". */
static Status check_cols(const ModTable *t, ModCols cols, const char *what, uint32_t i,
                         ModError *err)
{
    if (cols.n == 0)
        return FAIL(err, "table \"%s\": %s %u has no columns", t->name, what, i);
    if (cols.n > MODDEF_MAX_KEY_COLS)
        return FAIL(err, "table \"%s\": %s %u has %u columns (at most %d)", t->name, what, i,
                    cols.n, MODDEF_MAX_KEY_COLS);
    for (uint16_t k = 0; k < cols.n; k++)
        if (cols.cols[k] >= t->ncols)
            return FAIL(err, "table \"%s\": %s %u: column %u out of range (the row has %u columns)",
                        t->name, what, i, cols.cols[k], t->ncols);
    return ST_OK;
}

static const AlgType *col_type(const ModuleDef *def, const ModTable *t, uint16_t col)
{
    return alg_resolve(&def->ts, t->cols[col].type);
}

/* ---- indexes, constraints, primary key ------------------------------------ */

/* Direct indexes (an array slot per key value) need a small unsigned key:
 * u8..u64, or an enum whose variants all carry nothing. */
static bool direct_ok(const AlgType *t)
{
    if (t->kind == ALG_U8 || t->kind == ALG_U16 || t->kind == ALG_U32 || t->kind == ALG_U64)
        return true;
    if (t->kind != ALG_SUM)
        return false;
    for (uint32_t i = 0; i < t->nmembers; i++) {
        const AlgType *v = t->members[i].type;
        if (v->kind != ALG_PRODUCT || v->nmembers != 0)
            return false;
    }
    return true;
}

static Status check_indexes(const ModuleDef *def, const ModTable *t, ModError *err)
{
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const ModIndex *ix = &t->indexes[i];
        Status st = check_cols(t, ix->cols, "index", i, err);
        if (st != ST_OK)
            return st;
        if (ix->algo == INDEX_DIRECT && !direct_ok(col_type(def, t, ix->cols.cols[0])))
            return FAIL(err, "table \"%s\": direct index %u on column \"%s\" needs u8, u16, u32, "
                        "u64 or a unit-only enum", t->name, i, t->cols[ix->cols.cols[0]].name);
    }
    return ST_OK;
}

static bool contains(ModCols c, uint16_t col)
{
    for (uint16_t i = 0; i < c.n; i++)
        if (c.cols[i] == col)
            return true;
    return false;
}

/* Same column *set* (order and repeats ignored). */
static bool same_set(ModCols a, ModCols b)
{
    for (uint16_t i = 0; i < a.n; i++)
        if (!contains(b, a.cols[i]))
            return false;
    for (uint16_t i = 0; i < b.n; i++)
        if (!contains(a, b.cols[i]))
            return false;
    return true;
}

static Status check_uniques(const ModTable *t, ModError *err)
{
    for (uint32_t i = 0; i < t->nuniques; i++) {
        const ModUnique *u = &t->uniques[i];
        Status st = check_cols(t, u->cols, "unique constraint", i, err);
        if (st != ST_OK)
            return st;
        bool indexed = false;
        for (uint32_t j = 0; j < t->nindexes && !indexed; j++)
            indexed = same_set(u->cols, t->indexes[j].cols);
        if (!indexed)
            return FAIL(err, "table \"%s\": unique constraint %u on column \"%s\"%s has no index "
                        "over the same columns", t->name, i, t->cols[u->cols.cols[0]].name,
                        u->cols.n > 1 ? ", ..." : "");
    }
    return ST_OK;
}

static Status check_pk(ModTable *t, ModError *err)
{
    t->primary_key = MOD_NO_PK;
    if (t->pk.n == 0)
        return ST_OK;
    if (t->pk.n > 1)
        return FAIL(err, "table \"%s\": primary key has %u columns (at most 1)", t->name, t->pk.n);
    uint16_t col = t->pk.cols[0];
    if (col >= t->ncols)
        return FAIL(err, "table \"%s\": primary key column %u out of range (the row has %u columns)",
                    t->name, col, t->ncols);
    for (uint32_t i = 0; i < t->nuniques; i++) {
        if (t->uniques[i].cols.n == 1 && t->uniques[i].cols.cols[0] == col) {
            t->primary_key = col;
            return ST_OK;
        }
    }
    return FAIL(err, "table \"%s\": primary key \"%s\" has no unique constraint on exactly that column",
                t->name, t->cols[col].name);
}

/* ---- sequences ---------------------------------------------------------- */

static Status check_sequence(const ModuleDef *def, const ModTable *t, ModSequence *s, uint32_t i,
                             ModError *err)
{
    if (s->col >= t->ncols)
        return FAIL(err, "table \"%s\": sequence %u: column %u out of range (the row has %u columns)",
                    t->name, i, s->col, t->ncols);
    const char *col = t->cols[s->col].name;
    const AlgType *ty = col_type(def, t, s->col);
    if (!sequence_kind_ok(ty->kind))
        return FAIL(err, "table \"%s\": sequence on column \"%s\" of type %s (an integer type is needed)",
                    t->name, col, alg_kind_name(ty->kind));
    for (uint32_t j = 0; j < i; j++)
        if (t->sequences[j].col == s->col)
            return FAIL(err, "table \"%s\": two sequences on column \"%s\"", t->name, col);
    if (s->increment.lo == 0 && s->increment.hi == 0)
        return FAIL(err, "table \"%s\": sequence on column \"%s\" has increment 0", t->name, col);
    /* §7.2 defaults; the bounds are then checked as they will be used. */
    if (!s->has_start)
        s->start = i128_from_i64(1);
    if (!s->has_min)
        s->min = i128_from_i64(1);
    if (!s->has_max)
        s->max = I128_MAX;
    if (i128_cmp(s->min, s->start) > 0 || i128_cmp(s->start, s->max) > 0)
        return FAIL(err, "table \"%s\": sequence on column \"%s\" breaks min <= start <= max",
                    t->name, col);
    return ST_OK;
}

/* ---- schedules ---------------------------------------------------------- */

/* The reducer (or, in 1.11, procedure) a schedule names, and its params. */
static const AlgType *scheduled_params(const ModuleDef *def, const char *name)
{
    const ModReducer *r = moddef_find_reducer(def, name);
    if (r)
        return r->params;
    for (uint32_t i = 0; i < def->nmisc; i++)
        if (def->misc[i].kind == MOD_MISC_PROCEDURE && strcmp(def->misc[i].name, name) == 0)
            return def->misc[i].params;
    return NULL;
}

static Status check_schedule(const ModuleDef *def, const ModTable *t, ModError *err)
{
    const ModSchedule *s = &t->schedule;
    if (s->at_col >= t->ncols)
        return FAIL(err, "table \"%s\": scheduled_at column %u out of range (the row has %u columns)",
                    t->name, s->at_col, t->ncols);
    if (alg_special(t->cols[s->at_col].type) != ALG_SPECIAL_SCHEDULE_AT)
        return FAIL(err, "table \"%s\": scheduled_at column \"%s\" is not a ScheduleAt", t->name,
                    t->cols[s->at_col].name);
    if (t->primary_key == MOD_NO_PK || col_type(def, t, (uint16_t)t->primary_key)->kind != ALG_U64)
        return FAIL(err, "table \"%s\": a scheduled table needs a u64 primary key", t->name);
    const AlgType *params = scheduled_params(def, s->reducer);
    if (!params)
        return FAIL(err, "table \"%s\": scheduled reducer \"%s\" does not exist", t->name, s->reducer);
    if (params->nmembers != 1 ||
        !moddef_same_type(&def->ts, params->members[0].type, t->row_type))
        return FAIL(err, "table \"%s\": scheduled reducer \"%s\" must take exactly one argument, "
                    "the table's row", t->name, s->reducer);
    return ST_OK;
}

/* ---- one table ------------------------------------------------------------ */

static Status check_counts(const ModTable *t, ModError *err)
{
    if (t->nindexes > MODDEF_MAX_PER_TABLE || t->nuniques > MODDEF_MAX_PER_TABLE ||
        t->nsequences > MODDEF_MAX_PER_TABLE)
        return FAIL(err, "table \"%s\": more than %d indexes, constraints or sequences", t->name,
                    MODDEF_MAX_PER_TABLE);
    return ST_OK;
}

/* §5.2: a name for everything the module left unnamed. */
static Status name_objects(ModuleDef *def, ModTable *t, ModError *err)
{
    bool ok = true;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        ModIndex *ix = &t->indexes[i];
        if (!ix->name) {
            ix->generated = true;
            ok = ok && (ix->name = moddef_index_name(def, t, ix->algo, ix->cols));
        }
    }
    for (uint32_t i = 0; i < t->nuniques; i++) {
        ModUnique *u = &t->uniques[i];
        if (!u->name) {
            u->generated = true;
            ok = ok && (u->name = moddef_unique_name(def, t, u->cols));
        }
    }
    for (uint32_t i = 0; i < t->nsequences; i++) {
        ModSequence *s = &t->sequences[i];
        if (!s->name) {
            s->generated = true;
            ok = ok && (s->name = moddef_sequence_name(def, t, s->col));
        }
    }
    if (t->scheduled && !t->schedule.name) {
        t->schedule.generated = true;
        ok = ok && (t->schedule.name = moddef_schedule_name(def, t));
    }
    return ok ? ST_OK : moddef_error(err, ST_NOMEM, "out of memory");
}

Status moddef_check_table(ModuleDef *def, ModTable *t, ModError *err)
{
    Status st;
    if (!moddef_is_identifier(t->name))
        return FAIL(err, "table name \"%s\" is not a valid identifier", t->name);
    if (t->type == MOD_TABLE_USER && strncmp(t->name, "st_", 3) == 0)
        return FAIL(err, "table \"%s\": user table names must not start with \"st_\" (reserved "
                    "for system tables)", t->name);
    if ((st = check_counts(t, err)) != ST_OK || (st = setup_columns(def, t, err)) != ST_OK ||
        (st = check_indexes(def, t, err)) != ST_OK || (st = check_uniques(t, err)) != ST_OK ||
        (st = check_pk(t, err)) != ST_OK)
        return st;
    for (uint32_t i = 0; i < t->nsequences; i++)
        if ((st = check_sequence(def, t, &t->sequences[i], i, err)) != ST_OK)
            return st;
    if (t->scheduled && (st = check_schedule(def, t, err)) != ST_OK)
        return st;
    return name_objects(def, t, err);
}
