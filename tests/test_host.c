/*
 * test_host.c - the module host's acceptance tests on real modules: the
 * Rust module built by SpacetimeDB's own crate 1.1.2 (skipped, saying
 * so, when ../shared is absent) and every C example module.
 *
 * Each test loads a module in process, runs init, calls reducers the way
 * a client would (JSON arguments, converted with the parameter types)
 * and checks the tables through the storage API, including the error
 * paths: an Err leaves every table untouched.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include "host_util.h"

static ModuleLogs *logs;

static int setup(void **state)
{
    static long live;
    live = mem_live();
    *state = &live;
    test_now = T0;
    nseen = 0;
    return logs_open(NULL, 256, &logs, NULL, 0) == ST_OK ? 0 : -1;
}

static int teardown(void **state)
{
    logs_close(logs);
    logs = NULL;
    long live = *(long *)*state;
    if (mem_live() != live) {
        print_error("leak: %ld allocations not freed\n", mem_live() - live);
        return -1;
    }
    return 0;
}

static HostConfig config(void)
{
    HostConfig cfg = { .logs = logs, .clock = test_clock, .on_schedule = record_schedule };
    memset(cfg.identity, 0xdb, 32);
    memset(cfg.owner, 0x0e, 32);
    return cfg;
}

static HostModule *load_file(const char *path)
{
    size_t len = 0;
    uint8_t *wasm = file_read_all(path, &len);
    if (!wasm)
        fail_msg("cannot read %s (run the tests from the repository root)", path);
    HostConfig cfg = config();
    HostModule *hm = NULL;
    ModError err;
    Status st = module_load(wasm, len, &cfg, &hm, &err);
    mem_free(wasm);
    if (st != ST_OK)
        fail_msg("%s: %s", path, err.msg);
    return hm;
}

static Status call(HostModule *hm, const char *reducer, const HostCaller *c, const char *json,
                   HostResult *res)
{
    return module_call_json(hm, reducer, c, json, strlen(json), res);
}

/* Does any kept log record contain `text`? */
static bool logged(const char *text)
{
    for (size_t i = 0; i < logs_count(logs); i++)
        if (strstr(logs_get(logs, i)->message, text))
            return true;
    return false;
}

/* ---- the Rust module ------------------------------------------------------------------- */

static HostModule *load_rust_pages(uint32_t max_pages)
{
    size_t len = 0;
    uint8_t *wasm = read_rust_module(&len);
    if (!wasm)
        return NULL;
    HostConfig cfg = config();
    cfg.max_pages = max_pages;
    HostModule *hm = NULL;
    ModError err;
    Status st = module_load(wasm, len, &cfg, &hm, &err);
    mem_free(wasm);
    if (st != ST_OK)
        fail_msg("the Rust module: %s", err.msg);
    return hm;
}

static HostModule *load_rust(void)
{
    return load_rust_pages(0);
}

#define SKIP_WITHOUT_RUST(hm)                                                              \
    do {                                                                                   \
        if (!(hm)) {                                                                       \
            print_message("SKIPPED: %s not found (set TINYSTDB_SHARED)\n", RUST_MODULE);   \
            skip();                                                                        \
        }                                                                                  \
    } while (0)

static const char alice_hex[] =
    "c20006c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90";

static const char input_json[] =
    "[{\"forward\":true,\"backward\":false,\"left\":false,\"right\":false,\"sprint\":true,"
    "\"jump\":false,\"attack\":false,\"cast_spell\":false,\"sequence\":7},"
    "{\"x\":1.0,\"y\":0.0,\"z\":2.0},{\"x\":0.0,\"y\":1.5,\"z\":0.0},\"run\"]";

static void test_rust_init_schedules_game_tick(void **state)
{
    (void)state;
    HostModule *hm = load_rust();
    SKIP_WITHOUT_RUST(hm);
    HostResult res;
    Status st = module_init(hm, T0, &res);
    assert_committed(st, res);
    StrBuf json;
    strbuf_init(&json);
    table_json(hm, "game_tick_schedule", &json);
    assert_string_equal(json.data, "{\"scheduled_id\":1,\"scheduled_at\":{\"Interval\":"
                        "{\"__time_duration_micros__\":1000000}}}\n");
    /* The raw row: id 1, then ScheduleAt::Interval(1 s) = 00 40 42 0f 00 00 00 00 00. */
    static const uint8_t row[17] = { 1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0 };
    assert_int_equal(res.delta->ntables, 1);
    size_t len;
    const uint8_t *got = rowlist_get(&res.delta->tables[0].inserts, 0, &len);
    assert_int_equal(len, sizeof row);
    assert_memory_equal(got, row, sizeof row);
    assert_int_equal(nseen, 1);           /* registered with the scheduler ... */
    assert_int_equal(seen[0].id, 1);
    assert_int_equal(seen[0].at, T0 + 1000000);   /* ... to fire in one second */
    strbuf_fini(&json);
    module_free(hm);
}

static void test_rust_player_lifecycle(void **state)
{
    (void)state;
    HostModule *hm = load_rust();
    SKIP_WITHOUT_RUST(hm);
    HostResult res;
    StrBuf json;
    strbuf_init(&json);
    assert_committed(module_init(hm, T0, &res), res);
    HostCaller alice = caller_of(0, 1);
    assert_true(module_identity_parse(alice_hex, alice.identity));
    uint8_t derived[32];
    identity_of("alice", derived);                /* the reference's convention */
    assert_memory_equal(derived, alice.identity, 32);
    char hex[65];
    module_identity_hex(alice.identity, hex);
    assert_string_equal(hex, alice_hex);
    assert_committed(module_connect(hm, &alice, &res), res);

    Status st = call(hm, "register_player", &alice, "[\"alice\",\"warrior\"]", &res);
    assert_committed(st, res);
    table_json(hm, "player", &json);
    assert_contains(json.data, "\"identity\":{\"__identity__\":\"0xc20006c97f0e00af");
    assert_contains(json.data, "\"username\":\"alice\",\"character_class\":\"warrior\"");
    assert_contains(json.data, "\"health\":100");

    alice.timestamp = T0 + 5000000;
    assert_committed(call(hm, "update_player_input", &alice, input_json, &res), res);
    table_json(hm, "player", &json);
    assert_contains(json.data, "\"rotation\":{\"x\":0.0,\"y\":1.5,\"z\":0.0}");
    assert_contains(json.data, "\"current_animation\":\"run\"");
    assert_contains(json.data, "\"last_input_seq\":7");
    assert_int_equal(rows_in(hm, "player"), 1);

    /* Disconnect: the row moves to logged_out_player, stamped with the time. */
    alice.timestamp = T0 + 9000000;
    assert_committed(module_disconnect(hm, &alice, &res), res);
    assert_int_equal(rows_in(hm, "player"), 0);
    table_json(hm, "logged_out_player", &json);
    assert_contains(json.data, "\"username\":\"alice\"");
    assert_contains(json.data, "\"last_seen\":{\"__timestamp_micros_since_unix_epoch__\":"
                               "1735689609000000}");

    /* Reconnect and register again: the saved player comes back. */
    alice.connection_id[0] = 2;
    assert_committed(module_connect(hm, &alice, &res), res);
    assert_committed(call(hm, "register_player", &alice, "[\"alice\",\"warrior\"]", &res), res);
    assert_int_equal(rows_in(hm, "player"), 1);
    assert_int_equal(rows_in(hm, "logged_out_player"), 0);
    table_json(hm, "player", &json);
    assert_contains(json.data, "\"username\":\"alice\"");
    assert_contains(json.data, "\"rotation\":{\"x\":0.0,\"y\":1.5,\"z\":0.0}");
    assert_int_equal(module_instances(hm), 1);    /* nothing trapped */
    strbuf_fini(&json);
    module_free(hm);
}

static void test_rust_bad_args_never_reach_the_module(void **state)
{
    (void)state;
    HostModule *hm = load_rust();
    SKIP_WITHOUT_RUST(hm);
    HostResult res;
    HostCaller bob = caller_of(0xb0, 1);
    assert_committed(module_init(hm, T0, &res), res);
    /* One argument short, a wrong type, trailing bytes: refused before the call. */
    assert_int_equal(call(hm, "register_player", &bob, "[\"bob\"]", &res), ST_INVALID);
    assert_int_equal(call(hm, "register_player", &bob, "[\"bob\", 7]", &res), ST_INVALID);
    assert_contains(res.message, "register_player");
    static const uint8_t trailing[] = { 3, 0, 0, 0, 'b', 'o', 'b', 1, 0, 0, 0, 'x', 0xFF };
    assert_int_equal(module_call(hm, "register_player", &bob, trailing, sizeof trailing, &res),
                     ST_INVALID);
    assert_int_equal(module_call(hm, "init", &bob, NULL, 0, &res), ST_INVALID);
    assert_string_equal(res.message, "can't directly call special Init lifecycle reducer");
    assert_int_equal(call(hm, "no_such_reducer", &bob, "[]", &res), ST_NOT_FOUND);
    assert_true(logged("External attempt to call nonexistent reducer \"no_such_reducer\""));
    /* The module is fine and ids follow the def. */
    assert_committed(module_call(hm, "register_player", &bob, trailing, sizeof trailing - 1, &res),
                     res);
    assert_int_equal(res.reducer_id, moddef_find_reducer(module_def(hm), "register_player")->id);
    assert_int_equal(rows_in(hm, "player"), 1);
    module_free(hm);
}

static void test_rust_scheduled_game_tick(void **state)
{
    (void)state;
    HostModule *hm = load_rust();
    SKIP_WITHOUT_RUST(hm);
    HostResult res;
    HostScheduled next;
    assert_committed(module_init(hm, T0, &res), res);
    uint32_t tid = module_table_id(hm, "game_tick_schedule");
    test_now = T0 + 1000000;
    Status st = module_run_scheduled(hm, tid, 1, T0 + 1000000, &res, &next);
    assert_committed(st, res);
    assert_true(next.repeat);                     /* Interval: keeps firing ... */
    assert_int_equal(next.at, T0 + 2000000);      /* ... one second after it finished */
    assert_false(next.deleted);
    assert_int_equal(rows_in(hm, "game_tick_schedule"), 1);
    assert_int_equal(module_run_scheduled(hm, tid, 99, T0, &res, &next), ST_NOT_FOUND);
    module_free(hm);
}

/* A reducer that runs out of memory traps (Rust aborts with unreachable):
 * everything rolls back, and a fresh instance (preinit and describe run
 * again, same definition) serves the next call. */
static void test_rust_trap_gets_a_fresh_instance(void **state)
{
    (void)state;
    HostModule *hm = load_rust_pages(24);      /* 1.5 MiB of linear memory */
    SKIP_WITHOUT_RUST(hm);
    HostResult res;
    HostCaller alice = caller_of(0xa1, 1), bob = caller_of(0xb0, 2);
    assert_committed(module_init(hm, T0, &res), res);
    assert_committed(call(hm, "register_player", &alice, "[\"alice\",\"mage\"]", &res), res);
    size_t big = 1u << 20;
    char *json = mem_alloc(big + 16);
    memcpy(json, "[\"", 2);
    memset(json + 2, 'x', big);
    memcpy(json + 2 + big, "\",\"b\"]", 7);
    StrBuf before, after;
    strbuf_init(&before);
    strbuf_init(&after);
    snapshot(module_db(hm), &before);
    assert_int_equal(call(hm, "register_player", &bob, json, &res), ST_OK);
    assert_int_equal(res.outcome, HOST_TRAPPED);
    assert_contains(res.message, "unreachable");
    snapshot(module_db(hm), &after);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    assert_committed(call(hm, "register_player", &bob, "[\"bob\",\"rogue\"]", &res), res);
    assert_int_equal(module_instances(hm), 2);
    assert_int_equal(rows_in(hm, "player"), 2);
    mem_free(json);
    strbuf_fini(&before);
    strbuf_fini(&after);
    module_free(hm);
}

/* ---- C examples --------------------------------------------------------------------------- */

static void test_bank_err_rolls_everything_back(void **state)
{
    (void)state;
    HostModule *hm = load_file("examples/bank/bank.wasm");
    HostResult res;
    HostCaller c = caller_of(1, 1);
    StrBuf before, after;
    strbuf_init(&before);
    strbuf_init(&after);
    assert_committed(module_init(hm, T0, &res), res);
    assert_committed(call(hm, "open_account", &c, "[\"ann\", 100]", &res), res);
    assert_committed(call(hm, "open_account", &c, "[\"ben\", 5]", &res), res);
    assert_committed(call(hm, "transfer", &c, "[\"ann\", \"ben\", 30]", &res), res);
    assert_int_equal(rows_in(hm, "transfer"), 1);

    /* transfer() inserts its record, THEN finds the funds short and returns Err. */
    snapshot(module_db(hm), &before);
    Status st = call(hm, "transfer", &c, "[\"ben\", \"ann\", 1000]", &res);
    assert_int_equal(st, ST_OK);
    assert_int_equal(res.outcome, HOST_FAILED);
    assert_int_equal(res.code, 1);
    assert_string_equal(res.message, "insufficient funds: ben has 35, needs 1000");
    snapshot(module_db(hm), &after);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);   /* every table untouched */
    assert_true(logged("insufficient funds"));

    StrBuf json;
    strbuf_init(&json);
    table_json(hm, "account", &json);
    assert_contains(json.data, "\"owner\":\"ann\",\"balance\":70");
    assert_contains(json.data, "\"owner\":\"ben\",\"balance\":35");
    assert_int_equal(call(hm, "open_account", &c, "[\"ann\", 1]", &res), ST_OK);
    assert_string_equal(res.message, "ann already has an account");
    assert_committed(call(hm, "audit", &c, "[]", &res), res);
    assert_true(logged("3 accounts hold 1000105 in all"));
    strbuf_fini(&json);
    strbuf_fini(&before);
    strbuf_fini(&after);
    module_free(hm);
}

static void test_players_patterns(void **state)
{
    (void)state;
    HostModule *hm = load_file("examples/players/players.wasm");
    HostResult res;
    HostCaller c = caller_of(2, 1);
    StrBuf json;
    strbuf_init(&json);
    const char *adds[] = { "[\"ann\",1,5]", "[\"bob\",1,10]", "[\"cat\",2,7]", "[\"dan\",1,3]" };
    for (int i = 0; i < 4; i++)
        assert_committed(call(hm, "add_player", &c, adds[i], &res), res);
    table_json(hm, "player", &json);
    assert_contains(json.data, "{\"id\":1,\"name\":\"ann\"");   /* auto_inc written back */
    assert_contains(json.data, "{\"id\":4,\"name\":\"dan\"");
    assert_true(logged("added player 4: dan"));
    assert_int_equal(call(hm, "add_player", &c, "[\"ann\",3,3]", &res), ST_OK);
    assert_string_equal(res.message, "a player named ann already exists");

    assert_committed(call(hm, "level_up", &c, "[\"ann\"]", &res), res);
    assert_int_equal(call(hm, "rename", &c, "[2, \"cat\"]", &res), ST_OK);
    assert_string_equal(res.message, "the name cat is taken");
    assert_committed(call(hm, "promote_team", &c, "[1, 5]", &res), res);   /* ann(6), bob(10) */
    assert_true(logged("promoted 2 players of team 1"));
    table_json(hm, "player", &json);
    assert_contains(json.data, "\"name\":\"ann\",\"team\":1,\"level\":6,\"score\":100");
    assert_contains(json.data, "\"name\":\"dan\",\"team\":1,\"level\":3,\"score\":0");

    assert_committed(call(hm, "list_levels", &c, "[5, 8]", &res), res);
    assert_true(logged("2 of 4 players have a level in [5, 8]"));
    assert_committed(call(hm, "delete_below_level", &c, "[4]", &res), res);   /* dan */
    assert_int_equal(rows_in(hm, "player"), 3);
    assert_committed(call(hm, "remove_player", &c, "[\"cat\"]", &res), res);
    assert_committed(call(hm, "delete_team", &c, "[1]", &res), res);          /* ann, bob */
    assert_int_equal(rows_in(hm, "player"), 0);
    assert_committed(call(hm, "log_all", &c, "[]", &res), res);
    strbuf_fini(&json);
    module_free(hm);
}

static void test_quickstart_chat(void **state)
{
    (void)state;
    HostModule *hm = load_file("examples/quickstart-chat/quickstart_chat.wasm");
    HostResult res;
    HostCaller ann = caller_of(0xa1, 1), bob = caller_of(0xb2, 2);
    StrBuf json;
    strbuf_init(&json);
    assert_committed(module_init(hm, T0, &res), res);   /* no init reducer: nothing to do */
    assert_committed(module_connect(hm, &ann, &res), res);
    assert_committed(module_connect(hm, &bob, &res), res);
    assert_int_equal(module_connect(hm, &bob, &res), ST_EXISTS);
    assert_committed(call(hm, "set_name", &ann, "[\"Ann\"]", &res), res);
    assert_committed(call(hm, "send_message", &ann, "[\"hello\"]", &res), res);
    assert_int_equal(call(hm, "send_message", &bob, "[\"\"]", &res), ST_OK);
    assert_int_equal(res.outcome, HOST_FAILED);
    assert_string_equal(res.message, "Messages must not be empty");
    assert_int_equal(rows_in(hm, "message"), 1);
    table_json(hm, "user", &json);
    assert_contains(json.data, "\"name\":{\"some\":\"Ann\"},\"online\":true");
    assert_contains(json.data, "\"name\":{\"none\":[]},\"online\":true");
    assert_committed(module_disconnect(hm, &bob, &res), res);
    assert_false(module_is_connected(hm, &bob));
    assert_int_equal(module_disconnect(hm, &bob, &res), ST_NOT_FOUND);
    table_json(hm, "user", &json);
    assert_contains(json.data, "\"name\":{\"none\":[]},\"online\":false");
    assert_int_equal(call(hm, "client_connected", &ann, "[]", &res), ST_INVALID);
    strbuf_fini(&json);
    module_free(hm);
}

static void test_reminders_schedule(void **state)
{
    (void)state;
    HostModule *hm = load_file("examples/reminders/reminders.wasm");
    HostResult res;
    HostScheduled next;
    HostCaller c = caller_of(3, 1);
    assert_committed(module_init(hm, T0, &res), res);      /* the heartbeat, every second */
    assert_int_equal(nseen, 1);
    assert_int_equal(seen[0].at, T0 + 1000000);
    assert_committed(call(hm, "remind_me", &c, "[\"tea\", 60000000]", &res), res);
    assert_int_equal(nseen, 2);
    assert_int_equal(seen[1].id, 2);
    assert_int_equal(seen[1].at, T0 + 60000000);
    /* Far too late: SCHEDULE_AT_DELAY_TOO_LONG, which the module turns into an Err. */
    assert_int_equal(call(hm, "remind_me", &c, "[\"never\", 100000000000000]", &res), ST_OK);
    assert_string_equal(res.message, "that is too far in the future");
    assert_int_equal(rows_in(hm, "reminder"), 2);

    /* A client may not call the scheduled reducer (the module checks the sender). */
    assert_int_equal(call(hm, "send_reminder", &c, "[{\"scheduled_id\":2,\"scheduled_at\":"
                          "{\"Time\":{\"__timestamp_micros_since_unix_epoch__\":0}},"
                          "\"text\":\"x\"}]", &res), ST_OK);
    assert_int_equal(res.outcome, HOST_FAILED);

    uint32_t tid = module_table_id(hm, "reminder");
    test_now = T0 + 60000000;
    assert_committed(module_run_scheduled(hm, tid, 2, T0 + 60000000, &res, &next), res);
    assert_false(next.repeat);
    assert_true(next.deleted);                    /* one-shot: gone after firing */
    assert_int_equal(rows_in(hm, "reminder"), 1);
    assert_int_equal(rows_in(hm, "delivery"), 1);
    assert_true(logged("reminder 2: tea"));
    assert_committed(module_run_scheduled(hm, tid, 1, T0 + 1000000, &res, &next), res);
    assert_true(next.repeat);
    assert_committed(call(hm, "cancel", &c, "[1]", &res), res);
    assert_int_equal(module_run_scheduled(hm, tid, 1, T0, &res, &next), ST_NOT_FOUND);
    module_free(hm);
}

static void test_bench_insert(void **state)
{
    (void)state;
    HostModule *hm = load_file("examples/bench-insert/bench_insert.wasm");
    HostResult res;
    HostCaller c = caller_of(4, 1);
    uint8_t args[8] = { 42 };
    for (int i = 0; i < 100; i++)
        assert_committed(module_call(hm, "insert", &c, args, sizeof args, &res), res);
    assert_int_equal(rows_in(hm, "item"), 100);
    assert_int_equal(res.delta->ntables, 1);
    assert_int_equal(res.delta->tables[0].inserts.count, 1);
    size_t len;
    const uint8_t *row = rowlist_get(&res.delta->tables[0].inserts, 0, &len);
    assert_int_equal(len, 16);
    assert_int_equal(row[0], 100);                /* id 100 */
    assert_int_equal(row[8], 42);
    module_free(hm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rust_init_schedules_game_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_player_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_bad_args_never_reach_the_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_scheduled_game_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_trap_gets_a_fresh_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bank_err_rolls_everything_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_players_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quickstart_chat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reminders_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bench_insert, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
