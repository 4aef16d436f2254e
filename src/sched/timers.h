/*
 * timers.h - a hierarchical timing wheel: many timers, O(1) per operation.
 *
 * The scheduler of tinystdb (scheduled reducers, issue 7) needs to hold
 * anything from a handful to millions of pending deadlines, from 1 ms to
 * two years ahead, and to answer three questions cheaply: arm this, disarm
 * that, and "what is due now?".  A binary heap costs O(log n) for each;
 * this wheel costs O(1) amortised, because a timer is filed by the *digits*
 * of its deadline, never compared with other timers.
 *
 * Layout: time is an unsigned count of milliseconds (the wheel's time
 * domain is whatever the caller passes; the server uses the monotonic
 * clock of clock.h).  Write a deadline in base 64: six digits d5..d0, each
 * 6 bits.  There are 6 levels of 64 slots; level L, slot s holds the timers
 * whose deadline agrees with the wheel's "now" in every digit above L and
 * has digit L equal to s:
 *
 *     level  slot width   span of the level     a timer lives here when
 *       0        1 ms         64 ms              it differs from now only in d0
 *       1       64 ms         4.1 s              ... first in d1
 *       2      4.1 s          4.4 min            ... first in d2
 *       3      4.4 min        4.7 h              ... first in d3
 *       4      4.7 h         12.4 days           ... first in d4
 *       5     12.4 days       2.18 years         ... in d5 or above
 *
 * When "now" reaches the first millisecond of a slot of level L > 0, its
 * timers *cascade*: each is filed again, one or more levels lower.  A timer
 * cascades at most 5 times in its life, hence O(1) amortised.  Level 0
 * slots are exact milliseconds; reaching one expires its timers.
 *
 * Range: SpacetimeDB refuses a delay >= 64^6 - 1 ms (about 2.18 years;
 * module-abi.md 7.5, errno 13 SCHEDULE_AT_DELAY_TOO_LONG); so does
 * timers_add(), with ST_LIMIT, which the host maps to errno 13.
 *
 * Guarantees (tested against a sorted-list model in test_timers.c):
 *   - a timer fires exactly once per arming, inside the timers_advance()
 *     call whose `now` first reaches its deadline, and timers_now() then
 *     equals its deadline (never late in wheel time, never early);
 *   - within one timers_advance(), timers fire in ascending deadline order,
 *     and timers with equal deadlines fire in the order they were armed
 *     (the order of their last timers_add call; a re-arm counts as new);
 *   - the smallest delay is 1 ms: a delay of 0, or an absolute deadline at
 *     or before now, means now + 1.  So a callback that re-arms itself
 *     with delay 0 runs once per millisecond of advance, never in a loop.
 *
 * Intrusive: the caller embeds a Timer in its own object and recovers the
 * object in the callback (offsetof).  The wheel never allocates; it only
 * links Timers into its 384 slot lists, so arming cannot fail for lack of
 * memory.  Single-threaded, like the rest of the server.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#ifndef TINYSTDB_TIMERS_H
#define TINYSTDB_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"

#define TIMERS_LEVEL_BITS 6                               /* 64 slots a level */
#define TIMERS_SLOTS (1u << TIMERS_LEVEL_BITS)
#define TIMERS_LEVELS 6
#define TIMERS_RANGE_MS ((UINT64_C(1) << (TIMERS_LEVEL_BITS * TIMERS_LEVELS)) - 1)
#define TIMERS_MAX_DELAY_MS (TIMERS_RANGE_MS - 1)          /* longest accepted */
#define TIMERS_NEVER UINT64_MAX          /* timers_next_expiry() of an empty wheel */

/* A link of a circular doubly-linked list; the slots hold bare links as
 * list heads (sentinels), a Timer starts with one. */
typedef struct TimerLink {
    struct TimerLink *next, *prev;
} TimerLink;

/* Embed one in your object; timer_init() before first use.  The fields are
 * the wheel's: read them through timer_armed() and timer_expires(). */
typedef struct Timer {
    TimerLink link;     /* first member: a Timer* is its link's address */
    uint64_t expires;   /* absolute deadline in ms, valid while armed */
    uint32_t where;     /* level * 64 + slot, or TIMER_IDLE */
} Timer;

#define TIMER_IDLE UINT32_MAX   /* Timer.where of a timer that is not armed */

typedef struct Timers Timers;

/* Called once for each expired timer, already disarmed.  It may add or
 * cancel any timer (re-arming t itself makes an interval timer) but must
 * not call timers_advance() or timers_fini(). */
typedef void TimersFn(Timers *w, Timer *t, void *arg);

struct Timers {
    uint64_t now;                                /* time of the last advance */
    size_t count;                                /* armed timers */
    uint64_t occupied[TIMERS_LEVELS];            /* bit s: slot s non-empty */
    TimerLink slot[TIMERS_LEVELS][TIMERS_SLOTS]; /* FIFO lists */
    TimerLink firing;                            /* the batch being fired */
    bool advancing;                              /* inside timers_advance */
};

/* ---- one timer ---------------------------------------------------------- */

void timer_init(Timer *t);                 /* idle */
bool timer_armed(const Timer *t);          /* added and not yet fired or cancelled */
uint64_t timer_expires(const Timer *t);    /* deadline; caller must check armed */

/* ---- the wheel ---------------------------------------------------------- */

/* An empty wheel whose time is `now` (e.g. clock_now_ms()). */
void timers_init(Timers *w, uint64_t now);

/* Disarm every timer still armed (the caller owns them and may free them
 * afterwards).  The wheel must not be used again without timers_init(). */
void timers_fini(Timers *w);

/* Arm t to fire at now + delay_ms (a delay of 0 means 1).  If t is already
 * armed it is moved: the old deadline is forgotten and t queues behind
 * timers already armed for the same deadline.  ST_LIMIT if delay_ms >
 * TIMERS_MAX_DELAY_MS; then t is left exactly as it was. */
Status timers_add(Timers *w, Timer *t, uint64_t delay_ms);

/* The same with an absolute deadline; `when` <= now means now + 1. */
Status timers_add_at(Timers *w, Timer *t, uint64_t when);

/* Disarm t; true if it was armed.  Cancelling an idle timer is harmless. */
bool timers_cancel(Timers *w, Timer *t);

/* Move time forward to `now` (earlier values are ignored: time never runs
 * backwards), firing fn(w, t, arg) for every timer whose deadline is <= now,
 * in the order documented above.  Returns how many fired.  Idle stretches
 * cost nothing: the wheel jumps from one occupied slot to the next. */
size_t timers_advance(Timers *w, uint64_t now, TimersFn *fn, void *arg);

/* When timers_advance() next has work to do: the deadline of the earliest
 * timer if it sits in level 0, else the earlier moment its slot cascades.
 * So a caller that sleeps until this time may wake up for a cascade that
 * fires nothing (at most once per level a timer passes through, 5 times in
 * a timer's life) but never sleeps past a deadline.  TIMERS_NEVER if empty. */
uint64_t timers_next_expiry(const Timers *w);

/* For poll(): milliseconds from `now` until timers_next_expiry(), 0 if
 * that is already past, -1 (wait forever) if the wheel is empty; clamped
 * to INT_MAX. */
int timers_poll_timeout(const Timers *w, uint64_t now);

uint64_t timers_now(const Timers *w);
size_t timers_count(const Timers *w);

/* Verify every invariant (list links, bitmaps, count, each timer filed in
 * the slot its deadline and now dictate); ST_INVALID with a description
 * in msg on the first violation.  O(number of timers). */
Status timers_check(const Timers *w, char *msg, size_t msglen);

#endif
