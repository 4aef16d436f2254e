/*
 * moddef_format.c - printing a ModuleDef, as text or as JSON.
 *
 * This backs `tinystdb describe --wasm FILE.wasm [--json]`: what a person
 * (text) or a script (JSON) needs to know to use a module without its
 * source: the tables with their columns, keys, constraints, indexes (by
 * the names index_id_from_name takes), sequences, schedules and access,
 * and the reducers with their parameters and lifecycle kinds.
 *
 * Types print with alg_type_format (`u32`, `Option<String>`, `(x: f32,
 * y: f32)`, special types by name), except that a column or parameter
 * whose type is a bare Ref to a named type prints the name (`Vector3`
 * rather than `&3`); the types section maps every `&N` to its name.
 * In JSON the 128-bit sequence bounds are strings (JSON numbers are
 * doubles and would lose digits).
 *
 * Output goes through a small Out wrapper whose functions do nothing
 * once an append failed, so the printing code reads straight through and
 * the first error is returned at the end.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_int.h"

#include <stdarg.h>
#include <string.h>

#include "../util/json.h"

typedef struct Out {
    StrBuf *sb;
    Status st;
} Out;

__attribute__((format(printf, 2, 3)))
static void put(Out *o, const char *fmt, ...)
{
    if (o->st != ST_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    o->st = strbuf_vprintf(o->sb, fmt, ap);
    va_end(ap);
}

static void put_type(Out *o, const ModuleDef *def, const AlgType *t)
{
    if (o->st == ST_OK)
        o->st = moddef_format_type(def, t, o->sb);
}

static void put_i128(Out *o, I128 v)
{
    if (o->st == ST_OK)
        o->st = i128_format(v, o->sb);
}

/* A JSON string (names were checked to be UTF-8 when decoded). */
static void put_json_str(Out *o, const char *s)
{
    if (o->st == ST_OK)
        o->st = s ? json_write_string(o->sb, s, strlen(s)) : strbuf_puts(o->sb, "null");
}

/* A JSON string holding what put_type prints. */
static void put_json_type(Out *o, const ModuleDef *def, const AlgType *t)
{
    StrBuf tmp;
    strbuf_init(&tmp);
    Status st = moddef_format_type(def, t, &tmp);
    if (st == ST_OK)
        put_json_str(o, tmp.data ? tmp.data : "");
    else if (o->st == ST_OK)
        o->st = st;
    strbuf_fini(&tmp);
}

Status moddef_format_type(const ModuleDef *def, const AlgType *t, StrBuf *out)
{
    const ModTypeDef *td = t->kind == ALG_REF ? moddef_type_name(def, t->ref) : NULL;
    return td ? strbuf_puts(out, td->name) : alg_type_format(&def->ts, t, out);
}

/* "a, b" (text) or "\"a\",\"b\"" (json). */
static void put_cols(Out *o, const ModTable *t, ModCols c, bool json)
{
    for (uint16_t i = 0; i < c.n; i++) {
        put(o, "%s", i ? (json ? "," : ", ") : "");
        if (json)
            put_json_str(o, t->cols[c.cols[i]].name);
        else
            put(o, "%s", t->cols[c.cols[i]].name);
    }
}

/* ---- text ------------------------------------------------------------------ */

static bool col_has_seq(const ModTable *t, uint16_t col)
{
    for (uint32_t i = 0; i < t->nsequences; i++)
        if (t->sequences[i].col == col)
            return true;
    return false;
}

static void text_columns(Out *o, const ModuleDef *def, const ModTable *t)
{
    put(o, "  columns:\n");
    for (uint16_t i = 0; i < t->ncols; i++) {
        put(o, "    %u %s: ", i, t->cols[i].name);
        put_type(o, def, t->cols[i].type);
        put(o, "%s%s\n", t->primary_key == i ? "  [primary key]" : "",
            col_has_seq(t, i) ? "  [auto_inc]" : "");
    }
}

static void text_keys(Out *o, const ModTable *t)
{
    if (t->primary_key != MOD_NO_PK)
        put(o, "  primary key: %s\n", t->cols[t->primary_key].name);
    for (uint32_t i = 0; i < t->nuniques; i++) {
        put(o, "  unique: %s (", t->uniques[i].name);
        put_cols(o, t, t->uniques[i].cols, false);
        put(o, ")\n");
    }
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const ModIndex *ix = &t->indexes[i];
        put(o, "  index: %s %s(", ix->name, moddef_algo_name(ix->algo));
        put_cols(o, t, ix->cols, false);
        put(o, ")");
        if (ix->accessor)
            put(o, " accessor %s", ix->accessor);
        put(o, "\n");
    }
}

static void text_sequences(Out *o, const ModTable *t)
{
    for (uint32_t i = 0; i < t->nsequences; i++) {
        const ModSequence *s = &t->sequences[i];
        put(o, "  sequence: %s on %s: start ", s->name, t->cols[s->col].name);
        put_i128(o, s->start);
        put(o, ", min ");
        put_i128(o, s->min);
        put(o, ", max ");
        put_i128(o, s->max);
        put(o, ", increment ");
        put_i128(o, s->increment);
        put(o, "\n");
    }
}

static void text_table(Out *o, const ModuleDef *def, const ModTable *t)
{
    put(o, "\ntable %s (%s%s", t->name, t->access == MOD_ACCESS_PUBLIC ? "public" : "private",
        t->type == MOD_TABLE_SYSTEM ? ", system" : "");
    if (t->scheduled)
        put(o, ", scheduled: %s", t->schedule.reducer);
    put(o, ")\n");
    text_columns(o, def, t);
    text_keys(o, t);
    text_sequences(o, t);
    if (t->scheduled)
        put(o, "  schedule: %s calls %s at column %s\n", t->schedule.name, t->schedule.reducer,
            t->cols[t->schedule.at_col].name);
}

static void text_params(Out *o, const ModuleDef *def, const AlgType *params)
{
    put(o, "(");
    for (uint32_t i = 0; i < params->nmembers; i++) {
        put(o, "%s%s: ", i ? ", " : "", params->members[i].name);
        put_type(o, def, params->members[i].type);
    }
    put(o, ")");
}

static void text_reducers(Out *o, const ModuleDef *def)
{
    put(o, "\nreducers:\n");
    for (uint32_t i = 0; i < def->nreducers; i++) {
        const ModReducer *r = &def->reducers[i];
        put(o, "  %u %s", r->id, r->name);
        text_params(o, def, r->params);
        if (r->lifecycle != MOD_LIFECYCLE_NONE)
            put(o, "  [%s]", moddef_lifecycle_name(r->lifecycle));
        for (uint32_t j = 0; j < def->ntables; j++)
            if (def->tables[j].scheduled && strcmp(def->tables[j].schedule.reducer, r->name) == 0)
                put(o, "  [scheduled by %s]", def->tables[j].name);
        put(o, "\n");
    }
}

static void text_extras(Out *o, const ModuleDef *def)
{
    put(o, "\ntypes:\n");
    for (uint32_t i = 0; i < def->ntypes; i++) {
        const ModTypeDef *td = &def->types[i];
        put(o, "  &%u ", td->ref);
        for (uint32_t k = 0; k < td->nscope; k++)
            put(o, "%s::", td->scope[k]);
        put(o, "%s = ", td->name);
        put_type(o, def, def->ts.types[td->ref]);   /* a product or sum: printed in full */
        put(o, "\n");
    }
    for (uint32_t i = 0; i < def->nmisc; i++) {
        const ModMisc *m = &def->misc[i];
        static const char *const kinds[] = { "column default", "procedure", "view" };
        put(o, "%s%s %s", i ? "  " : "\nmisc exports:\n  ", kinds[m->kind], m->name);
        if (m->kind == MOD_MISC_COLUMN_DEFAULT)
            put(o, " column %u (%u bytes)", m->col, m->value_len);
        else
            text_params(o, def, m->params);
        put(o, "\n");
    }
    put(o, "\nrow-level security:%s\n", def->nrls ? "" : " none");
    for (uint32_t i = 0; i < def->nrls; i++)
        put(o, "  %s\n", def->rls[i]);
}

static void format_text(Out *o, const ModuleDef *def)
{
    put(o, "module definition (RawModuleDef V%d): %u tables, %u reducers, %u types\n",
        def->version, def->ntables, def->nreducers, def->ntypes);
    for (uint32_t i = 0; i < def->ntables; i++)
        text_table(o, def, &def->tables[i]);
    text_reducers(o, def);
    text_extras(o, def);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_i128_field(Out *o, const char *key, I128 v)
{
    put(o, ",\"%s\":\"", key);
    put_i128(o, v);
    put(o, "\"");
}

static void json_table_keys(Out *o, const ModTable *t)
{
    put(o, ",\"unique_constraints\":[");
    for (uint32_t i = 0; i < t->nuniques; i++) {
        put(o, "%s{\"name\":", i ? "," : "");
        put_json_str(o, t->uniques[i].name);
        put(o, ",\"columns\":[");
        put_cols(o, t, t->uniques[i].cols, true);
        put(o, "]}");
    }
    put(o, "],\"indexes\":[");
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const ModIndex *ix = &t->indexes[i];
        put(o, "%s{\"name\":", i ? "," : "");
        put_json_str(o, ix->name);
        put(o, ",\"accessor\":");
        put_json_str(o, ix->accessor);
        put(o, ",\"algorithm\":\"%s\",\"columns\":[", moddef_algo_name(ix->algo));
        put_cols(o, t, ix->cols, true);
        put(o, "]}");
    }
    put(o, "],\"sequences\":[");
    for (uint32_t i = 0; i < t->nsequences; i++) {
        const ModSequence *s = &t->sequences[i];
        put(o, "%s{\"name\":", i ? "," : "");
        put_json_str(o, s->name);
        put(o, ",\"column\":");
        put_json_str(o, t->cols[s->col].name);
        json_i128_field(o, "start", s->start);
        json_i128_field(o, "min", s->min);
        json_i128_field(o, "max", s->max);
        json_i128_field(o, "increment", s->increment);
        put(o, "}");
    }
    put(o, "]");
}

static void json_table(Out *o, const ModuleDef *def, const ModTable *t)
{
    put(o, "{\"name\":");
    put_json_str(o, t->name);
    put(o, ",\"access\":\"%s\",\"table_type\":\"%s\",\"row_type_ref\":%u,\"columns\":[",
        t->access == MOD_ACCESS_PUBLIC ? "public" : "private",
        t->type == MOD_TABLE_USER ? "user" : "system", t->row_ref);
    for (uint16_t i = 0; i < t->ncols; i++) {
        put(o, "%s{\"name\":", i ? "," : "");
        put_json_str(o, t->cols[i].name);
        put(o, ",\"type\":");
        put_json_type(o, def, t->cols[i].type);
        put(o, "}");
    }
    put(o, "],\"primary_key\":");
    if (t->primary_key == MOD_NO_PK)
        put(o, "null");
    else
        put_json_str(o, t->cols[t->primary_key].name);
    json_table_keys(o, t);
    put(o, ",\"schedule\":");
    if (!t->scheduled) {
        put(o, "null}");
        return;
    }
    put(o, "{\"name\":");
    put_json_str(o, t->schedule.name);
    put(o, ",\"reducer\":");
    put_json_str(o, t->schedule.reducer);
    put(o, ",\"at_column\":");
    put_json_str(o, t->cols[t->schedule.at_col].name);
    put(o, "}}");
}

static void json_params(Out *o, const ModuleDef *def, const AlgType *params)
{
    put(o, "[");
    for (uint32_t i = 0; i < params->nmembers; i++) {
        put(o, "%s{\"name\":", i ? "," : "");
        put_json_str(o, params->members[i].name);
        put(o, ",\"type\":");
        put_json_type(o, def, params->members[i].type);
        put(o, "}");
    }
    put(o, "]");
}

static void json_rest(Out *o, const ModuleDef *def)
{
    put(o, "],\"reducers\":[");
    for (uint32_t i = 0; i < def->nreducers; i++) {
        const ModReducer *r = &def->reducers[i];
        put(o, "%s{\"id\":%u,\"name\":", i ? "," : "", r->id);
        put_json_str(o, r->name);
        put(o, ",\"lifecycle\":");
        put_json_str(o, r->lifecycle ? moddef_lifecycle_name(r->lifecycle) : NULL);
        put(o, ",\"params\":");
        json_params(o, def, r->params);
        put(o, "}");
    }
    put(o, "],\"types\":[");
    for (uint32_t i = 0; i < def->ntypes; i++) {
        const ModTypeDef *td = &def->types[i];
        put(o, "%s{\"ref\":%u,\"scope\":[", i ? "," : "", td->ref);
        for (uint32_t k = 0; k < td->nscope; k++) {
            put(o, "%s", k ? "," : "");
            put_json_str(o, td->scope[k]);
        }
        put(o, "],\"name\":");
        put_json_str(o, td->name);
        put(o, ",\"type\":");
        put_json_type(o, def, def->ts.types[td->ref]);
        put(o, "}");
    }
    put(o, "],\"row_level_security\":[");
    for (uint32_t i = 0; i < def->nrls; i++) {
        put(o, "%s", i ? "," : "");
        put_json_str(o, def->rls[i]);
    }
    put(o, "],\"misc_exports\":%u}\n", def->nmisc);
}

static void format_json(Out *o, const ModuleDef *def)
{
    put(o, "{\"version\":%d,\"tables\":[", def->version);
    for (uint32_t i = 0; i < def->ntables; i++) {
        put(o, "%s", i ? "," : "");
        json_table(o, def, &def->tables[i]);
    }
    json_rest(o, def);
}

Status moddef_format(const ModuleDef *def, StrBuf *out, bool json)
{
    Out o = { out, ST_OK };
    if (json)
        format_json(&o, def);
    else
        format_text(&o, def);
    return o.st;
}
