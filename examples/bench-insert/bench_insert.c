/*
 * bench_insert.c - the smallest useful module: one reducer that inserts
 * one row.  `make bench` calls insert(value) many times to measure the
 * cost of a reducer call (argument decoding, one host call, commit).
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "spacetime.h"

typedef struct Item { uint64_t id; uint64_t value; } Item;

static const StdbColumn item_columns[] = {
    STDB_COLUMN(Item, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Item, value, STDB_U64, 0),
};
static StdbTable item_table = { .name = "item", STDB_ROWS(Item, item_columns) };

typedef struct InsertArgs { uint64_t value; } InsertArgs;
static const StdbColumn insert_params[] = { STDB_PARAM(InsertArgs, value, STDB_U64) };

static StdbResult insert(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    Item item = { .id = 0, .value = ((const InsertArgs *)args)->value };
    if (stdb_insert(&item_table, &item) != STDB_ERRNO_OK)
        return "insert failed";
    return STDB_OK;
}

static StdbTable *const tables[] = { &item_table };
static const StdbReducer reducers[] = {
    { .name = "insert", .fn = insert, STDB_PARAMS(InsertArgs, insert_params) },
};
STDB_MODULE(tables, reducers);
