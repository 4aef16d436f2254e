/*
 * rooms.c - a test module for subscriptions that join two tables
 * (tests/proto/sub_join.jsonl) and for a row-level security rule that
 * joins (tests/proto/rls_join.jsonl); tools/subbench.c's join benchmark
 * publishes it too.
 *
 *   member  (id: u32 primary key, room: u32 indexed, who: Identity),
 *           public, no rule: who is in which room
 *   message (id: u64 primary key auto_inc, room: u32 indexed, text),
 *           public, one client_visibility_filter rule that joins:
 *       SELECT m.* FROM message m JOIN member p ON m.room = p.room
 *           WHERE p.who = :sender
 *           (you see the messages of the rooms you are in)
 *   note    (id: u64 primary key auto_inc, room: u32 indexed, text),
 *           public, no rule (for join subscriptions without RLS)
 *
 *   enter(id, room)   a member row {id, room, who = caller}
 *   move(id, room)    member id moves to another room (an update)
 *   leave(id)         member id is deleted
 *   post(room, text)  a message in room
 *   add_note(room, text)  a note in room
 *
 * Built by tools/build-modules.sh like the examples.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include "spacetime.h"

typedef struct Member {
    uint32_t id;
    uint32_t room;
    StdbIdentity who;
} Member;
enum { MEMBER_ID };

static const StdbColumn member_columns[] = {
    STDB_COLUMN(Member, id, STDB_U32, STDB_PRIMARY_KEY),
    STDB_COLUMN(Member, room, STDB_U32, STDB_INDEXED),
    STDB_COLUMN(Member, who, STDB_IDENTITY, 0),
};
static StdbTable member_table = { .name = "member", STDB_ROWS(Member, member_columns),
                                  .is_public = true };

typedef struct Message {
    uint64_t id;
    uint32_t room;
    StdbStr text;
} Message;
typedef Message Note;             /* the same columns; a type of its own name */

static const StdbColumn message_columns[] = {
    STDB_COLUMN(Message, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Message, room, STDB_U32, STDB_INDEXED),
    STDB_COLUMN(Message, text, STDB_STRING, 0),
};
static StdbTable message_table = { .name = "message", STDB_ROWS(Message, message_columns),
                                   .is_public = true };
static StdbTable note_table = { .name = "note", STDB_ROWS(Note, message_columns),
                                .is_public = true };

typedef struct RoomArgs { uint32_t id, room; } RoomArgs;
static const StdbColumn room_params[] = {
    STDB_PARAM(RoomArgs, id, STDB_U32),
    STDB_PARAM(RoomArgs, room, STDB_U32),
};

static StdbResult enter(StdbCtx *ctx, const void *args)
{
    const RoomArgs *a = args;
    Member m = { .id = a->id, .room = a->room, .who = ctx->sender };
    return stdb_insert(&member_table, &m) == 0 ? STDB_OK : "that member id is taken";
}

static StdbResult move(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const RoomArgs *a = args;
    Member m;
    if (!stdb_find(&member_table, MEMBER_ID, &a->id, &m))
        return "no such member";
    m.room = a->room;
    stdb_update(&member_table, MEMBER_ID, &m);
    return STDB_OK;
}

typedef struct IdArgs { uint32_t id; } IdArgs;
static const StdbColumn id_params[] = { STDB_PARAM(IdArgs, id, STDB_U32) };

static StdbResult leave(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const IdArgs *a = args;
    return stdb_delete_by(&member_table, MEMBER_ID, &a->id) ? STDB_OK : "no such member";
}

typedef struct TextArgs { uint32_t room; StdbStr text; } TextArgs;
static const StdbColumn text_params[] = {
    STDB_PARAM(TextArgs, room, STDB_U32),
    STDB_PARAM(TextArgs, text, STDB_STRING),
};

static StdbResult post(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const TextArgs *a = args;
    Message m = { .id = 0, .room = a->room, .text = a->text };
    stdb_insert(&message_table, &m);
    return STDB_OK;
}

static StdbResult add_note(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const TextArgs *a = args;
    Note n = { .id = 0, .room = a->room, .text = a->text };
    stdb_insert(&note_table, &n);
    return STDB_OK;
}

static StdbTable *const tables[] = { &member_table, &message_table, &note_table };
static const StdbReducer reducers[] = {
    { .name = "enter", .fn = enter, STDB_PARAMS(RoomArgs, room_params) },
    { .name = "move", .fn = move, STDB_PARAMS(RoomArgs, room_params) },
    { .name = "leave", .fn = leave, STDB_PARAMS(IdArgs, id_params) },
    { .name = "post", .fn = post, STDB_PARAMS(TextArgs, text_params) },
    { .name = "add_note", .fn = add_note, STDB_PARAMS(TextArgs, text_params) },
};
static const char *const filters[] = {
    "SELECT m.* FROM message m JOIN member p ON m.room = p.room WHERE p.who = :sender",
};
STDB_MODULE_RLS(tables, reducers, filters);
