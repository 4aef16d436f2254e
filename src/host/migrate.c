/*
 * migrate.c - the migration planner: compare two module definitions and
 * say how the database moves from the first to the second, or why it
 * cannot (migrate.h).
 *
 * The rules, from SpacetimeDB 1.x's ponder_auto_migrate
 * (crates/schema/src/auto_migrate.rs), object by object, each matched by
 * NAME in the two definitions:
 *
 *   object       only in new          only in old        in both, different
 *   ──────────   ──────────────────   ────────────────   ─────────────────────────
 *   table        ADD_TABLE            error              see below
 *   column       error                error              type: error; position:
 *                                                        error (reorder)
 *   index        ADD_INDEX            REMOVE_INDEX       accessor: error; algorithm
 *                                                        or columns: REMOVE + ADD
 *   unique       error (ok in a       REMOVE_UNIQUE      error
 *                new table)
 *   sequence     ADD_SEQUENCE         REMOVE_SEQUENCE    REMOVE + ADD (restarts)
 *   schedule     ADD_SCHEDULE         REMOVE_SCHEDULE    REMOVE + ADD
 *   table kind   -                    -                  user/system: error;
 *                                                        access: CHANGE_ACCESS
 *   RLS          every old one removed, every new one added
 *
 * Indexes, constraints and sequences of a NEW table are part of its
 * ADD_TABLE step.  Why these rules: a step never has to rewrite a stored
 * row.  Dropping an index or a constraint only forgets; adding an index
 * only reads; but a new unique constraint could be violated by rows
 * already stored, and a changed column would need every row rewritten,
 * which only the module's author knows how to do.
 *
 * Book: chapter 29, book/29-republish.md
 */
#include "migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"

void migrate_plan_init(MigratePlan *p)
{
    memset(p, 0, sizeof *p);
    arena_init(&p->arena);
}

void migrate_plan_fini(MigratePlan *p)
{
    vec_fini(&p->steps);
    vec_fini(&p->errors);
    arena_fini(&p->arena);
}

static const char *const STEP_NAMES[] = {
    [MIGRATE_REMOVE_INDEX] = "remove index",
    [MIGRATE_REMOVE_UNIQUE] = "remove unique constraint",
    [MIGRATE_REMOVE_SEQUENCE] = "remove sequence",
    [MIGRATE_REMOVE_SCHEDULE] = "remove schedule",
    [MIGRATE_REMOVE_RLS] = "remove row-level security",
    [MIGRATE_ADD_TABLE] = "add table",
    [MIGRATE_ADD_INDEX] = "add index",
    [MIGRATE_ADD_SEQUENCE] = "add sequence",
    [MIGRATE_ADD_SCHEDULE] = "add schedule",
    [MIGRATE_ADD_RLS] = "add row-level security",
    [MIGRATE_CHANGE_ACCESS] = "change access of table",
};

const char *migrate_step_name(MigrateStepKind k)
{
    return k <= MIGRATE_CHANGE_ACCESS ? STEP_NAMES[k] : "?";
}

static Status step(MigratePlan *p, MigrateStepKind kind, const char *table, const char *name)
{
    MigrateStep s = { .kind = kind, .table = table, .name = name };
    return vec_push(&p->steps, s);
}

static Status error(MigratePlan *p, MigrateErrorKind kind, const char *table, const char *name,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static Status error(MigratePlan *p, MigrateErrorKind kind, const char *table, const char *name,
                    const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    MigrateError e = { .kind = kind, .table = table, .name = name,
                       .text = arena_strndup(&p->arena, text, strlen(text)) };
    return e.text ? vec_push(&p->errors, e) : ST_NOMEM;
}

/* ---- comparing parts ------------------------------------------------------------ */

/* The same type, refs resolved in each definition's own typespace (a
 * type may sit at another typespace index in the new module). */
static bool same_type(const Typespace *ta, const AlgType *a, const Typespace *tb,
                      const AlgType *b, int depth)
{
    if (depth > ALG_MAX_DEPTH)
        return false;   /* a recursive type: counted as changed (conservative) */
    a = alg_resolve(ta, a);
    b = alg_resolve(tb, b);
    if (!a || !b || a->kind != b->kind || a->nmembers != b->nmembers)
        return false;
    if (a->kind == ALG_ARRAY)
        return same_type(ta, a->elem, tb, b->elem, depth + 1);
    for (uint32_t i = 0; i < a->nmembers; i++) {
        const char *na = a->members[i].name, *nb = b->members[i].name;
        if ((na == NULL) != (nb == NULL) || (na && strcmp(na, nb) != 0) ||
            !same_type(ta, a->members[i].type, tb, b->members[i].type, depth + 1))
            return false;
    }
    return true;
}

static bool same_cols(const ModCols *a, const ModCols *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->cols, b->cols, a->n * sizeof *a->cols) == 0);
}

/* The same columns in any order (a unique constraint is a column set). */
static bool same_col_set(const ModCols *a, const ModCols *b)
{
    if (a->n != b->n)
        return false;
    for (uint16_t i = 0; i < a->n; i++) {
        bool found = false;
        for (uint16_t j = 0; j < b->n && !found; j++)
            found = a->cols[i] == b->cols[j];
        if (!found)
            return false;
    }
    return true;
}

static bool same_sequence(const ModSequence *a, const ModSequence *b)
{
    return a->col == b->col && a->has_start == b->has_start && a->has_min == b->has_min &&
           a->has_max == b->has_max && i128_cmp(a->start, b->start) == 0 &&
           i128_cmp(a->min, b->min) == 0 && i128_cmp(a->max, b->max) == 0 &&
           i128_cmp(a->increment, b->increment) == 0;
}

static bool same_schedule(const ModTable *a, const ModTable *b)
{
    if (a->scheduled != b->scheduled)
        return false;
    return !a->scheduled || (strcmp(a->schedule.name, b->schedule.name) == 0 &&
                             strcmp(a->schedule.reducer, b->schedule.reducer) == 0 &&
                             a->schedule.at_col == b->schedule.at_col);
}

static int find_column(const ModTable *t, const char *name)
{
    for (uint16_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return i;
    return -1;
}

static const ModUnique *find_unique(const ModuleDef *def, const char *name, const ModTable **tab)
{
    for (uint32_t t = 0; t < def->ntables; t++)
        for (uint32_t i = 0; i < def->tables[t].nuniques; i++)
            if (strcmp(def->tables[t].uniques[i].name, name) == 0) {
                *tab = &def->tables[t];
                return &def->tables[t].uniques[i];
            }
    return NULL;
}

static const ModSequence *find_sequence(const ModuleDef *def, const char *name,
                                        const ModTable **tab)
{
    for (uint32_t t = 0; t < def->ntables; t++)
        for (uint32_t i = 0; i < def->tables[t].nsequences; i++)
            if (strcmp(def->tables[t].sequences[i].name, name) == 0) {
                *tab = &def->tables[t];
                return &def->tables[t].sequences[i];
            }
    return NULL;
}

/* Is `table` (of the new definition) one the old one lacks? */
static bool is_new_table(const MigratePlan *p, const char *table)
{
    return moddef_find_table(p->old, table) == NULL;
}

/* ---- tables and columns --------------------------------------------------------- */

static Status column_type_error(MigratePlan *p, const ModTable *o, const ModColumn *oc,
                                const ModColumn *nc)
{
    StrBuf a, b;
    strbuf_init(&a);
    strbuf_init(&b);
    Status st = moddef_format_type(p->old, oc->type, &a);
    if (st == ST_OK)
        st = moddef_format_type(p->new, nc->type, &b);
    if (st == ST_OK)
        st = error(p, MIGRATE_ERR_CHANGE_COLUMN_TYPE, o->name, oc->name,
                   "Changing the type of column %s in table %s from %.100s to %.100s requires "
                   "a manual migration", oc->name, o->name, a.data, b.data);
    strbuf_fini(&a);
    strbuf_fini(&b);
    return st;
}

/* Columns by name: none added, none removed, same type, same place. */
static Status plan_columns(MigratePlan *p, const ModTable *o, const ModTable *n)
{
    Status st = ST_OK;
    bool reordered = false;
    for (uint16_t i = 0; st == ST_OK && i < o->ncols; i++) {
        const ModColumn *oc = &o->cols[i];
        int j = find_column(n, oc->name);
        if (j < 0)
            st = error(p, MIGRATE_ERR_REMOVE_COLUMN, o->name, oc->name, "Removing a column %s "
                       "from table %s requires a manual migration", oc->name, o->name);
        else if (!same_type(&p->old->ts, oc->type, &p->new->ts, n->cols[j].type, 0))
            st = column_type_error(p, o, oc, &n->cols[j]);
        reordered |= j >= 0 && j != i;
    }
    for (uint16_t j = 0; st == ST_OK && j < n->ncols; j++)
        if (find_column(o, n->cols[j].name) < 0)
            st = error(p, MIGRATE_ERR_ADD_COLUMN, n->name, n->cols[j].name, "Adding a column %s "
                       "to table %s requires a manual migration", n->cols[j].name, n->name);
    if (st == ST_OK && reordered)
        st = error(p, MIGRATE_ERR_REORDER_TABLE, o->name, NULL,
                   "Reordering table %s requires a manual migration", o->name);
    return st;
}

static const char *table_type_name(ModTableType t)
{
    return t == MOD_TABLE_SYSTEM ? "System" : "User";
}

static Status plan_table(MigratePlan *p, const ModTable *o, const ModTable *n)
{
    Status st = ST_OK;
    if (o->type != n->type)
        st = error(p, MIGRATE_ERR_CHANGE_TABLE_TYPE, o->name, NULL, "Changing the table type "
                   "of table %s from %s to %s requires a manual migration", o->name,
                   table_type_name(o->type), table_type_name(n->type));
    if (st == ST_OK && o->access != n->access)
        st = step(p, MIGRATE_CHANGE_ACCESS, n->name, NULL);
    if (st == ST_OK && !same_schedule(o, n)) {
        if (o->scheduled)
            st = step(p, MIGRATE_REMOVE_SCHEDULE, o->name, o->schedule.name);
        if (st == ST_OK && n->scheduled)
            st = step(p, MIGRATE_ADD_SCHEDULE, n->name, n->schedule.name);
    }
    return st == ST_OK ? plan_columns(p, o, n) : st;
}

static Status plan_tables(MigratePlan *p)
{
    Status st = ST_OK;
    for (uint32_t i = 0; st == ST_OK && i < p->old->ntables; i++) {
        const ModTable *o = &p->old->tables[i], *n = moddef_find_table(p->new, o->name);
        if (!n)
            st = error(p, MIGRATE_ERR_REMOVE_TABLE, o->name, NULL,
                       "Removing the table %s requires a manual migration", o->name);
        else
            st = plan_table(p, o, n);
    }
    for (uint32_t i = 0; st == ST_OK && i < p->new->ntables; i++)
        if (is_new_table(p, p->new->tables[i].name))
            st = step(p, MIGRATE_ADD_TABLE, p->new->tables[i].name, NULL);
    return st;
}

/* ---- indexes, constraints, sequences ----------------------------------------------- */

static Status plan_index(MigratePlan *p, const ModTable *ot, const ModIndex *o,
                         const ModTable *nt, const ModIndex *n)
{
    const char *oa = o->accessor, *na = n->accessor;
    if ((oa == NULL) != (na == NULL) || (oa && strcmp(oa, na) != 0))
        return error(p, MIGRATE_ERR_CHANGE_INDEX_ACCESSOR, ot->name, o->name,
                     "Changing the accessor name on index %s from %s to %s requires a manual "
                     "migration", o->name, oa ? oa : "(none)", na ? na : "(none)");
    if (o->algo == n->algo && same_cols(&o->cols, &n->cols))
        return ST_OK;
    Status st = step(p, MIGRATE_REMOVE_INDEX, ot->name, o->name);
    return st == ST_OK ? step(p, MIGRATE_ADD_INDEX, nt->name, n->name) : st;
}

static Status plan_indexes(MigratePlan *p)
{
    Status st = ST_OK;
    for (uint32_t t = 0; t < p->old->ntables; t++) {
        const ModTable *ot = &p->old->tables[t], *nt;
        for (uint32_t i = 0; st == ST_OK && i < ot->nindexes; i++) {
            const ModIndex *o = &ot->indexes[i], *n = moddef_find_index(p->new, o->name, &nt);
            st = n ? plan_index(p, ot, o, nt, n) : step(p, MIGRATE_REMOVE_INDEX, ot->name, o->name);
        }
    }
    for (uint32_t t = 0; t < p->new->ntables; t++) {
        const ModTable *nt = &p->new->tables[t];
        for (uint32_t i = 0; st == ST_OK && i < nt->nindexes && !is_new_table(p, nt->name); i++)
            if (!moddef_find_index(p->old, nt->indexes[i].name, NULL))
                st = step(p, MIGRATE_ADD_INDEX, nt->name, nt->indexes[i].name);
    }
    return st;
}

static Status plan_uniques(MigratePlan *p)
{
    Status st = ST_OK;
    const ModTable *other;
    for (uint32_t t = 0; t < p->old->ntables; t++) {
        const ModTable *ot = &p->old->tables[t];
        for (uint32_t i = 0; st == ST_OK && i < ot->nuniques; i++) {
            const ModUnique *o = &ot->uniques[i], *n = find_unique(p->new, o->name, &other);
            if (!n)
                st = step(p, MIGRATE_REMOVE_UNIQUE, ot->name, o->name);
            else if (!same_col_set(&o->cols, &n->cols) || strcmp(ot->name, other->name) != 0)
                st = error(p, MIGRATE_ERR_CHANGE_UNIQUE, ot->name, o->name, "Changing a unique "
                           "constraint %s requires a manual migration", o->name);
        }
    }
    for (uint32_t t = 0; t < p->new->ntables; t++) {
        const ModTable *nt = &p->new->tables[t];
        for (uint32_t i = 0; st == ST_OK && i < nt->nuniques && !is_new_table(p, nt->name); i++)
            if (!find_unique(p->old, nt->uniques[i].name, &other))   /* rows may break it */
                st = error(p, MIGRATE_ERR_ADD_UNIQUE, nt->name, nt->uniques[i].name, "Adding a "
                           "unique constraint %s requires a manual migration",
                           nt->uniques[i].name);
    }
    return st;
}

static Status plan_sequences(MigratePlan *p)
{
    Status st = ST_OK;
    const ModTable *nt;
    for (uint32_t t = 0; t < p->old->ntables; t++) {
        const ModTable *ot = &p->old->tables[t];
        for (uint32_t i = 0; st == ST_OK && i < ot->nsequences; i++) {
            const ModSequence *o = &ot->sequences[i], *n = find_sequence(p->new, o->name, &nt);
            if (n && same_sequence(o, n))
                continue;
            st = step(p, MIGRATE_REMOVE_SEQUENCE, ot->name, o->name);
            if (st == ST_OK && n)   /* changed: dropped and added again, from its start */
                st = step(p, MIGRATE_ADD_SEQUENCE, nt->name, n->name);
        }
    }
    for (uint32_t t = 0; t < p->new->ntables; t++) {
        nt = &p->new->tables[t];
        const ModTable *ot;
        for (uint32_t i = 0; st == ST_OK && i < nt->nsequences && !is_new_table(p, nt->name); i++)
            if (!find_sequence(p->old, nt->sequences[i].name, &ot))
                st = step(p, MIGRATE_ADD_SEQUENCE, nt->name, nt->sequences[i].name);
    }
    return st;
}

/* Filters may name any table: drop them all, add the new ones, last. */
static Status plan_rls(MigratePlan *p)
{
    Status st = ST_OK;
    for (uint32_t i = 0; st == ST_OK && i < p->old->nrls; i++)
        st = step(p, MIGRATE_REMOVE_RLS, NULL, p->old->rls[i]);
    for (uint32_t i = 0; st == ST_OK && i < p->new->nrls; i++)
        st = step(p, MIGRATE_ADD_RLS, NULL, p->new->rls[i]);
    return st;
}

/* Stable: steps of one kind keep the order they were found in. */
static void sort_steps(MigratePlan *p)
{
    for (size_t i = 1; i < p->steps.len; i++) {
        MigrateStep s = p->steps.items[i];
        size_t j = i;
        for (; j > 0 && p->steps.items[j - 1].kind > s.kind; j--)
            p->steps.items[j] = p->steps.items[j - 1];
        p->steps.items[j] = s;
    }
}

Status migrate_plan(const ModuleDef *old, const ModuleDef *new, MigratePlan *p)
{
    p->old = old;
    p->new = new;
    Status st = plan_tables(p);
    if (st == ST_OK)
        st = plan_indexes(p);
    if (st == ST_OK)
        st = plan_sequences(p);
    if (st == ST_OK)
        st = plan_uniques(p);
    if (st == ST_OK)
        st = plan_rls(p);
    if (st != ST_OK)
        return st;
    sort_steps(p);
    return p->errors.len ? ST_INVALID : ST_OK;
}

/* ---- checking and printing ---------------------------------------------------------- */

/* Does the step name an object of the definition it belongs to? */
static bool step_resolves(const MigratePlan *p, const MigrateStep *s)
{
    bool removes = s->kind <= MIGRATE_REMOVE_RLS;
    const ModuleDef *def = removes ? p->old : p->new;
    const ModTable *t = s->table ? moddef_find_table(def, s->table) : NULL, *owner = NULL;
    switch (s->kind) {
    case MIGRATE_REMOVE_INDEX: case MIGRATE_ADD_INDEX:
        return t && moddef_find_index(def, s->name, &owner) && owner == t;
    case MIGRATE_REMOVE_UNIQUE:
        return t && find_unique(def, s->name, &owner) && owner == t;
    case MIGRATE_REMOVE_SEQUENCE: case MIGRATE_ADD_SEQUENCE:
        return t && find_sequence(def, s->name, &owner) && owner == t;
    case MIGRATE_REMOVE_SCHEDULE: case MIGRATE_ADD_SCHEDULE:
        return t && t->scheduled && strcmp(t->schedule.name, s->name) == 0;
    case MIGRATE_REMOVE_RLS: case MIGRATE_ADD_RLS:
        return s->name != NULL;
    case MIGRATE_ADD_TABLE:
        return t && !moddef_find_table(p->old, s->table);
    case MIGRATE_CHANGE_ACCESS:
        return t != NULL;
    }
    return false;
}

Status migrate_plan_check(const MigratePlan *p, char *msg, size_t msglen)
{
    for (size_t i = 0; i < p->steps.len; i++) {
        const MigrateStep *s = &p->steps.items[i];
        if (i > 0 && p->steps.items[i - 1].kind > s->kind) {
            snprintf(msg, msglen, "step %zu (%s) comes after a later kind", i,
                     migrate_step_name(s->kind));
            return ST_INVALID;
        }
        if (!step_resolves(p, s)) {
            snprintf(msg, msglen, "step %zu (%s %s) names nothing in its definition", i,
                     migrate_step_name(s->kind), s->name ? s->name : s->table);
            return ST_INVALID;
        }
    }
    for (size_t i = 0; i < p->errors.len; i++)
        if (!p->errors.items[i].text || !p->errors.items[i].table) {
            snprintf(msg, msglen, "error %zu has no text or no table", i);
            return ST_INVALID;
        }
    return ST_OK;
}

Status migrate_plan_format(const MigratePlan *p, StrBuf *out)
{
    Status st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < p->errors.len; i++)
        st = strbuf_printf(out, "- %s\n", p->errors.items[i].text);
    for (size_t i = 0; st == ST_OK && !p->errors.len && i < p->steps.len; i++) {
        const MigrateStep *s = &p->steps.items[i];
        if (s->kind == MIGRATE_REMOVE_RLS || s->kind == MIGRATE_ADD_RLS)
            st = strbuf_printf(out, "+ %s: %s\n", migrate_step_name(s->kind), s->name);
        else if (s->name)
            st = strbuf_printf(out, "+ %s %s on %s\n", migrate_step_name(s->kind), s->name,
                               s->table);
        else
            st = strbuf_printf(out, "+ %s %s\n", migrate_step_name(s->kind), s->table);
    }
    return st;
}
