/*
 * clock.c - the two clocks of clock.h, real and manual.
 *
 * The real clock reads clock_gettime(): CLOCK_MONOTONIC for the wheel's
 * milliseconds, CLOCK_REALTIME for timestamps.  Both calls are specified
 * by POSIX.1-2008 and cannot fail for these clock ids, so a failure is a
 * broken system, an assert, not a Status.  The manual clock just returns
 * its two fields.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include "clock.h"

#include <assert.h>
#include <time.h>

static struct timespec read_clock(clockid_t id)
{
    struct timespec ts = { 0, 0 };
    int rc = clock_gettime(id, &ts);
    assert(rc == 0);
    (void)rc;
    return ts;
}

void clock_init_real(Clock *c)
{
    c->kind = CLOCK_KIND_REAL;
    c->mono_ms = 0;
    c->unix_us = 0;
}

void clock_init_manual(Clock *c, uint64_t mono_ms, int64_t unix_us)
{
    c->kind = CLOCK_KIND_MANUAL;
    c->mono_ms = mono_ms;
    c->unix_us = unix_us;
}

uint64_t clock_now_ms(const Clock *c)
{
    if (c->kind == CLOCK_KIND_MANUAL)
        return c->mono_ms;
    struct timespec ts = read_clock(CLOCK_MONOTONIC);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t clock_unix_us(const Clock *c)
{
    if (c->kind == CLOCK_KIND_MANUAL)
        return c->unix_us;
    struct timespec ts = read_clock(CLOCK_REALTIME);
    return (int64_t)ts.tv_sec * 1000000 + (int64_t)ts.tv_nsec / 1000;
}

void clock_advance(Clock *c, uint64_t ms)
{
    assert(c->kind == CLOCK_KIND_MANUAL);
    c->mono_ms += ms;
    c->unix_us += (int64_t)ms * 1000;
}

void clock_set_unix_us(Clock *c, int64_t unix_us)
{
    assert(c->kind == CLOCK_KIND_MANUAL);
    c->unix_us = unix_us;
}
