/*
 * clock.h - where the server gets the time, and how tests replace it.
 *
 * The scheduler asks two different questions, and they need two clocks:
 *
 *   clock_now_ms()   "how long until the next timer?"  A monotonic count of
 *                    milliseconds (CLOCK_MONOTONIC): it never jumps when an
 *                    administrator or NTP sets the date, so a 1-second
 *                    interval stays 1 second.  The timer wheel runs on it.
 *   clock_unix_us()  "what time is it?"  Microseconds since the Unix epoch
 *                    (CLOCK_REALTIME), what SpacetimeDB puts in a reducer's
 *                    Timestamp and what ScheduleAt::Time(t) is written in.
 *
 * A Clock is either REAL (both read the operating system) or MANUAL: time
 * stands still until the test calls clock_advance(), which moves both by
 * the same amount (or clock_set_unix_us(), which jumps only the wall
 * clock, as a date change would).  Code under test takes a Clock *, so a
 * test of "a 1 s interval reducer runs 10 times in 10 s" is deterministic
 * and takes microseconds, not 10 seconds.
 *
 * A Clock is a small value the caller embeds; nothing to free.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#ifndef TINYSTDB_CLOCK_H
#define TINYSTDB_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ClockKind {
    CLOCK_KIND_REAL,     /* the operating system's clocks */
    CLOCK_KIND_MANUAL    /* moves only when told to */
} ClockKind;

typedef struct Clock {
    ClockKind kind;
    uint64_t mono_ms;    /* MANUAL: the monotonic reading */
    int64_t unix_us;     /* MANUAL: the wall-clock reading */
} Clock;

/* The server's clock. */
void clock_init_real(Clock *c);

/* A test clock reading mono_ms and unix_us until advanced. */
void clock_init_manual(Clock *c, uint64_t mono_ms, int64_t unix_us);

uint64_t clock_now_ms(const Clock *c);   /* monotonic milliseconds */
int64_t clock_unix_us(const Clock *c);   /* microseconds since 1970-01-01 UTC */

/* MANUAL only (asserted): move both readings forward by ms. */
void clock_advance(Clock *c, uint64_t ms);

/* MANUAL only (asserted): set the wall clock; the monotonic one is kept. */
void clock_set_unix_us(Clock *c, int64_t unix_us);

#endif
