/*
 * moddef.c - decoding RawModuleDef (module-abi.md §5) into a ModuleDef.
 *
 * The bytes are `bsatn(RawModuleDef)`, a sum whose tag says the format:
 *
 *   00 V8BackCompat(RawModuleDefV8)   legacy; upgraded in moddef_v8.c
 *   01 V9(RawModuleDefV9)             what every 1.x module sends
 *   02 V10(RawModuleDefV10)           SpacetimeDB 2.x: refused, clearly
 *
 * RawModuleDefV9 is a product of six fields, each read here in order:
 *
 *   typespace  tables  reducers  types  misc_exports  row_level_security
 *
 * Decoding only checks that the bytes have the right shape; whether the
 * result makes sense (refs resolve, columns exist, names are unique) is
 * moddef_check.c's job, run on the decoded structure afterwards.  Keeping
 * the two apart means V8 and V9 share every rule.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"

Status moddef_error(ModError *err, Status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = st;
    }
    return st;
}

/* ---- RawModuleDefV9 ----------------------------------------------------- */

static Status read_index(ModReader *r, ModIndex *ix)
{
    uint8_t tag;
    Status st;
    if ((st = moddef_read_opt_string(r, "the index name", &ix->name)) != ST_OK ||
        (st = moddef_read_opt_string(r, "the index accessor name", &ix->accessor)) != ST_OK ||
        (st = moddef_read_tag(r, "the index algorithm", 3, &tag)) != ST_OK)
        return st;
    ix->algo = (IndexAlgo)tag;   /* 0 BTree, 1 Hash, 2 Direct: table.h uses the same numbers */
    if (tag != INDEX_DIRECT)
        return moddef_read_cols(r, "the index columns", &ix->cols);
    if (!(ix->cols.cols = moddef_alloc(r, 1, sizeof *ix->cols.cols)))
        return ST_NOMEM;
    ix->cols.n = 1;
    return moddef_read_u16(r, "the direct index column", &ix->cols.cols[0]);
}

static Status read_unique(ModReader *r, ModUnique *u)
{
    uint8_t tag;
    Status st;
    if ((st = moddef_read_opt_string(r, "the constraint name", &u->name)) != ST_OK ||
        (st = moddef_read_tag(r, "the constraint kind", 1, &tag)) != ST_OK)
        return st;
    return moddef_read_cols(r, "the unique constraint columns", &u->cols);
}

static Status read_sequence(ModReader *r, ModSequence *s)
{
    Status st;
    if ((st = moddef_read_opt_string(r, "the sequence name", &s->name)) != ST_OK ||
        (st = moddef_read_u16(r, "the sequence column", &s->col)) != ST_OK ||
        (st = moddef_read_opt_i128(r, "the sequence start", &s->has_start, &s->start)) != ST_OK ||
        (st = moddef_read_opt_i128(r, "the sequence min_value", &s->has_min, &s->min)) != ST_OK ||
        (st = moddef_read_opt_i128(r, "the sequence max_value", &s->has_max, &s->max)) != ST_OK)
        return st;
    return moddef_read_i128(r, "the sequence increment", &s->increment);
}

static Status read_schedule(ModReader *r, ModTable *t)
{
    uint8_t tag;
    Status st = moddef_read_tag(r, "the schedule option", 2, &tag);
    if (st != ST_OK || tag == 1)
        return st;
    t->scheduled = true;
    if ((st = moddef_read_opt_string(r, "the schedule name", &t->schedule.name)) != ST_OK ||
        (st = moddef_read_string(r, "the scheduled reducer name", &t->schedule.reducer)) != ST_OK)
        return st;
    return moddef_read_u16(r, "the scheduled_at column", &t->schedule.at_col);
}

static Status read_table(ModReader *r, ModTable *t)
{
    Status st;
    uint8_t type, access;
    if ((st = moddef_read_string(r, "the table name", &t->name)) != ST_OK)
        return st;
    moddef_where(r, "table %u \"%.60s\"", (unsigned)(t - r->def->tables), t->name);
    if ((st = moddef_read_u32(r, "the product_type_ref", &t->row_ref)) != ST_OK)
        return st;
    if ((st = moddef_read_cols(r, "the primary key", &t->pk)) != ST_OK)
        return st;
    READ_ARRAY(r, "the indexes", 5, t->indexes, t->nindexes, read_index);
    READ_ARRAY(r, "the constraints", 6, t->uniques, t->nuniques, read_unique);
    READ_ARRAY(r, "the sequences", 22, t->sequences, t->nsequences, read_sequence);
    if ((st = read_schedule(r, t)) != ST_OK ||
        (st = moddef_read_tag(r, "the table type", 2, &type)) != ST_OK ||
        (st = moddef_read_tag(r, "the table access", 2, &access)) != ST_OK)
        return st;
    t->type = (ModTableType)type;
    t->access = (ModAccess)access;
    return ST_OK;
}

static Status read_reducer(ModReader *r, ModReducer *red)
{
    Status st;
    uint8_t tag;
    red->id = (uint32_t)(red - r->def->reducers);
    if ((st = moddef_read_string(r, "the reducer name", &red->name)) != ST_OK)
        return st;
    moddef_where(r, "reducer %u \"%.60s\"", red->id, red->name);
    if ((st = moddef_read_product(r, "the reducer params", &red->params)) != ST_OK ||
        (st = moddef_read_tag(r, "the lifecycle option", 2, &tag)) != ST_OK)
        return st;
    if (tag == 1)
        return ST_OK;
    if ((st = moddef_read_tag(r, "the lifecycle", 3, &tag)) != ST_OK)
        return st;
    red->lifecycle = (ModLifecycle)(tag + 1);
    return ST_OK;
}

static Status read_scope_part(ModReader *r, const char **part)
{
    return moddef_read_string(r, "a type name scope", part);
}

static Status read_typedef(ModReader *r, ModTypeDef *td)
{
    Status st;
    moddef_where(r, "type def %u", (unsigned)(td - r->def->types));
    READ_ARRAY(r, "the type name scope", 4, td->scope, td->nscope, read_scope_part);
    if ((st = moddef_read_string(r, "the type name", &td->name)) != ST_OK ||
        (st = moddef_read_u32(r, "the type ref", &td->ref)) != ST_OK)
        return st;
    return moddef_read_bool(r, "custom_ordering", &td->custom_ordering);
}

static Status read_misc(ModReader *r, ModMisc *m)
{
    uint8_t tag;
    Status st;
    moddef_where(r, "misc export %u", (unsigned)(m - r->def->misc));
    if ((st = moddef_read_tag(r, "the misc export kind", 3, &tag)) != ST_OK ||
        (st = moddef_read_string(r, "the misc export name", &m->name)) != ST_OK)
        return st;
    m->kind = (ModMiscKind)tag;
    if (tag == MOD_MISC_COLUMN_DEFAULT) {
        if ((st = moddef_read_u16(r, "the default's column", &m->col)) != ST_OK ||
            (st = moddef_read_count(r, "the default value", 1, &m->value_len)) != ST_OK)
            return st;
        m->value = r->p + r->pos;   /* points into the input: copied in moddef_decode */
        r->pos += m->value_len;
        return ST_OK;
    }
    if (tag == MOD_MISC_VIEW &&
        ((st = moddef_read_u32(r, "the view index", &m->view_index)) != ST_OK ||
         (st = moddef_read_bool(r, "is_public", &m->is_public)) != ST_OK ||
         (st = moddef_read_bool(r, "is_anonymous", &m->is_anonymous)) != ST_OK))
        return st;
    if ((st = moddef_read_product(r, "the params", &m->params)) != ST_OK)
        return st;
    return moddef_read_type(r, "the return type", &m->ret);
}

static Status read_rls(ModReader *r, const char **sql)
{
    return moddef_read_string(r, "a row-level-security sql string", sql);
}

Status moddef_decode_v9(ModReader *r)
{
    ModuleDef *def = r->def;
    Status st = moddef_read_typespace(r);
    if (st != ST_OK)
        return st;
    READ_ARRAY(r, "the tables", 27, def->tables, def->ntables, read_table);
    READ_ARRAY(r, "the reducers", 9, def->reducers, def->nreducers, read_reducer);
    READ_ARRAY(r, "the type defs", 13, def->types, def->ntypes, read_typedef);
    READ_ARRAY(r, "the misc exports", 5, def->misc, def->nmisc, read_misc);
    moddef_where(r, "the row-level-security list");
    READ_ARRAY(r, "the row-level-security defs", 4, def->rls, def->nrls, read_rls);
    return ST_OK;
}

/* ---- the RawModuleDef envelope ------------------------------------------ */

/* Column default values point into the input; give them their own copy. */
static Status own_misc_values(ModuleDef *def, ModError *err)
{
    for (uint32_t i = 0; i < def->nmisc; i++) {
        ModMisc *m = &def->misc[i];
        if (m->kind != MOD_MISC_COLUMN_DEFAULT)
            continue;
        uint8_t *copy = arena_alloc(&def->arena, m->value_len ? m->value_len : 1);
        if (!copy)
            return moddef_error(err, ST_NOMEM, "out of memory");
        memcpy(copy, m->value, m->value_len);
        m->value = copy;
    }
    return ST_OK;
}

static Status decode_variant(ModReader *r)
{
    uint8_t tag;
    Status st = moddef_read_u8(r, "the RawModuleDef tag", &tag);
    if (st != ST_OK)
        return st;
    switch (tag) {
    case 0: r->format = "RawModuleDefV8"; r->def->version = 8; return moddef_decode_v8(r);
    case 1: r->format = "RawModuleDefV9"; r->def->version = 9; return moddef_decode_v9(r);
    case 2:
        return moddef_error(r->err, ST_UNSUPPORTED,
                            "RawModuleDef::V10: V10 modules (SpacetimeDB 2.x) are not supported; "
                            "build the module with a 1.x SpacetimeDB crate (V9)");
    default:
        return moddef_error(r->err, ST_MALFORMED,
                            "RawModuleDef: bad tag %u at byte 0 (0 V8, 1 V9, 2 V10)", tag);
    }
}

Status moddef_decode(const uint8_t *bytes, size_t len, ModuleDef **out, ModError *err)
{
    *out = NULL;
    ModuleDef *def = mem_calloc(1, sizeof *def);
    if (!def)
        return moddef_error(err, ST_NOMEM, "out of memory");
    typespace_init(&def->ts);
    arena_init(&def->arena);
    ModReader r = { .p = bytes, .len = len, .def = def, .err = err, .format = "RawModuleDef" };
    Status st = decode_variant(&r);
    if (st == ST_OK && r.pos != len)
        st = moddef_error(err, ST_MALFORMED,
                          "%s: %zu trailing bytes after the definition (it ends at byte %zu)",
                          r.format, len - r.pos, r.pos);
    if (st == ST_OK)
        st = own_misc_values(def, err);
    if (st == ST_OK)
        st = moddef_validate(def, err);
    if (st != ST_OK) {
        moddef_free(def);
        return st;
    }
    *out = def;
    return ST_OK;
}

void moddef_free(ModuleDef *def)
{
    if (!def)
        return;
    typespace_fini(&def->ts);
    arena_fini(&def->arena);
    mem_free(def);
}

/* ---- lookups -------------------------------------------------------------- */

const ModTable *moddef_find_table(const ModuleDef *def, const char *name)
{
    for (uint32_t i = 0; i < def->ntables; i++)
        if (strcmp(def->tables[i].name, name) == 0)
            return &def->tables[i];
    return NULL;
}

const ModReducer *moddef_find_reducer(const ModuleDef *def, const char *name)
{
    for (uint32_t i = 0; i < def->nreducers; i++)
        if (strcmp(def->reducers[i].name, name) == 0)
            return &def->reducers[i];
    return NULL;
}

const ModIndex *moddef_find_index(const ModuleDef *def, const char *name,
                                  const ModTable **table_out)
{
    for (uint32_t i = 0; i < def->ntables; i++) {
        const ModTable *t = &def->tables[i];
        for (uint32_t j = 0; j < t->nindexes; j++) {
            if (strcmp(t->indexes[j].name, name) == 0) {
                if (table_out)
                    *table_out = t;
                return &t->indexes[j];
            }
        }
    }
    return NULL;
}

const ModTypeDef *moddef_type_name(const ModuleDef *def, uint32_t ref)
{
    for (uint32_t i = 0; i < def->ntypes; i++)
        if (def->types[i].ref == ref)
            return &def->types[i];
    return NULL;
}

const char *moddef_lifecycle_name(ModLifecycle lc)
{
    switch (lc) {
    case MOD_LIFECYCLE_INIT: return "init";
    case MOD_LIFECYCLE_CLIENT_CONNECTED: return "client_connected";
    case MOD_LIFECYCLE_CLIENT_DISCONNECTED: return "client_disconnected";
    default: return "";
    }
}

const char *moddef_algo_name(IndexAlgo a)
{
    switch (a) {
    case INDEX_BTREE: return "btree";
    case INDEX_HASH: return "hash";
    case INDEX_DIRECT: return "direct";
    }
    return "?";
}
