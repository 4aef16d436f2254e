/*
 * ticker.c - a test module for the scheduler (tests/test_sched_host.c):
 * a scheduled table whose reducer checks how and when it was called.
 *
 *   tick (id: u64 primary key auto_inc, at: ScheduleAt, n: u64, every: u64),
 *   scheduled "on_tick".  fired (id auto_inc, tick, n, ts): one row per
 *   successful firing.
 *
 *   start(n, delay)   a one-shot tick at now + delay (micros);
 *   repeat(every)     an interval tick every `every` micros;
 *   move(id, at)      update tick `id` to fire once at `at` (re-arm);
 *   many(count, seed) `count` one-shot ticks with pseudo-random delays
 *                     from 1 ms to about a year (every wheel level);
 *   on_tick(row)      the scheduled reducer.  It refuses any sender but
 *                     the database itself and a Time tick that runs
 *                     early; it logs a warning for a late one ("tick ID
 *                     late by ..."); it logs "tick ID n=N" and records a fired
 *                     row; with n > 1 and every > 0 it schedules itself
 *                     again (n - 1, `every` later); n = 999 returns Err,
 *                     n = 998 traps, n = 997 spins until out of fuel.
 *
 * Built by tools/build-modules.sh like the examples.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include "spacetime.h"

typedef struct Tick {
    uint64_t id;
    StdbScheduleAt at;
    uint64_t n;
    uint64_t every;
} Tick;
enum { TICK_ID, TICK_AT };

static const StdbColumn tick_columns[] = {
    STDB_COLUMN(Tick, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Tick, at, STDB_SCHEDULE_AT, 0),
    STDB_COLUMN(Tick, n, STDB_U64, 0),
    STDB_COLUMN(Tick, every, STDB_U64, 0),
};
static StdbTable tick_table = {
    .name = "tick", STDB_ROWS(Tick, tick_columns), .scheduled = "on_tick", .scheduled_at = TICK_AT,
};

typedef struct Fired {
    uint64_t id;
    uint64_t tick;
    uint64_t n;
    StdbTimestamp ts;
} Fired;

static const StdbColumn fired_columns[] = {
    STDB_COLUMN(Fired, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Fired, tick, STDB_U64, 0),
    STDB_COLUMN(Fired, n, STDB_U64, 0),
    STDB_COLUMN(Fired, ts, STDB_TIMESTAMP, 0),
};
static StdbTable fired_table = { .name = "fired", STDB_ROWS(Fired, fired_columns), .is_public = true };

static StdbResult insert_tick(uint8_t tag, int64_t micros, uint64_t n, uint64_t every)
{
    Tick t = { .at = { tag, micros }, .n = n, .every = every };
    if (stdb_insert(&tick_table, &t) == STDB_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG)
        return "too far in the future";
    return STDB_OK;
}

static StdbResult on_tick(StdbCtx *ctx, const void *args)
{
    const Tick *t = args;
    StdbIdentity self = stdb_module_identity();
    if (!stdb_identity_eq(&ctx->sender, &self))
        return "on_tick may only be called by the scheduler";
    if (t->at.tag == STDB_AT_TIME && ctx->timestamp.micros < t->at.micros)
        return stdb_fmt("tick %llu ran early", (unsigned long long)t->id);
    if (t->at.tag == STDB_AT_TIME && ctx->timestamp.micros > t->at.micros)
        stdb_log_warn("tick %llu late by %lld us", (unsigned long long)t->id,
                      (long long)(ctx->timestamp.micros - t->at.micros));
    if (t->n == 999)
        return "tick 999 fails";
    if (t->n == 998)
        __builtin_trap();
    for (volatile uint64_t i = 0; t->n == 997; i++)
        ;
    stdb_log_debug("tick %llu n=%llu", (unsigned long long)t->id, (unsigned long long)t->n);
    Fired f = { .tick = t->id, .n = t->n, .ts = ctx->timestamp };
    stdb_insert(&fired_table, &f);
    if (t->at.tag == STDB_AT_TIME && t->n > 1 && t->every > 0)
        return insert_tick(STDB_AT_TIME, ctx->timestamp.micros + (int64_t)t->every, t->n - 1,
                           t->every);
    return STDB_OK;
}

typedef struct StartArgs { uint64_t n, delay; } StartArgs;
static const StdbColumn start_params[] = {
    STDB_PARAM(StartArgs, n, STDB_U64),
    STDB_PARAM(StartArgs, delay, STDB_U64),
};

static StdbResult start(StdbCtx *ctx, const void *args)
{
    const StartArgs *a = args;
    return insert_tick(STDB_AT_TIME, ctx->timestamp.micros + (int64_t)a->delay, a->n, 0);
}

/* start, but the tick schedules its successor `delay` later, n times. */
static StdbResult chain(StdbCtx *ctx, const void *args)
{
    const StartArgs *a = args;
    return insert_tick(STDB_AT_TIME, ctx->timestamp.micros + (int64_t)a->delay, a->n, a->delay);
}

typedef struct RepeatArgs { uint64_t every; } RepeatArgs;
static const StdbColumn repeat_params[] = { STDB_PARAM(RepeatArgs, every, STDB_U64) };

static StdbResult repeat(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const RepeatArgs *a = args;
    return insert_tick(STDB_AT_INTERVAL, (int64_t)a->every, 0, 0);
}

typedef struct MoveArgs { uint64_t id; int64_t at; } MoveArgs;
static const StdbColumn move_params[] = {
    STDB_PARAM(MoveArgs, id, STDB_U64),
    STDB_PARAM(MoveArgs, at, STDB_I64),
};

static StdbResult move(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const MoveArgs *a = args;
    Tick t;
    if (!stdb_find(&tick_table, TICK_ID, &a->id, &t))
        return stdb_fmt("no tick %llu", (unsigned long long)a->id);
    t.at = (StdbScheduleAt){ STDB_AT_TIME, a->at };
    if (stdb_update(&tick_table, TICK_ID, &t) != 0)
        return "update failed";
    return STDB_OK;
}

typedef struct ManyArgs { uint64_t count, seed; } ManyArgs;
static const StdbColumn many_params[] = {
    STDB_PARAM(ManyArgs, count, STDB_U64),
    STDB_PARAM(ManyArgs, seed, STDB_U64),
};

/* Delays in whole milliseconds, spread over every level of the wheel:
 * a random number of random bits (1 to 35) each. */
static StdbResult many(StdbCtx *ctx, const void *args)
{
    const ManyArgs *a = args;
    uint64_t x = a->seed | 1;
    for (uint64_t i = 0; i < a->count; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t bits = 1 + (x >> 58) % 35;
        uint64_t ms = 1 + ((x >> 3) & ((UINT64_C(1) << bits) - 1));
        StdbResult r = insert_tick(STDB_AT_TIME, ctx->timestamp.micros + (int64_t)(ms * 1000), 1, 0);
        if (r)
            return r;
    }
    return STDB_OK;
}

static const StdbColumn on_tick_params[] = { STDB_ROW_PARAM("tick", tick_table) };

static StdbTable *const tables[] = { &tick_table, &fired_table };
static const StdbReducer reducers[] = {
    { .name = "on_tick", .fn = on_tick, STDB_PARAMS(Tick, on_tick_params) },
    { .name = "start", .fn = start, STDB_PARAMS(StartArgs, start_params) },
    { .name = "chain", .fn = chain, STDB_PARAMS(StartArgs, start_params) },
    { .name = "repeat", .fn = repeat, STDB_PARAMS(RepeatArgs, repeat_params) },
    { .name = "move", .fn = move, STDB_PARAMS(MoveArgs, move_params) },
    { .name = "many", .fn = many, STDB_PARAMS(ManyArgs, many_params) },
};
STDB_MODULE(tables, reducers);
