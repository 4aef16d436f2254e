/*
 * quickstart_chat.c - SpacetimeDB's quickstart chat server, written in C.
 *
 * Two public tables: `user` (one row per identity that ever connected:
 * its optional name and whether it is online) and `message` (who said
 * what, when).  Clients call set_name and send_message; the host calls
 * client_connected and client_disconnected as clients come and go.
 * Invalid input (an empty name or message) returns an Err, which rolls
 * the transaction back and shows the caller the message.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "spacetime.h"

/* ---- tables --------------------------------------------------------------- */

typedef struct User {
    StdbIdentity identity;
    StdbOptStr name;          /* None until the user calls set_name */
    bool online;
} User;
enum { USER_IDENTITY, USER_NAME, USER_ONLINE };   /* column numbers */

static const StdbColumn user_columns[] = {
    STDB_COLUMN(User, identity, STDB_IDENTITY, STDB_PRIMARY_KEY),
    STDB_COLUMN(User, name, STDB_OPTION | STDB_STRING, 0),
    STDB_COLUMN(User, online, STDB_BOOL, 0),
};
static StdbTable user_table = { .name = "user", STDB_ROWS(User, user_columns), .is_public = true };

typedef struct Message {
    StdbIdentity sender;
    StdbTimestamp sent;
    StdbStr text;
} Message;

static const StdbColumn message_columns[] = {
    STDB_COLUMN(Message, sender, STDB_IDENTITY, 0),
    STDB_COLUMN(Message, sent, STDB_TIMESTAMP, 0),
    STDB_COLUMN(Message, text, STDB_STRING, 0),
};
static StdbTable message_table = {
    .name = "message", STDB_ROWS(Message, message_columns), .is_public = true,
};

/* ---- reducers ------------------------------------------------------------- */

typedef struct SetNameArgs { StdbStr name; } SetNameArgs;
static const StdbColumn set_name_params[] = { STDB_PARAM(SetNameArgs, name, STDB_STRING) };

static StdbResult set_name(StdbCtx *ctx, const void *args)
{
    const SetNameArgs *a = args;
    if (a->name.len == 0)
        return "Names must not be empty";
    User user;
    if (!stdb_find(&user_table, USER_IDENTITY, &ctx->sender, &user))
        return "Cannot set name for unknown user";
    user.name.some = true;
    user.name.value = a->name;
    stdb_update(&user_table, USER_IDENTITY, &user);
    stdb_log_info("user %s is now called %.*s", stdb_identity_hex(&ctx->sender),
                  (int)a->name.len, a->name.ptr);
    return STDB_OK;
}

typedef struct SendMessageArgs { StdbStr text; } SendMessageArgs;
static const StdbColumn send_message_params[] = {
    STDB_PARAM(SendMessageArgs, text, STDB_STRING),
};

static StdbResult send_message(StdbCtx *ctx, const void *args)
{
    const SendMessageArgs *a = args;
    if (a->text.len == 0)
        return "Messages must not be empty";
    Message m = { .sender = ctx->sender, .sent = ctx->timestamp, .text = a->text };
    stdb_insert(&message_table, &m);
    return STDB_OK;
}

/* A client connected: mark a returning user online, or create a new one. */
static StdbResult client_connected(StdbCtx *ctx, const void *args)
{
    (void)args;
    User user;
    if (stdb_find(&user_table, USER_IDENTITY, &ctx->sender, &user)) {
        user.online = true;
        stdb_update(&user_table, USER_IDENTITY, &user);
    } else {
        user = (User){ .identity = ctx->sender, .online = true };
        stdb_insert(&user_table, &user);
    }
    return STDB_OK;
}

static StdbResult client_disconnected(StdbCtx *ctx, const void *args)
{
    (void)args;
    User user;
    if (!stdb_find(&user_table, USER_IDENTITY, &ctx->sender, &user)) {
        stdb_log_warn("disconnect event for unknown user %s", stdb_identity_hex(&ctx->sender));
        return STDB_OK;
    }
    user.online = false;
    stdb_update(&user_table, USER_IDENTITY, &user);
    return STDB_OK;
}

/* ---- the module ----------------------------------------------------------- */

static StdbTable *const tables[] = { &user_table, &message_table };
static const StdbReducer reducers[] = {
    { .name = "set_name", .fn = set_name, STDB_PARAMS(SetNameArgs, set_name_params) },
    { .name = "send_message", .fn = send_message,
      STDB_PARAMS(SendMessageArgs, send_message_params) },
    { .name = "client_connected", .fn = client_connected, .lifecycle = STDB_CLIENT_CONNECTED },
    { .name = "client_disconnected", .fn = client_disconnected,
      .lifecycle = STDB_CLIENT_DISCONNECTED },
};
STDB_MODULE(tables, reducers);
