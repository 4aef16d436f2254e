/*
 * test_timers.c - the timing wheel (src/sched/timers.c) and the manual
 * clock (src/sched/clock.c), deterministic and instant.
 *
 * Three kinds of test:
 *   - small scenarios: one-shot, zero delay, interval re-arm, cancel
 *     (also from inside a callback), re-arm by moving, FIFO order across a
 *     cascade, a callback that schedules itself, wake-ups per timer;
 *   - boundaries: a delay at 64^L - 1, 64^L and 64^L + 1 for every level,
 *     the longest accepted delay and the first refused one, from several
 *     starting times (including just before the wheel's 2^36 ms revolution);
 *   - a model test: 1,000,000 random operations with a fixed seed, run on
 *     the wheel and on a naive sorted array at the same time; every expiry
 *     must match the model's (same timer, same time, same order), and
 *     timers_check runs every 1,000 operations.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sched/clock.h"
#include "sched/timers.h"

/* ---- fixtures ------------------------------------------------------- */

/* A caller's object with an embedded Timer, as the scheduler will have. */
typedef struct Item {
    int id;
    Timer timer;
    uint64_t interval;   /* re-arm with this delay when fired; 0 = one-shot */
    uint64_t fired_at;   /* wheel time of the last firing */
    int fired;           /* how many times */
} Item;

#define ITEM_OF(t) ((Item *)((char *)(t) - offsetof(Item, timer)))

/* The firing log shared by the scenario tests. */
#define LOG_MAX 100000
static int log_id[LOG_MAX];
static uint64_t log_at[LOG_MAX];
static size_t log_len;

static void item_init(Item *it, int id)
{
    memset(it, 0, sizeof *it);
    it->id = id;
    timer_init(&it->timer);
}

static void assert_wheel_ok(const Timers *w)
{
    char msg[200];
    if (timers_check(w, msg, sizeof msg) != ST_OK)
        fail_msg("timers_check: %s", msg);
}

/* Record the firing; re-arm interval items. */
static void on_fire(Timers *w, Timer *t, void *arg)
{
    (void)arg;
    Item *it = ITEM_OF(t);
    assert_false(timer_armed(t));
    assert_int_equal(timer_expires(t), timers_now(w));
    it->fired++;
    it->fired_at = timers_now(w);
    if (log_len < LOG_MAX) {
        log_id[log_len] = it->id;
        log_at[log_len++] = it->fired_at;
    }
    if (it->interval)
        assert_int_equal(timers_add(w, t, it->interval), ST_OK);
}

static int reset_log(void **state)
{
    (void)state;
    log_len = 0;
    return 0;
}

/* ---- scenarios ------------------------------------------------------ */

static void test_one_shot(void **state)
{
    (void)state;
    Timers w;
    Item a;
    timers_init(&w, 1000);
    item_init(&a, 1);
    assert_int_equal(timers_next_expiry(&w), TIMERS_NEVER);
    assert_int_equal(timers_poll_timeout(&w, 1000), -1);   /* empty: sleep forever */
    assert_int_equal(timers_add(&w, &a.timer, 5), ST_OK);
    assert_true(timer_armed(&a.timer));
    assert_int_equal(timer_expires(&a.timer), 1005);
    assert_int_equal(timers_next_expiry(&w), 1005);
    assert_int_equal(timers_poll_timeout(&w, 1000), 5);
    assert_int_equal(timers_poll_timeout(&w, 2000), 0);    /* overdue: do not sleep */
    assert_int_equal(timers_advance(&w, 1004, on_fire, NULL), 0);
    assert_int_equal(a.fired, 0);
    assert_int_equal(timers_advance(&w, 1005, on_fire, NULL), 1);
    assert_int_equal(a.fired, 1);
    assert_int_equal(a.fired_at, 1005);
    assert_false(timer_armed(&a.timer));
    assert_int_equal(timers_count(&w), 0);
    assert_int_equal(timers_advance(&w, 900, on_fire, NULL), 0);   /* never backwards */
    assert_int_equal(timers_now(&w), 1005);
    assert_wheel_ok(&w);
    timers_fini(&w);
}

static void test_zero_delay_and_past(void **state)
{
    (void)state;
    Timers w;
    Item a, b;
    timers_init(&w, 50);
    item_init(&a, 1), item_init(&b, 2);
    assert_int_equal(timers_add(&w, &a.timer, 0), ST_OK);
    assert_int_equal(timers_add_at(&w, &b.timer, 3), ST_OK);   /* in the past */
    assert_int_equal(timer_expires(&a.timer), 51);
    assert_int_equal(timer_expires(&b.timer), 51);
    assert_int_equal(timers_advance(&w, 50, on_fire, NULL), 0);  /* not in the same ms */
    assert_int_equal(timers_advance(&w, 51, on_fire, NULL), 2);
    assert_int_equal(log_len, 2);
    assert_int_equal(log_id[0], 1);   /* equal deadlines: arming order */
    assert_int_equal(log_id[1], 2);
    timers_fini(&w);
}

/* A 1 s interval timer on a manual clock advanced 1 ms at a time, then
 * 10 s at once: 10 firings each, at exact multiples of 1000. */
static void test_interval_manual_clock(void **state)
{
    (void)state;
    Clock clk;
    clock_init_manual(&clk, 7000, 1700000000000000);
    Timers w;
    Item tick;
    timers_init(&w, clock_now_ms(&clk));
    item_init(&tick, 1);
    tick.interval = 1000;
    assert_int_equal(timers_add(&w, &tick.timer, tick.interval), ST_OK);
    for (int ms = 0; ms < 10000; ms++) {
        clock_advance(&clk, 1);
        timers_advance(&w, clock_now_ms(&clk), on_fire, NULL);
    }
    assert_int_equal(tick.fired, 10);
    for (size_t i = 0; i < log_len; i++)
        assert_int_equal(log_at[i], 7000 + 1000 * (i + 1));
    assert_int_equal(clock_unix_us(&clk), 1700000000000000 + 10000 * 1000);
    clock_advance(&clk, 10000);
    assert_int_equal(timers_advance(&w, clock_now_ms(&clk), on_fire, NULL), 10);
    assert_int_equal(tick.fired, 20);
    assert_int_equal(log_at[19], 27000);
    assert_true(timer_armed(&tick.timer));
    assert_int_equal(timer_expires(&tick.timer), 28000);
    /* level 1 at 27000: the wheel wakes at 27968 to cascade it to level 0 */
    assert_int_equal(timers_next_expiry(&w), 27968);
    clock_set_unix_us(&clk, 5);   /* a date change does not move the wheel's clock */
    assert_int_equal(clock_now_ms(&clk), 27000);
    timers_fini(&w);
    assert_false(timer_armed(&tick.timer));
}

static void test_real_clock(void **state)
{
    (void)state;
    Clock clk;
    clock_init_real(&clk);
    uint64_t a = clock_now_ms(&clk), b = clock_now_ms(&clk);
    assert_true(b >= a);
    assert_true(clock_unix_us(&clk) > INT64_C(1600000000000000));   /* after 2020 */
}

/* Item 2's callback cancels item 3, due the same millisecond and already
 * in the firing batch; and idle/double cancels are harmless. */
static Item cancel_items[4];

static void cancel_other(Timers *w, Timer *t, void *arg)
{
    on_fire(w, t, arg);
    if (ITEM_OF(t)->id == 2)
        assert_true(timers_cancel(w, &cancel_items[3].timer));
}

static void test_cancel(void **state)
{
    (void)state;
    Timers w;
    timers_init(&w, 0);
    for (int i = 0; i < 4; i++) {
        item_init(&cancel_items[i], i);
        assert_int_equal(timers_add(&w, &cancel_items[i].timer, 100), ST_OK);
    }
    assert_true(timers_cancel(&w, &cancel_items[0].timer));
    assert_false(timers_cancel(&w, &cancel_items[0].timer));
    assert_int_equal(timers_count(&w), 3);
    assert_wheel_ok(&w);
    assert_int_equal(timers_advance(&w, 1000, cancel_other, NULL), 2);
    assert_int_equal(log_len, 2);
    assert_int_equal(log_id[0], 1);
    assert_int_equal(log_id[1], 2);
    assert_int_equal(cancel_items[3].fired, 0);
    assert_int_equal(timers_count(&w), 0);
    assert_int_equal(timers_next_expiry(&w), TIMERS_NEVER);
    assert_wheel_ok(&w);
    timers_fini(&w);
}

/* Re-adding an armed timer moves it; it fires once, at the new time, and
 * queues behind timers already armed for that deadline. */
static void test_rearm_moves(void **state)
{
    (void)state;
    Timers w;
    Item a, b;
    timers_init(&w, 0);
    item_init(&a, 1), item_init(&b, 2);
    assert_int_equal(timers_add(&w, &a.timer, 100000), ST_OK);   /* level 2 */
    assert_int_equal(timers_add(&w, &a.timer, 50), ST_OK);       /* moved to level 0 */
    assert_int_equal(timers_count(&w), 1);
    assert_int_equal(timers_add(&w, &b.timer, 50), ST_OK);
    assert_int_equal(timers_add_at(&w, &a.timer, 50), ST_OK);    /* same time, new place */
    assert_wheel_ok(&w);
    assert_int_equal(timers_advance(&w, 200000, on_fire, NULL), 2);
    assert_int_equal(log_len, 2);
    assert_int_equal(log_id[0], 2);
    assert_int_equal(log_id[1], 1);
    assert_int_equal(a.fired, 1);
    assert_int_equal(a.fired_at, 50);
    timers_fini(&w);
}

/* A timer armed long ago (high level) and one armed just before the
 * deadline (level 0) for the same millisecond fire in arming order. */
static void test_fifo_across_cascade(void **state)
{
    (void)state;
    Timers w;
    Item it[4];
    timers_init(&w, 0);
    for (int i = 0; i < 4; i++)
        item_init(&it[i], i);
    uint64_t when = 300000000;   /* level 4 from 0 */
    assert_int_equal(timers_add_at(&w, &it[0].timer, when), ST_OK);
    assert_int_equal(timers_advance(&w, when - 100000, on_fire, NULL), 0);
    assert_int_equal(timers_add_at(&w, &it[1].timer, when), ST_OK);
    assert_int_equal(timers_advance(&w, when - 10, on_fire, NULL), 0);
    assert_int_equal(timers_add_at(&w, &it[2].timer, when), ST_OK);
    assert_int_equal(timers_add_at(&w, &it[3].timer, when - 1), ST_OK);
    assert_wheel_ok(&w);
    assert_int_equal(timers_advance(&w, when, on_fire, NULL), 4);
    int want[] = { 3, 0, 1, 2 };
    for (int i = 0; i < 4; i++)
        assert_int_equal(log_id[i], want[i]);
    timers_fini(&w);
}

/* A callback that schedules itself with a doubling delay walks through
 * every level; each firing is exactly on time. */
static void double_self(Timers *w, Timer *t, void *arg)
{
    on_fire(w, t, arg);
    Item *it = ITEM_OF(t);
    it->interval = 0;
    uint64_t next = (uint64_t)1 << it->fired;
    if (next <= TIMERS_MAX_DELAY_MS)
        assert_int_equal(timers_add(w, t, next), ST_OK);
}

static void test_self_scheduling(void **state)
{
    (void)state;
    Timers w;
    Item a;
    timers_init(&w, 12345);
    item_init(&a, 1);
    assert_int_equal(timers_add(&w, &a.timer, 1), ST_OK);
    uint64_t want = 12345;
    for (int i = 0; i < 40 && timer_armed(&a.timer); i++) {
        want += (uint64_t)1 << i;
        /* advance in uneven steps so jumps and events interleave */
        timers_advance(&w, want - 1, double_self, NULL);
        assert_int_equal(a.fired, i);
        assert_wheel_ok(&w);
        timers_advance(&w, want, double_self, NULL);
        assert_int_equal(a.fired, i + 1);
        assert_int_equal(a.fired_at, want);
    }
    assert_int_equal(a.fired, 36);   /* 2^0 .. 2^35 ms; 2^36 is too long */
    timers_fini(&w);
}

/* ---- range and boundaries ------------------------------------------- */

/* One timer at `delay` from `start`: not a millisecond early, not late. */
static void check_one_delay(uint64_t start, uint64_t delay)
{
    Timers w;
    Item a;
    timers_init(&w, start);
    item_init(&a, 1);
    assert_int_equal(timers_add(&w, &a.timer, delay), ST_OK);
    uint64_t due = start + (delay ? delay : 1);
    assert_int_equal(timer_expires(&a.timer), due);
    assert_wheel_ok(&w);
    int wakeups = 0;
    while (timer_armed(&a.timer)) {   /* sleep as a poll loop would */
        uint64_t next = timers_next_expiry(&w);
        assert_true(next > timers_now(&w) && next <= due);
        timers_advance(&w, next, on_fire, NULL);
        assert_wheel_ok(&w);
        wakeups++;
    }
    assert_int_equal(a.fired_at, due);
    assert_in_range(wakeups, 1, TIMERS_LEVELS);   /* no busy waiting */
    timers_init(&w, start);
    assert_int_equal(timers_add(&w, &a.timer, delay), ST_OK);
    assert_int_equal(timers_advance(&w, due - 1, on_fire, NULL), 0);
    assert_int_equal(timers_advance(&w, due, on_fire, NULL), 1);
    timers_fini(&w);
}

static void test_level_boundaries(void **state)
{
    (void)state;
    const uint64_t starts[] = {
        0, 1, 63, 64, 12345, 999999937, TIMERS_RANGE_MS - 2, TIMERS_RANGE_MS,
        (UINT64_C(1) << 36) * 7 + 5, (UINT64_C(1) << 40) - 1,
    };
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        for (unsigned level = 0; level <= TIMERS_LEVELS; level++) {
            uint64_t edge = UINT64_C(1) << (TIMERS_LEVEL_BITS * level);
            for (uint64_t d = edge - 1; d <= edge + 1; d++)
                if (d <= TIMERS_MAX_DELAY_MS)
                    check_one_delay(starts[i], d);
        }
        check_one_delay(starts[i], TIMERS_MAX_DELAY_MS);
    }
}

static void test_too_long(void **state)
{
    (void)state;
    Timers w;
    Item a;
    timers_init(&w, 777);
    item_init(&a, 1);
    assert_int_equal(TIMERS_RANGE_MS, UINT64_C(68719476735));   /* 64^6 - 1 */
    assert_int_equal(timers_add(&w, &a.timer, TIMERS_MAX_DELAY_MS + 1), ST_LIMIT);
    assert_int_equal(timers_add(&w, &a.timer, UINT64_MAX), ST_LIMIT);
    assert_int_equal(timers_add_at(&w, &a.timer, 777 + TIMERS_MAX_DELAY_MS + 1), ST_LIMIT);
    assert_false(timer_armed(&a.timer));
    assert_int_equal(timers_add(&w, &a.timer, 10), ST_OK);
    assert_int_equal(timers_add(&w, &a.timer, TIMERS_RANGE_MS), ST_LIMIT);
    assert_true(timer_armed(&a.timer));   /* a refused re-arm leaves it as it was */
    assert_int_equal(timer_expires(&a.timer), 787);
    assert_int_equal(timers_add_at(&w, &a.timer, 777 + TIMERS_MAX_DELAY_MS), ST_OK);
    assert_wheel_ok(&w);
    timers_fini(&w);
}

/* ---- many timers ------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rng(void)   /* splitmix64: fixed seed, same run every time */
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A delay spread over all six levels (log-uniform), sometimes an edge. */
static uint64_t random_delay(void)
{
    if (rng() % 16 == 0) {
        uint64_t edge = UINT64_C(1) << (TIMERS_LEVEL_BITS * (rng() % 6 + 1));
        uint64_t d = edge - 1 + rng() % 3;
        return d > TIMERS_MAX_DELAY_MS ? TIMERS_MAX_DELAY_MS : d;
    }
    unsigned level = (unsigned)(rng() % TIMERS_LEVELS);
    return rng() % (UINT64_C(1) << (TIMERS_LEVEL_BITS * (level + 1) - 1));
}

#define MANY 20000

static void test_thousands_all_levels(void **state)
{
    (void)state;
    static Item items[MANY];
    rng_state = 42;
    Timers w;
    timers_init(&w, 5000);
    unsigned levels_seen = 0;
    for (int i = 0; i < MANY; i++) {
        item_init(&items[i], i);
        uint64_t d = random_delay();
        assert_int_equal(timers_add(&w, &items[i].timer, d), ST_OK);
        levels_seen |= 1u << (items[i].timer.where / TIMERS_SLOTS);
    }
    assert_int_equal(levels_seen, (1u << TIMERS_LEVELS) - 1);   /* every level used */
    assert_wheel_ok(&w);
    size_t fired = 0;
    while (timers_count(&w) > 0) {
        uint64_t step = rng() % 4 ? rng() % 100000 : rng() % (UINT64_C(1) << 33);
        fired += timers_advance(&w, timers_now(&w) + step, on_fire, NULL);
        assert_wheel_ok(&w);
    }
    assert_int_equal(fired, MANY);
    for (size_t i = 1; i < log_len; i++)
        assert_true(log_at[i - 1] <= log_at[i]);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(items[i].fired, 1);
        assert_int_equal(items[i].fired_at, items[i].timer.expires);
    }
    timers_fini(&w);
}

/* timers_check must notice a broken wheel. */
static void test_check_detects(void **state)
{
    (void)state;
    Timers w;
    Item a, b;
    char msg[200];
    timers_init(&w, 0);
    item_init(&a, 1), item_init(&b, 2);
    assert_int_equal(timers_add(&w, &a.timer, 5000), ST_OK);
    assert_int_equal(timers_add(&w, &b.timer, 7), ST_OK);
    a.timer.expires = 6;   /* now filed in the wrong slot */
    assert_int_equal(timers_check(&w, msg, sizeof msg), ST_INVALID);
    a.timer.expires = 5000;
    assert_int_equal(timers_check(&w, msg, sizeof msg), ST_OK);
    w.occupied[3] |= 1;    /* a bit for an empty slot */
    assert_int_equal(timers_check(&w, msg, sizeof msg), ST_INVALID);
    w.occupied[3] = 0;
    w.count++;
    assert_int_equal(timers_check(&w, msg, sizeof msg), ST_INVALID);
    w.count--;
    timers_fini(&w);
}

/* ---- the model test ------------------------------------------------- */

/* The model: armed timers in a sorted array, ordered by (deadline, seq),
 * seq being the arming order.  Slow and obviously right. */
typedef struct Key {
    uint64_t deadline;
    uint32_t seq;
    uint32_t id;
} Key;

#define MODEL_IDS 1024
#define MODEL_OPS 1000000

typedef struct Model {
    Key keys[MODEL_IDS];
    size_t n;
    uint32_t next_seq;
    Item items[MODEL_IDS];
    Key key_of[MODEL_IDS];   /* valid while items[id] is armed */
    uint64_t target;         /* of the current advance */
    size_t fired;
} Model;

static bool key_less(Key a, Key b)
{
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq;
}

static size_t model_find(const Model *m, Key k)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (key_less(m->keys[mid], k))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void model_remove(Model *m, uint32_t id)
{
    size_t i = model_find(m, m->key_of[id]);
    assert_true(i < m->n && m->keys[i].id == id);
    memmove(&m->keys[i], &m->keys[i + 1], (m->n - i - 1) * sizeof(Key));
    m->n--;
}

/* Arm id in both the wheel and the model; `when` is absolute. */
static void both_add(Model *m, Timers *w, uint32_t id, uint64_t when)
{
    Timer *t = &m->items[id].timer;
    uint64_t now = timers_now(w);
    bool refuse = when > now && when - now > TIMERS_MAX_DELAY_MS;
    if (refuse) {
        assert_int_equal(timers_add_at(w, t, when), ST_LIMIT);
        return;
    }
    assert_int_equal(timers_add_at(w, t, when), ST_OK);
    if (m->key_of[id].seq != 0)
        model_remove(m, id);
    Key k = { when > now ? when : now + 1, ++m->next_seq, id };
    size_t i = model_find(m, k);
    memmove(&m->keys[i + 1], &m->keys[i], (m->n - i) * sizeof(Key));
    m->keys[i] = k;
    m->n++;
    m->key_of[id] = k;
}

static void both_cancel(Model *m, Timers *w, uint32_t id)
{
    bool armed = m->key_of[id].seq != 0;
    assert_int_equal(timers_cancel(w, &m->items[id].timer), armed);
    if (armed)
        model_remove(m, id);
    m->key_of[id].seq = 0;
}

/* The callback: the model's first key must be this timer, due now. Then
 * a random action, applied to both: re-arm itself (an interval), cancel
 * or arm another timer, or nothing. */
static void model_fire(Timers *w, Timer *t, void *arg)
{
    Model *m = arg;
    uint32_t id = (uint32_t)ITEM_OF(t)->id;
    assert_true(m->n > 0);
    assert_int_equal(m->keys[0].id, id);
    assert_int_equal(m->keys[0].deadline, timers_now(w));
    assert_true(timers_now(w) <= m->target);
    memmove(&m->keys[0], &m->keys[1], (m->n - 1) * sizeof(Key));
    m->n--;
    m->key_of[id].seq = 0;
    m->fired++;
    switch (rng() % 8) {
    case 0: case 1: both_add(m, w, id, timers_now(w) + rng() % 200); break;
    case 2: both_add(m, w, id, timers_now(w) + random_delay()); break;
    case 3: both_cancel(m, w, (uint32_t)(rng() % MODEL_IDS)); break;
    case 4: both_add(m, w, (uint32_t)(rng() % MODEL_IDS), timers_now(w) + rng() % 5000); break;
    default: break;
    }
}

static void model_advance(Model *m, Timers *w, uint64_t target)
{
    m->target = target;
    size_t before = m->fired;
    size_t n = timers_advance(w, target, model_fire, m);
    assert_int_equal(n, m->fired - before);
    if (target > timers_now(w))
        fail_msg("advance stopped at %llu before %llu", (unsigned long long)timers_now(w),
                 (unsigned long long)target);
    if (m->n > 0 && m->keys[0].deadline <= timers_now(w))
        fail_msg("timer %u due at %llu did not fire", (unsigned)m->keys[0].id,
                 (unsigned long long)m->keys[0].deadline);
}

static uint64_t random_step(const Model *m, const Timers *w)
{
    uint64_t now = timers_now(w);
    switch (rng() % 10) {
    case 0: case 1: case 2: case 3: return now + rng() % 64;
    case 4: case 5: return now + rng() % 4096;
    case 6: return now + rng() % (UINT64_C(1) << 20);
    case 7: return timers_next_expiry(w) == TIMERS_NEVER ? now : timers_next_expiry(w);
    case 8: return m->n ? m->keys[0].deadline - rng() % 2 : now;
    default:   /* rarely a jump of up to a whole revolution (2^36 ms) */
        return now + rng() % (UINT64_C(1) << (rng() % 64 ? 26 : 36));
    }
}

static void model_op(Model *m, Timers *w)
{
    uint32_t id = (uint32_t)(rng() % MODEL_IDS);
    uint64_t now = timers_now(w);
    switch (rng() % 24) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9:
        both_add(m, w, id, now + random_delay());
        break;
    case 10: both_add(m, w, id, now + rng() % 100); break;
    case 11: both_add(m, w, id, now - rng() % 100); break;             /* past */
    case 12: both_add(m, w, id, now + TIMERS_MAX_DELAY_MS + rng() % 3); break;
    case 13: case 14: both_cancel(m, w, id); break;
    default: model_advance(m, w, random_step(m, w)); break;
    }
}

static void test_random_vs_model(void **state)
{
    (void)state;
    static Model m;
    memset(&m, 0, sizeof m);
    rng_state = 20240607;
    Timers w;
    timers_init(&w, (UINT64_C(1) << 36) - 100000);   /* cross a revolution early */
    for (int i = 0; i < MODEL_IDS; i++)
        item_init(&m.items[i], i);
    for (long op = 1; op <= MODEL_OPS; op++) {
        model_op(&m, &w);
        assert_int_equal(timers_count(&w), m.n);
        uint64_t next = timers_next_expiry(&w);
        if (m.n == 0)
            assert_int_equal(next, TIMERS_NEVER);
        else
            assert_true(next > timers_now(&w) && next <= m.keys[0].deadline);
        if (op % 1000 == 0)
            assert_wheel_ok(&w);
    }
    model_advance(&m, &w, timers_now(&w) + TIMERS_RANGE_MS);   /* drain */
    while (m.n > 0)
        model_advance(&m, &w, timers_now(&w) + TIMERS_RANGE_MS);
    assert_true(m.fired > MODEL_OPS / 10);
    print_message("model test: %d operations, %zu expiries, %u armings\n", MODEL_OPS,
                  m.fired, (unsigned)m.next_seq);
    assert_wheel_ok(&w);
    timers_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_one_shot, reset_log),
        cmocka_unit_test_setup(test_zero_delay_and_past, reset_log),
        cmocka_unit_test_setup(test_interval_manual_clock, reset_log),
        cmocka_unit_test(test_real_clock),
        cmocka_unit_test_setup(test_cancel, reset_log),
        cmocka_unit_test_setup(test_rearm_moves, reset_log),
        cmocka_unit_test_setup(test_fifo_across_cascade, reset_log),
        cmocka_unit_test_setup(test_self_scheduling, reset_log),
        cmocka_unit_test_setup(test_level_boundaries, reset_log),
        cmocka_unit_test_setup(test_too_long, reset_log),
        cmocka_unit_test_setup(test_thousands_all_levels, reset_log),
        cmocka_unit_test(test_check_detects),
        cmocka_unit_test(test_random_vs_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
