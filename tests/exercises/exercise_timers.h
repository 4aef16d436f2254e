/*
 * exercise_timers.h - fixtures shared by the timer-wheel exercises
 * (ex13_next_expiry.c, ex14_timer_slack.c): an object with an embedded
 * Timer and the model's view of it, a callback that records when it
 * fired, the invariant check, and a seeded random number source.
 * Include after exercise.h (it uses CHECK).
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#ifndef TINYSTDB_TESTS_EXERCISE_TIMERS_H
#define TINYSTDB_TESTS_EXERCISE_TIMERS_H

#include <string.h>

#include "sched/timers.h"

typedef struct Item {
    Timer timer;
    bool armed;          /* the model's view */
    uint64_t lo, hi;     /* the window it may fire in (exercise 14) */
    uint64_t due;        /* the deadline it must fire at */
    uint64_t fired_at;   /* wheel time of its last firing */
    int fired;           /* how many times */
} Item;

#define ITEM_OF(t) ((Item *)((char *)(t) - offsetof(Item, timer)))

static void on_fire(Timers *w, Timer *t, void *arg)
{
    (void)arg;
    Item *it = ITEM_OF(t);
    it->fired_at = timers_now(w);
    it->fired++;
}

static void wheel_ok(const Timers *w)
{
    char msg[200];
    CHECK(timers_check(w, msg, sizeof msg) == ST_OK, "timers_check: %s", msg);
}

static void items_init(Item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&items[i], 0, sizeof items[i]);
        timer_init(&items[i].timer);
    }
}

static uint64_t rng = 0xDEADBEEFu;   /* xorshift64: the same run every time */
static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng % n;
}

/* 0 .. 20,000,000 ms, spread over the wheel's levels. */
static uint64_t random_ms(void)
{
    static const uint64_t spans[] = {1, 70, 5000, 300000, 20000000};
    return rnd(spans[rnd(5)]);
}

#endif
