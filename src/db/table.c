/*
 * table.c - building a table from its schema, and reading the schema back.
 *
 * table_new checks a schema against the rules a SpacetimeDB host enforces
 * when it validates a module (module-abi.md 5.3), copies it, fills in the
 * names the host generates for unnamed objects (5.2), and creates one
 * B-tree or hash index per index.  Unique constraints do not get
 * structures of their own: a constraint marks the index over its column
 * set as unique, and the write path checks that index before inserting.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "table_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"

static const char *const algo_names[] = { "btree", "hash", "direct" };

static Status invalid(DbError *err, const char *fmt, const char *a, const char *b)
{
    return db_error(err, ST_INVALID, DBE_HOST_CALL_FAILURE, fmt, a, b);
}

Status table_fail(DbError *err, Status st, const Table *t)
{
    if (st == ST_LIMIT)
        return db_error(err, st, DBE_HOST_CALL_FAILURE,
                        "table %s: row or key too large for the storage engine", t->name);
    return db_error(err, st, DBE_HOST_CALL_FAILURE, "table %s: %s", t->name, status_str(st));
}

/* "name", or "col_3" for an unnamed column (module-abi.md 5.2). */
static Status put_colname(const Table *t, uint16_t c, StrBuf *sb)
{
    const char *n = t->row_type->members[c].name;
    return n ? strbuf_puts(sb, n) : strbuf_printf(sb, "col_%u", (unsigned)c);
}

/* name, or "{table}_{col1}_{col2}..._{suffix}" when name is NULL. */
static Status make_name(const Table *t, const char *name, const uint16_t *cols, uint16_t n,
                        const char *suffix, char **out)
{
    StrBuf sb;
    strbuf_init(&sb);
    Status st = strbuf_puts(&sb, name ? name : t->name);
    for (uint16_t i = 0; !name && i < n && st == ST_OK; i++)
        if ((st = strbuf_putc(&sb, '_')) == ST_OK)
            st = put_colname(t, cols[i], &sb);
    if (!name && st == ST_OK)
        st = strbuf_printf(&sb, "_%s", suffix);
    if (st != ST_OK) {
        strbuf_fini(&sb);
        return st;
    }
    *out = sb.data;
    return ST_OK;
}

/* Columns in range and distinct. */
static Status check_cols(const Table *t, const uint16_t *cols, uint16_t n, const char *what,
                         DbError *err)
{
    if (n == 0)
        return invalid(err, "table %s: %s has no columns", t->name, what);
    for (uint16_t i = 0; i < n; i++) {
        if (cols[i] >= t->ncols)
            return invalid(err, "table %s: %s names a column out of range", t->name, what);
        for (uint16_t j = 0; j < i; j++)
            if (cols[j] == cols[i])
                return invalid(err, "table %s: %s repeats a column", t->name, what);
    }
    return ST_OK;
}

/* DIRECT needs u8/u16/u32/u64 or a sum of unit variants (module-abi.md 5.3). */
static bool direct_ok(const Table *t, const AlgType *ty)
{
    if (ty->kind == ALG_U8 || ty->kind == ALG_U16 || ty->kind == ALG_U32 || ty->kind == ALG_U64)
        return true;
    if (ty->kind != ALG_SUM)
        return false;
    for (uint32_t i = 0; i < ty->nmembers; i++) {
        const AlgType *p = alg_resolve(t->ts, ty->members[i].type);
        if (!p || p->kind != ALG_PRODUCT || p->nmembers != 0)
            return false;
    }
    return true;
}

static Status add_index(Table *t, const IndexSchema *s, Index *ix, DbError *err)
{
    Status st = check_cols(t, s->cols, s->ncols, "an index", err);
    if (st != ST_OK)
        return st;
    if ((unsigned)s->algo > INDEX_DIRECT)
        return invalid(err, "table %s: index algorithm unknown%s", t->name, "");
    if (s->algo == INDEX_DIRECT && (s->ncols != 1 || !direct_ok(t, t->coltypes[s->cols[0]])))
        return invalid(err, "table %s: a direct index needs one u8/u16/u32/u64 column%s",
                       t->name, "");
    ix->algo = s->algo;
    ix->ncols = s->ncols;
    if (!(ix->cols = mem_alloc_array(s->ncols, sizeof *ix->cols)))
        return ST_NOMEM;
    memcpy(ix->cols, s->cols, s->ncols * sizeof *ix->cols);
    char suffix[16];
    snprintf(suffix, sizeof suffix, "idx_%s", algo_names[s->algo]);
    if ((st = make_name(t, s->name, s->cols, s->ncols, suffix, &ix->name)) != ST_OK)
        return st;
    if (s->algo == INDEX_HASH)
        ix->hash = hashidx_new();
    else
        ix->bt = btree_new();
    return ix->hash || ix->bt ? ST_OK : ST_NOMEM;
}

static bool same_set(const uint16_t *a, uint16_t na, const uint16_t *b, uint16_t nb)
{
    if (na != nb)
        return false;
    for (uint16_t i = 0; i < na; i++) {   /* columns are distinct (check_cols) */
        bool found = false;
        for (uint16_t j = 0; j < nb && !found; j++)
            found = a[i] == b[j];
        if (!found)
            return false;
    }
    return true;
}

/* Mark every index over the constraint's column set as unique. */
static Status add_unique(Table *t, const UniqueSchema *u, DbError *err)
{
    Status st = check_cols(t, u->cols, u->ncols, "a unique constraint", err);
    if (st != ST_OK)
        return st;
    char *name;
    if ((st = make_name(t, u->name, u->cols, u->ncols, "key", &name)) != ST_OK)
        return st;
    bool backed = false;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        Index *ix = &t->indexes[i];
        if (!same_set(ix->cols, ix->ncols, u->cols, u->ncols) || ix->unique) {
            backed |= ix->unique && same_set(ix->cols, ix->ncols, u->cols, u->ncols);
            continue;
        }
        if (!(ix->unique = mem_strdup(name))) {
            mem_free(name);
            return ST_NOMEM;
        }
        backed = true;
    }
    if (!backed) {
        st = invalid(err, "table %s: unique constraint %s has no index over its columns",
                     t->name, name);
    }
    mem_free(name);
    return st;
}

static Status add_sequences(Table *t, const TableSchema *s, DbError *err)
{
    if (!(t->seqs = mem_calloc(s->nsequences ? s->nsequences : 1, sizeof *t->seqs)))
        return ST_NOMEM;
    for (uint32_t i = 0; i < s->nsequences; i++) {
        const SequenceSchema *q = &s->sequences[i];
        if (q->col >= t->ncols || !sequence_kind_ok(t->coltypes[q->col]->kind))
            return invalid(err, "table %s: sequence %s needs an integer column", t->name,
                           q->name ? q->name : "");
        /* Keep the sequences in column order: write-back lists the
         * generated values in column order (module-abi.md 1.7). */
        uint32_t at = t->nseqs;
        while (at > 0 && t->seqs[at - 1].col >= q->col) {
            if (t->seqs[at - 1].col == q->col)
                return invalid(err, "table %s: two sequences on one column%s", t->name, "");
            at--;
        }
        memmove(&t->seqs[at + 1], &t->seqs[at], (t->nseqs - at) * sizeof *t->seqs);
        memset(&t->seqs[at], 0, sizeof t->seqs[at]);
        t->nseqs++;
        StrBuf col;
        strbuf_init(&col);
        Status st = put_colname(t, q->col, &col);
        if (st == ST_OK)
            st = sequence_init(&t->seqs[at], q, t->name, col.data, t->coltypes[q->col]->kind, err);
        strbuf_fini(&col);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Index, constraint and sequence names must differ within the table (the
 * Db checks them across tables). */
static Status check_names(const Table *t, DbError *err)
{
    size_t n = t->nindexes + t->nseqs;
    for (size_t i = 0; i < n; i++) {
        const char *a = i < t->nindexes ? t->indexes[i].name : t->seqs[i - t->nindexes].name;
        for (size_t j = 0; j < i; j++) {
            const char *b = j < t->nindexes ? t->indexes[j].name : t->seqs[j - t->nindexes].name;
            if (strcmp(a, b) == 0)
                return invalid(err, "table %s: the name %s is used twice", t->name, a);
        }
    }
    return ST_OK;
}

static Status check_pk(const Table *t, int pk, DbError *err)
{
    if (pk == TABLE_NO_PK)
        return ST_OK;
    for (uint32_t i = 0; pk >= 0 && (uint32_t)pk < t->ncols && i < t->nindexes; i++)
        if (t->indexes[i].unique && t->indexes[i].ncols == 1 && t->indexes[i].cols[0] == pk)
            return ST_OK;
    return invalid(err, "table %s: the primary key needs a unique constraint on its column%s",
                   t->name, "");
}

static Status alloc_scratch(Table *t)
{
    t->spans = mem_alloc_array(t->ncols ? t->ncols : 1, sizeof *t->spans);
    t->keyend = mem_alloc_array(t->nindexes + 1, sizeof *t->keyend);
    t->generated = mem_alloc_array(t->nseqs ? t->nseqs : 1, sizeof *t->generated);
    if (t->same_index < 0 && !(t->rowmap = hashidx_new()))
        return ST_NOMEM;
    return t->spans && t->keyend && t->generated ? ST_OK : ST_NOMEM;
}

/* Name, types, and the column types resolved once. */
static Status set_row_type(Table *t, const TableSchema *s, DbError *err)
{
    if (!s->name || !*s->name)
        return invalid(err, "a table needs a name%s%s", "", "");
    if (!(t->name = mem_strdup(s->name)))
        return ST_NOMEM;
    t->ts = s->ts;
    t->row_type = alg_resolve(s->ts, s->row_type);
    if (!t->row_type || t->row_type->kind != ALG_PRODUCT)
        return invalid(err, "table %s: the row type is not a product%s", t->name, "");
    t->ncols = t->row_type->nmembers;
    if (t->ncols > UINT16_MAX + 1u)
        return invalid(err, "table %s: too many columns%s", t->name, "");
    if (!(t->coltypes = mem_alloc_array(t->ncols ? t->ncols : 1, sizeof *t->coltypes)))
        return ST_NOMEM;
    for (uint32_t c = 0; c < t->ncols; c++)
        if (!(t->coltypes[c] = alg_resolve(s->ts, t->row_type->members[c].type)))
            return invalid(err, "table %s: a column's type does not resolve%s", t->name, "");
    return ST_OK;
}

static Status build(Table *t, const TableSchema *s, DbError *err)
{
    Status st = set_row_type(t, s, err);
    if (st != ST_OK)
        return st;
    if (!(t->indexes = mem_calloc(s->nindexes ? s->nindexes : 1, sizeof *t->indexes)))
        return ST_NOMEM;
    for (uint32_t i = 0; i < s->nindexes; i++)   /* count it first: table_free frees parts */
        if ((st = add_index(t, &s->indexes[i], &t->indexes[t->nindexes++], err)) != ST_OK)
            return st;
    for (uint32_t i = 0; i < s->nuniques; i++)
        if ((st = add_unique(t, &s->uniques[i], err)) != ST_OK)
            return st;
    t->same_index = -1;
    for (uint32_t i = t->nindexes; i-- > 0;)
        if (t->indexes[i].unique)
            t->same_index = (int)i;
    t->primary_key = s->primary_key;
    t->is_public = s->is_public;
    if ((st = check_pk(t, s->primary_key, err)) != ST_OK ||
        (st = add_sequences(t, s, err)) != ST_OK || (st = check_names(t, err)) != ST_OK)
        return st;
    if (s->schedule_reducer) {
        if (s->schedule_at_col >= t->ncols)
            return invalid(err, "table %s: schedule column out of range%s", t->name, "");
        if (!(t->schedule_reducer = mem_strdup(s->schedule_reducer)))
            return ST_NOMEM;
        t->schedule_at_col = s->schedule_at_col;
    }
    return alloc_scratch(t);
}

Status table_new(const TableSchema *s, Table **out, DbError *err)
{
    *out = NULL;
    Table *t = mem_calloc(1, sizeof *t);
    if (!t)
        return db_error(err, ST_NOMEM, DBE_HOST_CALL_FAILURE, "out of memory");
    rowstore_init(&t->rows);
    strbuf_init(&t->rowbuf);
    strbuf_init(&t->keys);
    strbuf_init(&t->lo);
    strbuf_init(&t->hi);
    rowlist_init(&t->txrows);
    Status st = build(t, s, err);
    if (st != ST_OK) {
        if (st == ST_NOMEM)
            db_error(err, st, DBE_HOST_CALL_FAILURE, "out of memory");
        table_free(t);
        return st;
    }
    *out = t;
    return ST_OK;
}

void table_free(Table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        Index *ix = &t->indexes[i];
        mem_free(ix->name);
        mem_free(ix->cols);
        mem_free(ix->unique);
        btree_free(ix->bt);
        hashidx_free(ix->hash);
    }
    for (uint32_t i = 0; i < t->nseqs; i++)
        sequence_fini(&t->seqs[i]);
    hashidx_free(t->rowmap);
    rowstore_fini(&t->rows);
    strbuf_fini(&t->rowbuf);
    strbuf_fini(&t->keys);
    strbuf_fini(&t->lo);
    strbuf_fini(&t->hi);
    rowlist_fini(&t->txrows);
    vec_fini(&t->undo);
    vec_fini(&t->ids);
    mem_free(t->indexes);
    mem_free(t->seqs);
    mem_free(t->coltypes);
    mem_free(t->spans);
    mem_free(t->keyend);
    mem_free(t->generated);
    mem_free(t->schedule_reducer);
    mem_free(t->name);
    mem_free(t);
}

/* ---- schema accessors ---- */

const char *table_name(const Table *t) { return t->name; }
const Typespace *table_typespace(const Table *t) { return t->ts; }
const AlgType *table_row_type(const Table *t) { return t->row_type; }
int table_primary_key(const Table *t) { return t->primary_key; }
bool table_is_public(const Table *t) { return t->is_public; }
const char *table_schedule_reducer(const Table *t) { return t->schedule_reducer; }
uint16_t table_schedule_at_col(const Table *t) { return t->schedule_at_col; }
uint32_t table_index_count(const Table *t) { return t->nindexes; }
uint32_t table_sequence_count(const Table *t) { return t->nseqs; }
const Sequence *table_sequence(const Table *t, uint32_t i) { return &t->seqs[i]; }
uint64_t table_row_count(const Table *t) { return t->nlive; }

void table_index_info(const Table *t, uint32_t index, IndexInfo *out)
{
    const Index *ix = &t->indexes[index];
    out->name = ix->name;
    out->algo = ix->algo;
    out->cols = ix->cols;
    out->ncols = ix->ncols;
    out->unique = ix->unique;
}

int table_index_by_name(const Table *t, const char *name, size_t len)
{
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (strlen(t->indexes[i].name) == len && memcmp(t->indexes[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

void table_sequence_set(Table *t, uint32_t i, I128 value)
{
    assert(i128_cmp(t->seqs[i].min, value) <= 0 && i128_cmp(value, t->seqs[i].max) <= 0);
    t->seqs[i].value = value;
}

const char *table_index_algo_name(IndexAlgo a)
{
    return a <= INDEX_DIRECT ? algo_names[a] : "?";
}
