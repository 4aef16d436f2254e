/*
 * moddef_v8.c - RawModuleDef::V8BackCompat, decoded and upgraded to V9.
 *
 * No 1.x crate emits V8, but a 1.x host still accepts it, and so do we:
 * the V8 def is read and converted into the same ModuleDef a V9 def
 * gives, following the upgrade SpacetimeDB performs before validating
 * (so every V9 rule then applies unchanged):
 *
 *   RawModuleDefV8 { typespace, tables: [TableDesc{schema, data: ref}],
 *                    reducers: [{name, args}], misc_exports: [TypeAlias] }
 *
 *   V8                                   V9 / ModuleDef
 *   columns [{name, type}]               checked against the row product, then dropped
 *   index {name, is_unique, type, cols}  index {name, accessor = name, BTree|Hash}
 *   constraint {name, bits, cols}        PRIMARY_KEY bits -> primary key;
 *                                        UNIQUE bits -> unique constraint;
 *                                        AUTO_INC bits -> a sequence if none
 *   an index no constraint covers        a generated constraint
 *                                        "ct_{table}_{cols}_unique" if is_unique
 *   scheduled: Option<reducer>           schedule at the column named "scheduled_at"
 *   reducer "__init__", "__identity_connected__", "__identity_disconnected__"
 *                                        lifecycle Init / OnConnect / OnDisconnect
 *   TypeAlias "a::b.Name"                type def scope [a, b], name Name
 *
 * Constraint bits (ColumnAttribute): INDEXED 1, AUTO_INC 2, UNIQUE 5
 * (= INDEXED | 4), PRIMARY_KEY 13 (= UNIQUE | 8); a flag is "set" when
 * all of its bits are.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_int.h"

#include <string.h>

enum { V8_INDEXED = 0x1, V8_AUTO_INC = 0x2, V8_UNIQUE = 0x5, V8_PRIMARY_KEY = 0xD };

typedef struct V8Column { const char *name; const AlgType *type; } V8Column;
typedef struct V8Constraint { const char *name; uint8_t bits; ModCols cols; } V8Constraint;

/* A V8 table while it is being read: what V9 has no room for. */
typedef struct V8Table {
    V8Column *cols;
    uint32_t ncols;
    bool *index_unique;          /* RawIndexDefV8.is_unique, per index */
    V8Constraint *cons;
    uint32_t ncons;
    const char *scheduled;       /* the reducer, or NULL */
} V8Table;

static bool has(uint8_t bits, uint8_t flag)
{
    return (bits & flag) == flag;
}

static bool same_list(ModCols a, ModCols b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.cols, b.cols, a.n * sizeof *a.cols) == 0);
}

/* ---- reading ---------------------------------------------------------------- */

static Status read_columns(ModReader *r, V8Table *v)
{
    Status st = moddef_read_count(r, "the columns", 5, &v->ncols);
    if (st != ST_OK)
        return st;
    if (!(v->cols = moddef_alloc(r, v->ncols, sizeof *v->cols)))
        return ST_NOMEM;
    for (uint32_t i = 0; i < v->ncols && st == ST_OK; i++) {
        if ((st = moddef_read_string(r, "a column name", &v->cols[i].name)) == ST_OK)
            st = moddef_read_type(r, "a column type", &v->cols[i].type);
    }
    return st;
}

static Status read_indexes(ModReader *r, ModTable *t, V8Table *v)
{
    Status st = moddef_read_count(r, "the indexes", 10, &t->nindexes);
    if (st != ST_OK)
        return st;
    if (!(t->indexes = moddef_alloc(r, t->nindexes, sizeof *t->indexes)) ||
        !(v->index_unique = moddef_alloc(r, t->nindexes, sizeof *v->index_unique)))
        return ST_NOMEM;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        ModIndex *ix = &t->indexes[i];
        uint8_t type;
        if ((st = moddef_read_string(r, "the index name", &ix->name)) != ST_OK ||
            (st = moddef_read_bool(r, "is_unique", &v->index_unique[i])) != ST_OK ||
            (st = moddef_read_tag(r, "the index type", 2, &type)) != ST_OK ||
            (st = moddef_read_cols(r, "the index columns", &ix->cols)) != ST_OK)
            return st;
        ix->accessor = ix->name;   /* V8 had one name for both */
        ix->algo = type == 0 ? INDEX_BTREE : INDEX_HASH;
    }
    return ST_OK;
}

static Status read_constraints(ModReader *r, V8Table *v)
{
    Status st = moddef_read_count(r, "the constraints", 9, &v->ncons);
    if (st != ST_OK)
        return st;
    if (!(v->cons = moddef_alloc(r, v->ncons, sizeof *v->cons)))
        return ST_NOMEM;
    for (uint32_t i = 0; i < v->ncons && st == ST_OK; i++) {
        V8Constraint *c = &v->cons[i];
        if ((st = moddef_read_string(r, "the constraint name", &c->name)) != ST_OK ||
            (st = moddef_read_u8(r, "the constraint bits", &c->bits)) != ST_OK)
            return st;
        st = moddef_read_cols(r, "the constraint columns", &c->cols);
    }
    return st;
}

static Status read_sequences(ModReader *r, ModTable *t)
{
    Status st = moddef_read_count(r, "the sequences", 41, &t->nsequences);
    if (st != ST_OK)
        return st;
    if (!(t->sequences = moddef_alloc(r, t->nsequences, sizeof *t->sequences)))
        return ST_NOMEM;
    for (uint32_t i = 0; i < t->nsequences; i++) {
        ModSequence *s = &t->sequences[i];
        I128 allocated;   /* deprecated preallocation: read and ignored */
        if ((st = moddef_read_string(r, "the sequence name", &s->name)) != ST_OK ||
            (st = moddef_read_u16(r, "the sequence column", &s->col)) != ST_OK ||
            (st = moddef_read_i128(r, "the sequence increment", &s->increment)) != ST_OK ||
            (st = moddef_read_opt_i128(r, "the sequence start", &s->has_start, &s->start)) != ST_OK ||
            (st = moddef_read_opt_i128(r, "the sequence min_value", &s->has_min, &s->min)) != ST_OK ||
            (st = moddef_read_opt_i128(r, "the sequence max_value", &s->has_max, &s->max)) != ST_OK ||
            (st = moddef_read_i128(r, "the sequence allocation", &allocated)) != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status read_table_v8(ModReader *r, ModTable *t, V8Table *v)
{
    Status st;
    uint8_t type, access, sched;
    if ((st = moddef_read_string(r, "the table name", &t->name)) != ST_OK)
        return st;
    moddef_where(r, "table %u \"%.60s\"", (unsigned)(t - r->def->tables), t->name);
    if ((st = read_columns(r, v)) != ST_OK || (st = read_indexes(r, t, v)) != ST_OK ||
        (st = read_constraints(r, v)) != ST_OK || (st = read_sequences(r, t)) != ST_OK ||
        (st = moddef_read_tag(r, "the table type", 2, &type)) != ST_OK ||
        (st = moddef_read_tag(r, "the table access", 2, &access)) != ST_OK ||
        (st = moddef_read_tag(r, "the scheduled option", 2, &sched)) != ST_OK)
        return st;
    t->type = (ModTableType)type;
    t->access = (ModAccess)access;
    if (sched == 0 && (st = moddef_read_string(r, "the scheduled reducer", &v->scheduled)) != ST_OK)
        return st;
    return moddef_read_u32(r, "the table's row type ref (data)", &t->row_ref);
}

/* ---- upgrading ---------------------------------------------------------------- */

/* The V8 column defs must agree with the row product, name and type. */
static Status check_columns(ModReader *r, const ModTable *t, const V8Table *v)
{
    const Typespace *ts = &r->def->ts;
    const AlgType *row = t->row_ref < ts->ntypes ? alg_resolve(ts, ts->types[t->row_ref]) : NULL;
    if (!row || row->kind != ALG_PRODUCT)
        return ST_OK;   /* the V9 rules report a bad row type */
    for (uint32_t i = 0; i < v->ncols; i++) {
        const char *name = i < row->nmembers ? row->members[i].name : NULL;
        if (!name || strcmp(name, v->cols[i].name) != 0 ||
            !moddef_same_type(ts, row->members[i].type, v->cols[i].type))
            return moddef_error(r->err, ST_INVALID,
                                "RawModuleDefV8: table \"%s\": column %u \"%s\" does not match "
                                "the row type &%u", t->name, i, v->cols[i].name, t->row_ref);
    }
    if (v->ncols != row->nmembers)
        return moddef_error(r->err, ST_INVALID,
                            "RawModuleDefV8: table \"%s\": %u column defs for a row of %u columns",
                            t->name, v->ncols, row->nmembers);
    return ST_OK;
}

/* "ct_{table}_{cols}_unique" for a unique index no constraint covers. */
static const char *generated_constraint_name(ModReader *r, const ModTable *t, const V8Table *v,
                                             ModCols cols)
{
    const char *name = moddef_strf(r->def, "ct_%s", t->name);
    for (uint16_t i = 0; i < cols.n && name; i++)
        if (cols.cols[i] < v->ncols)   /* like SpacetimeDB, skip unknown columns */
            name = moddef_strf(r->def, "%s_%s", name, v->cols[cols.cols[i]].name);
    return name ? moddef_strf(r->def, "%s_unique", name) : NULL;
}

static Status add_unique(ModReader *r, ModTable *t, const char *name, ModCols cols)
{
    if (!name)
        return moddef_error(r->err, ST_NOMEM, "out of memory");
    t->uniques[t->nuniques++] = (ModUnique){ .name = name, .cols = cols };
    return ST_OK;
}

/* Explicit constraints, then those generated from unique indexes. */
static Status upgrade_constraints(ModReader *r, ModTable *t, const V8Table *v)
{
    Status st = ST_OK;
    if (!(t->uniques = moddef_alloc(r, (size_t)v->ncons + t->nindexes, sizeof *t->uniques)))
        return ST_NOMEM;
    for (uint32_t i = 0; i < v->ncons && st == ST_OK; i++) {
        const V8Constraint *c = &v->cons[i];
        if (has(c->bits, V8_PRIMARY_KEY)) {
            if (t->pk.n || c->cols.n != 1)
                return moddef_error(r->err, ST_INVALID,
                                    "RawModuleDefV8: table \"%s\": more than one primary key column",
                                    t->name);
            t->pk = c->cols;
        }
        if (has(c->bits, V8_UNIQUE))
            st = add_unique(r, t, c->name, c->cols);
    }
    for (uint32_t i = 0; i < t->nindexes && st == ST_OK; i++) {
        bool covered = false;
        for (uint32_t j = 0; j < v->ncons && !covered; j++)
            covered = v->cons[j].bits != 0 && same_list(v->cons[j].cols, t->indexes[i].cols);
        if (!covered && v->index_unique[i])
            st = add_unique(r, t, generated_constraint_name(r, t, v, t->indexes[i].cols),
                            t->indexes[i].cols);
    }
    return st;
}

/* AUTO_INC constraints get a sequence "seq_{table}_{name}" unless their
 * column already has one (or that name is taken). */
static Status upgrade_sequences(ModReader *r, ModTable *t, const V8Table *v)
{
    ModSequence *seqs = moddef_alloc(r, (size_t)t->nsequences + v->ncons, sizeof *seqs);
    if (!seqs)
        return ST_NOMEM;
    memcpy(seqs, t->sequences, t->nsequences * sizeof *seqs);
    uint32_t n = t->nsequences;
    const char *prefix = moddef_strf(r->def, "ct_%s_", t->name);
    for (uint32_t i = 0; i < v->ncons && prefix; i++) {
        const V8Constraint *c = &v->cons[i];
        if (!has(c->bits, V8_AUTO_INC) || c->cols.n == 0)
            continue;
        const char *base = c->name;
        while (strncmp(base, prefix, strlen(prefix)) == 0)   /* Rust's trim_start_matches */
            base += strlen(prefix);
        const char *name = moddef_strf(r->def, "seq_%s_%s", t->name, base);
        bool dup = !name;
        for (uint32_t j = 0; j < n && !dup; j++)
            dup = (c->cols.n == 1 && seqs[j].col == c->cols.cols[0]) || !strcmp(seqs[j].name, name);
        if (!dup)
            seqs[n++] = (ModSequence){ .name = name, .col = c->cols.cols[0],
                                       .increment = i128_from_i64(1) };
        else if (!name)
            return moddef_error(r->err, ST_NOMEM, "out of memory");
    }
    if (!prefix)
        return moddef_error(r->err, ST_NOMEM, "out of memory");
    t->sequences = seqs;
    t->nsequences = n;
    return ST_OK;
}

static Status upgrade_table(ModReader *r, ModTable *t, const V8Table *v)
{
    Status st;
    if ((st = check_columns(r, t, v)) != ST_OK || (st = upgrade_sequences(r, t, v)) != ST_OK ||
        (st = upgrade_constraints(r, t, v)) != ST_OK)
        return st;
    if (!v->scheduled)
        return ST_OK;
    for (uint32_t i = 0; i < v->ncols; i++) {
        if (strcmp(v->cols[i].name, "scheduled_at") == 0) {
            t->scheduled = true;
            t->schedule = (ModSchedule){ .reducer = v->scheduled, .at_col = (uint16_t)i };
        }
    }
    return ST_OK;
}

static Status read_table_desc(ModReader *r, ModTable *t)
{
    V8Table v = {0};
    Status st = read_table_v8(r, t, &v);
    return st == ST_OK ? upgrade_table(r, t, &v) : st;
}

/* ---- reducers and type aliases ------------------------------------------------ */

static Status read_reducer_v8(ModReader *r, ModReducer *red)
{
    static const char *const lifecycle[] = {
        [MOD_LIFECYCLE_INIT] = "__init__",
        [MOD_LIFECYCLE_CLIENT_CONNECTED] = "__identity_connected__",
        [MOD_LIFECYCLE_CLIENT_DISCONNECTED] = "__identity_disconnected__",
    };
    red->id = (uint32_t)(red - r->def->reducers);
    Status st = moddef_read_string(r, "the reducer name", &red->name);
    if (st != ST_OK)
        return st;
    moddef_where(r, "reducer %u \"%.60s\"", red->id, red->name);
    for (int k = MOD_LIFECYCLE_INIT; k <= MOD_LIFECYCLE_CLIENT_DISCONNECTED; k++)
        if (strcmp(red->name, lifecycle[k]) == 0)
            red->lifecycle = (ModLifecycle)k;
    return moddef_read_product(r, "the reducer args", &red->params);
}

/* Length of the scope separator at p: 1 for '.', 2 for "::", else 0. */
static size_t separator(const char *p)
{
    return *p == '.' ? 1 : (p[0] == ':' && p[1] == ':') ? 2 : 0;
}

/* "a::b.Name" -> scope [a, b], name "Name" (SpacetimeDB splits on both). */
static Status split_type_name(ModReader *r, const char *full, ModTypeDef *td)
{
    size_t parts = 0;
    for (const char *p = full; *p; p += separator(p) ? separator(p) : 1)
        parts += separator(p) != 0;
    if (!(td->scope = moddef_alloc(r, parts, sizeof *td->scope)))
        return ST_NOMEM;
    const char *start = full;
    for (const char *p = full; *p;) {
        size_t sep = separator(p);
        if (!sep) {
            p++;
            continue;
        }
        if (!(td->scope[td->nscope++] = arena_strndup(&r->def->arena, start, (size_t)(p - start))))
            return moddef_error(r->err, ST_NOMEM, "out of memory");
        start = p += sep;
    }
    td->name = start;   /* a suffix of full, which lives in the arena */
    return ST_OK;
}

static Status read_type_alias(ModReader *r, ModTypeDef *td)
{
    uint8_t tag;
    const char *full;
    Status st;
    moddef_where(r, "misc export %u", (unsigned)(td - r->def->types));
    if ((st = moddef_read_tag(r, "the misc export kind (TypeAlias)", 1, &tag)) != ST_OK ||
        (st = moddef_read_string(r, "the type alias name", &full)) != ST_OK ||
        (st = moddef_read_u32(r, "the type alias ref", &td->ref)) != ST_OK)
        return st;
    td->custom_ordering = true;   /* every V8 type had a custom ordering */
    return split_type_name(r, full, td);
}

Status moddef_decode_v8(ModReader *r)
{
    ModuleDef *def = r->def;
    Status st = moddef_read_typespace(r);
    if (st != ST_OK)
        return st;
    READ_ARRAY(r, "the tables", 27, def->tables, def->ntables, read_table_desc);
    READ_ARRAY(r, "the reducers", 8, def->reducers, def->nreducers, read_reducer_v8);
    READ_ARRAY(r, "the misc exports", 9, def->types, def->ntypes, read_type_alias);
    return ST_OK;
}
