/*
 * test_server_sched.c - scheduled reducers fire through a real server:
 * its poll() sleeps exactly until the next timer (no busy waiting) and
 * due timers run in the loop's on_tick (chapter 26's server wiring).
 *
 * examples/reminders: init schedules a 1-second heartbeat; remind_me
 * schedules a one-shot.  The server runs with its real clock under
 * server_run (so the timeout really comes from the wheel) until an
 * interval timer stops it about 2.5 s later.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include "server_util.h"

#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "db/db.h"
#include "db/table.h"
#include "util/json.h"

#define REMINDERS "examples/reminders/reminders.wasm"

static void call(TClient *c, const char *reducer, const char *args_json, ProtoReply *r)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_write_string(&sb, args_json, strlen(args_json)), ST_OK);
    tc_sendf(c, "{\"CallReducer\":{\"reducer\":\"%s\",\"args\":%s,\"request_id\":1,\"flags\":0}}",
             reducer, sb.data);
    strbuf_fini(&sb);
    tc_reply(c, r);
    if (r->kind != PROTO_REPLY_TRANSACTION_UPDATE)
        fail_msg("%s: expected TransactionUpdate, got %s", reducer, c->line.data);
}

static void stop_server(int sig)
{
    (void)sig;
    server_stop(srv);        /* async-signal-safe */
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void test_reminders_fire_in_the_server(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_publish(o, "rem", REMINDERS, false);
    TClient *c = tc_open();
    ProtoReply r;
    tc_hello(c, "rem", NULL, &r);
    call(c, "remind_me", "[\"tea\", 150000]", &r);                 /* 0.15 s from now */
    assert_int_equal(r.status.kind, PROTO_STATUS_COMMITTED);
    /* A client may call the scheduled reducer itself (SpacetimeDB 1.x):
     * it runs with the client as sender, and this module refuses. */
    call(c, "send_reminder", "[{\"scheduled_id\":9,\"scheduled_at\":{\"Interval\":"
                             "{\"__time_duration_micros__\":1}},\"text\":\"x\"}]", &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_FAILED);
    assert_string_equal(r.status.text.s, "send_reminder may only be called by the scheduler");

    struct sigaction sa = { .sa_handler = stop_server };
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = { .it_value = { .tv_sec = 2, .tv_usec = 500000 } };
    double cpu = cpu_seconds();
    int64_t t0 = ts_ms();
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
    assert_int_equal(server_run(srv), ST_OK);
    int64_t ms = ts_ms() - t0;
    cpu = cpu_seconds() - cpu;
    signal(SIGALRM, SIG_DFL);

    assert_true(ms >= 2400);
    assert_int_equal(ts_log_count("rem", "reminder 2: tea"), 1);
    size_t beats = ts_log_count("rem", "reminder 1: heartbeat");
    if (beats < 2 || beats > 3)
        fail_msg("%zu heartbeats in %lld ms", beats, (long long)ms);
    HostModule *hm = server_database(srv, "rem");
    assert_int_equal(table_row_count(db_table(module_db(hm), module_table_id(hm, "reminder"))), 1);
    /* Asleep between timers: a busy loop would burn the whole 2.5 s. */
    if (cpu > 0.5)
        fail_msg("the server used %.2f s of CPU in %lld ms", cpu, (long long)ms);
    tc_free(c), tc_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reminders_fire_in_the_server, ts_setup, ts_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
