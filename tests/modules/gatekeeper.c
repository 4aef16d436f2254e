/*
 * gatekeeper.c - a test module for the server (tests/test_server.c): a
 * door that client_connected consults, and reducers that fail in each of
 * the ways a reducer can fail.
 *
 *   door (id: u32 primary key, open: bool), private; init opens it.
 *   close_door() / open_door()  flip it;
 *   client_connected            returns Err("the door is closed") while
 *                               it is closed: the server must reject
 *                               the client with that message;
 *   boom()                      traps (unreachable): "The instance
 *                               encountered a fatal error.";
 *   spin()                      loops forever: out of energy.
 *
 * Built like the examples (tools/build-modules.sh does the same):
 *   clang --target=wasm32 -O2 -std=c11 -ffreestanding -nostdlib -Isrc/sdk \
 *       -Wl,--no-entry -Wl,--stack-first -o tests/modules/gatekeeper.wasm \
 *       tests/modules/gatekeeper.c src/sdk/\*.c
 *
 * Book: chapter 22, book/22-server.md
 */
#include "spacetime.h"

typedef struct Door {
    uint32_t id;
    bool open;
} Door;

static const StdbColumn door_columns[] = {
    STDB_COLUMN(Door, id, STDB_U32, STDB_PRIMARY_KEY),
    STDB_COLUMN(Door, open, STDB_BOOL, 0),
};
static StdbTable door_table = { .name = "door", STDB_ROWS(Door, door_columns), .is_public = false };

static StdbResult init(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    Door d = { .id = 0, .open = true };
    stdb_insert(&door_table, &d);
    return STDB_OK;
}

static StdbResult set_door(bool open)
{
    uint32_t id = 0;
    Door d;
    if (!stdb_find(&door_table, 0, &id, &d))
        return "no door";
    d.open = open;
    stdb_update(&door_table, 0, &d);
    stdb_log_info("the door is now %s", open ? "open" : "closed");
    return STDB_OK;
}

static StdbResult close_door(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    return set_door(false);
}

static StdbResult open_door(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    return set_door(true);
}

static StdbResult client_connected(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    uint32_t id = 0;
    Door d;
    if (stdb_find(&door_table, 0, &id, &d) && !d.open)
        return "the door is closed";
    return STDB_OK;
}

static StdbResult boom(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    __builtin_trap();
}

static volatile uint32_t spins;

static StdbResult spin(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    for (;;)
        spins++;
}

static StdbTable *const tables[] = { &door_table };
static const StdbReducer reducers[] = {
    { .name = "init", .fn = init, .lifecycle = STDB_INIT },
    { .name = "close_door", .fn = close_door },
    { .name = "open_door", .fn = open_door },
    { .name = "client_connected", .fn = client_connected, .lifecycle = STDB_CLIENT_CONNECTED },
    { .name = "boom", .fn = boom },
    { .name = "spin", .fn = spin },
};
STDB_MODULE(tables, reducers);
