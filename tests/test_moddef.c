/*
 * test_moddef.c - decoding, validating and printing module definitions.
 *
 * Three sources of definitions:
 *   - the real module built by the Rust crate 1.1.2 (read from
 *     $TINYSTDB_SHARED/modules or ../shared/modules; SKIPPED when absent),
 *     described through the whole loader, so the index names we generate
 *     are checked against the strings the module itself looks up;
 *   - hand-built RawModuleDefV9 bytes (moddef_util.h) with one knob
 *     turned per error case, each error naming its cause;
 *   - a hand-built RawModuleDefV8, upgraded as SpacetimeDB does.
 * Every test runs under a leak check (mem_live before and after).
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_util.h"

#include "host/describe.h"
#include "leak_check.h"
#include "util/json.h"

static ModuleDef *decode_ok(const DefBuf *d)
{
    ModuleDef *def = NULL;
    ModError err = {0};
    Status st = moddef_decode(d->b, d->n, &def, &err);
    if (st != ST_OK)
        print_error("unexpected error: %s\n", err.msg);
    assert_int_equal(st, ST_OK);
    char msg[128];
    assert_int_equal(moddef_check(def, msg, sizeof msg), ST_OK);
    return def;
}

/* Decoding must fail with st and a message containing every `words`. */
static void expect_error(const DefBuf *d, Status st, const char *words1, const char *words2)
{
    ModuleDef *def = (ModuleDef *)1;
    ModError err = {0};
    Status got = moddef_decode(d->b, d->n, &def, &err);
    bool ok = got == st && strstr(err.msg, words1) && (!words2 || strstr(err.msg, words2));
    if (!ok)
        print_error("expected %s \"%s\"/\"%s\", got %s \"%s\"\n", status_str(st), words1,
                    words2 ? words2 : "", status_str(got), err.msg);
    assert_true(ok);
    assert_null(def);
    assert_int_equal(err.status, st);
}

static void expect_spec_error(V9Spec s, Status st, const char *w1, const char *w2)
{
    static DefBuf d;
    build_v9(&d, &s);
    expect_error(&d, st, w1, w2);
}

/* ---- the real module ------------------------------------------------------ */

static ModuleDef *describe_rust(void)
{
    char path[512];
    size_t len = 0;
    uint8_t *wasm = read_rust_module(&len, path, sizeof path);
    if (!wasm) {
        print_message("SKIPPED: %s not found (set TINYSTDB_SHARED)\n", RUST_MODULE);
        return NULL;
    }
    ModuleDef *def = NULL;
    ModError err = {0};
    Status st = describe_wasm(wasm, len, NULL, &def, &err);
    mem_free(wasm);
    if (st != ST_OK)
        print_error("describe %s: %s\n", path, err.msg);
    assert_int_equal(st, ST_OK);
    char msg[128];
    assert_int_equal(moddef_check(def, msg, sizeof msg), ST_OK);
    return def;
}

static void test_rust_tables(void **state)
{
    (void)state;
    ModuleDef *def = describe_rust();
    if (!def)
        skip();
    assert_int_equal(def->version, 9);
    assert_int_equal(def->ntables, 3);
    const ModTable *p = moddef_find_table(def, "player");
    assert_non_null(p);
    assert_int_equal(p->access, MOD_ACCESS_PUBLIC);
    assert_int_equal(p->type, MOD_TABLE_USER);
    assert_int_equal(p->primary_key, 0);
    assert_string_equal(p->cols[0].name, "identity");
    assert_int_equal(alg_special(p->cols[0].type), ALG_SPECIAL_IDENTITY);
    assert_int_equal(p->ncols, 17);
    assert_false(p->scheduled);
    const ModTable *lo = moddef_find_table(def, "logged_out_player");
    assert_non_null(lo);
    assert_int_equal(lo->access, MOD_ACCESS_PRIVATE);
    assert_int_equal(lo->primary_key, 0);
    assert_null(moddef_find_table(def, "nope"));
    moddef_free(def);
}

static void test_rust_schedule(void **state)
{
    (void)state;
    ModuleDef *def = describe_rust();
    if (!def)
        skip();
    const ModTable *g = moddef_find_table(def, "game_tick_schedule");
    assert_non_null(g);
    assert_true(g->scheduled);
    assert_string_equal(g->schedule.reducer, "game_tick");
    assert_string_equal(g->schedule.name, "game_tick_schedule_sched");
    assert_string_equal(g->cols[g->schedule.at_col].name, "scheduled_at");
    assert_int_equal(alg_special(g->cols[1].type), ALG_SPECIAL_SCHEDULE_AT);
    assert_int_equal(g->primary_key, 0);
    assert_string_equal(g->cols[0].name, "scheduled_id");
    assert_int_equal(g->cols[0].type->kind, ALG_U64);
    assert_int_equal(g->nsequences, 1);
    const ModSequence *s = &g->sequences[0];
    assert_string_equal(s->name, "game_tick_schedule_scheduled_id_seq");
    assert_int_equal(s->col, 0);
    assert_false(s->has_start);
    assert_int_equal(i128_cmp(s->start, i128_from_i64(1)), 0);
    assert_int_equal(i128_cmp(s->min, i128_from_i64(1)), 0);
    assert_int_equal(i128_cmp(s->max, I128_MAX), 0);
    assert_int_equal(i128_cmp(s->increment, i128_from_i64(1)), 0);
    assert_string_equal(g->uniques[0].name, "game_tick_schedule_scheduled_id_key");
    /* the storage schema mirrors it */
    assert_string_equal(g->schema.schedule_reducer, "game_tick");
    assert_true(g->schema.is_public);
    assert_int_equal(g->schema.nsequences, 1);
    moddef_free(def);
}

static void expect_reducer(const ModuleDef *def, uint32_t id, const char *name, ModLifecycle lc,
                           uint32_t nparams)
{
    const ModReducer *r = moddef_find_reducer(def, name);
    assert_non_null(r);
    assert_int_equal(r->id, id);
    assert_ptr_equal(r, &def->reducers[id]);
    assert_int_equal(r->lifecycle, lc);
    assert_int_equal(r->params->nmembers, nparams);
}

static void test_rust_reducers(void **state)
{
    (void)state;
    ModuleDef *def = describe_rust();
    if (!def)
        skip();
    assert_int_equal(def->nreducers, 6);
    /* ids follow the preinit name order (module-abi.md, "Observed behaviour" 1) */
    expect_reducer(def, 0, "game_tick", MOD_LIFECYCLE_NONE, 1);
    expect_reducer(def, 1, "identity_connected", MOD_LIFECYCLE_CLIENT_CONNECTED, 0);
    expect_reducer(def, 2, "identity_disconnected", MOD_LIFECYCLE_CLIENT_DISCONNECTED, 0);
    expect_reducer(def, 3, "init", MOD_LIFECYCLE_INIT, 0);
    expect_reducer(def, 4, "register_player", MOD_LIFECYCLE_NONE, 2);
    expect_reducer(def, 5, "update_player_input", MOD_LIFECYCLE_NONE, 4);
    const ModReducer *r = moddef_find_reducer(def, "register_player");
    assert_string_equal(r->params->members[0].name, "username");
    assert_int_equal(r->params->members[0].type->kind, ALG_STRING);
    assert_string_equal(r->params->members[1].name, "character_class");
    r = moddef_find_reducer(def, "update_player_input");
    const char *names[] = { "input", "_client_pos", "client_rot", "client_animation" };
    for (int i = 0; i < 4; i++)
        assert_string_equal(r->params->members[i].name, names[i]);
    /* game_tick takes the schedule table's row */
    const AlgType *arg = def->reducers[0].params->members[0].type;
    assert_int_equal(arg->kind, ALG_REF);
    assert_int_equal(arg->ref, moddef_find_table(def, "game_tick_schedule")->row_ref);
    assert_string_equal(moddef_type_name(def, arg->ref)->name, "GameTickSchedule");
    assert_null(moddef_find_reducer(def, "nope"));
    moddef_free(def);
}

/* Does `hay` contain `needle`, and does every "_idx_btree" in it end one of our names? */
static const uint8_t *find_bytes(const uint8_t *hay, size_t n, const char *needle, size_t from)
{
    size_t k = strlen(needle);
    for (size_t i = from; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

static bool ends_with_index_name(const ModuleDef *def, const uint8_t *wasm, size_t end)
{
    for (uint32_t i = 0; i < def->ntables; i++) {
        for (uint32_t j = 0; j < def->tables[i].nindexes; j++) {
            const char *name = def->tables[i].indexes[j].name;
            size_t k = strlen(name);
            if (k <= end && memcmp(wasm + end - k, name, k) == 0)
                return true;
        }
    }
    return false;
}

static void test_rust_index_names(void **state)
{
    (void)state;
    ModuleDef *def = describe_rust();
    if (!def)
        skip();
    const ModTable *t;
    const ModIndex *ix = moddef_find_index(def, "player_identity_idx_btree", &t);
    assert_non_null(ix);
    assert_string_equal(t->name, "player");
    assert_true(ix->generated);
    assert_string_equal(ix->accessor, "identity");
    assert_int_equal(ix->algo, INDEX_BTREE);
    assert_non_null(moddef_find_index(def, "logged_out_player_identity_idx_btree", NULL));
    assert_non_null(moddef_find_index(def, "game_tick_schedule_scheduled_id_idx_btree", NULL));
    /* The names the module will pass to index_id_from_name are in its data. */
    char path[512];
    size_t len = 0;
    uint8_t *wasm = read_rust_module(&len, path, sizeof path);
    assert_non_null(wasm);
    int found = 0;
    for (const uint8_t *p = wasm; (p = find_bytes(wasm, len, "_idx_btree", (size_t)(p - wasm)));
         p++, found++)
        assert_true(ends_with_index_name(def, wasm, (size_t)(p - wasm) + 10));
    assert_true(found >= 2);
    assert_non_null(find_bytes(wasm, len, "player_identity_idx_btree", 0));
    mem_free(wasm);
    moddef_free(def);
}

static void test_rust_format(void **state)
{
    (void)state;
    ModuleDef *def = describe_rust();
    if (!def)
        skip();
    StrBuf text, js;
    strbuf_init(&text);
    strbuf_init(&js);
    assert_int_equal(moddef_format(def, &text, false), ST_OK);
    assert_non_null(strstr(text.data, "table player (public)"));
    assert_non_null(strstr(text.data, "table logged_out_player (private)"));
    assert_non_null(strstr(text.data, "index: player_identity_idx_btree btree(identity)"));
    assert_non_null(strstr(text.data, "3 init()  [init]"));
    assert_non_null(strstr(text.data, "register_player(username: String, character_class: String)"));
    assert_non_null(strstr(text.data, "game_tick(_tick_info: GameTickSchedule)"));
    assert_non_null(strstr(text.data, "position: Vector3"));
    assert_int_equal(moddef_format(def, &js, true), ST_OK);
    Arena a;
    arena_init(&a);
    JsonValue *root = NULL;
    assert_int_equal(json_parse(&a, js.data, js.len, &root, NULL), ST_OK);
    const JsonValue *tables = json_object_get(root, "tables");
    assert_int_equal(json_array_len(tables), 3);
    const JsonValue *g = json_array_get(tables, 0);
    assert_true(json_string_is(json_object_get(g, "name"), "game_tick_schedule"));
    const JsonValue *sched = json_object_get(g, "schedule");
    assert_true(json_string_is(json_object_get(sched, "reducer"), "game_tick"));
    const JsonValue *red = json_array_get(json_object_get(root, "reducers"), 3);
    assert_true(json_string_is(json_object_get(red, "lifecycle"), "init"));
    arena_fini(&a);
    strbuf_fini(&text);
    strbuf_fini(&js);
    moddef_free(def);
}

/* The storage engine accepts every table as the def describes it. */
static void test_rust_storage_schemas(void **state)
{
    (void)state;
    ModuleDef *def = describe_rust();
    if (!def)
        skip();
    for (uint32_t i = 0; i < def->ntables; i++) {
        const ModTable *mt = &def->tables[i];
        Table *t = NULL;
        DbError dberr = {0};
        Status st = table_new(&mt->schema, &t, &dberr);
        if (st != ST_OK)
            print_error("table_new(%s): %s\n", mt->name, dberr.msg);
        assert_int_equal(st, ST_OK);
        assert_int_equal(table_index_count(t), mt->nindexes);
        const char *ix = mt->indexes[0].name;
        assert_int_equal(table_index_by_name(t, ix, strlen(ix)), 0);
        assert_int_equal(table_primary_key(t), mt->primary_key);
        assert_int_equal(table_is_public(t), mt->access == MOD_ACCESS_PUBLIC);
        table_free(t);
    }
    moddef_free(def);
}

/* ---- hand-built V9 ----------------------------------------------------------- */

static void test_v9_valid(void **state)
{
    (void)state;
    DefBuf d;
    V9Spec s = V9_BASE;
    build_v9(&d, &s);
    ModuleDef *def = decode_ok(&d);
    const ModTable *t = moddef_find_table(def, "person");
    assert_non_null(t);
    assert_string_equal(t->indexes[0].name, "person_id_idx_btree");
    assert_string_equal(t->indexes[1].name, "person_name_idx_hash");
    assert_int_equal(t->indexes[1].algo, INDEX_HASH);
    assert_string_equal(t->uniques[0].name, "person_id_key");
    assert_string_equal(t->sequences[0].name, "person_id_seq");
    assert_int_equal(t->primary_key, 0);
    assert_string_equal(def->types[1].scope[0], "geo");
    assert_string_equal(def->types[1].name, "Point");
    assert_int_equal(def->nrls, 1);
    assert_string_equal(def->rls[0], "SELECT * FROM person");
    assert_int_equal(def->reducers[1].lifecycle, MOD_LIFECYCLE_INIT);
    assert_string_equal(moddef_lifecycle_name(def->reducers[1].lifecycle), "init");
    assert_int_equal(t->schema.nindexes, 2);
    assert_string_equal(t->schema.indexes[1].name, "person_name_idx_hash");
    assert_int_equal(t->schema.primary_key, 0);
    moddef_free(def);
}

static void test_v9_explicit_and_scheduled(void **state)
{
    (void)state;
    DefBuf d;
    V9Spec s = V9_BASE;
    s.index_name = "by_id";
    s.scheduled = true;
    s.algo1 = 0;   /* BTree on "name" */
    build_v9(&d, &s);
    ModuleDef *def = decode_ok(&d);
    const ModTable *t = &def->tables[0];
    assert_string_equal(t->indexes[0].name, "by_id");
    assert_false(t->indexes[0].generated);
    assert_string_equal(t->indexes[1].name, "person_name_idx_btree");
    assert_true(t->scheduled);
    assert_string_equal(t->schedule.name, "person_sched");
    assert_int_equal(t->schedule.at_col, 3);
    moddef_free(def);
}

static void test_v9_every_truncation(void **state)
{
    (void)state;
    DefBuf d;
    V9Spec s = V9_BASE;
    build_v9(&d, &s);
    for (size_t n = 0; n < d.n; n++) {
        ModuleDef *def = NULL;
        ModError err = {0};
        Status st = moddef_decode(d.b, n, &def, &err);
        if (st != ST_MALFORMED)
            print_error("prefix %zu: %s %s\n", n, status_str(st), err.msg);
        assert_int_equal(st, ST_MALFORMED);
        assert_null(def);
        assert_true(strstr(err.msg, "truncated") != NULL);
    }
}

static void test_v9_byte_flips(void **state)
{
    (void)state;
    DefBuf d;
    V9Spec s = V9_BASE;
    build_v9(&d, &s);
    for (size_t i = 0; i < d.n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            d.b[i] ^= (uint8_t)(1 << bit);
            ModuleDef *def = NULL;
            ModError err = {0};
            Status st = moddef_decode(d.b, d.n, &def, &err);
            assert_true(st == ST_OK ? def != NULL : def == NULL && err.msg[0]);
            moddef_free(def);
            d.b[i] ^= (uint8_t)(1 << bit);
        }
    }
}

static void test_v9_out_of_memory(void **state)
{
    (void)state;
    DefBuf d;
    V9Spec s = V9_BASE;
    build_v9(&d, &s);
    for (long n = 0;; n++) {
        ModuleDef *def = NULL;
        ModError err = {0};
        mem_fail_after(n);
        Status st = moddef_decode(d.b, d.n, &def, &err);
        mem_fail_after(-1);
        if (st == ST_OK) {
            moddef_free(def);
            break;
        }
        assert_int_equal(st, ST_NOMEM);
        assert_null(def);
    }
}

static void test_v9_bad_tags(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    s.tag = 7;
    expect_spec_error(s, ST_MALFORMED, "bad tag 7", NULL);
    s = V9_BASE;
    s.algo1 = 3;
    expect_spec_error(s, ST_MALFORMED, "bad tag 3", "index algorithm");
    s = V9_BASE;
    s.lifecycle1 = 5;
    expect_spec_error(s, ST_MALFORMED, "bad tag 5", "reducer 0 \"add\"");
    s = V9_BASE;
    s.trailing = true;
    expect_spec_error(s, ST_MALFORMED, "1 trailing bytes", NULL);
}

static void test_v10_refused(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    s.tag = 2;
    expect_spec_error(s, ST_UNSUPPORTED, "V10 modules (SpacetimeDB 2.x) are not supported", NULL);
}

static void test_v9_type_errors(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    s.pos_ref = 9;
    expect_spec_error(s, ST_INVALID, "type ref &9 does not resolve", "dangling");
    s = V9_BASE;
    s.row_kind = ALG_U32;
    expect_spec_error(s, ST_INVALID, "table \"person\": row type &0 is u32, not a product", NULL);
    s = V9_BASE;
    s.row_ref = 5;
    expect_spec_error(s, ST_INVALID, "product_type_ref &5 is out of range", NULL);
    s = V9_BASE;
    s.pos_ref = 2;   /* one past the end of the typespace */
    expect_spec_error(s, ST_INVALID, "&2", "does not resolve");
}

static void test_v9_column_errors(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    s.pk = 7;
    expect_spec_error(s, ST_INVALID, "table \"person\": primary key column 7 out of range", NULL);
    s = V9_BASE;
    s.pk = 1;   /* no unique constraint on "name" */
    expect_spec_error(s, ST_INVALID, "primary key \"name\" has no unique constraint", NULL);
    s = V9_BASE;
    s.unique_col = 2;   /* no index over "pos" */
    s.pk = -1;
    expect_spec_error(s, ST_INVALID, "unique constraint 0 on column \"pos\"", "no index");
    s = V9_BASE;
    s.seq_col = 1;
    expect_spec_error(s, ST_INVALID, "sequence on column \"name\" of type String", NULL);
    s = V9_BASE;
    s.algo1 = 2;
    expect_spec_error(s, ST_INVALID, "direct index 1 on column \"name\"", NULL);
}

static void test_v9_name_errors(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    s.table2 = "person";
    expect_spec_error(s, ST_INVALID, "duplicate name \"person\"", "table");
    s = V9_BASE;
    s.index_name = "person";
    expect_spec_error(s, ST_INVALID, "duplicate name \"person\"", "an index of table person");
    s = V9_BASE;
    s.table2 = "person_id_key";   /* collides with a generated constraint name */
    expect_spec_error(s, ST_INVALID, "duplicate name \"person_id_key\"", "unique constraint");
    s = V9_BASE;
    s.reducer2 = "add";
    expect_spec_error(s, ST_INVALID, "duplicate name \"add\"", "reducer");
    s = V9_BASE;
    s.table = "st_person";
    expect_spec_error(s, ST_INVALID, "must not start with \"st_\"", NULL);
    s = V9_BASE;
    s.table = "9lives";
    expect_spec_error(s, ST_INVALID, "\"9lives\" is not a valid identifier", NULL);
    s = V9_BASE;
    s.lifecycle1 = 0;   /* two init reducers */
    expect_spec_error(s, ST_INVALID, "both the init reducer", NULL);
}

static void test_v9_schedule_errors(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    s.scheduled = true;
    s.sched_reducer = "missing";
    expect_spec_error(s, ST_INVALID, "scheduled reducer \"missing\" does not exist", NULL);
    s.sched_reducer = "add";   /* exists, but takes a String */
    expect_spec_error(s, ST_INVALID, "must take exactly one argument", NULL);
    s = V9_BASE;
    s.scheduled = true;
    s.pk = -1;
    expect_spec_error(s, ST_INVALID, "needs a u64 primary key", NULL);
}

/* ---- V8 -------------------------------------------------------------------------- */

/* RawModuleDefV8: table "job" (id u64 pk auto_inc, name String unique via
 * index, scheduled_at), scheduled for run_job; reducers __init__, run_job. */
static void build_v8(DefBuf *d, const char *col1_name)
{
    d->n = 0;
    db_u8(d, 0);                                    /* V8BackCompat */
    db_u32(d, 1);                                   /* typespace */
    db_product(d, 3);
    db_opt_str(d, "id");
    db_u8(d, ALG_U64);
    db_opt_str(d, "name");
    db_u8(d, ALG_STRING);
    db_opt_str(d, "scheduled_at");
    db_schedule_at(d);
    db_u32(d, 1);                                   /* tables */
    db_str(d, "job");
    db_u32(d, 3);                                   /* columns */
    db_str(d, "id");
    db_u8(d, ALG_U64);
    db_str(d, col1_name);
    db_u8(d, ALG_STRING);
    db_str(d, "scheduled_at");
    db_schedule_at(d);
    db_u32(d, 2);                                   /* indexes */
    db_str(d, "idx_job_id_unique");
    db_u8(d, 1);
    db_u8(d, 0);
    db_cols1(d, 0);
    db_str(d, "idx_job_name_unique");
    db_u8(d, 1);
    db_u8(d, 1);                                    /* Hash */
    db_cols1(d, 1);
    db_u32(d, 1);                                   /* constraints */
    db_str(d, "ct_job_id_primary_key_auto");
    db_u8(d, 15);                                   /* PRIMARY_KEY | AUTO_INC */
    db_cols1(d, 0);
    db_u32(d, 0);                                   /* sequences */
    db_u8(d, 1);                                    /* User */
    db_u8(d, 1);                                    /* Private */
    db_u8(d, 0);                                    /* scheduled: Some */
    db_str(d, "run_job");
    db_u32(d, 0);                                   /* data: row type ref */
    db_u32(d, 2);                                   /* reducers */
    db_str(d, "__init__");
    db_u32(d, 0);
    db_str(d, "run_job");
    db_u32(d, 1);
    db_opt_str(d, "job");
    db_ref(d, 0);
    db_u32(d, 1);                                   /* misc exports */
    db_u8(d, 0);                                    /* TypeAlias */
    db_str(d, "app::jobs.Job");
    db_u32(d, 0);
}

static void test_v8_upgrade(void **state)
{
    (void)state;
    DefBuf d;
    build_v8(&d, "name");
    ModuleDef *def = decode_ok(&d);
    assert_int_equal(def->version, 8);
    const ModTable *t = moddef_find_table(def, "job");
    assert_int_equal(t->access, MOD_ACCESS_PRIVATE);
    assert_int_equal(t->primary_key, 0);
    assert_int_equal(t->nindexes, 2);
    assert_string_equal(t->indexes[0].name, "idx_job_id_unique");
    assert_string_equal(t->indexes[0].accessor, "idx_job_id_unique");
    assert_int_equal(t->indexes[1].algo, INDEX_HASH);
    assert_int_equal(t->nuniques, 2);
    assert_string_equal(t->uniques[0].name, "ct_job_id_primary_key_auto");
    assert_string_equal(t->uniques[1].name, "ct_job_name_unique");
    assert_int_equal(t->nsequences, 1);
    assert_string_equal(t->sequences[0].name, "seq_job_id_primary_key_auto");
    assert_true(t->scheduled);
    assert_string_equal(t->schedule.reducer, "run_job");
    assert_int_equal(t->schedule.at_col, 2);
    assert_string_equal(t->schedule.name, "job_sched");
    assert_int_equal(def->reducers[0].lifecycle, MOD_LIFECYCLE_INIT);
    assert_int_equal(def->reducers[1].lifecycle, MOD_LIFECYCLE_NONE);
    assert_int_equal(def->types[0].nscope, 2);
    assert_string_equal(def->types[0].scope[0], "app");
    assert_string_equal(def->types[0].scope[1], "jobs");
    assert_string_equal(def->types[0].name, "Job");
    moddef_free(def);
}

static void test_v8_errors(void **state)
{
    (void)state;
    DefBuf d;
    build_v8(&d, "title");
    expect_error(&d, ST_INVALID, "RawModuleDefV8: table \"job\": column 1 \"title\" does not match", NULL);
    build_v8(&d, "name");
    for (size_t n = 0; n < d.n; n++) {
        DefBuf cut = d;
        cut.n = n;
        expect_error(&cut, ST_MALFORMED, "truncated", NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rust_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_reducers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_index_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rust_storage_schemas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_explicit_and_scheduled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_every_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_byte_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_bad_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v10_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_type_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_column_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_name_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v9_schedule_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v8_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v8_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
