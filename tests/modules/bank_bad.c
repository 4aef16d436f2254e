/*
 * bank_bad.c - a version of examples/bank/bank.c that no automatic
 * migration can reach, for the republish tests (tests/test_republish.c).
 * Publishing it over a bank with data must be refused, listing each
 * reason (SpacetimeDB 1.x's AutoMigrateError):
 *
 *   account  gains a column `frozen`            (Adding a column)
 *            balance becomes an i64             (Changing the type)
 *   transfer is gone                            (Removing the table)
 *
 * With --delete-data it is an ordinary new database.
 *
 * Built by tools/build-modules.sh like the examples.
 *
 * Book: chapter 29, book/29-republish.md
 */
#include "spacetime.h"

typedef struct Account {
    uint64_t id;
    StdbStr owner;
    int64_t balance;
    bool frozen;
} Account;

static const StdbColumn account_columns[] = {
    STDB_COLUMN(Account, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Account, owner, STDB_STRING, STDB_UNIQUE),
    STDB_COLUMN(Account, balance, STDB_I64, 0),
    STDB_COLUMN(Account, frozen, STDB_BOOL, 0),
};
static StdbTable account_table = {
    .name = "account", STDB_ROWS(Account, account_columns), .is_public = true,
};

static StdbResult init(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    Account bank = { .owner = stdb_str("bank"), .balance = 5 };
    stdb_insert(&account_table, &bank);
    return STDB_OK;
}

static StdbTable *const tables[] = { &account_table };
static const StdbReducer reducers[] = {
    { .name = "init", .fn = init, .lifecycle = STDB_INIT },
};
STDB_MODULE(tables, reducers);
