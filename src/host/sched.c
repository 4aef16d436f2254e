/*
 * sched.c - scheduled reducers on a timer wheel (see sched.h).
 *
 * Data:  Scheduler ─wheel─► Timers (timers.h), whose slots link the
 *        Timer embedded first in each SchedEntry;
 *        Scheduler ─buckets─► chains of SchedEntry by (host, table, id),
 *        so a re-registration finds the entry it replaces in O(1);
 *        Scheduler ─hosts─► SchedHost, one per attached HostModule (the
 *        hook's user pointer).
 *
 * Time:  an entry keeps the row's wall-clock due time `at` (micros, what
 *        the reducer's timestamp is made of) and its monotonic deadline
 *        `deadline` (ms, what the wheel files).  deadline = clock now +
 *        ceil((at - host now) / 1000), never before now + 1 ms (the wheel's
 *        "as soon as possible").  A deadline beyond the wheel's range
 *        (only possible when the wheel lags the clock by a few ms at the
 *        2-year limit) is clamped; fire() sees it early and re-arms.
 *
 * Firing runs inside timers_advance's callback, which may re-arm timers:
 * the reducer itself may register rows (even its own), and an Interval
 * entry is re-armed at the finish time + |d| that module_run_scheduled
 * reports.  The entry being fired is never freed by anyone but fire().
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include "sched.h"

#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"
#include "../util/check.h"
#include "../util/log.h"
#include "../util/vec.h"

typedef struct SchedHost {
    struct Scheduler *s;
    HostModule *hm;
    size_t entries;
} SchedHost;

typedef struct SchedEntry {
    Timer timer;                  /* first: the wheel hands us this address */
    SchedHost *host;
    uint32_t table_id;
    uint64_t id;                  /* the schedule id (the row's primary key) */
    int64_t at;                   /* wall-clock due time, micros */
    uint64_t deadline;            /* monotonic due time, ms */
    struct SchedEntry *next;      /* hash chain */
} SchedEntry;

struct Scheduler {
    Clock *clock;
    Timers wheel;
    SchedEntry **buckets;         /* nbuckets, a power of two */
    size_t nbuckets, count;
    VEC(SchedHost *) hosts;
    size_t ran;                   /* reducers run by fire(), ever */
    SchedFiredFn *on_fired;
    void *fired_user;
};

/* ---- the hash of entries ---------------------------------------------------------------- */

static size_t bucket_of(const Scheduler *s, const SchedHost *h, uint32_t table, uint64_t id)
{
    uint64_t x = (uint64_t)(uintptr_t)h ^ (uint64_t)table << 40 ^ id;
    x ^= x >> 33, x *= UINT64_C(0xff51afd7ed558ccd), x ^= x >> 33;
    return (size_t)x & (s->nbuckets - 1);
}

static SchedEntry **find(Scheduler *s, const SchedHost *h, uint32_t table, uint64_t id)
{
    SchedEntry **p = &s->buckets[bucket_of(s, h, table, id)];
    while (*p && ((*p)->host != h || (*p)->table_id != table || (*p)->id != id))
        p = &(*p)->next;
    return p;
}

/* Double the buckets when the load passes 1 (entries keep their memory). */
static Status grow(Scheduler *s)
{
    size_t n = s->nbuckets * 2;
    SchedEntry **b = mem_calloc(n, sizeof *b);
    if (!b)
        return ST_NOMEM;
    SchedEntry **old = s->buckets;
    size_t oldn = s->nbuckets;
    s->buckets = b;
    s->nbuckets = n;
    for (size_t i = 0; i < oldn; i++)
        for (SchedEntry *e = old[i], *next; e; e = next) {
            next = e->next;
            size_t k = bucket_of(s, e->host, e->table_id, e->id);
            e->next = b[k];
            b[k] = e;
        }
    mem_free(old);
    return ST_OK;
}

/* Unlink e from the hash and the wheel, and free it. */
static void drop(Scheduler *s, SchedEntry *e)
{
    SchedEntry **p = find(s, e->host, e->table_id, e->id);
    assert(*p == e);
    *p = e->next;
    timers_cancel(&s->wheel, &e->timer);
    e->host->entries--;
    s->count--;
    mem_free(e);
}

/* ---- arming ----------------------------------------------------------------------------- */

/* Put e in the wheel at its deadline, or at the wheel's horizon if that
 * is nearer (fire() files it again from there). */
static void file(Scheduler *s, SchedEntry *e)
{
    uint64_t horizon = timers_now(&s->wheel) + TIMERS_MAX_DELAY_MS;
    Status st = timers_add_at(&s->wheel, &e->timer, e->deadline < horizon ? e->deadline
                                                                           : horizon);
    assert(st == ST_OK);        /* within the horizon by construction */
    (void)st;
}

/* Arm e for its `at`, measured by its host's wall clock: a time in the
 * past is due now (the wheel makes that "the next millisecond"). */
static void arm(Scheduler *s, SchedEntry *e)
{
    int64_t now_us = module_now(e->host->hm);
    uint64_t delay = e->at > now_us ? ((uint64_t)e->at - (uint64_t)now_us + 999) / 1000 : 0;
    e->deadline = clock_now_ms(s->clock) + delay;
    file(s, e);
}

/* The on_schedule hook: row `id` of `table` is due at `at` (micros). */
static void on_schedule(void *user, uint32_t table, uint64_t id, int64_t at)
{
    SchedHost *h = user;
    Scheduler *s = h->s;
    SchedEntry **p = find(s, h, table, id);
    SchedEntry *e = *p;
    if (!e) {
        if ((s->count >= s->nbuckets && grow(s) != ST_OK) || !(e = mem_calloc(1, sizeof *e))) {
            log_msg(LOG_WARN, "scheduler: out of memory; row %llu of table %u will not fire",
                    (unsigned long long)id, table);
            return;
        }
        *e = (SchedEntry){ .host = h, .table_id = table, .id = id };
        timer_init(&e->timer);
        p = find(s, h, table, id);     /* the buckets may have grown */
        e->next = *p;
        *p = e;
        h->entries++;
        s->count++;
    }
    e->at = at;
    arm(s, e);
}

/* ---- firing ----------------------------------------------------------------------------- */

static void fire(Timers *w, Timer *t, void *arg)
{
    Scheduler *s = arg;
    SchedEntry *e = (SchedEntry *)t;
    if (e->deadline > timers_now(w)) {      /* held at the horizon: not yet */
        file(s, e);
        return;
    }
    HostResult res;
    HostScheduled next;
    Status st = module_run_scheduled(e->host->hm, e->table_id, e->id, e->at, &res, &next);
    s->ran += st == ST_OK;
    if (st == ST_OK && s->on_fired)
        s->on_fired(s->fired_user, e->host->hm, &res, &next);
    if (st == ST_OK && next.repeat) {
        e->at = next.at;
        arm(s, e);
    } else {
        drop(s, e);                         /* gone, one-shot done, or not runnable */
    }
}

size_t sched_run_due(Scheduler *s)
{
    size_t before = s->ran;
    timers_advance(&s->wheel, clock_now_ms(s->clock), fire, s);
    return s->ran - before;
}

size_t sched_advance(Scheduler *s, uint64_t ms)
{
    uint64_t target = clock_now_ms(s->clock) + ms;
    size_t before = s->ran;
    for (;;) {
        uint64_t now = clock_now_ms(s->clock);
        uint64_t next = timers_next_expiry(&s->wheel);
        uint64_t step = next < target ? next : target;
        if (step > now)
            clock_advance(s->clock, step - now);
        timers_advance(&s->wheel, clock_now_ms(s->clock), fire, s);
        if (step >= target && timers_next_expiry(&s->wheel) > target)
            return s->ran - before;
    }
}

int sched_poll_timeout(const Scheduler *s)
{
    return timers_poll_timeout(&s->wheel, clock_now_ms(s->clock));
}

size_t sched_count(const Scheduler *s)
{
    return s->count;
}

/* ---- hosts ------------------------------------------------------------------------------ */

static SchedHost *host_of(const Scheduler *s, const HostModule *hm, size_t *pos)
{
    for (size_t i = 0; i < s->hosts.len; i++)
        if (s->hosts.items[i]->hm == hm) {
            if (pos)
                *pos = i;
            return s->hosts.items[i];
        }
    return NULL;
}

/* Forget h: its entries, its hook (if still ours), its record.  The host
 * may already be freed when `alive` is false: then it is not touched. */
static void forget(Scheduler *s, SchedHost *h, size_t pos, bool alive)
{
    for (size_t i = 0; i < s->nbuckets && h->entries; i++)
        for (SchedEntry *e = s->buckets[i], *next; e; e = next) {
            next = e->next;
            if (e->host == h)
                drop(s, e);
        }
    if (alive && module_sched_hooked(h->hm, on_schedule, h))
        module_sched_hook(h->hm, NULL, NULL);
    s->hosts.items[pos] = s->hosts.items[s->hosts.len - 1];
    s->hosts.len--;
    mem_free(h);
}

/* A schedule row found when a host is attached: collected and sorted
 * first, so that overdue one-shots (all due "now") fire in time order. */
typedef struct PendingRow {
    uint32_t table;
    uint64_t id;
    int64_t at;
} PendingRow;

typedef VEC(PendingRow) PendingRows;

static void collect_row(void *user, uint32_t table, uint64_t id, int64_t at)
{
    PendingRows *rows = user;
    if (vec_push(rows, ((PendingRow){table, id, at})) != ST_OK)
        log_msg(LOG_WARN, "scheduler: out of memory; row %llu of table %u will not fire",
                (unsigned long long)id, table);
}

static int by_time(const void *a, const void *b)
{
    const PendingRow *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

/* Arm every schedule row of the host, earliest first. */
static Status arm_existing(SchedHost *h)
{
    PendingRows rows = {0};
    Status st = module_sched_rows(h->hm, collect_row, &rows);
    if (st == ST_OK && rows.len)
        qsort(rows.items, rows.len, sizeof *rows.items, by_time);
    for (size_t i = 0; st == ST_OK && i < rows.len; i++)
        on_schedule(h, rows.items[i].table, rows.items[i].id, rows.items[i].at);
    vec_fini(&rows);
    return st;
}

Status sched_attach(Scheduler *s, HostModule *hm)
{
    size_t pos;
    SchedHost *h = host_of(s, hm, &pos);
    if (h)
        forget(s, h, pos, true);
    if (!(h = mem_calloc(1, sizeof *h)))
        return ST_NOMEM;
    *h = (SchedHost){ .s = s, .hm = hm };
    Status st = vec_push(&s->hosts, h);
    if (st != ST_OK) {
        mem_free(h);
        return st;
    }
    module_sched_hook(hm, on_schedule, h);
    return arm_existing(h);
}

void sched_detach(Scheduler *s, HostModule *hm)
{
    size_t pos;
    SchedHost *h = host_of(s, hm, &pos);
    if (h)
        forget(s, h, pos, true);
}

bool sched_attached(const Scheduler *s, const HostModule *hm)
{
    const SchedHost *h = host_of(s, hm, NULL);
    return h && module_sched_hooked(hm, on_schedule, h);
}

Status sched_sync(Scheduler *s, HostModule *const *hms, size_t n)
{
    /* Hosts that are gone may be freed already: forget them untouched.  A
     * new host at a freed one's address has no hook of ours, so it is
     * attached afresh (its stale entries dropped first). */
    for (size_t i = s->hosts.len; i-- > 0;) {
        bool present = false;
        for (size_t k = 0; k < n && !present; k++)
            present = hms[k] == s->hosts.items[i]->hm;
        if (!present)
            forget(s, s->hosts.items[i], i, false);
    }
    Status st = ST_OK;
    for (size_t k = 0; k < n && st == ST_OK; k++)
        if (hms[k] && !sched_attached(s, hms[k]))
            st = sched_attach(s, hms[k]);
    return st;
}

bool sched_pending(const Scheduler *s, const HostModule *hm, uint32_t table_id, uint64_t id,
                   int64_t *at)
{
    SchedHost *h = host_of(s, hm, NULL);
    SchedEntry *e = h ? *find((Scheduler *)s, h, table_id, id) : NULL;
    if (e && at)
        *at = e->at;
    return e != NULL;
}

/* ---- life ------------------------------------------------------------------------------- */

Status sched_new(Clock *clock, Scheduler **out)
{
    Scheduler *s = mem_calloc(1, sizeof *s);
    if (!s || !(s->buckets = mem_calloc(64, sizeof *s->buckets))) {
        mem_free(s);
        return ST_NOMEM;
    }
    s->nbuckets = 64;
    s->clock = clock;
    timers_init(&s->wheel, clock_now_ms(clock));
    *out = s;
    return ST_OK;
}

void sched_free(Scheduler *s)
{
    if (!s)
        return;
    while (s->hosts.len)
        forget(s, s->hosts.items[s->hosts.len - 1], s->hosts.len - 1, true);
    timers_fini(&s->wheel);
    vec_fini(&s->hosts);
    mem_free(s->buckets);
    mem_free(s);
}

void sched_on_fired(Scheduler *s, SchedFiredFn *fn, void *user)
{
    s->on_fired = fn;
    s->fired_user = user;
}

Status sched_check(const Scheduler *s, char *msg, size_t msglen)
{
    Status st = timers_check(&s->wheel, msg, msglen);
    if (st != ST_OK)
        return st;
    size_t n = 0, per_host = 0;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (const SchedEntry *e = s->buckets[i]; e; e = e->next, n++) {
            CHECK(bucket_of(s, e->host, e->table_id, e->id) == i, "entry %llu in bucket %zu",
                  (unsigned long long)e->id, i);
            CHECK(timer_armed(&e->timer), "entry %llu of table %u is not armed",
                  (unsigned long long)e->id, e->table_id);
            CHECK(host_of(s, e->host->hm, NULL) == e->host, "entry %llu of a detached host",
                  (unsigned long long)e->id);
        }
    for (size_t i = 0; i < s->hosts.len; i++)
        per_host += s->hosts.items[i]->entries;
    CHECK(n == s->count && per_host == n, "%zu entries, count %zu, hosts say %zu", n, s->count,
          per_host);
    CHECK(timers_count(&s->wheel) == n, "%zu entries but %zu armed timers", n,
          timers_count(&s->wheel));
    return ST_OK;
}
