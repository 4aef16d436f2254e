/*
 * moddef_module.c - module-wide validation (module-abi.md §5.3), the
 * storage schemas, and the ModuleDef invariant checker.
 *
 * moddef_validate runs, in this order (each step may rely on the ones
 * before it):
 *
 *   typespace refs -> type defs -> reducers -> procedure/view types
 *     -> every table (moddef_check.c) -> column defaults
 *     -> one namespace for table/index/constraint/sequence/schedule names,
 *        one for reducers, one for type names
 *     -> the TableSchema of every table, ready for table_new
 *
 * Duplicate names are found by sorting the names (O(n log n)) rather than
 * comparing every pair, so a definition with a million indexes costs a
 * sort, not a trillion comparisons.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/bsatn.h"
#include "../util/alloc.h"
#include "../util/check.h"

#define FAIL(err, ...) moddef_error((err), ST_INVALID, __VA_ARGS__)

/* ---- types and reducers --------------------------------------------------- */

static Status check_typespace(const ModuleDef *def, ModError *err)
{
    char where[48];
    for (uint32_t i = 0; i < def->ts.ntypes; i++) {
        snprintf(where, sizeof where, "typespace entry &%u", i);
        Status st = moddef_check_refs(def, def->ts.types[i], where, err);
        if (st != ST_OK)
            return st;
    }
    for (uint32_t i = 0; i < def->ntypes; i++) {
        const ModTypeDef *td = &def->types[i];
        if (td->ref >= def->ts.ntypes)
            return FAIL(err, "type \"%s\": ref &%u is out of range (the typespace has %u types)",
                        td->name, td->ref, def->ts.ntypes);
        if (!td->name[0])
            return FAIL(err, "type def %u has an empty name", i);
    }
    return ST_OK;
}

/* Params of a reducer, procedure or view: refs resolve, every element named. */
static Status check_params(const ModuleDef *def, const AlgType *params, const char *kind,
                           const char *name, ModError *err)
{
    char where[160];
    snprintf(where, sizeof where, "%s \"%.100s\"", kind, name);
    if (!moddef_is_identifier(name))
        return FAIL(err, "%s name \"%s\" is not a valid identifier", kind, name);
    Status st = moddef_check_refs(def, params, where, err);
    for (uint32_t i = 0; i < params->nmembers && st == ST_OK; i++) {
        const char *p = params->members[i].name;
        if (!p)
            return FAIL(err, "%s: parameter %u has no name", where, i);
        if (!moddef_is_identifier(p))
            return FAIL(err, "%s: parameter name \"%s\" is not a valid identifier", where, p);
    }
    return st;
}

static Status check_reducers(const ModuleDef *def, ModError *err)
{
    const ModReducer *seen[4] = {0};   /* one per lifecycle kind */
    for (uint32_t i = 0; i < def->nreducers; i++) {
        const ModReducer *r = &def->reducers[i];
        Status st = check_params(def, r->params, "reducer", r->name, err);
        if (st != ST_OK)
            return st;
        if (r->lifecycle == MOD_LIFECYCLE_NONE)
            continue;
        if (seen[r->lifecycle])
            return FAIL(err, "reducers \"%s\" and \"%s\" are both the %s reducer (at most one)",
                        seen[r->lifecycle]->name, r->name, moddef_lifecycle_name(r->lifecycle));
        seen[r->lifecycle] = r;
    }
    return ST_OK;
}

static Status check_misc_types(const ModuleDef *def, ModError *err)
{
    for (uint32_t i = 0; i < def->nmisc; i++) {
        const ModMisc *m = &def->misc[i];
        if (m->kind == MOD_MISC_COLUMN_DEFAULT)
            continue;
        const char *kind = m->kind == MOD_MISC_VIEW ? "view" : "procedure";
        Status st = check_params(def, m->params, kind, m->name, err);
        if (st == ST_OK)
            st = moddef_check_refs(def, m->ret, m->name, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* ColumnDefaultValue: the table and column exist, the bytes are one value. */
static Status check_defaults(const ModuleDef *def, ModError *err)
{
    for (uint32_t i = 0; i < def->nmisc; i++) {
        const ModMisc *m = &def->misc[i];
        if (m->kind != MOD_MISC_COLUMN_DEFAULT)
            continue;
        const ModTable *t = moddef_find_table(def, m->name);
        if (!t)
            return FAIL(err, "column default for unknown table \"%s\"", m->name);
        if (m->col >= t->ncols)
            return FAIL(err, "table \"%s\": column default for column %u, out of range (the row "
                        "has %u columns)", t->name, m->col, t->ncols);
        DbError dberr = {0};
        if (bsatn_validate_exact(&def->ts, t->cols[m->col].type, m->value, m->value_len,
                                 &dberr) != ST_OK)
            return FAIL(err, "table \"%s\": default value of column \"%s\" does not decode: %s",
                        t->name, t->cols[m->col].name, dberr.msg);
    }
    return ST_OK;
}

/* ---- names ---------------------------------------------------------------- */

typedef struct NameEntry {
    const char *name;
    const char *kind;       /* "a table", "an index", ... */
    const char *owner;      /* its table, or "" */
} NameEntry;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const NameEntry *)a)->name, ((const NameEntry *)b)->name);
}

static Status check_duplicates(NameEntry *e, size_t n, ModError *err)
{
    qsort(e, n, sizeof *e, cmp_entry);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(e[i - 1].name, e[i].name) != 0)
            continue;
        const NameEntry *a = &e[i - 1], *b = &e[i];
        return FAIL(err, "duplicate name \"%s\": %s%s%s and %s%s%s", a->name, a->kind,
                    a->owner[0] ? " of table " : "", a->owner, b->kind,
                    b->owner[0] ? " of table " : "", b->owner);
    }
    return ST_OK;
}

#define ADD(nm, kd, ow) (e[n++] = (NameEntry){ (nm), (kd), (ow) })

/* Tables and everything named inside them share one namespace (§5.2). */
static Status check_table_names(const ModuleDef *def, ModError *err)
{
    size_t total = def->ntables;
    for (uint32_t i = 0; i < def->ntables; i++)
        total += (size_t)def->tables[i].nindexes + def->tables[i].nuniques +
                 def->tables[i].nsequences + 1;
    NameEntry *e = mem_alloc_array(total ? total : 1, sizeof *e);
    if (!e)
        return moddef_error(err, ST_NOMEM, "out of memory");
    size_t n = 0;
    for (uint32_t i = 0; i < def->ntables; i++) {
        const ModTable *t = &def->tables[i];
        ADD(t->name, "a table", "");
        for (uint32_t j = 0; j < t->nindexes; j++)
            ADD(t->indexes[j].name, "an index", t->name);
        for (uint32_t j = 0; j < t->nuniques; j++)
            ADD(t->uniques[j].name, "a unique constraint", t->name);
        for (uint32_t j = 0; j < t->nsequences; j++)
            ADD(t->sequences[j].name, "a sequence", t->name);
        if (t->scheduled)
            ADD(t->schedule.name, "the schedule", t->name);
    }
    Status st = check_duplicates(e, n, err);
    mem_free(e);
    return st;
}

/* Reducers, procedures and views are called by name: one namespace. */
static Status check_callable_names(const ModuleDef *def, ModError *err)
{
    NameEntry *e = mem_alloc_array((size_t)def->nreducers + def->nmisc + 1, sizeof *e);
    if (!e)
        return moddef_error(err, ST_NOMEM, "out of memory");
    size_t n = 0;
    for (uint32_t i = 0; i < def->nreducers; i++)
        ADD(def->reducers[i].name, "a reducer", "");
    for (uint32_t i = 0; i < def->nmisc; i++)
        if (def->misc[i].kind != MOD_MISC_COLUMN_DEFAULT)
            ADD(def->misc[i].name, def->misc[i].kind == MOD_MISC_VIEW ? "a view" : "a procedure", "");
    Status st = check_duplicates(e, n, err);
    mem_free(e);
    return st;
}

/* Type names compare with their scope: "a::b::Name". */
static Status check_type_names(ModuleDef *def, ModError *err)
{
    NameEntry *e = mem_alloc_array((size_t)def->ntypes + 1, sizeof *e);
    if (!e)
        return moddef_error(err, ST_NOMEM, "out of memory");
    size_t n = 0;
    Status st = ST_OK;
    for (uint32_t i = 0; i < def->ntypes && st == ST_OK; i++) {
        const ModTypeDef *td = &def->types[i];
        const char *full = td->name;
        for (uint32_t k = td->nscope; k-- > 0 && full;)
            full = moddef_strf(def, "%s::%s", td->scope[k], full);
        if (!full)
            st = moddef_error(err, ST_NOMEM, "out of memory");
        else
            ADD(full, "a type", "");
    }
    if (st == ST_OK)
        st = check_duplicates(e, n, err);
    mem_free(e);
    return st;
}

/* ---- storage schemas -------------------------------------------------------- */

static Status build_schema(ModuleDef *def, ModTable *t, ModError *err)
{
    TableSchema *s = &t->schema;
    IndexSchema *ix = arena_calloc(&def->arena, t->nindexes + 1, sizeof *ix);
    UniqueSchema *u = arena_calloc(&def->arena, t->nuniques + 1, sizeof *u);
    SequenceSchema *sq = arena_calloc(&def->arena, t->nsequences + 1, sizeof *sq);
    if (!ix || !u || !sq)
        return moddef_error(err, ST_NOMEM, "out of memory");
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const ModIndex *m = &t->indexes[i];
        ix[i] = (IndexSchema){ m->name, m->algo, m->cols.cols, m->cols.n };
    }
    for (uint32_t i = 0; i < t->nuniques; i++)
        u[i] = (UniqueSchema){ t->uniques[i].name, t->uniques[i].cols.cols, t->uniques[i].cols.n };
    for (uint32_t i = 0; i < t->nsequences; i++) {
        const ModSequence *m = &t->sequences[i];
        sq[i] = (SequenceSchema){ .name = m->name, .col = m->col, .has_start = true,
                                  .has_min = true, .has_max = true, .start = m->start,
                                  .min = m->min, .max = m->max, .increment = m->increment };
    }
    *s = (TableSchema){ .name = t->name, .ts = &def->ts, .row_type = t->row_type,
                        .primary_key = t->primary_key, .indexes = ix, .nindexes = t->nindexes,
                        .uniques = u, .nuniques = t->nuniques, .sequences = sq,
                        .nsequences = t->nsequences, .is_public = t->access == MOD_ACCESS_PUBLIC,
                        .schedule_reducer = t->scheduled ? t->schedule.reducer : NULL,
                        .schedule_at_col = t->schedule.at_col };
    return ST_OK;
}

/* ---- the whole module ----------------------------------------------------- */

Status moddef_validate(ModuleDef *def, ModError *err)
{
    Status st;
    if ((st = check_typespace(def, err)) != ST_OK || (st = check_reducers(def, err)) != ST_OK ||
        (st = check_misc_types(def, err)) != ST_OK)
        return st;
    for (uint32_t i = 0; i < def->ntables; i++)
        if ((st = moddef_check_table(def, &def->tables[i], err)) != ST_OK)
            return st;
    if ((st = check_defaults(def, err)) != ST_OK || (st = check_table_names(def, err)) != ST_OK ||
        (st = check_callable_names(def, err)) != ST_OK || (st = check_type_names(def, err)) != ST_OK)
        return st;
    for (uint32_t i = 0; i < def->ntables; i++)
        if ((st = build_schema(def, &def->tables[i], err)) != ST_OK)
            return st;
    return ST_OK;
}

/* ---- invariants (for tests) ------------------------------------------------- */

static bool cols_ok(ModCols c, uint16_t ncols)
{
    for (uint16_t i = 0; i < c.n; i++)
        if (c.cols[i] >= ncols)
            return false;
    return c.n > 0;
}

static Status check_table_inv(const ModTable *t, char *msg, size_t msglen)
{
    CHECK(t->name && t->row_type && t->row_type->kind == ALG_PRODUCT, "table without name or row");
    CHECK(t->row_type->nmembers == t->ncols && t->cols, "table %s: column count", t->name);
    for (uint16_t i = 0; i < t->ncols; i++)
        CHECK(t->cols[i].name && t->cols[i].type, "table %s: column %u", t->name, i);
    CHECK(t->primary_key == MOD_NO_PK || (t->primary_key >= 0 && t->primary_key < t->ncols),
          "table %s: primary key", t->name);
    for (uint32_t i = 0; i < t->nindexes; i++)
        CHECK(t->indexes[i].name && cols_ok(t->indexes[i].cols, t->ncols), "table %s: index %u",
              t->name, i);
    for (uint32_t i = 0; i < t->nuniques; i++)
        CHECK(t->uniques[i].name && cols_ok(t->uniques[i].cols, t->ncols),
              "table %s: unique %u", t->name, i);
    for (uint32_t i = 0; i < t->nsequences; i++) {
        const ModSequence *s = &t->sequences[i];
        CHECK(s->name && s->col < t->ncols && i128_cmp(s->min, s->start) <= 0 &&
              i128_cmp(s->start, s->max) <= 0, "table %s: sequence %u", t->name, i);
    }
    CHECK(!t->scheduled || (t->schedule.name && t->schedule.reducer && t->schedule.at_col < t->ncols),
          "table %s: schedule", t->name);
    CHECK(t->schema.name == t->name && t->schema.nindexes == t->nindexes &&
          t->schema.nuniques == t->nuniques && t->schema.nsequences == t->nsequences,
          "table %s: storage schema out of step", t->name);
    return ST_OK;
}

Status moddef_check(const ModuleDef *def, char *msg, size_t msglen)
{
    CHECK(def->version == 8 || def->version == 9, "version %d", def->version);
    Status st = typespace_check(&def->ts, msg, msglen);
    if (st != ST_OK)
        return st;
    for (uint32_t i = 0; i < def->ntables; i++)
        if ((st = check_table_inv(&def->tables[i], msg, msglen)) != ST_OK)
            return st;
    for (uint32_t i = 0; i < def->nreducers; i++) {
        const ModReducer *r = &def->reducers[i];
        CHECK(r->name && r->id == i && r->params && r->params->kind == ALG_PRODUCT &&
              r->lifecycle <= MOD_LIFECYCLE_CLIENT_DISCONNECTED, "reducer %u", i);
    }
    for (uint32_t i = 0; i < def->ntypes; i++)
        CHECK(def->types[i].name && def->types[i].ref < def->ts.ntypes, "type def %u", i);
    return ST_OK;
}
