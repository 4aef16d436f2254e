/*
 * players.c - the everyday table patterns: auto-increment ids, unique and
 * btree indexes (one and two columns), range filters, updates, deletes.
 *
 * One table, `player`: an auto_inc primary key `id`, a unique `name`, a
 * `team`, a `level` with its own btree index, a `score`, and a two-column
 * index `team_level` over (team, level).  Each reducer shows one pattern:
 *
 *   add_player         insert; the generated id is written back into the row
 *   level_up, rename   find by a unique column, change, update by the key
 *   promote_team       a range on a two-column index: team = t, level >= min
 *   list_levels        a range on a one-column index, and count
 *   remove_player      delete a row by value
 *   delete_below_level delete a range (level < L)
 *   delete_team        delete through an index prefix (team = t, any level)
 *   log_all            scan every row
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "spacetime.h"

typedef struct Player {
    uint64_t id;
    StdbStr name;
    uint32_t team;
    uint32_t level;
    uint64_t score;
} Player;
enum { PLAYER_ID, PLAYER_NAME, PLAYER_TEAM, PLAYER_LEVEL, PLAYER_SCORE };

static const StdbColumn player_columns[] = {
    STDB_COLUMN(Player, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Player, name, STDB_STRING, STDB_UNIQUE),
    STDB_COLUMN(Player, team, STDB_U32, 0),
    STDB_COLUMN(Player, level, STDB_U32, STDB_INDEXED),
    STDB_COLUMN(Player, score, STDB_U64, 0),
};
static const StdbIndex player_indexes[] = {
    { .accessor = "team_level", .ncols = 2, .cols = { PLAYER_TEAM, PLAYER_LEVEL } },
};
static StdbTable player_table = {
    .name = "player", STDB_ROWS(Player, player_columns), STDB_INDEXES(player_indexes),
    .is_public = true,
};

/* ---- insert and update --------------------------------------------------- */

typedef struct AddPlayerArgs { StdbStr name; uint32_t team, level; } AddPlayerArgs;
static const StdbColumn add_player_params[] = {
    STDB_PARAM(AddPlayerArgs, name, STDB_STRING),
    STDB_PARAM(AddPlayerArgs, team, STDB_U32),
    STDB_PARAM(AddPlayerArgs, level, STDB_U32),
};

static StdbResult add_player(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const AddPlayerArgs *a = args;
    Player p = { .id = 0, .name = a->name, .team = a->team, .level = a->level };
    if (stdb_insert(&player_table, &p) == STDB_ERRNO_UNIQUE_ALREADY_EXISTS)
        return stdb_fmt("a player named %s already exists", a->name.ptr);
    stdb_log_info("added player %llu: %s", (unsigned long long)p.id, p.name.ptr);
    return STDB_OK;
}

typedef struct NameArgs { StdbStr name; } NameArgs;
static const StdbColumn name_params[] = { STDB_PARAM(NameArgs, name, STDB_STRING) };

static StdbResult level_up(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const NameArgs *a = args;
    Player p;
    if (!stdb_find(&player_table, PLAYER_NAME, &a->name, &p))
        return stdb_fmt("no player named %s", a->name.ptr);
    p.level++;
    stdb_update(&player_table, PLAYER_ID, &p);
    return STDB_OK;
}

typedef struct RenameArgs { uint64_t id; StdbStr name; } RenameArgs;
static const StdbColumn rename_params[] = {
    STDB_PARAM(RenameArgs, id, STDB_U64),
    STDB_PARAM(RenameArgs, name, STDB_STRING),
};

static StdbResult rename_player(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const RenameArgs *a = args;
    Player p;
    if (!stdb_find(&player_table, PLAYER_ID, &a->id, &p))
        return stdb_fmt("no player with id %llu", (unsigned long long)a->id);
    p.name = a->name;
    if (stdb_update(&player_table, PLAYER_ID, &p) == STDB_ERRNO_UNIQUE_ALREADY_EXISTS)
        return stdb_fmt("the name %s is taken", a->name.ptr);
    return STDB_OK;
}

/* ---- ranges ---------------------------------------------------------------- */

typedef struct TeamLevelArgs { uint32_t team, level; } TeamLevelArgs;
static const StdbColumn team_level_params[] = {
    STDB_PARAM(TeamLevelArgs, team, STDB_U32),
    STDB_PARAM(TeamLevelArgs, level, STDB_U32),
};

/* Every player of `team` at `level` or above gets 100 points. */
static StdbResult promote_team(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const TeamLevelArgs *a = args;
    const void *prefix[] = { &a->team };
    StdbIter it = stdb_index_filter(&player_table, "team_level", prefix, 1,
                                    STDB_INCL(&a->level), STDB_UNBOUNDED);
    uint32_t n = 0;
    Player p;
    while (stdb_next(&it, &p)) {     /* a snapshot: updating while iterating is fine */
        p.score += 100;
        stdb_update(&player_table, PLAYER_ID, &p);
        n++;
    }
    stdb_log_info("promoted %u players of team %u", n, a->team);
    return STDB_OK;
}

typedef struct LevelRangeArgs { uint32_t lo, hi; } LevelRangeArgs;
static const StdbColumn level_range_params[] = {
    STDB_PARAM(LevelRangeArgs, lo, STDB_U32),
    STDB_PARAM(LevelRangeArgs, hi, STDB_U32),
};

static StdbResult list_levels(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const LevelRangeArgs *a = args;
    StdbIter it = stdb_filter(&player_table, PLAYER_LEVEL, STDB_INCL(&a->lo), STDB_INCL(&a->hi));
    Player p;
    uint32_t n = 0;
    while (stdb_next(&it, &p)) {
        stdb_log_info("level %u: %s", p.level, p.name.ptr);
        n++;
    }
    stdb_log_info("%u of %llu players have a level in [%u, %u]", n,
                  (unsigned long long)stdb_count(&player_table), a->lo, a->hi);
    return STDB_OK;
}

/* ---- deletes --------------------------------------------------------------- */

static StdbResult remove_player(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const NameArgs *a = args;
    Player p;
    if (!stdb_find(&player_table, PLAYER_NAME, &a->name, &p))
        return stdb_fmt("no player named %s", a->name.ptr);
    stdb_delete(&player_table, &p);
    return STDB_OK;
}

typedef struct LevelArgs { uint32_t level; } LevelArgs;
static const StdbColumn level_params[] = { STDB_PARAM(LevelArgs, level, STDB_U32) };

static StdbResult delete_below_level(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const LevelArgs *a = args;
    uint32_t n = stdb_delete_range(&player_table, PLAYER_LEVEL, STDB_UNBOUNDED, STDB_EXCL(&a->level));
    stdb_log_info("deleted %u players below level %u", n, a->level);
    return STDB_OK;
}

typedef struct TeamArgs { uint32_t team; } TeamArgs;
static const StdbColumn team_params[] = { STDB_PARAM(TeamArgs, team, STDB_U32) };

static StdbResult delete_team(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const TeamArgs *a = args;
    const void *prefix[] = { &a->team };
    uint32_t n = stdb_index_delete(&player_table, "team_level", prefix, 1, STDB_UNBOUNDED,
                                   STDB_UNBOUNDED);
    stdb_log_info("deleted %u players of team %u", n, a->team);
    return STDB_OK;
}

static StdbResult log_all(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    StdbIter it = stdb_scan(&player_table);
    Player p;
    while (stdb_next(&it, &p))
        stdb_log_info("player %llu %s team %u level %u score %llu", (unsigned long long)p.id,
                      p.name.ptr, p.team, p.level, (unsigned long long)p.score);
    return STDB_OK;
}

/* ---- the module ------------------------------------------------------------ */

static StdbTable *const tables[] = { &player_table };
static const StdbReducer reducers[] = {
    { .name = "add_player", .fn = add_player, STDB_PARAMS(AddPlayerArgs, add_player_params) },
    { .name = "level_up", .fn = level_up, STDB_PARAMS(NameArgs, name_params) },
    { .name = "rename", .fn = rename_player, STDB_PARAMS(RenameArgs, rename_params) },
    { .name = "promote_team", .fn = promote_team,
      STDB_PARAMS(TeamLevelArgs, team_level_params) },
    { .name = "list_levels", .fn = list_levels, STDB_PARAMS(LevelRangeArgs, level_range_params) },
    { .name = "remove_player", .fn = remove_player, STDB_PARAMS(NameArgs, name_params) },
    { .name = "delete_below_level", .fn = delete_below_level,
      STDB_PARAMS(LevelArgs, level_params) },
    { .name = "delete_team", .fn = delete_team, STDB_PARAMS(TeamArgs, team_params) },
    { .name = "log_all", .fn = log_all },
};
STDB_MODULE(tables, reducers);
