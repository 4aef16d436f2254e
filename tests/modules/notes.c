/*
 * notes.c - a test module for row-level security (tests/proto/rls.jsonl):
 * a public table whose rows each client may only partly see.
 *
 *   note (id: u64 primary key auto_inc, owner: Identity, shared: bool,
 *         text: String), public, with two client_visibility_filter rules:
 *       SELECT * FROM note WHERE owner = :sender     your own notes
 *       SELECT * FROM note WHERE shared = true       and every shared one
 *   A row is visible if either rule admits it (the rules form a union).
 *   motd (id: u32 primary key, text: String), public, no rule: everyone
 *   sees every row.
 *
 *   add_note(text, shared)   a note owned by the caller;
 *   share(id)                make note `id` shared (the caller's only);
 *   init                     a motd row.
 *
 * Built by tools/build-modules.sh like the examples.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include "spacetime.h"

typedef struct Note {
    uint64_t id;
    StdbIdentity owner;
    bool shared;
    StdbStr text;
} Note;
enum { NOTE_ID };

static const StdbColumn note_columns[] = {
    STDB_COLUMN(Note, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Note, owner, STDB_IDENTITY, STDB_INDEXED),
    STDB_COLUMN(Note, shared, STDB_BOOL, 0),
    STDB_COLUMN(Note, text, STDB_STRING, 0),
};
static StdbTable note_table = { .name = "note", STDB_ROWS(Note, note_columns), .is_public = true };

typedef struct Motd {
    uint32_t id;
    StdbStr text;
} Motd;

static const StdbColumn motd_columns[] = {
    STDB_COLUMN(Motd, id, STDB_U32, STDB_PRIMARY_KEY),
    STDB_COLUMN(Motd, text, STDB_STRING, 0),
};
static StdbTable motd_table = { .name = "motd", STDB_ROWS(Motd, motd_columns), .is_public = true };

static StdbResult init(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    Motd m = { .id = 1, .text = stdb_str("welcome") };
    stdb_insert(&motd_table, &m);
    return STDB_OK;
}

typedef struct AddNoteArgs { StdbStr text; bool shared; } AddNoteArgs;
static const StdbColumn add_note_params[] = {
    STDB_PARAM(AddNoteArgs, text, STDB_STRING),
    STDB_PARAM(AddNoteArgs, shared, STDB_BOOL),
};

static StdbResult add_note(StdbCtx *ctx, const void *args)
{
    const AddNoteArgs *a = args;
    Note n = { .id = 0, .owner = ctx->sender, .shared = a->shared, .text = a->text };
    stdb_insert(&note_table, &n);
    return STDB_OK;
}

typedef struct ShareArgs { uint64_t id; } ShareArgs;
static const StdbColumn share_params[] = { STDB_PARAM(ShareArgs, id, STDB_U64) };

static StdbResult share(StdbCtx *ctx, const void *args)
{
    const ShareArgs *a = args;
    Note n;
    if (!stdb_find(&note_table, NOTE_ID, &a->id, &n) || !stdb_identity_eq(&n.owner, &ctx->sender))
        return "no such note of yours";
    n.shared = true;
    stdb_update(&note_table, NOTE_ID, &n);
    return STDB_OK;
}

static StdbTable *const tables[] = { &note_table, &motd_table };
static const StdbReducer reducers[] = {
    { .name = "init", .fn = init, .lifecycle = STDB_INIT },
    { .name = "add_note", .fn = add_note, STDB_PARAMS(AddNoteArgs, add_note_params) },
    { .name = "share", .fn = share, STDB_PARAMS(ShareArgs, share_params) },
};
static const char *const filters[] = {
    "SELECT * FROM note WHERE owner = :sender",
    "SELECT * FROM note WHERE shared = true",
};
STDB_MODULE_RLS(tables, reducers, filters);
