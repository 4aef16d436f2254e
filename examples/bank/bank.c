/*
 * bank.c - transfers that either happen completely or not at all.
 *
 * Accounts have an owner (unique) and a balance.  Every transfer is also
 * recorded in the `transfer` table.  transfer() writes that record FIRST
 * and only then checks the balance, so when it returns an Err the record
 * is already in the table: the host must roll the whole transaction back,
 * leaving both tables exactly as they were.  That is what a reducer
 * guarantees; the code does not need to undo anything by hand.
 *
 * init (run once, when the database is created) opens the bank's own
 * account; audit scans every account and logs the total.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "spacetime.h"

typedef struct Account {
    uint64_t id;
    StdbStr owner;
    uint64_t balance;
} Account;
enum { ACCOUNT_ID, ACCOUNT_OWNER, ACCOUNT_BALANCE };

static const StdbColumn account_columns[] = {
    STDB_COLUMN(Account, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Account, owner, STDB_STRING, STDB_UNIQUE),
    STDB_COLUMN(Account, balance, STDB_U64, 0),
};
static StdbTable account_table = {
    .name = "account", STDB_ROWS(Account, account_columns), .is_public = true,
};

typedef struct Transfer {
    uint64_t id;
    StdbStr sender, recipient;
    uint64_t amount;
    StdbTimestamp at;
} Transfer;

static const StdbColumn transfer_columns[] = {
    STDB_COLUMN(Transfer, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Transfer, sender, STDB_STRING, STDB_INDEXED),
    STDB_COLUMN(Transfer, recipient, STDB_STRING, 0),
    STDB_COLUMN(Transfer, amount, STDB_U64, 0),
    STDB_COLUMN(Transfer, at, STDB_TIMESTAMP, 0),
};
static StdbTable transfer_table = {
    .name = "transfer", STDB_ROWS(Transfer, transfer_columns), .is_public = false,
};

/* ---- reducers ------------------------------------------------------------- */

static StdbResult init(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    Account bank = { .owner = stdb_str("bank"), .balance = 1000000 };
    stdb_insert(&account_table, &bank);
    stdb_log_info("opened the bank's account, id %llu", (unsigned long long)bank.id);
    return STDB_OK;
}

typedef struct OpenArgs { StdbStr owner; uint64_t deposit; } OpenArgs;
static const StdbColumn open_params[] = {
    STDB_PARAM(OpenArgs, owner, STDB_STRING),
    STDB_PARAM(OpenArgs, deposit, STDB_U64),
};

static StdbResult open_account(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const OpenArgs *a = args;
    Account acc = { .owner = a->owner, .balance = a->deposit };
    if (stdb_insert(&account_table, &acc) == STDB_ERRNO_UNIQUE_ALREADY_EXISTS)
        return stdb_fmt("%s already has an account", a->owner.ptr);
    return STDB_OK;
}

typedef struct TransferArgs { StdbStr sender, recipient; uint64_t amount; } TransferArgs;
static const StdbColumn transfer_params[] = {
    STDB_PARAM(TransferArgs, sender, STDB_STRING),
    STDB_PARAM(TransferArgs, recipient, STDB_STRING),
    STDB_PARAM(TransferArgs, amount, STDB_U64),
};

static StdbResult transfer(StdbCtx *ctx, const void *args)
{
    const TransferArgs *a = args;
    Transfer t = { .sender = a->sender, .recipient = a->recipient, .amount = a->amount,
                   .at = ctx->timestamp };
    stdb_insert(&transfer_table, &t);            /* written first, on purpose */

    Account from, to;
    if (!stdb_find(&account_table, ACCOUNT_OWNER, &a->sender, &from))
        return stdb_fmt("no account for %s", a->sender.ptr);
    if (!stdb_find(&account_table, ACCOUNT_OWNER, &a->recipient, &to))
        return stdb_fmt("no account for %s", a->recipient.ptr);
    if (from.id == to.id)
        return "cannot transfer to the same account";
    if (from.balance < a->amount)                /* the transfer row is rolled back too */
        return stdb_fmt("insufficient funds: %s has %llu, needs %llu", a->sender.ptr,
                        (unsigned long long)from.balance, (unsigned long long)a->amount);
    from.balance -= a->amount;
    to.balance += a->amount;
    stdb_update(&account_table, ACCOUNT_ID, &from);
    stdb_update(&account_table, ACCOUNT_ID, &to);
    return STDB_OK;
}

typedef struct OwnerArgs { StdbStr owner; } OwnerArgs;
static const StdbColumn owner_params[] = { STDB_PARAM(OwnerArgs, owner, STDB_STRING) };

static StdbResult close_account(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const OwnerArgs *a = args;
    Account acc;
    if (!stdb_find(&account_table, ACCOUNT_OWNER, &a->owner, &acc))
        return stdb_fmt("no account for %s", a->owner.ptr);
    if (acc.balance != 0)
        return stdb_fmt("the account of %s still holds %llu", a->owner.ptr,
                        (unsigned long long)acc.balance);
    stdb_delete_by(&account_table, ACCOUNT_OWNER, &a->owner);
    return STDB_OK;
}

/* Money is never created or destroyed by transfers: log the total. */
static StdbResult audit(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    uint64_t total = 0;
    Account acc;
    StdbIter it = stdb_scan(&account_table);
    while (stdb_next(&it, &acc))
        total += acc.balance;
    stdb_log_info("%llu accounts hold %llu in all",
                  (unsigned long long)stdb_count(&account_table), (unsigned long long)total);
    return STDB_OK;
}

/* ---- the module ----------------------------------------------------------- */

static StdbTable *const tables[] = { &account_table, &transfer_table };
static const StdbReducer reducers[] = {
    { .name = "init", .fn = init, .lifecycle = STDB_INIT },
    { .name = "open_account", .fn = open_account, STDB_PARAMS(OpenArgs, open_params) },
    { .name = "transfer", .fn = transfer, STDB_PARAMS(TransferArgs, transfer_params) },
    { .name = "close_account", .fn = close_account, STDB_PARAMS(OwnerArgs, owner_params) },
    { .name = "audit", .fn = audit },
};
STDB_MODULE(tables, reducers);
