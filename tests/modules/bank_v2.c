/*
 * bank_v2.c - version 2 of examples/bank/bank.c, for the republish tests
 * (tests/test_republish.c): every change in it is one SpacetimeDB 1.x
 * migrates automatically, so the accounts of version 1 survive.
 *
 *   audit_log (id: u64 primary key auto_inc, accounts: u64, total: u64)
 *       a NEW table.  Table ids are given in name order (module.c), so
 *       `transfer` moves from id 4098 to 4099: the migration and the
 *       restart must match tables by name, not by id;
 *   account  the same columns; balance gains an index (ADD_INDEX
 *       account_balance_idx_btree);
 *   transfer the same columns, now public (CHANGE_ACCESS);
 *   reducers: init opens the bank with another amount (it must NOT run
 *       on a republish), open_account as before, audit CHANGED (it
 *       records a row in audit_log), deposit NEW; transfer and
 *       close_account are gone (reducers are code, not schema).
 *
 * Built by tools/build-modules.sh like the examples.
 *
 * Book: chapter 29, book/29-republish.md
 */
#include "spacetime.h"

typedef struct AuditLog { uint64_t id, accounts, total; } AuditLog;

static const StdbColumn audit_columns[] = {
    STDB_COLUMN(AuditLog, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(AuditLog, accounts, STDB_U64, 0),
    STDB_COLUMN(AuditLog, total, STDB_U64, 0),
};
static StdbTable audit_table = {
    .name = "audit_log", STDB_ROWS(AuditLog, audit_columns), .is_public = true,
};

typedef struct Account {
    uint64_t id;
    StdbStr owner;
    uint64_t balance;
} Account;
enum { ACCOUNT_ID, ACCOUNT_OWNER, ACCOUNT_BALANCE };

static const StdbColumn account_columns[] = {
    STDB_COLUMN(Account, id, STDB_U64, STDB_PRIMARY_KEY | STDB_AUTO_INC),
    STDB_COLUMN(Account, owner, STDB_STRING, STDB_UNIQUE),
    STDB_COLUMN(Account, balance, STDB_U64, STDB_INDEXED),
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
    .name = "transfer", STDB_ROWS(Transfer, transfer_columns), .is_public = true,
};

/* ---- reducers ------------------------------------------------------------- */

static StdbResult init(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    Account bank = { .owner = stdb_str("bank"), .balance = 2000000 };
    stdb_insert(&account_table, &bank);
    stdb_log_info("v2 init opened the bank's account");
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

static StdbResult deposit(StdbCtx *ctx, const void *args)
{
    (void)ctx;
    const OpenArgs *a = args;
    Account acc;
    if (!stdb_find(&account_table, ACCOUNT_OWNER, &a->owner, &acc))
        return stdb_fmt("no account for %s", a->owner.ptr);
    acc.balance += a->deposit;
    stdb_update(&account_table, ACCOUNT_ID, &acc);
    return STDB_OK;
}

/* Version 2 keeps what it found. */
static StdbResult audit(StdbCtx *ctx, const void *args)
{
    (void)ctx, (void)args;
    AuditLog row = { .accounts = stdb_count(&account_table) };
    Account acc;
    StdbIter it = stdb_scan(&account_table);
    while (stdb_next(&it, &acc))
        row.total += acc.balance;
    stdb_insert(&audit_table, &row);
    stdb_log_info("audit %llu: %llu accounts hold %llu", (unsigned long long)row.id,
                  (unsigned long long)row.accounts, (unsigned long long)row.total);
    return STDB_OK;
}

/* ---- the module ----------------------------------------------------------- */

static StdbTable *const tables[] = { &audit_table, &account_table, &transfer_table };
static const StdbReducer reducers[] = {
    { .name = "init", .fn = init, .lifecycle = STDB_INIT },
    { .name = "open_account", .fn = open_account, STDB_PARAMS(OpenArgs, open_params) },
    { .name = "deposit", .fn = deposit, STDB_PARAMS(OpenArgs, open_params) },
    { .name = "audit", .fn = audit },
};
STDB_MODULE(tables, reducers);
