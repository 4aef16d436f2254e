/*
 * abi_write.c - insert and update, with the write-back of generated
 * columns, and the registration of scheduled rows (module-abi.md §1.7,
 * §7.2, §7.5).
 *
 * Write-back.  A module inserting a row with an auto_inc id sends 0 in
 * that column; the sequence picks the real value.  The module needs to
 * learn it (Rust's insert() returns the row as stored), so the host
 * writes it back INTO THE SAME BUFFER the row came from:
 *
 *   before: row_ptr -> | 00 00 00 00 00 00 00 00 | 05 00 00 00 ... |   *row_len_ptr = 20
 *   after:  row_ptr -> | 2a 00 00 00 00 00 00 00 |                       *row_len_ptr = 8
 *                        (the product of the generated columns only: id = 42)
 *
 * The length becomes 0 when nothing was generated.  The generated values
 * are never longer than the zeros they replace, so they always fit.  On
 * any error nothing is written back.
 *
 * Scheduled tables.  After a successful insert or update into a table
 * with a schedule, the row's (id, ScheduleAt) is read back from storage
 * (after auto_inc) and handed to the scheduler hook with its firing time:
 * now = max(reducer timestamp, wall clock); Time(t) fires at max(t, now),
 * Interval(d) at now + |d|.  A delay of 2^36 - 1 ms (about 2.18 years)
 * or more is SCHEDULE_AT_DELAY_TOO_LONG (13); as in SpacetimeDB the row
 * stays written, and a module that ignores the error and returns Ok
 * commits a row that never fires.
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#include "abi.h"

#include <string.h>

#include "../db/bsatn.h"
#include "../db/tx.h"
#include "../util/alloc.h"

static int64_t read_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* When schedule value at[0..9) fires, relative to now; false if too far. */
static bool fire_time(const uint8_t *at, int64_t now, int64_t *when)
{
    int64_t v = read_i64(at + 1);
    uint64_t delay;
    if (at[0] == 0)             /* Interval(TimeDuration): |d| from now */
        delay = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    else                        /* Time(Timestamp): max(0, t - now) */
        delay = v > now ? (uint64_t)v - (uint64_t)now : 0;
    if (delay / 1000 >= (uint64_t)ABI_MAX_SCHEDULE_DELAY_MS)
        return false;
    *when = now + (int64_t)delay;
    return true;
}

/* Register the stored row `id` of scheduled table t; *code = 0 or 13. */
static Status schedule_row(WasmStore *s, AbiEnv *e, const char *fn, uint32_t table_id, Table *t,
                           RowId id, int32_t *code)
{
    const AlgType *row_type = table_row_type(t);
    int pk = table_primary_key(t);
    uint16_t at_col = table_schedule_at_col(t);
    size_t len;
    const uint8_t *row = table_row(t, id, &len);
    BsatnSpan *spans = mem_alloc_array(row_type->nmembers + 1, sizeof *spans);
    DbError err;
    if (!spans)
        return wasm_trap(s, "%s: out of memory", fn);
    Status st = row && pk >= 0 ? bsatn_product_spans(table_typespace(t), row_type, row, len,
                                                     spans, &err) : ST_INVALID;
    if (st != ST_OK || spans[pk].len != 8 || spans[at_col].len != 9) {
        mem_free(spans);
        return wasm_trap(s, "%s: table %s is scheduled but its row has no u64 id and "
                         "ScheduleAt", fn, table_name(t));
    }
    uint64_t sched_id = (uint64_t)read_i64(row + spans[pk].off);
    int64_t now = abi_now(e), when;
    now = now > e->timestamp ? now : e->timestamp;
    bool ok = fire_time(row + spans[at_col].off, now, &when);
    mem_free(spans);
    *code = ok ? 0 : DBE_SCHEDULE_AT_DELAY_TOO_LONG;
    if (ok && e->on_schedule)
        e->on_schedule(e->sched_user, table_id, sched_id, when);
    return ST_OK;
}

/* After a successful write: schedule, then write the generated columns back. */
static Status finish_write(WasmStore *s, AbiEnv *e, const char *fn, uint32_t table_id, Table *t,
                           const TableWrite *w, uint8_t *row, uint32_t len, uint32_t len_ptr,
                           WasmCell *res)
{
    int32_t code = 0;
    Status st;
    if (table_schedule_reducer(t) &&
        ((st = schedule_row(s, e, fn, table_id, t, w->rowid, &code)) != ST_OK || code != 0))
        return st != ST_OK ? st : abi_errno(res, code);
    if (e->scratch.len > len)   /* cannot happen: generated values replace zeros */
        return wasm_trap(s, "%s: write-back longer than the row", fn);
    memcpy(row, e->scratch.data ? e->scratch.data : "", e->scratch.len);
    if ((st = abi_write_u32(s, e, fn, len_ptr, (uint32_t)e->scratch.len)) != ST_OK)
        return st;
    return abi_errno(res, 0);
}

/* The row argument: *len from *len_ptr, then the bytes. */
static Status read_row(WasmStore *s, AbiEnv *e, const char *fn, uint32_t ptr, uint32_t len_ptr,
                       uint8_t **row, uint32_t *len)
{
    Status st = abi_read_u32(s, e, fn, len_ptr, len);
    return st != ST_OK ? st : abi_mem(s, e, fn, ptr, *len, row);
}

static Status insert(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_insert_bsatn";
    AbiEnv *e = user;
    uint32_t table_id = (uint32_t)args[0], len_ptr = (uint32_t)args[2], len;
    uint8_t *row = NULL;
    TableWrite w;
    DbError err;
    Status st = read_row(s, e, fn, (uint32_t)args[1], len_ptr, &row, &len);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    Table *t = db_table(e->db, table_id);
    if (!t)
        return abi_errno(res, DBE_NO_SUCH_TABLE);
    if ((st = table_insert(t, row, len, &e->scratch, &w, &err)) != ST_OK)
        return abi_db_result(s, fn, res, st, &err);
    return finish_write(s, e, fn, table_id, t, &w, row, len, len_ptr, res);
}

static Status update(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_update_bsatn";
    AbiEnv *e = user;
    uint32_t table_id = (uint32_t)args[0], len_ptr = (uint32_t)args[3], len, pos;
    uint8_t *row = NULL;
    Table *t, *it;
    TableWrite w;
    DbError err;
    Status st = read_row(s, e, fn, (uint32_t)args[2], len_ptr, &row, &len);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    if (!(t = db_table(e->db, table_id)))
        return abi_errno(res, DBE_NO_SUCH_TABLE);
    if (db_index(e->db, (uint32_t)args[1], &it, &pos, &err) != ST_OK || it != t)
        return abi_errno(res, DBE_NO_SUCH_INDEX);     /* unknown, or another table's */
    if ((st = table_update(t, pos, row, len, &e->scratch, &w, &err)) != ST_OK)
        return abi_db_result(s, fn, res, st, &err);
    return finish_write(s, e, fn, table_id, t, &w, row, len, len_ptr, res);
}

WasmHostFn abi_write_find(const char *name)
{
    if (strcmp(name, "datastore_insert_bsatn") == 0)
        return insert;
    if (strcmp(name, "datastore_update_bsatn") == 0)
        return update;
    return NULL;
}
