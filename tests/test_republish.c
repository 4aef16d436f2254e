/*
 * test_republish.c - republishing over a database with data, through a
 * real server (chapter 29: src/host/migrate.c, src/net/server_admin.c,
 * server_db_migrate):
 *
 *   same module      the rows and the sequences stay, clients are told
 *                    to reconnect, a restart gives back the same bytes;
 *                    a schedule row fires in the new module
 *   compatible v2    tests/modules/bank_v2.c: a new table whose name
 *                    sorts before `transfer` (its table id moves), a new index, a table made
 *                    public, a changed and a new reducer: the data stays,
 *                    init does not run again, the new reducer and table
 *                    work, and a restart gives back exactly the data
 *   incompatible     tests/modules/bank_bad.c: refused with every reason
 *                    listed and the way out (--delete-data); the old
 *                    module keeps serving its connected clients, the data
 *                    is intact, also after a restart
 *   --delete-data    the database starts over: init runs again
 *
 * Book: chapter 29, book/29-republish.md
 */
#include "server_util.h"

#include "db/rowlist.h"
#include "db/table.h"
#include "host/module.h"

#define BANK "examples/bank/bank.wasm"
#define BANK_V2 "tests/modules/bank_v2.wasm"
#define BANK_BAD "tests/modules/bank_bad.wasm"

/* Call a reducer (args: a JSON array) and expect it to commit. */
static void call_ok(TClient *c, const char *reducer, const char *args)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_write_string(&sb, args, strlen(args)), ST_OK);
    tc_sendf(c, "{\"CallReducer\":{\"reducer\":\"%s\",\"args\":%s,\"request_id\":1,\"flags\":0}}",
             reducer, sb.data);
    strbuf_fini(&sb);
    ProtoReply r;
    tc_reply(c, &r);
    if (r.kind != PROTO_REPLY_TRANSACTION_UPDATE || r.status.kind != PROTO_STATUS_COMMITTED)
        fail_msg("%s: expected a commit, got %s", reducer, c->line.data);
}

typedef struct RowRef { const uint8_t *p; size_t len; } RowRef;

static int row_cmp(const void *a, const void *b)
{
    const RowRef *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The rows of l in byte order, appended to out. */
static void put_sorted(const RowList *l, StrBuf *out)
{
    RowRef *refs = mem_alloc_array(l->count + 1, sizeof *refs);
    assert_non_null(refs);
    for (size_t i = 0; i < l->count; i++)
        refs[i].p = rowlist_get(l, i, &refs[i].len);
    qsort(refs, l->count, sizeof *refs, row_cmp);
    for (size_t i = 0; i < l->count; i++) {
        assert_int_equal(strbuf_printf(out, "%zu:", refs[i].len), ST_OK);
        assert_int_equal(strbuf_append(out, refs[i].p, refs[i].len), ST_OK);
    }
    mem_free(refs);
}

/* Every table by name, its rows sorted, its sequence positions: what
 * "the same data" means, whatever the table ids and row order. */
static void dump(const char *db, StrBuf *out)
{
    HostModule *hm = server_database(srv, db);
    assert_non_null(hm);
    const ModuleDef *def = module_def(hm);
    strbuf_clear(out);
    for (uint32_t i = 0; i < def->ntables; i++) {
        Table *t = db_table(module_db(hm), module_table_id(hm, def->tables[i].name));
        RowList rows;
        rowlist_init(&rows);
        assert_int_equal(table_collect_all(t, &rows, NULL), ST_OK);
        assert_int_equal(strbuf_printf(out, "%s[%zu]:", def->tables[i].name, rows.count), ST_OK);
        put_sorted(&rows, out);
        for (uint32_t s = 0; s < table_sequence_count(t); s++)
            assert_int_equal(strbuf_printf(out, "seq %llu;", (unsigned long long)
                                           table_sequence(t, s)->value.lo), ST_OK);
        rowlist_fini(&rows);
    }
}

static void db_ok(const char *db)
{
    char msg[256];
    if (db_check(module_db(server_database(srv, db)), msg, sizeof msg) != ST_OK)
        fail_msg("db_check %s: %s", db, msg);
}

/* bank with dave and erin, one transfer: 3 accounts, 1 transfer. */
static TClient *bank_with_data(TClient *o)
{
    TClient *u = tc_open();
    ProtoReply r;
    tc_publish(o, "bank", BANK, false);
    tc_hello(u, "bank", NULL, &r);
    call_ok(u, "open_account", "[\"dave\", 70]");
    call_ok(u, "open_account", "[\"erin\", 5]");
    call_ok(u, "transfer", "[\"dave\", \"erin\", 20]");
    assert_int_equal(ts_rows_of("bank", "account"), 3);
    assert_int_equal(ts_rows_of("bank", "transfer"), 1);
    return u;
}

/* A fresh client bound to bank. */
static TClient *user(void)
{
    TClient *v = tc_open();
    ProtoReply r;
    tc_hello(v, "bank", NULL, &r);
    return v;
}

static void test_same_module_keeps_data(void **state)
{
    (void)state;
    TClient *o = tc_open(), *u = bank_with_data(o);
    StrBuf before, after;
    strbuf_init(&before), strbuf_init(&after);
    dump("bank", &before);
    tc_publish(o, "bank", BANK, false);
    tc_error(u, "republished; reconnect");
    tc_closed(u);
    dump("bank", &after);
    assert_true(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
    ts_restart();
    dump("bank", &after);
    assert_true(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
    db_ok("bank");
    assert_int_equal(ts_log_count("bank", "opened the bank's account"), 1);
    strbuf_fini(&before), strbuf_fini(&after);
    tc_free(o), tc_free(u);
}

/* A schedule row survives a republish and fires in the new module. */
static void test_schedules_survive(void **state)
{
    (void)state;
    TClient *o = tc_open(), *c = tc_open();
    ProtoReply r;
    tc_publish(o, "rem", "examples/reminders/reminders.wasm", false);
    tc_hello(c, "rem", NULL, &r);
    call_ok(c, "remind_me", "[\"soon\", 400000]");
    uint64_t before = ts_rows_of("rem", "reminder");
    tc_publish(o, "rem", "examples/reminders/reminders.wasm", false);
    assert_int_equal(ts_rows_of("rem", "reminder"), before);
    int64_t deadline = ts_ms() + 5000;
    while (ts_log_count("rem", ": soon") == 0 && ts_ms() < deadline)
        ts_turn(20);
    assert_int_equal(ts_log_count("rem", ": soon"), 1);
    assert_int_equal(ts_rows_of("rem", "reminder"), before - 1);   /* the one-shot row went */
    tc_free(o), tc_free(c);
}

static void test_compatible_v2_migrates(void **state)
{
    (void)state;
    TClient *o = tc_open(), *u = bank_with_data(o);
    uint32_t old_transfer = module_table_id(server_database(srv, "bank"), "transfer");
    tc_publish(o, "bank", BANK_V2, false);
    tc_error(u, "republished; reconnect");
    HostModule *hm = server_database(srv, "bank");
    assert_int_not_equal(module_table_id(hm, "transfer"), old_transfer);   /* ids moved */
    assert_int_equal(ts_rows_of("bank", "account"), 3);
    assert_int_equal(ts_rows_of("bank", "transfer"), 1);
    assert_int_equal(ts_rows_of("bank", "audit_log"), 0);
    assert_int_equal(ts_log_count("bank", "v2 init"), 0);                /* init did not run */
    assert_int_equal(ts_log_count("bank", "add table audit_log"), 1);    /* the steps, logged */
    uint32_t idx;
    const char *index = "account_balance_idx_btree";   /* the new index, built */
    assert_int_equal(db_index_id_from_name(module_db(hm), index, strlen(index), &idx, NULL),
                     ST_OK);
    assert_true(table_is_public(db_table(module_db(hm), module_table_id(hm, "transfer"))));
    db_ok("bank");

    TClient *v = user();
    call_ok(v, "deposit", "[\"erin\", 100]");           /* a new reducer */
    call_ok(v, "open_account", "[\"finn\", 1]");        /* id 4: the sequence was kept */
    call_ok(v, "audit", "[]");                          /* the changed one, into the new table */
    assert_int_equal(ts_rows_of("bank", "audit_log"), 1);
    assert_int_equal(ts_log_count("bank", "audit 1: 4 accounts hold 1000176"), 1);

    StrBuf before, after;
    strbuf_init(&before), strbuf_init(&after);
    dump("bank", &before);
    ts_restart();                                       /* snapshot + the log after it */
    dump("bank", &after);
    assert_true(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
    db_ok("bank");
    TClient *w = user();
    call_ok(w, "audit", "[]");
    assert_int_equal(ts_log_count("bank", "audit 2: 4 accounts hold 1000176"), 1);
    strbuf_fini(&before), strbuf_fini(&after);
    tc_free(o), tc_free(u), tc_free(v), tc_free(w);
}

static void test_incompatible_is_refused(void **state)
{
    (void)state;
    TClient *o = tc_open(), *u = bank_with_data(o);
    StrBuf before, after;
    strbuf_init(&before), strbuf_init(&after);
    dump("bank", &before);
    tc_send_publish(o, "bank", BANK_BAD, false);
    const char *line = tc_line(o);
    assert_non_null(line);
    const char *reasons[] = {
        "Database update rejected",
        "Adding a column frozen to table account",
        "Changing the type of column balance in table account from u64 to i64",
        "Removing the table transfer",
        "tinystdb publish --delete-data bank",
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (!strstr(line, reasons[i]))
            fail_msg("\"%s\" missing in %s", reasons[i], line);
    call_ok(u, "open_account", "[\"gus\", 3]");         /* the old module still serves u */
    dump("bank", &after);
    assert_int_equal(ts_rows_of("bank", "account"), 4);
    ts_restart();                                       /* and its files were not replaced */
    assert_int_equal(ts_rows_of("bank", "account"), 4);
    assert_int_equal(ts_rows_of("bank", "transfer"), 1);
    strbuf_clear(&before);
    dump("bank", &before);
    assert_true(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
    strbuf_fini(&before), strbuf_fini(&after);
    tc_free(o), tc_free(u);
}

static void test_delete_data_starts_over(void **state)
{
    (void)state;
    TClient *o = tc_open(), *u = bank_with_data(o);
    tc_publish(o, "bank", BANK_V2, true);
    tc_error(u, "republished");
    assert_int_equal(ts_rows_of("bank", "account"), 1);   /* init's bank account only */
    assert_int_equal(ts_rows_of("bank", "transfer"), 0);
    assert_int_equal(ts_log_count("bank", "v2 init"), 1);
    tc_publish(o, "bank", BANK_BAD, true);                /* anything goes with clear */
    assert_int_equal(ts_rows_of("bank", "account"), 1);
    ts_restart();
    assert_int_equal(ts_rows_of("bank", "account"), 1);
    tc_free(o), tc_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_module_keeps_data, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_schedules_survive, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_compatible_v2_migrates, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_incompatible_is_refused, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_delete_data_starts_over, ts_setup, ts_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
