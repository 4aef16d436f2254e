/*
 * timers.c - the hierarchical timing wheel of timers.h.
 *
 * Everything follows from one filing rule.  With `now` the wheel's time
 * and D a deadline (D > now), look at the highest base-64 digit in which D
 * and now differ:
 *
 *     level(D)  = that digit's position, capped at 5   (D ^ now < 64: 0)
 *     slot(D)   = D's digit at that position
 *
 *     now = ... 03 17 42 09 12 | 31      (base-64 digits, d5 .. d0)
 *     D   = ... 03 17 42 11 05 | 60      differs first in d2: level 2,
 *                   ^^ equal ^^            slot 11
 *
 * Consequences, each relied on below:
 *   (1) On levels 0-4 a filed timer's digit is *greater* than now's digit
 *       (D > now and they agree above it), so those levels never wrap: the
 *       occupied slots all lie ahead of now, in time order.  Level 5 also
 *       takes deadlines in the next "revolution" (D's bits above 36 one
 *       more than now's); those sit in slots at or behind now's d5.
 *   (2) The slot's *entry time*, D with the digits below the level zeroed,
 *       is > now.  When now reaches it the timer is filed again: its new
 *       level is lower (a cascade), or, on level 0, the entry time is D
 *       itself and the timer fires.
 *   (3) As now approaches D the first differing digit only moves down, and
 *       a slot is cascaded the moment now enters it, so every timer is at
 *       all times in the slot the rule names for the current now (checked
 *       by timers_check), and all timers with one deadline share one slot.
 *       Timers reach a slot by add (appended) or by cascade (appended in
 *       their old list's order, before any later add can reach that slot),
 *       so each slot keeps equal deadlines in arming order: the FIFO
 *       guarantee of timers.h.
 *   (4) Entry times of level L are all earlier than those of level L + 1
 *       (level L lives inside now's current level-(L+1) slot), so the next
 *       event is the first occupied slot of the lowest non-empty level:
 *       one count-trailing-zeros on a 64-bit occupancy word.
 *
 * timers_advance() therefore never steps millisecond by millisecond: it
 * jumps from event to event, and an idle wheel costs nothing.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include "timers.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>

#define LEVEL_MASK (TIMERS_SLOTS - 1)
#define WHEEL_BITS (TIMERS_LEVEL_BITS * TIMERS_LEVELS)   /* 36: what the wheel spans */
#define TOP (TIMERS_LEVELS - 1)

/* ---- bit helpers (GCC/Clang builtins; x must be non-zero) -------------- */

static unsigned high_bit(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

static unsigned low_bit(uint64_t x)
{
    return (unsigned)__builtin_ctzll(x);
}

/* Digit `level` of t in base 64. */
static unsigned digit(uint64_t t, unsigned level)
{
    return (unsigned)(t >> (level * TIMERS_LEVEL_BITS)) & LEVEL_MASK;
}

/* t with every digit below `level` zeroed. */
static uint64_t floor_to(uint64_t t, unsigned level)
{
    unsigned bits = level * TIMERS_LEVEL_BITS;
    return bits >= 64 ? 0 : t & ~((UINT64_C(1) << bits) - 1);
}

/* ---- circular lists with a sentinel head ---------------------------- */

static void list_init(TimerLink *head)
{
    head->next = head->prev = head;
}

static bool list_empty(const TimerLink *head)
{
    return head->next == head;
}

static void list_append(TimerLink *head, TimerLink *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static void list_unlink(TimerLink *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->next = l->prev = NULL;
}

/* Move all of src, in order, to the empty list dst. */
static void list_move(TimerLink *dst, TimerLink *src)
{
    assert(list_empty(dst));
    if (list_empty(src))
        return;
    dst->next = src->next;
    dst->prev = src->prev;
    dst->next->prev = dst;
    dst->prev->next = dst;
    list_init(src);
}

/* ---- filing ----------------------------------------------------------- */

/* The level the filing rule names for deadline d at time now (d >= now). */
static unsigned level_for(uint64_t d, uint64_t now)
{
    uint64_t diff = d ^ now;
    if (diff < TIMERS_SLOTS)
        return 0;
    unsigned level = high_bit(diff) / TIMERS_LEVEL_BITS;
    return level > TOP ? TOP : level;
}

/* Append t to the slot its deadline names.  d == now is allowed only for
 * the cascade that makes t due this very millisecond: level 0, slot d0. */
static void file(Timers *w, Timer *t)
{
    unsigned level = level_for(t->expires, w->now);
    unsigned s = digit(t->expires, level);
    list_append(&w->slot[level][s], &t->link);
    w->occupied[level] |= UINT64_C(1) << s;
    t->where = level * TIMERS_SLOTS + s;
}

/* Take t out of whatever list holds it and make it idle. */
static void unfile(Timers *w, Timer *t)
{
    list_unlink(&t->link);
    if (t->where < TIMERS_LEVELS * TIMERS_SLOTS) {
        unsigned level = t->where / TIMERS_SLOTS, s = t->where % TIMERS_SLOTS;
        if (list_empty(&w->slot[level][s]))
            w->occupied[level] &= ~(UINT64_C(1) << s);
    }
    t->where = TIMER_IDLE;
    w->count--;
}

/* ---- one timer ---------------------------------------------------------- */

void timer_init(Timer *t)
{
    t->link.next = t->link.prev = NULL;
    t->expires = 0;
    t->where = TIMER_IDLE;
}

bool timer_armed(const Timer *t)
{
    return t->where != TIMER_IDLE;
}

uint64_t timer_expires(const Timer *t)
{
    return t->expires;
}

/* ---- the wheel ---------------------------------------------------------- */

void timers_init(Timers *w, uint64_t now)
{
    w->now = now;
    w->count = 0;
    w->advancing = false;
    for (unsigned level = 0; level < TIMERS_LEVELS; level++) {
        w->occupied[level] = 0;
        for (unsigned s = 0; s < TIMERS_SLOTS; s++)
            list_init(&w->slot[level][s]);
    }
    list_init(&w->firing);
}

static void disarm_list(Timers *w, TimerLink *head)
{
    while (!list_empty(head))
        unfile(w, (Timer *)head->next);
}

void timers_fini(Timers *w)
{
    assert(!w->advancing);
    for (unsigned level = 0; level < TIMERS_LEVELS; level++)
        for (unsigned s = 0; s < TIMERS_SLOTS; s++)
            disarm_list(w, &w->slot[level][s]);
    disarm_list(w, &w->firing);
    assert(w->count == 0);
}

Status timers_add_at(Timers *w, Timer *t, uint64_t when)
{
    if (when <= w->now)
        when = w->now + 1;   /* "as soon as possible": the next millisecond */
    if (when - w->now > TIMERS_MAX_DELAY_MS)
        return ST_LIMIT;     /* the host's SCHEDULE_AT_DELAY_TOO_LONG */
    if (timer_armed(t))
        unfile(w, t);
    t->expires = when;
    file(w, t);
    w->count++;
    return ST_OK;
}

Status timers_add(Timers *w, Timer *t, uint64_t delay_ms)
{
    if (delay_ms > TIMERS_MAX_DELAY_MS)
        return ST_LIMIT;
    return timers_add_at(w, t, w->now + (delay_ms ? delay_ms : 1));
}

bool timers_cancel(Timers *w, Timer *t)
{
    if (!timer_armed(t))
        return false;
    unfile(w, t);
    return true;
}

uint64_t timers_next_expiry(const Timers *w)
{
    unsigned level = 0;
    while (level < TIMERS_LEVELS && w->occupied[level] == 0)
        level++;
    if (level == TIMERS_LEVELS)
        return TIMERS_NEVER;
    uint64_t bits = w->occupied[level];
    unsigned shift = level * TIMERS_LEVEL_BITS;
    uint64_t base = floor_to(w->now, level + 1);   /* start of now's parent slot */
    if (level == TOP) {
        /* Slots after now's d5 are this revolution; the rest the next one. */
        uint64_t ahead = bits & ~((UINT64_C(2) << digit(w->now, TOP)) - 1);
        if (ahead == 0)
            base += UINT64_C(1) << WHEEL_BITS;
        else
            bits = ahead;
    }
    assert(level == TOP || low_bit(bits) > digit(w->now, level));
    return base | ((uint64_t)low_bit(bits) << shift);
}

/* Now has just entered slot s of level (> 0): file its timers again, in
 * list order.  They land on lower levels, or in level 0's slot for now
 * itself when their deadline is exactly now. */
static void cascade(Timers *w, unsigned level, unsigned s)
{
    TimerLink *head = &w->slot[level][s];
    while (!list_empty(head)) {
        Timer *t = (Timer *)head->next;
        list_unlink(&t->link);
        file(w, t);
        assert(t->where / TIMERS_SLOTS < level);
    }
    w->occupied[level] &= ~(UINT64_C(1) << s);
}

/* Fire level 0's slot for now.  The batch moves to w->firing first, so a
 * callback can add timers (never into this slot: their deadlines are
 * > now, so slot s stays empty) or cancel any timer, including ones still
 * waiting in the batch. */
static size_t fire(Timers *w, TimersFn *fn, void *arg)
{
    unsigned s = digit(w->now, 0);
    list_move(&w->firing, &w->slot[0][s]);
    w->occupied[0] &= ~(UINT64_C(1) << s);
    /* The batch keeps where = s: unfile() then finds slot s empty and
     * clears a bit that is already clear, which is harmless, and we save
     * a pass over timers that are likely not in the cache. */
    size_t fired = 0;
    while (!list_empty(&w->firing)) {
        Timer *t = (Timer *)w->firing.next;
        unfile(w, t);
        fired++;
        fn(w, t, arg);
    }
    return fired;
}

/* Handle the event at w->now: cascade the slot now enters (at most one
 * level has one, by consequence (4)), then fire what is due. */
static size_t run_event(Timers *w, TimersFn *fn, void *arg)
{
    for (unsigned level = TOP; level > 0; level--) {
        unsigned s = digit(w->now, level);
        if (floor_to(w->now, level) == w->now && (w->occupied[level] >> s & 1))
            cascade(w, level, s);
    }
    if (w->occupied[0] >> digit(w->now, 0) & 1)
        return fire(w, fn, arg);
    return 0;
}

size_t timers_advance(Timers *w, uint64_t now, TimersFn *fn, void *arg)
{
    assert(!w->advancing);   /* callbacks must not advance */
    w->advancing = true;
    size_t fired = 0;
    while (w->now < now) {
        uint64_t next = timers_next_expiry(w);
        if (next > now) {
            w->now = now;    /* nothing in between: jump */
            break;
        }
        w->now = next;
        fired += run_event(w, fn, arg);
    }
    w->advancing = false;
    return fired;
}

int timers_poll_timeout(const Timers *w, uint64_t now)
{
    uint64_t next = timers_next_expiry(w);
    if (next == TIMERS_NEVER)
        return -1;
    if (next <= now)
        return 0;
    return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

uint64_t timers_now(const Timers *w)
{
    return w->now;
}

size_t timers_count(const Timers *w)
{
    return w->count;
}

/* ---- the invariant checker ---------------------------------------------- */

#define BAD(...) do { snprintf(msg, msglen, __VA_ARGS__); return ST_INVALID; } while (0)

/* Walk one list: links consistent, each timer where `where` says and (for
 * a wheel slot) filed where the rule names.  Adds its length to *n. */
static Status check_list(const Timers *w, const TimerLink *head, uint32_t where,
                         size_t *n, char *msg, size_t msglen)
{
    for (const TimerLink *l = head->next; l != head; l = l->next) {
        const Timer *t = (const Timer *)l;
        if (l->next->prev != l || l->prev->next != l)
            BAD("broken links in list %u", (unsigned)where);
        if (++*n > w->count)
            BAD("more timers in the lists than count %zu", w->count);
        if (t->where != where)
            BAD("timer in list %u says it is in %u", (unsigned)where, (unsigned)t->where);
        if (head == &w->firing) {
            if (t->expires != w->now)
                BAD("firing timer due at %llu, now is %llu",
                    (unsigned long long)t->expires, (unsigned long long)w->now);
            continue;
        }
        unsigned level = level_for(t->expires, w->now);
        if (t->expires <= w->now || t->expires - w->now > TIMERS_RANGE_MS)
            BAD("deadline %llu out of range at now %llu",
                (unsigned long long)t->expires, (unsigned long long)w->now);
        if (level * TIMERS_SLOTS + digit(t->expires, level) != where)
            BAD("deadline %llu filed in slot %u, belongs in %u (now %llu)",
                (unsigned long long)t->expires, (unsigned)where,
                level * TIMERS_SLOTS + digit(t->expires, level), (unsigned long long)w->now);
    }
    return ST_OK;
}

Status timers_check(const Timers *w, char *msg, size_t msglen)
{
    size_t n = 0;
    for (unsigned level = 0; level < TIMERS_LEVELS; level++) {
        for (unsigned s = 0; s < TIMERS_SLOTS; s++) {
            const TimerLink *head = &w->slot[level][s];
            bool bit = w->occupied[level] >> s & 1;
            if (bit == list_empty(head))
                BAD("level %u slot %u: occupancy bit %d disagrees with list", level, s, bit);
            Status st = check_list(w, head, level * TIMERS_SLOTS + s, &n, msg, msglen);
            if (st != ST_OK)
                return st;
        }
    }
    if (!w->advancing && !list_empty(&w->firing))
        BAD("a firing batch outside timers_advance");
    Status st = check_list(w, &w->firing, digit(w->now, 0), &n, msg, msglen);
    if (st != ST_OK)
        return st;
    if (n != w->count)
        BAD("count %zu but %zu timers in the lists", w->count, n);
    return ST_OK;
}
