/*
 * ex14_timer_slack.c - graded exercise: timers that may fire a little late.
 *
 * Exercise: 14
 * Title: Slack
 * Change: timers_add_slack() in src/sched/timers.c (new; declare it in timers.h)
 * Book: chapter 26, book/26-timer-wheel.md
 *
 *   Status timers_add_slack(Timers *w, Timer *t, uint64_t delay_ms,
 *                           uint64_t slack_ms);
 *
 * arms t to fire at some time in the window [now + delay, now + delay +
 * slack] (a delay of 0 means 1, as for timers_add; the window is cut at
 * now + TIMERS_MAX_DELAY_MS; ST_LIMIT, t untouched, if delay_ms is over
 * TIMERS_MAX_DELAY_MS).  The deadline chosen is the first multiple of the
 * largest power of 64 (64^6 ... 64, 1) that falls in the window: its low
 * digits are zero, so the timer never cascades before its time and a
 * poll loop wakes for it once.  Slack 0 is timers_add.
 */
#define EXERCISE_NUMBER 14
#define EXERCISE_SEE "book/26-timer-wheel.md, exercise 2"
#include "exercise.h"

#include "exercise_timers.h"

EXERCISE_WEAK Status timers_add_slack(Timers *w, Timer *t, uint64_t delay_ms, uint64_t slack_ms);

/* The rule, written out: the first multiple of the coarsest 64^k in [lo, hi]. */
static uint64_t aligned(uint64_t lo, uint64_t hi)
{
    for (int k = TIMERS_LEVELS; k >= 0; k--) {
        uint64_t m = UINT64_C(1) << (TIMERS_LEVEL_BITS * k);
        uint64_t c = (lo + m - 1) / m * m;
        if (c >= lo && c <= hi)
            return c;
    }
    return lo;
}

static void window(const Timers *w, uint64_t delay, uint64_t slack, uint64_t *lo, uint64_t *hi)
{
    uint64_t now = timers_now(w);
    *lo = now + (delay ? delay : 1);
    *hi = *lo + slack;
    if (*hi > now + TIMERS_MAX_DELAY_MS)
        *hi = now + TIMERS_MAX_DELAY_MS;
}

static void test_slack_examples(void **state)
{
    (void)state;
    NEED(timers_add_slack);
    static const struct { uint64_t now, delay, slack, due; } ex[] = {
        {0, 100, 100, 128},            /* 128 = 2 * 64 */
        {0, 100, 0, 100},              /* no slack: exact */
        {0, 0, 0, 1},                  /* delay 0 means 1 */
        {1000, 3000, 200, 4096},       /* 4096 = 64^2, within [4000, 4200] */
        {1000, 3000, 50, 4032},        /* 4032 = 63 * 64, within [4000, 4050] */
        {5, 10, 3, 15},                /* [15, 18]: no multiple of 64, first ms */
        {1, 300000, 1000000, 524288},  /* 2 * 64^3 in [300001, 1300001] */
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        Timers w;
        Item a = {0};
        timers_init(&w, ex[i].now);
        timer_init(&a.timer);
        Status st = timers_add_slack(&w, &a.timer, ex[i].delay, ex[i].slack);
        CHECK(st == ST_OK, "timers_add_slack returned %d", st);
        CHECK(timer_armed(&a.timer) && timer_expires(&a.timer) == ex[i].due,
              "now %llu, delay %llu, slack %llu: deadline %llu, want %llu",
              (unsigned long long)ex[i].now, (unsigned long long)ex[i].delay,
              (unsigned long long)ex[i].slack, (unsigned long long)timer_expires(&a.timer),
              (unsigned long long)ex[i].due);
        wheel_ok(&w);
        int wakeups = 0;
        while (timer_armed(&a.timer)) {   /* a poll loop: one wake, at the deadline */
            timers_advance(&w, timers_next_expiry(&w), on_fire, NULL);
            wakeups++;
        }
        CHECK(a.fired_at == ex[i].due, "fired at %llu, not at its deadline %llu",
              (unsigned long long)a.fired_at, (unsigned long long)ex[i].due);
        if (ex[i].due % 64 == 0 || ex[i].due - ex[i].now < 64)
            CHECK(wakeups == 1, "an aligned timer woke the poll loop %d times", wakeups);
        timers_fini(&w);
    }
    Timers w;
    Item a = {0};
    timers_init(&w, 7);
    timer_init(&a.timer);
    CHECK(timers_add_slack(&w, &a.timer, TIMERS_MAX_DELAY_MS + 1, 0) == ST_LIMIT
          && !timer_armed(&a.timer), "a delay over TIMERS_MAX_DELAY_MS: ST_LIMIT, timer untouched");
    CHECK(timers_add_slack(&w, &a.timer, TIMERS_MAX_DELAY_MS - 10, 1000) == ST_OK
          && timer_expires(&a.timer) <= 7 + TIMERS_MAX_DELAY_MS,
          "the window must be cut at now + TIMERS_MAX_DELAY_MS");
    timers_fini(&w);
}

/* Random slack timers, plain timers and cancels against a model. */
static void test_slack_never_early(void **state)
{
    (void)state;
    NEED(timers_add_slack);
    enum { N = 200 };
    static Item items[N];
    Timers w;
    uint64_t now = 987654321;
    timers_init(&w, now);
    items_init(items, N);
    size_t fired_total = 0;
    for (int op = 0; op < 30000; op++) {
        Item *it = &items[rnd(N)];
        uint64_t k = rnd(100);
        if (k < 45) {
            uint64_t delay = random_ms(), slack = k < 10 ? 0 : random_ms();
            window(&w, delay, slack, &it->lo, &it->hi);
            assert_int_equal(timers_add_slack(&w, &it->timer, delay, slack), ST_OK);
            it->armed = true, it->fired = 0;
            it->due = aligned(it->lo, it->hi);
            CHECK(timer_expires(&it->timer) == it->due, "window [%llu, %llu]: deadline %llu, "
                  "want %llu", (unsigned long long)it->lo, (unsigned long long)it->hi,
                  (unsigned long long)timer_expires(&it->timer), (unsigned long long)it->due);
        } else if (k < 55) {
            timers_cancel(&w, &it->timer);
            it->armed = false;
        } else {
            uint64_t to = now + (k < 90 ? rnd(200) : rnd(2000000));
            size_t fired = timers_advance(&w, to, on_fire, NULL);
            now = to;
            size_t want = 0;
            for (size_t i = 0; i < N; i++) {
                if (!items[i].armed || items[i].due > now)
                    continue;
                items[i].armed = false, want++;
                CHECK(items[i].fired == 1 && items[i].fired_at >= items[i].lo
                      && items[i].fired_at <= items[i].hi,
                      "a timer for [%llu, %llu] fired %d times, last at %llu",
                      (unsigned long long)items[i].lo, (unsigned long long)items[i].hi,
                      items[i].fired, (unsigned long long)items[i].fired_at);
            }
            CHECK(fired == want, "%zu timers fired, %zu were due", fired, want);
            fired_total += fired;
        }
        if (op % 1000 == 0)
            wheel_ok(&w);
    }
    assert_true(fired_total > 1000);
    timers_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slack_examples),
        cmocka_unit_test(test_slack_never_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
