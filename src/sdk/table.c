/*
 * table.c - table operations: insert, delete, find, update, filter, scan.
 *
 * Each operation encodes its C arguments as BSATN, makes one host call, and
 * decodes what comes back.  The host knows tables and indexes by ids, which
 * it hands out by name: table_id_from_name(table name) and
 * index_id_from_name(the generated index name, moddef_index_name).  Both
 * are looked up on first use and cached for the life of the instance, as
 * the Rust bindings do.
 *
 * Lookups go through btree indexes with datastore_index_scan_range_bsatn:
 * a prefix (values for the index's first key columns), then a Bound<T> for
 * the start and the end of a range on the next column (module-abi.md
 * §1.6).  A find is the range [key, key] on a unique column; a filter is
 * any range; the deletes take the same arguments and delete what the scan
 * would return.
 *
 * Results arrive through a row iterator: the host materialises every
 * matching row and hands them over in chunks of whole rows.  stdb_next
 * decodes one row at a time from a heap buffer and asks for the next chunk
 * when the buffer is used up; advance answers -1 together with the last
 * chunk, after which the host has already freed the iterator.
 *
 * Errors the host reports for a well-formed module (a unique violation,
 * no row to update) are returned; any other errno means the module or the
 * host is broken, and panics with the call's name.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "sdk_int.h"

/* Big enough for one chunk of the 1.11 host (32 KiB of whole rows, plus
 * the row that crossed the line); BUFFER_TOO_SMALL grows it otherwise. */
#define ITER_BUF_SIZE (64 * 1024)

static void check(uint16_t e, const char *call, const StdbTable *t)
{
    if (e != STDB_ERRNO_OK)
        stdb_panic("%s on table %s failed: errno %u", call, t->name, e);
}

/* ---- ids ------------------------------------------------------------------ */

static uint32_t table_id(StdbTable *t)
{
    moddef_prepare(t);
    if (!t->rt.have_id) {
        check(sys_table_id_from_name(t->name, (uint32_t)strlen(t->name), &t->rt.id),
              "table_id_from_name", t);
        t->rt.have_id = true;
    }
    return t->rt.id;
}

static uint32_t index_id(StdbTable *t, StdbIndex *ix)
{
    if (!ix->have_id) {
        char *name = moddef_index_name(t, ix);
        check(sys_index_id_from_name(name, (uint32_t)strlen(name), &ix->id),
              "index_id_from_name", t);
        ix->have_id = true;
    }
    return ix->id;
}

/* The index for a query on column `col`: the one over exactly [col], or
 * (for ranges) one whose first key column is col. */
static StdbIndex *column_index(StdbTable *t, uint16_t col, bool unique)
{
    moddef_prepare(t);
    if (col >= t->ncolumns)
        stdb_panic("table %s has no column %u", t->name, col);
    int i = moddef_find_index(t, &col, 1);
    if (unique && (i < 0 || !(t->columns[col].flags & (STDB_PRIMARY_KEY | STDB_UNIQUE))))
        stdb_panic("table %s: column %s is not unique", t->name, t->columns[col].name);
    for (int j = 0; i < 0 && j < t->rt.nidx; j++)
        if (t->rt.idx[j].cols[0] == col)
            i = j;
    if (i < 0)
        stdb_panic("table %s: no index on column %s", t->name, t->columns[col].name);
    return &t->rt.idx[i];
}

static StdbIndex *named_index(StdbTable *t, const char *accessor)
{
    moddef_prepare(t);
    for (int i = 0; i < t->rt.nidx; i++)
        if (strcmp(t->rt.idx[i].accessor, accessor) == 0)
            return &t->rt.idx[i];
    stdb_panic("table %s has no index %s", t->name, accessor);
}

/* ---- ranges (module-abi.md §1.6) ------------------------------------------------ */

typedef struct Range { BsatnW prefix, start, end; uint32_t nprefix; } Range;

/* A Bound<T>: the tag (0 included, 1 excluded, 2 unbounded), then T unless unbounded. */
static void put_bound(BsatnW *w, const StdbColumn *c, StdbBound b)
{
    bsatn_w_u8(w, b.kind);
    if (b.kind != STDB_BOUND_UNBOUNDED)
        codec_write(w, c, b.value);
}

static Range encode_range(const StdbTable *t, const StdbIndex *ix, const void *const *prefix,
                          uint32_t nprefix, StdbBound lo, StdbBound hi)
{
    if (nprefix >= ix->ncols)
        stdb_panic("index %s of %s: %u prefix values leave no column for the range",
                   ix->accessor, t->name, (unsigned)nprefix);
    Range r = { .nprefix = nprefix };
    bsatn_w_init(&r.prefix, 16);    /* never a NULL pointer, even when empty */
    bsatn_w_init(&r.start, 16);
    bsatn_w_init(&r.end, 16);
    for (uint32_t i = 0; i < nprefix; i++)
        codec_write(&r.prefix, &t->columns[ix->cols[i]], prefix[i]);
    const StdbColumn *c = &t->columns[ix->cols[nprefix]];
    put_bound(&r.start, c, lo);
    put_bound(&r.end, c, hi);
    return r;
}

static StdbIter scan_range(StdbTable *t, StdbIndex *ix, const Range *r)
{
    StdbIter it = { .table = t };
    check(sys_datastore_index_scan_range_bsatn(index_id(t, ix), r->prefix.p, r->prefix.len,
                                               r->nprefix, r->start.p, r->start.len, r->end.p,
                                               r->end.len, &it.handle),
          "datastore_index_scan_range_bsatn", t);
    return it;
}

static uint32_t delete_range(StdbTable *t, StdbIndex *ix, const Range *r)
{
    uint32_t n;
    check(sys_datastore_delete_by_index_scan_range_bsatn(index_id(t, ix), r->prefix.p,
                                                         r->prefix.len, r->nprefix, r->start.p,
                                                         r->start.len, r->end.p, r->end.len, &n),
          "datastore_delete_by_index_scan_range_bsatn", t);
    return n;
}

/* ---- iterators ------------------------------------------------------------ */

/* Fetch the next chunk of whole rows into it->buf. */
static void refill(StdbIter *it)
{
    if (it->buf == NULL)
        it->buf = heap_buffer_get(ITER_BUF_SIZE, &it->cap);
    for (;;) {
        uint32_t len = it->cap;
        int16_t rc = sys_row_iter_bsatn_advance(it->handle, it->buf, &len);
        if (rc == STDB_ERRNO_BUFFER_TOO_SMALL) {   /* len = what the next chunk needs */
            heap_buffer_put(it->buf, it->cap);
            it->buf = heap_buffer_get(len, &it->cap);
            continue;
        }
        if (rc == STDB_EXHAUSTED)
            it->handle = 0;                         /* the host has freed it */
        else if (rc != 0 || len == 0)               /* "more to come", but nothing came */
            stdb_panic("row_iter_bsatn_advance on table %s: errno %d, %u bytes",
                       it->table->name, rc, len);
        it->len = len;
        it->pos = 0;
        return;
    }
}

bool stdb_next(StdbIter *it, void *row_out)
{
    while (it->pos == it->len) {
        if (it->handle == 0) {
            stdb_iter_close(it);         /* hands the buffer back */
            return false;
        }
        refill(it);
    }
    const StdbTable *t = it->table;
    BsatnR r = bsatn_r_init(it->buf + it->pos, it->len - it->pos);
    memset(row_out, 0, t->row_size);
    if (!codec_read_product(&r, t->columns, t->ncolumns, row_out))
        stdb_panic("table %s: a row from the host does not decode", t->name);
    it->pos += r.pos;
    return true;
}

void stdb_iter_close(StdbIter *it)
{
    if (it->handle != 0)
        check(sys_row_iter_bsatn_close(it->handle), "row_iter_bsatn_close", it->table);
    if (it->buf != NULL)
        heap_buffer_put(it->buf, it->cap);
    *it = (StdbIter){ .table = it->table };
}

StdbIter stdb_scan(StdbTable *t)
{
    StdbIter it = { .table = t };
    check(sys_datastore_table_scan_bsatn(table_id(t), &it.handle), "datastore_table_scan_bsatn", t);
    return it;
}

uint64_t stdb_count(StdbTable *t)
{
    uint64_t n;
    check(sys_datastore_table_row_count(table_id(t), &n), "datastore_table_row_count", t);
    return n;
}

/* ---- writes ---------------------------------------------------------------- */

/* After an insert or update the host overwrites the row buffer with the
 * generated values: a product of the auto_inc columns that were sent as 0,
 * in column order (module-abi.md §1.7).  Copy them into the C row. */
static void write_back(const StdbTable *t, void *row, const uint8_t *buf, uint32_t len)
{
    BsatnR r = bsatn_r_init(buf, len);
    for (uint16_t c = 0; c < t->ncolumns; c++) {
        const StdbColumn *col = &t->columns[c];
        void *value = (uint8_t *)row + col->offset;
        if ((col->flags & STDB_AUTO_INC) && codec_is_zero(col, value))
            codec_read(&r, col, value);
    }
    if (!r.ok)
        stdb_panic("table %s: the generated columns written back do not decode", t->name);
}

/* The errors a reducer may want to handle; anything else panics. */
static StdbErrno expected(uint16_t e, const char *call, const StdbTable *t)
{
    if (e != STDB_ERRNO_UNIQUE_ALREADY_EXISTS && e != STDB_ERRNO_NO_SUCH_ROW &&
        e != STDB_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG)
        check(e, call, t);
    return (StdbErrno)e;
}

StdbErrno stdb_insert(StdbTable *t, void *row)
{
    uint32_t id = table_id(t);
    BsatnW w;
    bsatn_w_init(&w, 128);
    codec_write_product(&w, t->columns, t->ncolumns, row);
    uint32_t len = w.len;
    uint16_t e = sys_datastore_insert_bsatn(id, w.p, &len);
    if (e == STDB_ERRNO_OK)
        write_back(t, row, w.p, len);
    return expected(e, "datastore_insert_bsatn", t);
}

StdbErrno stdb_update(StdbTable *t, uint16_t col, void *row)
{
    uint32_t id = table_id(t);
    uint32_t index = index_id(t, column_index(t, col, true));
    BsatnW w;
    bsatn_w_init(&w, 128);
    codec_write_product(&w, t->columns, t->ncolumns, row);
    uint32_t len = w.len;
    uint16_t e = sys_datastore_update_bsatn(id, index, w.p, &len);
    if (e == STDB_ERRNO_OK)
        write_back(t, row, w.p, len);
    return expected(e, "datastore_update_bsatn", t);
}

uint32_t stdb_delete(StdbTable *t, const void *row)
{
    uint32_t id = table_id(t), n;
    BsatnW w;
    bsatn_w_init(&w, 128);
    bsatn_w_u32(&w, 1);              /* an array of rows, with one row */
    codec_write_product(&w, t->columns, t->ncolumns, row);
    check(sys_datastore_delete_all_by_eq_bsatn(id, w.p, w.len, &n),
          "datastore_delete_all_by_eq_bsatn", t);
    return n;
}

/* ---- lookups through indexes --------------------------------------------- */

bool stdb_find(StdbTable *t, uint16_t col, const void *key, void *row_out)
{
    StdbIndex *ix = column_index(t, col, true);
    Range r = encode_range(t, ix, NULL, 0, STDB_INCL(key), STDB_INCL(key));
    StdbIter it = scan_range(t, ix, &r);
    bool found = stdb_next(&it, row_out);
    stdb_iter_close(&it);            /* a no-op when the host sent -1 with the row */
    return found;
}

uint32_t stdb_delete_by(StdbTable *t, uint16_t col, const void *key)
{
    StdbIndex *ix = column_index(t, col, true);
    Range r = encode_range(t, ix, NULL, 0, STDB_INCL(key), STDB_INCL(key));
    return delete_range(t, ix, &r);
}

StdbIter stdb_filter(StdbTable *t, uint16_t col, StdbBound lo, StdbBound hi)
{
    StdbIndex *ix = column_index(t, col, false);
    Range r = encode_range(t, ix, NULL, 0, lo, hi);
    return scan_range(t, ix, &r);
}

uint32_t stdb_delete_range(StdbTable *t, uint16_t col, StdbBound lo, StdbBound hi)
{
    StdbIndex *ix = column_index(t, col, false);
    Range r = encode_range(t, ix, NULL, 0, lo, hi);
    return delete_range(t, ix, &r);
}

StdbIter stdb_index_filter(StdbTable *t, const char *index, const void *const *prefix,
                           uint32_t nprefix, StdbBound lo, StdbBound hi)
{
    StdbIndex *ix = named_index(t, index);
    Range r = encode_range(t, ix, prefix, nprefix, lo, hi);
    return scan_range(t, ix, &r);
}

uint32_t stdb_index_delete(StdbTable *t, const char *index, const void *const *prefix,
                           uint32_t nprefix, StdbBound lo, StdbBound hi)
{
    StdbIndex *ix = named_index(t, index);
    Range r = encode_range(t, ix, prefix, nprefix, lo, hi);
    return delete_range(t, ix, &r);
}
