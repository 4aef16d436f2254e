/*
 * ex13_next_expiry.c - graded exercise: the true next deadline.
 *
 * Exercise: 13
 * Title: Exact next expiry
 * Change: timers_next_expiry() in src/sched/timers.c (keep the cascade time for timers_advance)
 * Book: chapter 26, book/26-timer-wheel.md
 *
 * timers_next_expiry() must return the earliest deadline of all armed
 * timers (TIMERS_NEVER when none), not the moment a higher-level slot
 * cascades.  So a poll loop that sleeps until that time wakes exactly
 * once per distinct deadline: once for a single timer an hour ahead.
 * timers_advance() must keep firing every timer exactly at its deadline
 * (it still has cascades to do on the way), and timers_check must pass.
 */
#define EXERCISE_NUMBER 13
#define EXERCISE_SEE "book/26-timer-wheel.md, exercise 1"
#include "exercise.h"

#include <stdlib.h>

#include "exercise_timers.h"

/* A poll loop: sleep until timers_next_expiry, advance, repeat. */
static int poll_loop(Timers *w, Item *items, size_t n)
{
    int wakeups = 0;
    for (;;) {
        uint64_t next = timers_next_expiry(w);
        if (next == TIMERS_NEVER)
            break;
        uint64_t before = timers_now(w);
        size_t fired = timers_advance(w, next, on_fire, NULL);
        CHECK(fired > 0, "the loop woke at %llu (now %llu) and nothing was due: "
              "timers_next_expiry returned a cascade time, not a deadline",
              (unsigned long long)next, (unsigned long long)before);
        wakeups++;
        wheel_ok(w);
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(items[i].fired_at, items[i].due);
    return wakeups;
}

static void test_next_expiry_exact(void **state)
{
    (void)state;
    static const uint64_t starts[] = {0, 1, 63, 4095, 1700000000123u, 262143, 99999999};
    static const uint64_t delays[] = {1, 63, 64, 65, 4096, 3600000, 86400000, 31536000000u};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        for (size_t d = 0; d < sizeof delays / sizeof delays[0]; d++) {
            Timers w;
            Item a = {0};
            timers_init(&w, starts[s]);
            timer_init(&a.timer);
            assert_int_equal(timers_add(&w, &a.timer, delays[d]), ST_OK);
            a.due = starts[s] + delays[d];
            CHECK(timers_next_expiry(&w) == a.due, "one timer %llu ms ahead of %llu: next expiry "
                  "%llu, not its deadline %llu", (unsigned long long)delays[d],
                  (unsigned long long)starts[s], (unsigned long long)timers_next_expiry(&w),
                  (unsigned long long)a.due);
            int wakeups = poll_loop(&w, &a, 1);
            CHECK(wakeups == 1, "a single timer woke the loop %d times", wakeups);
            timers_fini(&w);
        }
    }
}

/* 1 ms .. 23 days, mostly the shorter spans. */
static uint64_t random_delay(void)
{
    return 1 + (rnd(10) ? random_ms() : rnd(2000000000));
}

static uint64_t model_min(const Item *items, size_t n)
{
    uint64_t m = TIMERS_NEVER;
    for (size_t i = 0; i < n; i++)
        if (items[i].armed && items[i].due < m)
            m = items[i].due;
    return m;
}

static void test_next_expiry_random(void **state)
{
    (void)state;
    enum { N = 300 };
    static Item items[N];
    Timers w;
    uint64_t now = 123456789;
    timers_init(&w, now);
    items_init(items, N);
    for (int op = 0; op < 40000; op++) {
        Item *it = &items[rnd(N)];
        uint64_t k = rnd(100);
        if (k < 45) {
            uint64_t d = random_delay();
            assert_int_equal(timers_add(&w, &it->timer, d), ST_OK);
            it->armed = true, it->due = timers_now(&w) + d, it->fired = 0;
        } else if (k < 60) {
            timers_cancel(&w, &it->timer);
            it->armed = false;
        } else {
            /* Advance a little, or to the next expiry, or past it. */
            uint64_t next = timers_next_expiry(&w), to = now + rnd(100);
            if (next != TIMERS_NEVER && k < 85)
                to = next + (k < 75 ? 0 : rnd(3000));
            size_t fired = timers_advance(&w, to, on_fire, NULL);
            now = to > now ? to : now;
            size_t want = 0;
            for (size_t i = 0; i < N; i++) {
                if (!items[i].armed || items[i].due > now)
                    continue;
                want++;
                items[i].armed = false;
                CHECK(items[i].fired == 1 && items[i].fired_at == items[i].due,
                      "a timer due at %llu fired %d times, last at %llu",
                      (unsigned long long)items[i].due, items[i].fired,
                      (unsigned long long)items[i].fired_at);
            }
            assert_int_equal(fired, want);
        }
        uint64_t got = timers_next_expiry(&w), want = model_min(items, N);
        CHECK(got == want, "after %d operations: next expiry %llu, earliest deadline %llu", op,
              (unsigned long long)got, (unsigned long long)want);
        if (op % 1000 == 0)
            wheel_ok(&w);
    }
    /* What is left wakes a poll loop once per distinct deadline. */
    uint64_t *dues = malloc(N * sizeof *dues);
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        if (items[i].armed)
            dues[n++] = items[i].due;
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = dues[j] == dues[i];
        distinct += !seen;
    }
    for (size_t i = 0; i < N; i++)
        if (!items[i].armed)
            items[i].due = items[i].fired_at;   /* poll_loop checks them all */
    int wakeups = poll_loop(&w, items, N);
    CHECK((size_t)wakeups == distinct, "%zu distinct deadlines woke the loop %d times", distinct,
          wakeups);
    free(dues);
    timers_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_expiry_exact),
        cmocka_unit_test(test_next_expiry_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
