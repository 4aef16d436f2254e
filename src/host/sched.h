/*
 * sched.h - the scheduler: scheduled reducers fire from a timer wheel.
 *
 * A scheduled table (module-abi.md §7.5) is a table of timers: each row
 * names a moment (ScheduleAt::Time) or a period (ScheduleAt::Interval),
 * and the host calls the table's reducer with the row when it is due.
 * The host's write path (abi_write.c) already reports every insert or
 * update of such a row through the on_schedule hook; this file keeps one
 * SchedEntry per reported row and files its Timer in a hierarchical
 * timing wheel (src/sched/timers.h):
 *
 *   insert/update ─on_schedule─► entry (host, table, id) ─► timers_add_at
 *   clock reaches it ─timers_advance─► module_run_scheduled ─► Interval:
 *                                       re-arm at finish + |d|; Time: the
 *                                       row was deleted, drop the entry
 *
 * One Scheduler serves any number of hosts (the server has one for all
 * its databases); it has one wheel and reads one Clock (borrowed): the
 * wheel counts the clock's monotonic milliseconds, while rows speak
 * wall-clock micros, so an entry's deadline is "now (monotonic) + the row's
 * delay by the host's own wall clock".
 *
 * Faithful to SpacetimeDB (§7.5): re-registering an id replaces its
 * entry; a delete does not reach the scheduler at all (there is no delete
 * hook): the entry fires, finds no row and is dropped.  Registrations made
 * by a transaction that then rolls back behave the same way.  A client may
 * call a scheduled reducer directly (1.x); that is an ordinary call with
 * the client as sender, so modules check ctx.sender == ctx.identity().
 *
 * Invariants (sched_check): every entry is in the hash under its key and
 * armed in the wheel, except the one being fired; the wheel's own
 * invariants hold; per-host entry counts add up.
 *
 * Book: chapter 26, book/26-timer-wheel.md
 */
#ifndef TINYSTDB_HOST_SCHED_H
#define TINYSTDB_HOST_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sched/clock.h"
#include "../sched/timers.h"
#include "module.h"

typedef struct Scheduler Scheduler;

/* Told after every firing that ran a reducer (the server logs failures). */
typedef void SchedFiredFn(void *user, HostModule *hm, const HostResult *res,
                          const HostScheduled *next);

/* A scheduler on `clock` (borrowed; MANUAL in tests, REAL in the server). */
Status sched_new(Clock *clock, Scheduler **out);
/* Detach every host (their rows stay), free the entries. */
void sched_free(Scheduler *s);
void sched_on_fired(Scheduler *s, SchedFiredFn *fn, void *user);

/* Serve hm: point its on_schedule hook here and arm every row already in
 * its scheduled tables (a restart: Time rows at their time, past ones as
 * soon as possible; Interval rows one period from now).  Re-attaching a
 * host drops its old entries first. */
Status sched_attach(Scheduler *s, HostModule *hm);
/* Stop serving hm (before module_free): cancel its entries, unhook it. */
void sched_detach(Scheduler *s, HostModule *hm);
/* Is hm attached here, with its hook still pointing at us? */
bool sched_attached(const Scheduler *s, const HostModule *hm);
/* Detach every host not in hms[0..n) and attach those not yet attached
 * (the server calls this each turn: databases come and go). */
Status sched_sync(Scheduler *s, HostModule *const *hms, size_t n);

/* Fire everything due by the clock's time now; returns how many ran. */
size_t sched_run_due(Scheduler *s);
/* MANUAL clock: move it forward ms milliseconds, stopping at each due
 * timer so every reducer sees the time it was due; returns how many ran. */
size_t sched_advance(Scheduler *s, uint64_t ms);
/* For poll(): ms until the next timer (0: one is due), -1 if none. */
int sched_poll_timeout(const Scheduler *s);
size_t sched_count(const Scheduler *s);
/* Is row `id` of table `table_id` in hm armed?  Its wall-clock due time. */
bool sched_pending(const Scheduler *s, const HostModule *hm, uint32_t table_id, uint64_t id,
                   int64_t *at);

Status sched_check(const Scheduler *s, char *msg, size_t msglen);

/* ---- in module_sched.c: the few host internals the scheduler needs ---- */

/* Set hm's on_schedule hook (fn NULL: none). */
void module_sched_hook(HostModule *hm, AbiScheduleFn fn, void *user);
bool module_sched_hooked(const HostModule *hm, AbiScheduleFn fn, const void *user);
/* The host's wall clock (micros): HostConfig.clock, or the real one. */
int64_t module_now(const HostModule *hm);
/* Call fn for every row of every scheduled table with its firing time
 * after a restart (§7.5). */
Status module_sched_rows(HostModule *hm, AbiScheduleFn fn, void *user);

#endif
