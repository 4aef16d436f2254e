/*
 * moddef.c - the module's definition: StdbModule -> RawModuleDefV9 bytes.
 *
 * When the host loads a module it calls __describe_module__ once, and the
 * module answers with the BSATN of a RawModuleDef (module-abi.md §5).  This
 * file writes it from the declarations in stdb_module, byte for byte the
 * way the Rust crate 1.1.2 does:
 *
 *   01                          RawModuleDef::V9
 *   typespace                   one Product per table (its row type), in table order
 *   tables                      RawTableDefV9 each: name, row type ref, primary key,
 *                               indexes, constraints, sequences, schedule, User, access
 *   reducers                    name, params (a product with named fields), lifecycle
 *   types                       one RawTypeDefV9 per row type (custom_ordering = true)
 *   00 00 00 00 / 00 00 00 00   no misc exports, no row-level security
 *
 * Every index, constraint, sequence and schedule is sent with name = None,
 * as Rust sends them; the host then generates the names of §5.2, and
 * moddef_index_name computes the same "{table}_{cols}_idx_btree" string
 * when a reducer needs the index's id (index_id_from_name).
 *
 * Which indexes a table has follows the Rust macro: the declared
 * (table-level) indexes first, then one per STDB_INDEXED column, then one
 * per unique column that no single-column index covers yet; then a stable
 * sort puts the indexes that back a unique column first.  That list is
 * built once per instance into t->rt (moddef_prepare) and both the
 * definition and the table operations read it, so they cannot disagree.
 *
 * Types use the meta-encoding of §4: a tag byte per AlgebraicType variant.
 * Special types (Identity, Timestamp, ScheduleAt, Option) are written
 * inline with their exact field names (§6); a row type is a Ref into the
 * typespace.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "sdk_int.h"

/* AlgebraicType tags (module-abi.md §4). */
enum { TAG_REF = 0, TAG_SUM = 1, TAG_PRODUCT = 2, TAG_STRING = 4, TAG_I64 = 12,
       TAG_U128 = 15, TAG_U256 = 17 };

/* The tag of each primitive StdbType (0 where the type is not a primitive). */
static const uint8_t prim_tag[] = {
    [STDB_BOOL] = 5, [STDB_I8] = 6, [STDB_U8] = 7, [STDB_I16] = 8, [STDB_U16] = 9,
    [STDB_I32] = 10, [STDB_U32] = 11, [STDB_I64] = 12, [STDB_U64] = 13,
    [STDB_F32] = 18, [STDB_F64] = 19, [STDB_STRING] = TAG_STRING,
};

static bool is_unique(const StdbColumn *c)
{
    return (c->flags & (STDB_PRIMARY_KEY | STDB_UNIQUE)) != 0;
}

/* ---- the index list (t->rt) ------------------------------------------------ */

int moddef_find_index(const StdbTable *t, const uint16_t *cols, uint32_t ncols)
{
    for (int i = 0; i < t->rt.nidx; i++) {
        const StdbIndex *ix = &t->rt.idx[i];
        if (ix->ncols == ncols && memcmp(ix->cols, cols, ncols * sizeof cols[0]) == 0)
            return i;
    }
    return -1;
}

static void add_index(StdbTable *t, const char *accessor, const uint16_t *cols, uint32_t n)
{
    if (t->rt.nidx == STDB_MAX_INDEXES)
        stdb_panic("table %s: more than %d indexes", t->name, STDB_MAX_INDEXES);
    if (n == 0 || n > STDB_MAX_INDEX_COLS)
        stdb_panic("table %s: index %s has %u columns", t->name, accessor, (unsigned)n);
    StdbIndex *ix = &t->rt.idx[t->rt.nidx++];
    *ix = (StdbIndex){ .accessor = accessor, .ncols = (uint8_t)n };
    for (uint32_t i = 0; i < n; i++) {
        if (cols[i] >= t->ncolumns)
            stdb_panic("table %s: index %s names column %u", t->name, accessor, cols[i]);
        ix->cols[i] = cols[i];
    }
}

/* Stable: the indexes over exactly one unique column first. */
static void sort_unique_first(StdbTable *t)
{
    StdbIndex sorted[STDB_MAX_INDEXES];
    uint32_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < t->rt.nidx; i++) {
            const StdbIndex *ix = &t->rt.idx[i];
            bool backs = ix->ncols == 1 && is_unique(&t->columns[ix->cols[0]]);
            if (backs == (pass == 0))
                sorted[n++] = *ix;
        }
    memcpy(t->rt.idx, sorted, n * sizeof sorted[0]);
}

static uint32_t table_position(const StdbTable *t)
{
    for (uint32_t i = 0; i < stdb_module.ntables; i++)
        if (stdb_module.tables[i] == t)
            return i;
    stdb_panic("table %s is not listed in STDB_MODULE", t->name);
}

void moddef_prepare(StdbTable *t)
{
    if (t->rt.ready)
        return;
    for (uint32_t i = 0; i < t->nindexes; i++)
        add_index(t, t->indexes[i].accessor, t->indexes[i].cols, t->indexes[i].ncols);
    for (uint16_t c = 0; c < t->ncolumns; c++)
        if ((t->columns[c].flags & STDB_INDEXED) && moddef_find_index(t, &c, 1) < 0)
            add_index(t, t->columns[c].name, &c, 1);
    for (uint16_t c = 0; c < t->ncolumns; c++)
        if (is_unique(&t->columns[c]) && moddef_find_index(t, &c, 1) < 0)
            add_index(t, t->columns[c].name, &c, 1);
    sort_unique_first(t);
    t->rt.type_ref = table_position(t);
    t->rt.ready = true;
}

char *moddef_index_name(const StdbTable *t, const StdbIndex *ix)
{
    BsatnW w;
    bsatn_w_init(&w, 64);
    bsatn_w_bytes(&w, t->name, (uint32_t)strlen(t->name));
    for (uint32_t i = 0; i < ix->ncols; i++) {
        const char *col = t->columns[ix->cols[i]].name;
        bsatn_w_u8(&w, '_');
        bsatn_w_bytes(&w, col, (uint32_t)strlen(col));
    }
    bsatn_w_bytes(&w, "_idx_btree", 11);   /* with the NUL */
    return (char *)w.p;
}

/* ---- types (§4, §6) ------------------------------------------------------ */

/* Option<String>: Some(name) is 00 + the string, None is 01. */
static void put_some_name(BsatnW *w, const char *name)
{
    bsatn_w_u8(w, 0);
    bsatn_w_cstr(w, name);
}

/* A one-field product { field: prim }: how Identity, Timestamp... are spelled. */
static void put_special(BsatnW *w, const char *field, uint8_t prim)
{
    bsatn_w_u8(w, TAG_PRODUCT);
    bsatn_w_u32(w, 1);
    put_some_name(w, field);
    bsatn_w_u8(w, prim);
}

static void put_type(BsatnW *w, uint8_t type, StdbTable *row)
{
    if (type & STDB_OPTION) {               /* sum [some: T, none: ()] */
        bsatn_w_u8(w, TAG_SUM);
        bsatn_w_u32(w, 2);
        put_some_name(w, "some");
        put_type(w, type & ~STDB_OPTION, row);
        put_some_name(w, "none");
        bsatn_w_u8(w, TAG_PRODUCT);
        bsatn_w_u32(w, 0);
        return;
    }
    switch (type) {
    case STDB_IDENTITY: put_special(w, "__identity__", TAG_U256); break;
    case STDB_CONNECTION_ID: put_special(w, "__connection_id__", TAG_U128); break;
    case STDB_TIMESTAMP: put_special(w, "__timestamp_micros_since_unix_epoch__", TAG_I64); break;
    case STDB_TIME_DURATION: put_special(w, "__time_duration_micros__", TAG_I64); break;
    case STDB_SCHEDULE_AT:                  /* sum [Interval: TimeDuration, Time: Timestamp] */
        bsatn_w_u8(w, TAG_SUM);
        bsatn_w_u32(w, 2);
        put_some_name(w, "Interval");
        put_type(w, STDB_TIME_DURATION, NULL);
        put_some_name(w, "Time");
        put_type(w, STDB_TIMESTAMP, NULL);
        break;
    case STDB_ROW:
        moddef_prepare(row);
        bsatn_w_u8(w, TAG_REF);
        bsatn_w_u32(w, row->rt.type_ref);
        break;
    default:
        if (type >= sizeof prim_tag || prim_tag[type] == 0)
            stdb_panic("unknown column type %u", type);
        bsatn_w_u8(w, prim_tag[type]);
    }
}

/* A ProductType: u32 count, then each element's Some(name) and type. */
static void put_product(BsatnW *w, const StdbColumn *cols, uint32_t n)
{
    bsatn_w_u32(w, n);
    for (uint32_t i = 0; i < n; i++) {
        put_some_name(w, cols[i].name);
        put_type(w, cols[i].type, cols[i].row);
    }
}

/* ---- tables (RawTableDefV9) -------------------------------------------------- */

static void put_col_list(BsatnW *w, const uint16_t *cols, uint32_t n)
{
    bsatn_w_u32(w, n);
    for (uint32_t i = 0; i < n; i++)
        bsatn_w_u16(w, cols[i]);
}

static uint32_t count_flag(const StdbTable *t, uint8_t flags)
{
    uint32_t n = 0;
    for (uint16_t c = 0; c < t->ncolumns; c++)
        n += (t->columns[c].flags & flags) != 0;
    return n;
}

static void put_indexes(BsatnW *w, const StdbTable *t)
{
    bsatn_w_u32(w, t->rt.nidx);
    for (uint32_t i = 0; i < t->rt.nidx; i++) {
        bsatn_w_u8(w, 1);                           /* name: None */
        put_some_name(w, t->rt.idx[i].accessor);    /* accessor_name */
        bsatn_w_u8(w, 0);                           /* RawIndexAlgorithm::BTree */
        put_col_list(w, t->rt.idx[i].cols, t->rt.idx[i].ncols);
    }
}

/* One Unique constraint per unique column, one sequence per auto_inc column. */
static void put_constraints_and_sequences(BsatnW *w, const StdbTable *t)
{
    bsatn_w_u32(w, count_flag(t, STDB_PRIMARY_KEY | STDB_UNIQUE));
    for (uint16_t c = 0; c < t->ncolumns; c++)
        if (is_unique(&t->columns[c])) {
            bsatn_w_u8(w, 1);                       /* name: None */
            bsatn_w_u8(w, 0);                       /* RawConstraintDataV9::Unique */
            put_col_list(w, &c, 1);
        }
    bsatn_w_u32(w, count_flag(t, STDB_AUTO_INC));
    for (uint16_t c = 0; c < t->ncolumns; c++)
        if (t->columns[c].flags & STDB_AUTO_INC) {
            bsatn_w_u8(w, 1);                       /* name: None */
            bsatn_w_u16(w, c);                      /* column */
            bsatn_w_bytes(w, "\1\1\1", 3);          /* start, min_value, max_value: None */
            bsatn_w_u64(w, 1);                      /* increment: i128 1, low half... */
            bsatn_w_u64(w, 0);                      /* ...and high half */
        }
}

static void put_table(BsatnW *w, StdbTable *t)
{
    bsatn_w_cstr(w, t->name);
    bsatn_w_u32(w, t->rt.type_ref);                 /* product_type_ref */
    bsatn_w_u32(w, count_flag(t, STDB_PRIMARY_KEY));
    for (uint16_t c = 0; c < t->ncolumns; c++)
        if (t->columns[c].flags & STDB_PRIMARY_KEY)
            bsatn_w_u16(w, c);
    put_indexes(w, t);
    put_constraints_and_sequences(w, t);
    if (t->scheduled != NULL) {                     /* schedule: Some(RawScheduleDefV9) */
        bsatn_w_u8(w, 0);
        bsatn_w_u8(w, 1);                           /* name: None */
        bsatn_w_cstr(w, t->scheduled);
        bsatn_w_u16(w, t->scheduled_at);
    } else {
        bsatn_w_u8(w, 1);                           /* schedule: None */
    }
    bsatn_w_u8(w, 1);                               /* TableType::User */
    bsatn_w_u8(w, t->is_public ? 0 : 1);            /* TableAccess: Public / Private */
}

/* Catch the declaration mistakes the host would otherwise reject obscurely. */
static void check_table(const StdbTable *t)
{
    if (count_flag(t, STDB_PRIMARY_KEY) > 1)
        stdb_panic("table %s: more than one primary key column", t->name);
    for (uint16_t c = 0; c < t->ncolumns; c++) {
        uint8_t type = t->columns[c].type;
        if ((t->columns[c].flags & STDB_AUTO_INC) && (type < STDB_U8 || type > STDB_I64))
            stdb_panic("table %s: auto_inc column %s is not an integer", t->name,
                       t->columns[c].name);
    }
    if (t->scheduled != NULL && (t->scheduled_at >= t->ncolumns ||
                                 t->columns[t->scheduled_at].type != STDB_SCHEDULE_AT))
        stdb_panic("table %s: scheduled_at is not a ScheduleAt column", t->name);
}

/* ---- the whole definition ------------------------------------------------------ */

static void put_reducer(BsatnW *w, const StdbReducer *r)
{
    bsatn_w_cstr(w, r->name);
    put_product(w, r->params, r->nparams);
    if (r->lifecycle == STDB_REDUCER) {
        bsatn_w_u8(w, 1);                           /* lifecycle: None */
    } else {
        bsatn_w_u8(w, 0);                           /* Some(Init=0 / OnConnect=1 / OnDisconnect=2) */
        bsatn_w_u8(w, (uint8_t)(r->lifecycle - STDB_INIT));
    }
}

void moddef_describe(BsatnW *w)
{
    const StdbModule *m = &stdb_module;
    for (uint32_t i = 0; i < m->ntables; i++) {
        moddef_prepare(m->tables[i]);
        check_table(m->tables[i]);
    }
    bsatn_w_u8(w, 1);                               /* RawModuleDef::V9 */
    bsatn_w_u32(w, m->ntables);                     /* typespace: the row types */
    for (uint32_t i = 0; i < m->ntables; i++) {
        bsatn_w_u8(w, TAG_PRODUCT);
        put_product(w, m->tables[i]->columns, m->tables[i]->ncolumns);
    }
    bsatn_w_u32(w, m->ntables);
    for (uint32_t i = 0; i < m->ntables; i++)
        put_table(w, m->tables[i]);
    bsatn_w_u32(w, m->nreducers);
    for (uint32_t i = 0; i < m->nreducers; i++)
        put_reducer(w, &m->reducers[i]);
    bsatn_w_u32(w, m->ntables);                     /* types: a name for each row type */
    for (uint32_t i = 0; i < m->ntables; i++) {
        bsatn_w_u32(w, 0);                          /* scope: [] */
        bsatn_w_cstr(w, m->tables[i]->type_name);
        bsatn_w_u32(w, i);                          /* ty: typespace index */
        bsatn_w_u8(w, 1);                           /* custom_ordering: true */
    }
    bsatn_w_u32(w, 0);                              /* misc_exports */
    bsatn_w_u32(w, m->nrls);                        /* row_level_security: [{sql}] */
    for (uint32_t i = 0; i < m->nrls; i++)
        bsatn_w_cstr(w, m->rls[i]);
}
