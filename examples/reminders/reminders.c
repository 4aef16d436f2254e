/*
 * reminders.c - a scheduled reducer: rows in a table that call a reducer
 * when their time comes.
 *
 * `reminder` is a scheduled table: each row has an auto_inc u64 primary key
 * and a ScheduleAt column, and the host calls send_reminder(row) when the
 * row is due.  ScheduleAt is either an interval (repeat every N micros; the
 * row stays) or a time (once; the host deletes the row afterwards).
 *
 *   init            schedules a "heartbeat" every second
 *   remind_me       schedules a one-shot reminder `delay_micros` from now
 *   cancel          deletes a reminder, so it never fires
 *   send_reminder   the scheduled reducer: logs the text and records the
 *                   delivery; it refuses calls that are not from the
 *                   scheduler (whose sender is the database itself)
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "spacetime.h"

typedef struct Reminder {
    uint64_t scheduled_id;
    StdbScheduleAt scheduled_at;
    StdbStr text;
} Reminder;
enum { REMINDER_ID, REMINDER_AT, REMINDER_TEXT };

static const StdbColumn reminder_columns[] = {
    STDB_COLUMN(Reminder, scheduled_id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Reminder, scheduled_at, STDB_SCHEDULE_AT, 0),
    STDB_COLUMN(Reminder, text, STDB_STRING, 0),
};
static StdbTable reminder_table = {
    .name = "reminder", STDB_ROWS(Reminder, reminder_columns),
    .scheduled = "send_reminder", .scheduled_at = REMINDER_AT,
};

typedef struct Delivery {
    uint64_t id;
    StdbStr text;
    StdbTimestamp at;
} Delivery;

static const StdbColumn delivery_columns[] = {
    STDB_COLUMN(Delivery, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Delivery, text, STDB_STRING, 0),
    STDB_COLUMN(Delivery, at, STDB_TIMESTAMP, 0),
};
static StdbTable delivery_table = {
    .name = "delivery", STDB_ROWS(Delivery, delivery_columns), .is_public = true,
};

#define SECOND 1000000   /* micros */

/* ---- reducers ------------------------------------------------------------- */

static StdbResult init(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    Reminder r = { .scheduled_at = { STDB_AT_INTERVAL, 1 * SECOND },
                   .text = stdb_str("heartbeat") };
    stdb_insert(&reminder_table, &r);
    stdb_log_info("scheduled the heartbeat as reminder %llu", (unsigned long long)r.scheduled_id);
    return STDB_OK;
}

/* The scheduled reducer: its one argument is the reminder row. */
static StdbResult send_reminder(StdbCtx *ctx, const void *args)
{
    const Reminder *r = args;
    StdbIdentity self = stdb_module_identity();
    if (!stdb_identity_eq(&ctx->sender, &self))
        return "send_reminder may only be called by the scheduler";
    stdb_log_info("reminder %llu: %s", (unsigned long long)r->scheduled_id, r->text.ptr);
    Delivery d = { .text = r->text, .at = ctx->timestamp };
    stdb_insert(&delivery_table, &d);
    return STDB_OK;
}

typedef struct RemindArgs { StdbStr text; uint64_t delay_micros; } RemindArgs;
static const StdbColumn remind_params[] = {
    STDB_PARAM(RemindArgs, text, STDB_STRING),
    STDB_PARAM(RemindArgs, delay_micros, STDB_U64),
};

static StdbResult remind_me(StdbCtx *ctx, const void *args)
{
    const RemindArgs *a = args;
    Reminder r = { .scheduled_at = { STDB_AT_TIME, ctx->timestamp.micros + (int64_t)a->delay_micros },
                   .text = a->text };
    if (stdb_insert(&reminder_table, &r) == STDB_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG)
        return "that is too far in the future";
    return STDB_OK;
}

typedef struct CancelArgs { uint64_t id; } CancelArgs;
static const StdbColumn cancel_params[] = { STDB_PARAM(CancelArgs, id, STDB_U64) };

static StdbResult cancel(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const CancelArgs *a = args;
    if (stdb_delete_by(&reminder_table, REMINDER_ID, &a->id) == 0)
        return stdb_fmt("no reminder %llu", (unsigned long long)a->id);
    return STDB_OK;
}

/* ---- the module ----------------------------------------------------------- */

static const StdbColumn send_reminder_params[] = { STDB_ROW_PARAM("reminder", reminder_table) };

static StdbTable *const tables[] = { &reminder_table, &delivery_table };
static const StdbReducer reducers[] = {
    { .name = "init", .fn = init, .lifecycle = STDB_INIT },
    { .name = "send_reminder", .fn = send_reminder, STDB_PARAMS(Reminder, send_reminder_params) },
    { .name = "remind_me", .fn = remind_me, STDB_PARAMS(RemindArgs, remind_params) },
    { .name = "cancel", .fn = cancel, STDB_PARAMS(CancelArgs, cancel_params) },
};
STDB_MODULE(tables, reducers);
