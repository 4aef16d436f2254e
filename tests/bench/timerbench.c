/*
 * timerbench.c - how fast is the timing wheel with a million timers armed?
 *
 * Four measurements, each printed as a `bench NAME: VALUE UNIT` line (the
 * first three as operations per second: every add, cancel and expiry
 * counts as one operation, as issue 7 words its target of 5M ops/s; a
 * `#` line after each gives the same figure per pair, in nanoseconds):
 *
 *   timers_add_cancel     1M armed timers (delays up to ~17 min); pick one
 *                         at random, cancel it, arm it again with a new
 *                         random delay.  One pair = one cancel + one add.
 *   timers_add_expire     1M armed timers due within 2 s; advance the wheel
 *                         1 ms at a time, each expired timer re-arms itself
 *                         (an interval timer).  One pair = expire + add;
 *                         about 1,000 of them per millisecond step.
 *   timers_expire_wide    the same with delays up to ~70 min, so most
 *                         timers cascade 2-3 times before they fire; the
 *                         wheel advances 100 ms per step.
 *   timers_idle_wakeups   10,000 one-shot timers spread over an hour: how
 *                         often a poll loop sleeping until
 *                         timers_next_expiry() would wake (cascades
 *                         included) in that hour.  An empty wheel: never.
 *
 * Usage: timerbench [-n TIMERS]   (default 1000000)
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/timers.h"
#include "util/alloc.h"

static uint64_t rng_state = 1;

static uint64_t rng(void)   /* splitmix64 */
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t max_delay;   /* re-arm delays are 1 .. max_delay */

static void rearm(Timers *w, Timer *t, void *arg)
{
    (void)arg;
    timers_add(w, t, 1 + rng() % max_delay);
}

static void arm_all(Timers *w, Timer *timers, size_t n, uint64_t delay)
{
    max_delay = delay;
    timers_init(w, 1000);
    for (size_t i = 0; i < n; i++) {
        timer_init(&timers[i]);
        timers_add(w, &timers[i], 1 + rng() % delay);
    }
}

/* `pairs` pairs of operations took `dt` seconds with `armed` timers armed. */
static void report(const char *name, size_t pairs, double dt, size_t armed, const char *pair)
{
    printf("bench %s: %.0f ops/s\n", name, 2.0 * (double)pairs / dt);
    printf("#   %zu pairs (%s) in %.2f s with %zu armed: %.0f ns per pair\n", pairs, pair, dt,
           armed, dt * 1e9 / (double)pairs);
}

static void bench_add_cancel(Timers *w, Timer *timers, size_t n)
{
    arm_all(w, timers, n, 1u << 20);
    size_t ops = 5 * n;
    double t0 = seconds();
    for (size_t i = 0; i < ops; i++) {
        Timer *t = &timers[rng() % n];
        timers_cancel(w, t);
        timers_add(w, t, 1 + rng() % max_delay);
    }
    double dt = seconds() - t0;
    report("timers_add_cancel", ops, dt, n, "cancel + add");
    timers_fini(w);
}

/* Advance `steps` times by `step` ms; report expiries and re-arms per second. */
static void bench_expire(Timers *w, Timer *timers, size_t n, const char *name,
                         uint64_t delay, uint64_t step, int steps)
{
    arm_all(w, timers, n, delay);
    timers_advance(w, timers_now(w) + delay, rearm, NULL);   /* reach steady state */
    size_t fired = 0;
    double t0 = seconds();
    for (int i = 0; i < steps; i++)
        fired += timers_advance(w, timers_now(w) + step, rearm, NULL);
    double dt = seconds() - t0;
    report(name, fired, dt, timers_count(w), "expiry + re-arm");
    timers_fini(w);
}

static void noop(Timers *w, Timer *t, void *arg)
{
    (void)w, (void)t, (void)arg;
}

static void bench_idle(Timers *w, Timer *timers)
{
    const size_t n = 10000;
    const uint64_t hour = 3600 * 1000;
    arm_all(w, timers, n, hour);
    uint64_t end = timers_now(w) + hour;
    long wakeups = 0;
    size_t fired = 0;
    while (timers_next_expiry(w) <= end) {
        fired += timers_advance(w, timers_next_expiry(w), noop, NULL);
        wakeups++;
    }
    printf("bench timers_idle_wakeups: %ld wakeups/hour (%zu one-shot timers fired; empty "
           "wheel: poll timeout %d)\n", wakeups, fired, timers_poll_timeout(w, end));
    timers_fini(w);
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    if (argc == 3 && strcmp(argv[1], "-n") == 0)
        n = (size_t)strtoul(argv[2], NULL, 10);
    else if (argc != 1) {
        fprintf(stderr, "usage: timerbench [-n TIMERS]\n");
        return 2;
    }
    Timers *w = mem_alloc(sizeof *w);
    Timer *timers = mem_alloc_array(n < 10000 ? 10000 : n, sizeof *timers);
    if (!w || !timers) {
        fprintf(stderr, "timerbench: out of memory\n");
        return 1;
    }
    bench_add_cancel(w, timers, n);
    bench_expire(w, timers, n, "timers_add_expire", 2000, 1, 5000);
    bench_expire(w, timers, n, "timers_expire_wide", (uint64_t)1 << 22, 100, 20000);
    bench_idle(w, timers);
    mem_free(timers);
    mem_free(w);
    return 0;
}
