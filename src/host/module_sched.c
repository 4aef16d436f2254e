/*
 * module_sched.c - firing one row of a scheduled table (module-abi.md §7.5).
 *
 * A scheduled table's rows are timers: (u64 id, ScheduleAt, ...).  When
 * the insert registered a row (abi_write.c, the on_schedule hook), the
 * scheduler (issue 7's timer wheel; tests call this directly) comes back
 * here when it is due:
 *
 *   look the row up by id            gone (deleted, rolled back)? nothing
 *   call the table's reducer         args = the row's BSATN (a one-field
 *     sender = the database itself          params product is just the row)
 *     timestamp = max(due, now)
 *   afterwards, whatever the outcome:
 *     Time(t)      delete the row in a transaction of its own
 *     Interval(d)  keep it; fire again at finish time + |d| (fixed delay)
 *
 * The end of the file lends the scheduler (sched.c, chapter 26) the few
 * host internals it needs: the on_schedule hook, the host's wall clock,
 * and every stored schedule row (to re-arm them after a restart); they
 * are declared in sched.h.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include "module_int.h"
#include "sched.h"

#include <stdarg.h>
#include <string.h>

#include "../db/bsatn.h"
#include "../util/alloc.h"

/* The unique index over the primary key (the schedule id), or -1. */
static int pk_index(const Table *t)
{
    int pk = table_primary_key(t);
    for (uint32_t i = 0; pk >= 0 && i < table_index_count(t); i++) {
        IndexInfo info;
        table_index_info(t, i, &info);
        if (info.ncols == 1 && info.cols[0] == pk)
            return (int)i;
    }
    return -1;
}

/* Copy the row with this schedule id into hm->args; false if it is gone. */
static bool fetch_row(HostModule *hm, Table *t, int index, const uint8_t key[8])
{
    rowlist_clear(&hm->rows);
    strbuf_clear(&hm->args);
    if (table_scan_point_bsatn(t, (uint32_t)index, key, 8, &hm->rows, NULL) != ST_OK ||
        hm->rows.count == 0)
        return false;
    size_t len;
    const uint8_t *row = rowlist_get(&hm->rows, 0, &len);
    return strbuf_append(&hm->args, row, len) == ST_OK;
}

/* The ScheduleAt of the row in hm->args: tag (0 Interval, 1 Time) and value. */
static bool schedule_at(HostModule *hm, Table *t, uint8_t *tag, int64_t *value)
{
    const AlgType *row_type = table_row_type(t);
    BsatnSpan *spans = mem_alloc_array(row_type->nmembers + 1, sizeof *spans);
    uint16_t col = table_schedule_at_col(t);
    bool ok = spans && bsatn_product_spans(table_typespace(t), row_type,
                                           (const uint8_t *)hm->args.data, hm->args.len, spans,
                                           NULL) == ST_OK && spans[col].len == 9;
    if (ok) {
        const uint8_t *p = (const uint8_t *)hm->args.data + spans[col].off;
        uint64_t v = 0;
        for (int i = 8; i >= 1; i--)
            v = v << 8 | p[i];
        *tag = p[0];
        *value = (int64_t)v;
    }
    mem_free(spans);
    return ok;
}

/* After the call: a one-shot row goes (own tx), an interval row repeats. */
static void after(HostModule *hm, Table *t, int index, const uint8_t key[8], HostScheduled *next)
{
    uint8_t tag;
    int64_t value;
    if (!fetch_row(hm, t, index, key) || !schedule_at(hm, t, &tag, &value))
        return;                         /* the reducer deleted it, or it is not readable */
    if (tag == 0) {
        uint64_t d = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
        next->repeat = true;
        next->at = abi_now(&hm->env) + (int64_t)d;
        return;
    }
    uint64_t count = 0;
    if (tx_begin(hm->db, NULL) != ST_OK)
        return;
    if (table_delete_point_bsatn(t, (uint32_t)index, key, 8, &count, NULL) != ST_OK ||
        tx_commit(hm->db, &hm->cleanup, NULL) != ST_OK) {
        tx_rollback(hm->db);
        return;
    }
    next->deleted = count > 0;
    next->cleanup = &hm->cleanup;
}

static Status refuse(HostModule *hm, HostResult *res, Status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static Status refuse(HostModule *hm, HostResult *res, Status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_clear(&hm->message);
    (void)strbuf_vprintf(&hm->message, fmt, ap);
    va_end(ap);
    res->message = hm->message.data ? hm->message.data : "";
    return st;
}

Status module_run_scheduled(HostModule *hm, uint32_t table_id, uint64_t schedule_id, int64_t due,
                            HostResult *res, HostScheduled *next)
{
    *next = (HostScheduled){ 0 };
    *res = (HostResult){ .outcome = HOST_FAILED, .message = "", .reducer_id = UINT32_MAX };
    Table *t = db_table(hm->db, table_id);
    const char *reducer = t ? table_schedule_reducer(t) : NULL;
    const ModReducer *r = reducer ? moddef_find_reducer(hm->def, reducer) : NULL;
    int index = t ? pk_index(t) : -1;
    if (!r || index < 0)
        return refuse(hm, res, ST_NOT_FOUND, "table %u is not a scheduled table", table_id);
    uint8_t key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(schedule_id >> 8 * i);
    if (!fetch_row(hm, t, index, key))
        return refuse(hm, res, ST_NOT_FOUND, "row %llu of %s is gone: nothing to do",
                      (unsigned long long)schedule_id, table_name(t));
    int64_t now = abi_now(&hm->env);
    HostCaller self = { .timestamp = due > now ? due : now };
    memcpy(self.identity, hm->cfg.identity, 32);
    /* The row is the whole argument (module_run leaves hm->args alone). */
    Status st = module_run(hm, r, &self, (const uint8_t *)hm->args.data, hm->args.len, res);
    if (st == ST_OK)
        after(hm, t, index, key, next);
    return st;
}

/* ---- for the scheduler (sched.c, chapter 26) ---------------------------------------- */

void module_sched_hook(HostModule *hm, AbiScheduleFn fn, void *user)
{
    hm->cfg.on_schedule = fn;
    hm->cfg.sched_user = user;
    hm->env.on_schedule = fn;
    hm->env.sched_user = user;
}

bool module_sched_hooked(const HostModule *hm, AbiScheduleFn fn, const void *user)
{
    return hm->env.on_schedule == fn && hm->env.sched_user == user;
}

int64_t module_now(const HostModule *hm)
{
    return abi_now(&hm->env);
}

/* Report one stored row of scheduled table t: Time(t) at t (the hook
 * makes a past time "as soon as possible"), Interval(d) at now + |d|. */
static void report_row(Table *t, uint32_t table_id, const uint8_t *row, size_t len, int64_t now,
                       BsatnSpan *spans, AbiScheduleFn fn, void *user)
{
    int pk = table_primary_key(t);
    uint16_t col = table_schedule_at_col(t);
    if (pk < 0 || bsatn_product_spans(table_typespace(t), table_row_type(t), row, len, spans,
                                      NULL) != ST_OK || spans[pk].len != 8 || spans[col].len != 9)
        return;                         /* not a (u64 id, ScheduleAt) row: never armed */
    uint64_t id = 0, v = 0;
    for (int i = 7; i >= 0; i--) {
        id = id << 8 | row[spans[pk].off + (size_t)i];
        v = v << 8 | row[spans[col].off + 1 + (size_t)i];
    }
    int64_t value = (int64_t)v;
    if (row[spans[col].off] == 0)
        value = now + (value < 0 ? -value : value);
    fn(user, table_id, id, value);
}

Status module_sched_rows(HostModule *hm, AbiScheduleFn fn, void *user)
{
    int64_t now = abi_now(&hm->env);
    Status st = ST_OK;
    for (uint32_t i = 0; st == ST_OK && i < db_table_count(hm->db); i++) {
        Table *t = db_table(hm->db, DB_FIRST_ID + i);
        if (!table_schedule_reducer(t))
            continue;
        RowList rows;
        rowlist_init(&rows);
        BsatnSpan *spans = mem_alloc_array(table_row_type(t)->nmembers + 1, sizeof *spans);
        st = spans ? table_collect_all(t, &rows, NULL) : ST_NOMEM;
        for (size_t r = 0; st == ST_OK && r < rows.count; r++) {
            size_t len;
            const uint8_t *row = rowlist_get(&rows, r, &len);
            report_row(t, DB_FIRST_ID + i, row, len, now, spans, fn, user);
        }
        mem_free(spans);
        rowlist_fini(&rows);
    }
    return st;
}
