/*
 * test_sdk.c - the C module SDK, through the committed example modules.
 *
 * Each example .wasm (examples/NAME/NAME.wasm, built from its C source by
 * tools/build-modules.sh) is loaded into the wasm engine and linked against
 * the fake host of sdk_host.h.  The tests check, in order:
 *
 *   1. the ABI surface: every import is a spacetime_10.0 function with the
 *      exact signature of module-abi.md §1.3; the exports are memory,
 *      __describe_module__ and __call_reducer__ with their §2 signatures;
 *   2. the definition: __describe_module__ writes a RawModuleDef::V9 that
 *      an independent reader (sdk_def.h) decodes completely, with the
 *      tables, columns, keys, indexes, constraints, sequences, schedules,
 *      reducers and lifecycles the C source declares (and, for the
 *      smallest module, exactly the expected bytes);
 *   3. behaviour: reducers called with BSATN arguments change the fake
 *      datastore as the source says, return 1 with the message on Err,
 *      look indexes up by the names the host generates (§5.2), and trap
 *      after logging at level Panic when something is broken.
 *
 * The real Rust module (../shared/modules) is run through the same fake
 * host and reader, to check them against bytes we did not write; that
 * test is SKIPPED when the file is absent.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sdk_run.h"

static const char *const examples[] = {
    "examples/quickstart-chat/quickstart_chat.wasm", "examples/players/players.wasm",
    "examples/bank/bank.wasm", "examples/reminders/reminders.wasm",
    "examples/bench-insert/bench_insert.wasm",
};

/* ---- 1. the ABI surface ------------------------------------------------------- */

static void check_sig(const WasmFuncType *ft, const char *sig, const char *what)
{
    uint8_t p[16], r[2];
    uint32_t np, nr;
    sig_types(sig, p, &np, r, &nr);
    if (ft->nparams != np || ft->nresults != nr || memcmp(ft->types, p, np) ||
        memcmp(ft->types + np, r, nr))
        fail_msg("%s: wrong signature (want %s)", what, sig);
}

static void test_abi_surface(void **state)
{
    (void)state;
    for (size_t e = 0; e < sizeof examples / sizeof examples[0]; e++) {
        FakeHost *h = fake_new(examples[e]);
        const WasmModule *m = h->module;
        for (uint32_t i = 0; i < m->nimports; i++) {
            const WasmImport *imp = &m->imports[i];
            const FakeImport *fi = fake_import(imp);
            if (fi == NULL)
                fail_msg("%s imports %s.%s", examples[e], imp->module.s, imp->name.s);
            check_sig(&m->types[m->funcs[imp->index]], fi->sig, imp->name.s);
        }
        bool mem = false, describe = false, call = false;
        for (uint32_t i = 0; i < m->nexports; i++) {
            const WasmExport *ex = &m->exports[i];
            const WasmFuncType *ft = ex->kind == WASM_EXTERN_FUNC ? &m->types[m->funcs[ex->index]] : NULL;
            mem |= ex->kind == WASM_EXTERN_MEMORY && !strcmp(ex->name.s, "memory");
            if (!strcmp(ex->name.s, "__describe_module__"))
                check_sig(ft, "i>", ex->name.s), describe = true;
            if (!strcmp(ex->name.s, "__call_reducer__"))
                check_sig(ft, "iIIIIIIIii>i", ex->name.s), call = true;
        }
        assert_true(mem && describe && call);
        fake_free(h);
    }
}

/* ---- 2. definitions ------------------------------------------------------------- */

/* The whole definition of bench_insert, byte for byte (module-abi.md §5). */
static void test_bench_insert_def_bytes(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0x01,                                                   /* RawModuleDef::V9 */
        1, 0, 0, 0,                                             /* typespace: 1 type */
        0x02, 2, 0, 0, 0,                                       /* Product, 2 elements */
        0, 2, 0, 0, 0, 'i', 'd', 0x0d,                          /* Some("id"): U64 */
        0, 5, 0, 0, 0, 'v', 'a', 'l', 'u', 'e', 0x0d,           /* Some("value"): U64 */
        1, 0, 0, 0,                                             /* tables: 1 */
        4, 0, 0, 0, 'i', 't', 'e', 'm',                         /* name */
        0, 0, 0, 0,                                             /* product_type_ref */
        1, 0, 0, 0, 0, 0,                                       /* primary_key [0] */
        1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 'i', 'd', 0, 1, 0, 0, 0, 0, 0, /* index: None, "id", BTree [0] */
        1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0,                     /* constraint: None, Unique [0] */
        1, 0, 0, 0, 1, 0, 0, 1, 1, 1,                           /* sequence: None, col 0, None x3 */
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,         /*   increment: i128 1 */
        1, 1, 1,                                                /* no schedule, User, Private */
        1, 0, 0, 0,                                             /* reducers: 1 */
        6, 0, 0, 0, 'i', 'n', 's', 'e', 'r', 't',
        1, 0, 0, 0, 0, 5, 0, 0, 0, 'v', 'a', 'l', 'u', 'e', 0x0d, /* params (value: U64) */
        1,                                                      /* no lifecycle */
        1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 'I', 't', 'e', 'm', 0, 0, 0, 0, 1, /* types */
        0, 0, 0, 0, 0, 0, 0, 0,                                 /* misc exports, RLS */
    };
    FakeHost *h = fake_start("examples/bench-insert/bench_insert.wasm");
    assert_int_equal(h->sink.len, sizeof want);
    assert_memory_equal(h->sink.data, want, sizeof want);
    StrBuf a;
    strbuf_init(&a);
    put_u64(&a, 42);
    assert_int_equal(fake_call(h, "insert", ident(1), 0, TS0, &a), 0);
    assert_int_equal(fake_call(h, "insert", ident(1), 0, TS0, &a), 0);
    assert_int_equal(nrows(h, "item"), 2);
    assert_int_equal(col_u(h, "item", 1, 0), 2);           /* auto_inc */
    assert_int_equal(col_u(h, "item", 1, 1), 42);
    strbuf_fini(&a);
    fake_free(h);
}

static void test_quickstart_def(void **state)
{
    (void)state;
    FakeHost *h = fake_start(examples[0]);
    Def *d = &h->def;
    assert_int_equal(d->ntables, 2);
    DefTable *user = def_table(d, "user"), *msg = def_table(d, "message");
    assert_non_null(user), assert_non_null(msg);
    assert_int_equal(user->row->nmembers, 3);
    assert_string_equal(user->row->members[0].name, "identity");
    assert_int_equal(alg_special(user->row->members[0].type), ALG_SPECIAL_IDENTITY);
    assert_int_equal(alg_special(user->row->members[1].type), ALG_SPECIAL_OPTION);
    assert_int_equal(user->row->members[1].type->members[0].type->kind, ALG_STRING);
    assert_int_equal(user->row->members[2].type->kind, ALG_BOOL);
    assert_int_equal(user->npk, 1), assert_int_equal(user->pk[0], 0);
    assert_int_equal(user->nidx, 1);
    assert_null(user->idx[0].name);
    assert_string_equal(user->idx[0].accessor, "identity");
    assert_int_equal(user->ncons, 1), assert_int_equal(user->cons[0].cols[0], 0);
    assert_int_equal(user->nseq, 0);
    assert_int_equal(user->access, 0), assert_int_equal(user->table_type, 1);
    assert_int_equal(alg_special(msg->row->members[1].type), ALG_SPECIAL_TIMESTAMP);
    assert_int_equal(msg->npk + msg->nidx + msg->ncons, 0);
    assert_int_equal(d->nreducers, 4);
    assert_string_equal(d->reducers[0].name, "set_name");
    assert_int_equal(d->reducers[0].nparams, 1);
    assert_string_equal(d->reducers[0].pname[0], "name");
    assert_int_equal(d->reducers[0].ptype[0]->kind, ALG_STRING);
    assert_int_equal(d->reducers[0].lifecycle, -1);
    assert_int_equal(d->reducers[def_reducer(d, "client_connected")].lifecycle, 1);
    assert_int_equal(d->reducers[def_reducer(d, "client_disconnected")].lifecycle, 2);
    assert_int_equal(d->ntypes, 2);
    assert_string_equal(d->types[0].name, "User");
    assert_true(d->types[1].ty == 1 && d->types[1].custom_ordering && d->types[1].nscope == 0);
    assert_int_equal(d->nmisc + d->nrls, 0);
    fake_free(h);
}

static void test_players_def(void **state)
{
    (void)state;
    static const char *const names[] = { "player_id_idx_btree", "player_name_idx_btree",
                                         "player_team_level_idx_btree", "player_level_idx_btree" };
    FakeHost *h = fake_start(examples[1]);
    DefTable *t = def_table(&h->def, "player");
    assert_non_null(t);
    assert_int_equal(t->nidx, 4);              /* unique-backing first, then declared, then per-column */
    for (uint32_t i = 0; i < 4; i++) {
        char buf[128];
        def_index_name(t, &t->idx[i], buf, sizeof buf);
        assert_string_equal(buf, names[i]);
        assert_null(t->idx[i].name);
        assert_int_equal(t->idx[i].algo, 0);
    }
    assert_string_equal(t->idx[2].accessor, "team_level");
    assert_int_equal(t->ncons, 2);
    assert_int_equal(t->cons[1].cols[0], 1);
    assert_int_equal(t->nseq, 1);
    assert_int_equal(t->seq[0].col, 0);
    assert_false(t->seq[0].has_start || t->seq[0].has_min || t->seq[0].has_max);
    assert_true(t->seq[0].inc_lo == 1 && t->seq[0].inc_hi == 0);
    assert_int_equal(h->def.nreducers, 9);
    fake_free(h);
}

static void test_reminders_def(void **state)
{
    (void)state;
    FakeHost *h = fake_start(examples[3]);
    DefTable *t = def_table(&h->def, "reminder");
    assert_non_null(t);
    assert_true(t->scheduled);
    assert_null(t->sched_name);
    assert_string_equal(t->sched_reducer, "send_reminder");
    assert_int_equal(t->sched_col, 1);
    assert_int_equal(alg_special(t->row->members[1].type), ALG_SPECIAL_SCHEDULE_AT);
    assert_int_equal(t->access, 1);
    const DefReducer *r = &h->def.reducers[def_reducer(&h->def, "send_reminder")];
    assert_int_equal(r->nparams, 1);
    assert_int_equal(r->ptype[0]->kind, ALG_REF);
    assert_int_equal(r->ptype[0]->ref, t->type_ref);
    assert_int_equal(h->def.reducers[def_reducer(&h->def, "init")].lifecycle, 0);
    fake_free(h);
}

/* ---- 3. behaviour ---------------------------------------------------------------- */

static void test_quickstart_calls(void **state)
{
    (void)state;
    FakeHost *h = fake_start(examples[0]);
    const uint8_t *alice = ident(1);
    StrBuf a;
    strbuf_init(&a);
    assert_int_equal(fake_call(h, "client_connected", alice, 7, TS0, NULL), 0);
    assert_int_equal(nrows(h, "user"), 1);
    assert_memory_equal(col(h, "user", 0, 0, NULL), alice, 32);
    assert_int_equal(col_u(h, "user", 0, 1), 1);           /* name: None */
    assert_int_equal(col_u(h, "user", 0, 2), 1);           /* online */

    put_str(&a, "");
    expect_err(h, fake_call(h, "set_name", alice, 7, TS0, &a), "Names must not be empty");
    strbuf_clear(&a);
    put_str(&a, "Alice");
    assert_int_equal(fake_call(h, "set_name", alice, 7, TS0 + 1, &a), 0);
    uint32_t len;
    const uint8_t *name = col(h, "user", 0, 1, &len);
    assert_true(len == 10 && name[0] == 0 && !memcmp(name + 5, "Alice", 5));   /* Some("Alice") */
    const LogRec *log = find_log(h, "is now called Alice");
    assert_non_null(log);
    assert_int_equal(log->level, 2);
    assert_string_equal(log->target, "set_name");
    assert_string_equal(log->file, "examples/quickstart-chat/quickstart_chat.c");
    assert_true(log->line > 0);
    expect_err(h, fake_call(h, "set_name", ident(2), 8, TS0, &a), "Cannot set name for unknown user");

    strbuf_clear(&a);
    put_str(&a, "hello");
    assert_int_equal(fake_call(h, "send_message", alice, 7, TS0 + 5, &a), 0);
    assert_int_equal(nrows(h, "message"), 1);
    assert_int_equal(col_u(h, "message", 0, 1), TS0 + 5);  /* sent = ctx.timestamp */
    strbuf_clear(&a);
    put_str(&a, "");
    expect_err(h, fake_call(h, "send_message", alice, 7, TS0, &a), "Messages must not be empty");
    assert_int_equal(nrows(h, "message"), 1);

    assert_int_equal(fake_call(h, "client_disconnected", alice, 7, TS0, NULL), 0);
    assert_int_equal(col_u(h, "user", 0, 2), 0);           /* offline, name kept */
    assert_int_equal(fake_call(h, "client_disconnected", ident(3), 9, TS0, NULL), 0);
    assert_non_null(find_log(h, "disconnect event for unknown user"));
    check_lookups(h, 1);
    strbuf_fini(&a);
    fake_free(h);
}

static int add_player(FakeHost *h, const char *name, uint32_t team, uint32_t level)
{
    StrBuf a;
    strbuf_init(&a);
    put_str(&a, name), put_u32(&a, team), put_u32(&a, level);
    int r = fake_call(h, "add_player", ident(1), 0, TS0, &a);
    strbuf_fini(&a);
    return r;
}

/* A reducer taking (String) or (u32, u32) or (u64, String). */
static int call_s(FakeHost *h, const char *reducer, const char *s)
{
    StrBuf a;
    strbuf_init(&a);
    put_str(&a, s);
    int r = fake_call(h, reducer, ident(1), 0, TS0, &a);
    strbuf_fini(&a);
    return r;
}

static int call_uu(FakeHost *h, const char *reducer, uint32_t x, uint32_t y, int n)
{
    StrBuf a;
    strbuf_init(&a);
    put_u32(&a, x);
    if (n > 1)
        put_u32(&a, y);
    int r = fake_call(h, reducer, ident(1), 0, TS0, &a);
    strbuf_fini(&a);
    return r;
}

enum { P_ID, P_NAME, P_TEAM, P_LEVEL, P_SCORE };

static void test_players_calls(void **state)
{
    (void)state;
    FakeHost *h = fake_start(examples[1]);
    assert_int_equal(add_player(h, "alice", 1, 5), 0);
    assert_int_equal(add_player(h, "bob", 1, 7), 0);
    assert_int_equal(add_player(h, "carol", 2, 3), 0);
    assert_int_equal(add_player(h, "dave", 1, 2), 0);
    assert_non_null(find_log(h, "added player 4: dave"));  /* the id was written back */
    expect_err(h, add_player(h, "alice", 3, 1), "a player named alice already exists");
    assert_int_equal(nrows(h, "player"), 4);

    assert_int_equal(call_s(h, "level_up", "bob"), 0);
    assert_int_equal(col_u(h, "player", (size_t)row_with(h, "player", P_NAME, "bob"), P_LEVEL), 8);
    expect_err(h, call_s(h, "level_up", "zed"), "no player named zed");

    StrBuf a;
    strbuf_init(&a);
    put_u64(&a, 3), put_str(&a, "caroline");
    assert_int_equal(fake_call(h, "rename", ident(1), 0, TS0, &a), 0);
    assert_true(row_with(h, "player", P_NAME, "caroline") >= 0);
    strbuf_clear(&a);
    put_u64(&a, 3), put_str(&a, "bob");
    expect_err(h, fake_call(h, "rename", ident(1), 0, TS0, &a), "the name bob is taken");
    strbuf_fini(&a);

    assert_int_equal(call_uu(h, "promote_team", 1, 5, 2), 0);   /* team 1, level >= 5 */
    assert_non_null(find_log(h, "promoted 2 players of team 1"));
    assert_int_equal(col_u(h, "player", (size_t)row_with(h, "player", P_NAME, "alice"), P_SCORE), 100);
    assert_int_equal(col_u(h, "player", (size_t)row_with(h, "player", P_NAME, "dave"), P_SCORE), 0);
    assert_int_equal(call_uu(h, "list_levels", 3, 8, 2), 0);
    assert_non_null(find_log(h, "3 of 4 players have a level in [3, 8]"));

    assert_int_equal(call_uu(h, "delete_below_level", 3, 0, 1), 0);
    assert_non_null(find_log(h, "deleted 1 players below level 3"));
    assert_true(row_with(h, "player", P_NAME, "dave") < 0);
    assert_int_equal(call_uu(h, "delete_team", 2, 0, 1), 0);
    assert_true(row_with(h, "player", P_NAME, "caroline") < 0);
    assert_int_equal(call_s(h, "remove_player", "alice"), 0);
    expect_err(h, call_s(h, "remove_player", "alice"), "no player named alice");
    assert_int_equal(nrows(h, "player"), 1);
    assert_int_equal(fake_call(h, "log_all", ident(1), 0, TS0, NULL), 0);
    assert_non_null(find_log(h, "player 2 bob team 1 level 8 score 100"));
    check_lookups(h, 4);
    fake_free(h);
}

/* A row bigger than the SDK's iterator buffer: BUFFER_TOO_SMALL, then a retry. */
static void test_players_big_row(void **state)
{
    (void)state;
    FakeHost *h = fake_start(examples[1]);
    char *big = mem_alloc(70001);
    memset(big, 'x', 70000);
    big[70000] = 0;
    assert_int_equal(add_player(h, "small", 1, 1), 0);
    assert_int_equal(add_player(h, big, 1, 2), 0);
    assert_int_equal(fake_call(h, "log_all", ident(1), 0, TS0, NULL), 0);
    assert_true(h->too_small >= 1);
    assert_non_null(find_log(h, "player 1 small"));
    const LogRec *log = find_log(h, "xxxxxxxxxx team 1 level 2");
    assert_non_null(log);
    assert_true(strlen(log->msg) > 70000);
    mem_free(big);
    fake_free(h);
}

static void test_bank_rollback(void **state)
{
    (void)state;
    FakeHost *h = fake_start(examples[2]);
    assert_int_equal(fake_call(h, "init", ident(0), 0, TS0, NULL), 0);
    assert_int_equal(nrows(h, "account"), 1);
    assert_int_equal(col_u(h, "account", 0, 2), 1000000);
    StrBuf a;
    strbuf_init(&a);
    put_str(&a, "alice"), put_u64(&a, 100);
    assert_int_equal(fake_call(h, "open_account", ident(1), 0, TS0, &a), 0);
    expect_err(h, fake_call(h, "open_account", ident(1), 0, TS0, &a), "alice already has an account");
    strbuf_clear(&a);
    put_str(&a, "bob"), put_u64(&a, 0);
    assert_int_equal(fake_call(h, "open_account", ident(2), 0, TS0, &a), 0);

    strbuf_clear(&a);
    put_str(&a, "alice"), put_str(&a, "bob"), put_u64(&a, 30);
    assert_int_equal(fake_call(h, "transfer", ident(1), 0, TS0, &a), 0);
    assert_int_equal(nrows(h, "transfer"), 1);
    strbuf_clear(&a);
    put_str(&a, "alice"), put_str(&a, "bob"), put_u64(&a, 500);
    expect_err(h, fake_call(h, "transfer", ident(1), 0, TS0, &a),
               "insufficient funds: alice has 70, needs 500");
    assert_int_equal(nrows(h, "transfer"), 1);             /* the record was rolled back */
    assert_int_equal(col_u(h, "account", (size_t)row_with(h, "account", 1, "alice"), 2), 70);
    assert_int_equal(col_u(h, "account", (size_t)row_with(h, "account", 1, "bob"), 2), 30);

    strbuf_clear(&a);
    put_str(&a, "bob");
    expect_err(h, fake_call(h, "close_account", ident(2), 0, TS0, &a),
               "the account of bob still holds 30");
    assert_int_equal(fake_call(h, "audit", ident(1), 0, TS0, NULL), 0);
    assert_non_null(find_log(h, "3 accounts hold 1000100 in all"));
    check_lookups(h, 1);
    strbuf_fini(&a);
    fake_free(h);
}

static void test_reminders_calls(void **state)
{
    (void)state;
    static const uint8_t heartbeat[] = {
        1, 0, 0, 0, 0, 0, 0, 0,                         /* scheduled_id 1 */
        0x00, 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0,          /* ScheduleAt::Interval(1 s) */
        9, 0, 0, 0, 'h', 'e', 'a', 'r', 't', 'b', 'e', 'a', 't',
    };
    FakeHost *h = fake_start(examples[3]);
    assert_int_equal(fake_call(h, "init", ident(0), 0, TS0, NULL), 0);
    assert_int_equal(nrows(h, "reminder"), 1);
    assert_int_equal(h->rows[table_index(h, "reminder")].items[0].len, sizeof heartbeat);
    assert_memory_equal(h->rows[table_index(h, "reminder")].items[0].b, heartbeat, sizeof heartbeat);

    StrBuf a;                                           /* the scheduler fires it: args = the row */
    strbuf_init(&a);
    strbuf_append(&a, heartbeat, sizeof heartbeat);
    assert_int_equal(fake_call(h, "send_reminder", h->db_identity, 0, TS0 + 1000000, &a), 0);
    assert_int_equal(nrows(h, "delivery"), 1);
    assert_int_equal(col_u(h, "delivery", 0, 2), TS0 + 1000000);
    expect_err(h, fake_call(h, "send_reminder", ident(1), 5, TS0, &a),
               "send_reminder may only be called by the scheduler");

    strbuf_clear(&a);
    put_str(&a, "tea"), put_u64(&a, 5000000);
    assert_int_equal(fake_call(h, "remind_me", ident(1), 5, TS0, &a), 0);
    const uint8_t *at = col(h, "reminder", 1, 1, NULL);
    assert_int_equal(at[0], 1);                         /* ScheduleAt::Time */
    strbuf_clear(&a);
    put_u64(&a, 2);
    assert_int_equal(fake_call(h, "cancel", ident(1), 5, TS0, &a), 0);
    assert_int_equal(nrows(h, "reminder"), 1);
    expect_err(h, fake_call(h, "cancel", ident(1), 5, TS0, &a), "no reminder 2");
    check_lookups(h, 1);
    strbuf_fini(&a);
    fake_free(h);
}

/* Broken calls panic: a log line at level 101, then a trap; nothing is written. */
static void test_panic_traps(void **state)
{
    (void)state;
    FakeHost *h = fake_start(examples[1]);
    WasmCell in[10] = { 99, 0, 0, 0, 0, 0, 0, TS0, 0, 1 }, out[1];
    WasmExtern f;
    WasmError err;
    assert_int_equal(wasm_instance_export(h->inst, "__call_reducer__", &f), ST_OK);
    assert_int_equal(wasm_call(h->store, f.u.func, in, out, &err), ST_TRAP);
    const LogRec *log = find_log(h, "no reducer with id 99");
    assert_non_null(log);
    assert_int_equal(log->level, 101);
    assert_null(log->target);
    assert_string_equal(log->file, "src/sdk/sdk.c");
    fake_free(h);

    h = fake_start(examples[1]);                        /* arguments that do not decode */
    StrBuf a;
    strbuf_init(&a);
    put_u32(&a, 50);                                    /* a String of 50 bytes... that is missing */
    assert_int_equal(fake_call(h, "add_player", ident(1), 0, TS0, &a), -1);
    assert_non_null(find_log(h, "reducer add_player: the arguments do not decode"));
    assert_int_equal(nrows(h, "player"), 0);
    strbuf_fini(&a);
    fake_free(h);
}

/* ---- the real Rust module, through the same reader and fake host ------------------ */

static void test_rust_module(void **state)
{
    (void)state;
    const char *shared = getenv("TINYSTDB_SHARED");
    char path[512];
    snprintf(path, sizeof path, "%s/modules/rust-1.1.2-metasiberia-game.wasm", shared ? shared : "../shared");
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        printf("test_rust_module: SKIPPED (no %s; set TINYSTDB_SHARED)\n", path);
        skip();
    }
    fclose(f);
    FakeHost *h = fake_start(path);
    Def *d = &h->def;
    assert_int_equal(h->sink.len, 1502);
    assert_int_equal(d->ntables, 3), assert_int_equal(d->nreducers, 6), assert_int_equal(d->ntypes, 5);
    assert_int_equal(d->reducers[def_reducer(d, "init")].lifecycle, 0);
    assert_int_equal(d->reducers[def_reducer(d, "identity_connected")].lifecycle, 1);
    DefTable *sched = def_table(d, "game_tick_schedule"), *player = def_table(d, "player");
    assert_non_null(sched), assert_non_null(player);
    assert_true(sched->scheduled && sched->sched_col == 1);
    assert_string_equal(sched->sched_reducer, "game_tick");
    assert_true(sched->nseq == 1 && sched->seq[0].inc_lo == 1 && !sched->seq[0].has_start);
    char buf[128];                                      /* the conventions the SDK copies */
    def_index_name(player, &player->idx[0], buf, sizeof buf);
    assert_string_equal(buf, "player_identity_idx_btree");
    assert_null(player->idx[0].name);
    assert_string_equal(player->idx[0].accessor, "identity");
    assert_true(player->ncons == 1 && player->cons[0].name == NULL && player->access == 0);
    assert_true(d->types[0].custom_ordering && d->types[0].nscope == 0);

    assert_int_equal(fake_call(h, "init", ident(0), 0, TS0, NULL), 0);
    assert_int_equal(nrows(h, "game_tick_schedule"), 1);
    StrBuf a;
    strbuf_init(&a);
    put_str(&a, "alice"), put_str(&a, "warrior");
    assert_int_equal(fake_call(h, "register_player", ident(1), 3, TS0, &a), 0);
    assert_int_equal(nrows(h, "player"), 1);
    check_lookups(h, 1);
    strbuf_fini(&a);
    fake_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abi_surface),
        cmocka_unit_test(test_bench_insert_def_bytes),
        cmocka_unit_test(test_quickstart_def),
        cmocka_unit_test(test_players_def),
        cmocka_unit_test(test_reminders_def),
        cmocka_unit_test(test_quickstart_calls),
        cmocka_unit_test(test_players_calls),
        cmocka_unit_test(test_players_big_row),
        cmocka_unit_test(test_bank_rollback),
        cmocka_unit_test(test_reminders_calls),
        cmocka_unit_test(test_panic_traps),
        cmocka_unit_test(test_rust_module),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
