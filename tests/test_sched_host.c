/*
 * test_sched_host.c - scheduled reducers firing from the timer wheel
 * (src/host/sched.c), with a manual clock: every test is deterministic
 * and takes no real time, however many seconds it simulates.
 *
 * Modules: tests/modules/ticker.wasm (a scheduled table built to be
 * tested: one-shots, intervals, updates, self-scheduling, failures),
 * examples/reminders/reminders.wasm and, when ../shared has it, the real
 * Rust module, whose init schedules a 1-second game_tick.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include "host_util.h"

#include <limits.h>

#include "host/logs.h"
#include "host/sched.h"

static ModuleLogs *logs;
static Clock clk;
static Scheduler *sched;
static long live;
static uint32_t fuel;             /* config fuel for the next load (0: default) */
static HostOutcome outcomes[16];  /* what the last firings did (on_fired) */
static size_t noutcomes;

static int64_t host_clock(void *user)
{
    return clock_unix_us(user);
}

static void record_fired(void *user, HostModule *hm, const HostResult *res,
                         const HostScheduled *next)
{
    (void)user, (void)hm, (void)next;
    outcomes[noutcomes++ % 16] = res->outcome;
}

static int setup(void **state)
{
    (void)state;
    live = mem_live();
    fuel = 0;
    noutcomes = 0;
    clock_init_manual(&clk, 5000, T0);
    if (sched_new(&clk, &sched) != ST_OK)
        return -1;
    sched_on_fired(sched, record_fired, NULL);
    return logs_open(NULL, 1u << 16, &logs, NULL, 0) == ST_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sched_free(sched);
    logs_close(logs);
    if (mem_live() != live) {
        print_error("leak: %ld allocations not freed\n", mem_live() - live);
        return -1;
    }
    return 0;
}

static HostModule *load_bytes(const char *what, uint8_t *wasm, size_t len)
{
    HostConfig cfg = { .logs = logs, .clock = host_clock, .clock_user = &clk, .fuel = fuel };
    identity_of("database", cfg.identity);
    identity_of("owner", cfg.owner);
    HostModule *hm = NULL;
    ModError err;
    Status st = module_load(wasm, len, &cfg, &hm, &err);
    mem_free(wasm);
    if (st != ST_OK)
        fail_msg("%s: %s", what, err.msg);
    assert_int_equal(sched_attach(sched, hm), ST_OK);
    return hm;
}

static HostModule *load(const char *path)
{
    size_t len = 0;
    uint8_t *wasm = file_read_all(path, &len);
    if (!wasm)
        fail_msg("cannot read %s (run the tests from the repository root)", path);
    return load_bytes(path, wasm, len);
}

static void check(void)
{
    char msg[256];
    if (sched_check(sched, msg, sizeof msg) != ST_OK)
        fail_msg("sched_check: %s", msg);
}

/* A client call at the clock's time; returns the result's outcome. */
static HostOutcome call(HostModule *hm, const char *reducer, const char *json)
{
    HostCaller c = { .timestamp = clock_unix_us(&clk) };
    identity_of("alice", c.identity);
    c.connection_id[0] = 1;
    HostResult res;
    Status st = module_call_json(hm, reducer, &c, json, strlen(json), &res);
    if (st != ST_OK)
        fail_msg("%s: %s", reducer, res.message);
    return res.outcome;
}

static void init(HostModule *hm)
{
    HostResult res;
    assert_committed(module_init(hm, clock_unix_us(&clk), &res), res);
}

/* Log records whose message contains text (and, if given, from `fn`). */
static size_t count_logs(const char *text, const char *fn, ModLogLevel level)
{
    size_t n = 0;
    for (size_t i = 0; i < logs_count(logs); i++) {
        const LogRecord *r = logs_get(logs, i);
        if (strstr(r->message, text) && (!fn || (r->function && !strcmp(r->function, fn))) &&
            r->level == level)
            n++;
    }
    return n;
}

static int64_t due_of(HostModule *hm, const char *table, uint64_t id)
{
    int64_t at = 0;
    assert_true(sched_pending(sched, hm, module_table_id(hm, table), id, &at));
    return at;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_one_shot(void **state)
{
    (void)state;
    HostModule *hm = load("tests/modules/ticker.wasm");
    assert_int_equal(call(hm, "start", "[1, 2500000]"), HOST_COMMITTED);
    assert_int_equal(sched_count(sched), 1);
    assert_int_equal(due_of(hm, "tick", 1), T0 + 2500000);
    int timeout = sched_poll_timeout(sched);              /* 2500, or an earlier cascade */
    assert_true(timeout > 0 && timeout <= 2500);
    assert_int_equal(sched_advance(sched, 2499), 0);
    assert_int_equal(rows_in(hm, "fired"), 0);
    assert_int_equal(sched_advance(sched, 1), 1);
    assert_int_equal(outcomes[0], HOST_COMMITTED);
    assert_int_equal(rows_in(hm, "fired"), 1);
    assert_int_equal(rows_in(hm, "tick"), 0);            /* Time: the row is deleted */
    assert_int_equal(count_logs("tick 1 n=1", "on_tick", MODLOG_DEBUG), 1);
    assert_int_equal(count_logs("late", NULL, MODLOG_WARN), 0);   /* ran exactly at its time */
    assert_int_equal(sched_count(sched), 0);
    assert_int_equal(sched_poll_timeout(sched), -1);     /* nothing armed: sleep forever */
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

static void test_interval(void **state)
{
    (void)state;
    HostModule *hm = load("tests/modules/ticker.wasm");
    assert_int_equal(call(hm, "repeat", "[1000000]"), HOST_COMMITTED);
    assert_int_equal(sched_advance(sched, 10000), 10);
    assert_int_equal(rows_in(hm, "fired"), 10);
    assert_int_equal(rows_in(hm, "tick"), 1);            /* Interval: the row stays */
    assert_int_equal(due_of(hm, "tick", 1), T0 + 11000000);   /* finish time + 1 s */
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

/* Reminders: the heartbeat ticks every second; a cancelled reminder never fires. */
static void test_cancel_by_delete(void **state)
{
    (void)state;
    HostModule *hm = load("examples/reminders/reminders.wasm");
    init(hm);
    assert_int_equal(call(hm, "remind_me", "[\"tea\", 5000000]"), HOST_COMMITTED);
    assert_int_equal(call(hm, "remind_me", "[\"cake\", 1500000]"), HOST_COMMITTED);
    assert_int_equal(call(hm, "cancel", "[2]"), HOST_COMMITTED);
    assert_int_equal(sched_advance(sched, 10000), 11);  /* 10 heartbeats, cake, (tea: gone) */
    assert_int_equal(count_logs("reminder 2: tea", NULL, MODLOG_INFO), 0);
    assert_int_equal(count_logs("reminder 3: cake", "send_reminder", MODLOG_INFO), 1);
    assert_int_equal(count_logs("reminder 1: heartbeat", "send_reminder", MODLOG_INFO), 10);
    assert_int_equal(rows_in(hm, "delivery"), 11);
    assert_int_equal(rows_in(hm, "reminder"), 1);
    assert_int_equal(sched_count(sched), 1);             /* tea's entry dropped when it came up */
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

static void test_rearm_by_update(void **state)
{
    (void)state;
    HostModule *hm = load("tests/modules/ticker.wasm");
    assert_int_equal(call(hm, "start", "[1, 10000000]"), HOST_COMMITTED);
    assert_int_equal(call(hm, "start", "[2, 2000000]"), HOST_COMMITTED);
    char json[64];
    snprintf(json, sizeof json, "[1, %lld]", (long long)(T0 + 3000000));   /* earlier */
    assert_int_equal(call(hm, "move", json), HOST_COMMITTED);
    snprintf(json, sizeof json, "[2, %lld]", (long long)(T0 + 20000000));  /* later */
    assert_int_equal(call(hm, "move", json), HOST_COMMITTED);
    assert_int_equal(sched_count(sched), 2);             /* replaced, not added */
    assert_int_equal(due_of(hm, "tick", 1), T0 + 3000000);
    assert_int_equal(sched_advance(sched, 2999), 0);     /* tick 2's old time passed: nothing */
    assert_int_equal(sched_advance(sched, 1), 1);
    assert_int_equal(count_logs("tick 1 n=1", NULL, MODLOG_DEBUG), 1);
    assert_int_equal(sched_advance(sched, 16999), 0);
    assert_int_equal(sched_advance(sched, 1), 1);
    assert_int_equal(count_logs("tick 2 n=2", NULL, MODLOG_DEBUG), 1);
    assert_int_equal(count_logs("late", NULL, MODLOG_WARN), 0);
    /* A time in the past fires as soon as possible (the next millisecond), late. */
    assert_int_equal(call(hm, "start", "[3, 60000000]"), HOST_COMMITTED);
    snprintf(json, sizeof json, "[3, %lld]", (long long)T0);
    assert_int_equal(call(hm, "move", json), HOST_COMMITTED);
    assert_int_equal(sched_poll_timeout(sched), 1);
    assert_int_equal(sched_advance(sched, 1), 1);
    assert_int_equal(count_logs("tick 3 late by 20001000 us", NULL, MODLOG_WARN), 1);
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

static void test_reducer_schedules_itself(void **state)
{
    (void)state;
    HostModule *hm = load("tests/modules/ticker.wasm");
    assert_int_equal(call(hm, "chain", "[5, 1000000]"), HOST_COMMITTED);
    assert_int_equal(sched_advance(sched, 4999), 4);
    assert_int_equal(rows_in(hm, "tick"), 1);            /* the fifth, armed by the fourth */
    assert_int_equal(due_of(hm, "tick", 5), T0 + 5000000);
    assert_int_equal(sched_advance(sched, 10000), 1);
    assert_int_equal(rows_in(hm, "fired"), 5);
    assert_int_equal(rows_in(hm, "tick"), 0);
    assert_int_equal(count_logs("late", NULL, MODLOG_WARN), 0);
    assert_int_equal(sched_count(sched), 0);
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

/* Err, trap and out of fuel roll the call back, and a one-shot row is
 * deleted all the same; the scheduled call has the database as sender,
 * and a client may call the reducer directly (1.x) but as itself. */
static void test_failures_and_sender(void **state)
{
    (void)state;
    fuel = 50000000;
    HostModule *hm = load("tests/modules/ticker.wasm");
    assert_int_equal(call(hm, "start", "[999, 1000]"), HOST_COMMITTED);
    assert_int_equal(call(hm, "start", "[998, 2000]"), HOST_COMMITTED);
    assert_int_equal(call(hm, "start", "[997, 3000]"), HOST_COMMITTED);
    assert_int_equal(sched_advance(sched, 3), 3);
    assert_int_equal(noutcomes, 3);
    assert_int_equal(outcomes[0], HOST_FAILED);
    assert_int_equal(outcomes[1], HOST_TRAPPED);
    assert_int_equal(outcomes[2], HOST_OUT_OF_ENERGY);
    assert_int_equal(rows_in(hm, "tick"), 0);
    assert_int_equal(rows_in(hm, "fired"), 0);
    assert_int_equal(sched_count(sched), 0);
    assert_int_equal(call(hm, "on_tick", "[{\"id\":7,\"at\":{\"Interval\":"
                          "{\"__time_duration_micros__\":1}},\"n\":1,\"every\":0}]"),
                     HOST_FAILED);                        /* "may only be called by the scheduler" */
    assert_int_equal(module_instances(hm), 3);           /* two traps: two fresh instances */
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

static void test_too_long(void **state)
{
    (void)state;
    HostModule *hm = load("tests/modules/ticker.wasm");
    char json[64];
    uint64_t max_us = (TIMERS_MAX_DELAY_MS) * 1000;
    snprintf(json, sizeof json, "[1, %llu]", (unsigned long long)(max_us + 1000));
    assert_int_equal(call(hm, "start", json), HOST_FAILED);   /* errno 13 */
    assert_int_equal(sched_count(sched), 0);
    snprintf(json, sizeof json, "[1, %llu]", (unsigned long long)max_us);
    assert_int_equal(call(hm, "start", json), HOST_COMMITTED);
    assert_int_equal(sched_count(sched), 1);
    assert_int_equal(sched_poll_timeout(sched), INT_MAX);
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

/* Thousands of one-shots from 1 ms to a year: each fires once, on time. */
static void test_thousands(void **state)
{
    (void)state;
    HostModule *hm = load("tests/modules/ticker.wasm");
    assert_int_equal(call(hm, "many", "[5000, 12345]"), HOST_COMMITTED);
    assert_int_equal(sched_count(sched), 5000);
    check();
    size_t fired = 0;
    for (int day = 0; day < 400; day++)
        fired += sched_advance(sched, UINT64_C(86400000));
    assert_int_equal(fired, 5000);
    assert_int_equal(rows_in(hm, "fired"), 5000);
    assert_int_equal(rows_in(hm, "tick"), 0);
    assert_int_equal(count_logs("late", NULL, MODLOG_WARN), 0);
    assert_int_equal(count_logs("n=1", "on_tick", MODLOG_DEBUG), 5000);
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

/* A restart: rows already in the tables re-arm when a host attaches;
 * an overdue one-shot fires at once, an interval one period later. */
static void test_attach_rearms_rows(void **state)
{
    (void)state;
    HostModule *hm = load("examples/reminders/reminders.wasm");
    init(hm);
    assert_int_equal(call(hm, "remind_me", "[\"tea\", 5000000]"), HOST_COMMITTED);
    sched_detach(sched, hm);
    assert_int_equal(sched_count(sched), 0);
    clock_advance(&clk, 60000);                          /* the server was down a minute */
    assert_int_equal(sched_attach(sched, hm), ST_OK);
    assert_int_equal(sched_count(sched), 2);
    assert_int_equal(sched_poll_timeout(sched), 0);      /* tea is overdue: no sleeping */
    assert_int_equal(sched_run_due(sched), 1);
    assert_int_equal(count_logs("reminder 2: tea", NULL, MODLOG_INFO), 1);
    assert_int_equal(due_of(hm, "reminder", 1), T0 + 61000000);
    assert_int_equal(sched_advance(sched, 999), 0);
    assert_int_equal(sched_advance(sched, 1), 1);
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

/* Index of the first log record containing text, or -1. */
static long log_index(const char *text)
{
    for (size_t i = 0; i < logs_count(logs); i++)
        if (strstr(logs_get(logs, i)->message, text))
            return (long)i;
    return -1;
}

/* After a restart, overdue one-shots fire in time order, not in the
 * order their rows happen to be stored. */
static void test_attach_overdue_in_time_order(void **state)
{
    (void)state;
    HostModule *hm = load("tests/modules/ticker.wasm");
    assert_int_equal(call(hm, "start", "[1, 3000000]"), HOST_COMMITTED);   /* row 1: +3 s */
    assert_int_equal(call(hm, "start", "[2, 1000000]"), HOST_COMMITTED);   /* row 2: +1 s */
    assert_int_equal(call(hm, "start", "[3, 2000000]"), HOST_COMMITTED);   /* row 3: +2 s */
    sched_detach(sched, hm);
    clock_advance(&clk, 60000);                          /* down past all three */
    assert_int_equal(sched_attach(sched, hm), ST_OK);
    assert_int_equal(sched_run_due(sched), 3);
    long first = log_index("n=2"), second = log_index("n=3"), third = log_index("n=1");
    assert_true(first >= 0 && second > first && third > second);
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

/* The real Rust module: init schedules a 1-second game_tick; 10 s of
 * manual time run exactly 10 ticks (its debug logs show them). */
static void test_rust_game_tick(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *wasm = read_rust_module(&len);
    if (!wasm) {
        print_message("SKIPPED: no %s (set TINYSTDB_SHARED)\n", RUST_MODULE);
        skip();
    }
    HostModule *hm = load_bytes(RUST_MODULE, wasm, len);
    init(hm);
    assert_int_equal(sched_count(sched), 1);
    assert_int_equal(sched_advance(sched, 10000), 10);
    size_t ticks = 0;
    for (size_t i = 0; i < logs_count(logs); i++) {
        const LogRecord *r = logs_get(logs, i);
        ticks += r->function && !strcmp(r->function, "game_tick") && r->level == MODLOG_DEBUG;
    }
    assert_int_equal(ticks, 10);
    assert_int_equal(rows_in(hm, "game_tick_schedule"), 1);
    check();
    sched_detach(sched, hm);
    module_free(hm);
}

/* Hosts come and go (the server's republish): sync forgets the gone. */
static void test_sync(void **state)
{
    (void)state;
    HostModule *a = load("examples/reminders/reminders.wasm");
    init(a);
    HostModule *b = load("tests/modules/ticker.wasm");
    assert_int_equal(call(b, "repeat", "[1000000]"), HOST_COMMITTED);
    assert_int_equal(sched_count(sched), 2);
    HostModule *only_b[] = { b };
    assert_int_equal(sched_sync(sched, only_b, 1), ST_OK);
    assert_int_equal(sched_count(sched), 1);
    assert_false(sched_attached(sched, a));
    module_free(a);
    assert_int_equal(sched_advance(sched, 3000), 3);
    check();
    sched_detach(sched, b);
    module_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_shot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_by_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rearm_by_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reducer_schedules_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_and_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thousands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_rearms_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_overdue_in_time_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_game_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
