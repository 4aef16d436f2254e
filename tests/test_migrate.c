/*
 * test_migrate.c - the migration planner and its execution (chapter 29,
 * src/host/migrate.c, src/host/migrate_apply.c), without a server.
 *
 * Planner: definitions built from tests/moddef_util.h's V9Spec (one knob
 * changed per case, or a field of the decoded definition changed in
 * memory), and the example modules bank -> bank_v2 (allowed) and
 * bank -> bank_bad (refused).  Each case checks the exact steps or that
 * every error names its table and column/index/constraint, and that
 * migrate_plan_check holds.
 *
 * Execution: real modules (bank with data, then bank_v2) through
 * module_load, and an in-memory Db for the added-sequence precheck.
 *
 * Book: chapter 29, book/29-republish.md
 */
#include "moddef_util.h"

#include "db/db.h"
#include "db/rowlist.h"
#include "db/table.h"
#include "host/migrate.h"
#include "host/module.h"

#define BANK "examples/bank/bank.wasm"
#define BANK_V2 "tests/modules/bank_v2.wasm"
#define BANK_BAD "tests/modules/bank_bad.wasm"

static ModuleDef *def_of(const V9Spec *s)
{
    DefBuf d;
    build_v9(&d, s);
    ModuleDef *def;
    ModError err;
    if (moddef_decode(d.b, d.n, &def, &err) != ST_OK)
        fail_msg("decode: %s", err.msg);
    return def;
}

/* Plan old -> new, check the invariants, return the status. */
static Status plan(const ModuleDef *old, const ModuleDef *new, MigratePlan *p)
{
    migrate_plan_init(p);
    Status st = migrate_plan(old, new, p);
    char msg[256];
    if (migrate_plan_check(p, msg, sizeof msg) != ST_OK)
        fail_msg("migrate_plan_check: %s", msg);
    return st;
}

/* Does p hold step (kind, name)?  name NULL: any; for tables, the table. */
static bool has_step(const MigratePlan *p, MigrateStepKind kind, const char *name)
{
    for (size_t i = 0; i < p->steps.len; i++) {
        const MigrateStep *s = &p->steps.items[i];
        const char *n = s->name ? s->name : s->table;
        if (s->kind == kind && (!name || strcmp(n, name) == 0))
            return true;
    }
    return false;
}

static bool has_error(const MigratePlan *p, MigrateErrorKind kind, const char *table,
                      const char *name)
{
    for (size_t i = 0; i < p->errors.len; i++) {
        const MigrateError *e = &p->errors.items[i];
        if (e->kind == kind && strcmp(e->table, table) == 0 &&
            (!name || (e->name && strcmp(e->name, name) == 0)) && strstr(e->text, table))
            return true;
    }
    return false;
}

/* Plan s1 -> s2 (s2 NULL: s1 again, then changed by `edit`). */
typedef void (*Edit)(ModuleDef *def);

static Status plan_specs(const V9Spec *s1, const V9Spec *s2, Edit edit, MigratePlan *p,
                         ModuleDef **a, ModuleDef **b)
{
    *a = def_of(s1);
    *b = def_of(s2 ? s2 : s1);
    if (edit)
        edit(*b);
    return plan(*a, *b, p);
}

static void done(MigratePlan *p, ModuleDef *a, ModuleDef *b)
{
    migrate_plan_fini(p);
    moddef_free(a);
    moddef_free(b);
}

/* ---- the planner on V9 specs ------------------------------------------------------ */

static void test_same_definition(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s, NULL, NULL, &p, &a, &b), ST_OK);
    assert_int_equal(p.errors.len, 0);
    assert_int_equal(p.steps.len, 2);   /* RLS: every filter dropped and added again */
    assert_int_equal(p.steps.items[0].kind, MIGRATE_REMOVE_RLS);
    assert_int_equal(p.steps.items[1].kind, MIGRATE_ADD_RLS);
    done(&p, a, b);
}

static void test_add_and_remove_table(void **state)
{
    (void)state;
    V9Spec s1 = V9_BASE, s2 = V9_BASE;
    s2.table2 = "extra";
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s1, &s2, NULL, &p, &a, &b), ST_OK);
    assert_true(has_step(&p, MIGRATE_ADD_TABLE, "extra"));
    done(&p, a, b);

    assert_int_equal(plan_specs(&s2, &s1, NULL, &p, &a, &b), ST_INVALID);
    assert_int_equal(p.errors.len, 1);
    assert_true(has_error(&p, MIGRATE_ERR_REMOVE_TABLE, "extra", NULL));
    assert_non_null(strstr(p.errors.items[0].text, "Removing the table extra"));
    done(&p, a, b);
}

static void test_rename_table_is_remove_and_add(void **state)
{
    (void)state;
    V9Spec s1 = V9_BASE, s2 = V9_BASE;
    s2.table = "people";
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s1, &s2, NULL, &p, &a, &b), ST_INVALID);
    assert_true(has_error(&p, MIGRATE_ERR_REMOVE_TABLE, "person", NULL));
    assert_true(has_step(&p, MIGRATE_ADD_TABLE, "people"));
    assert_false(has_step(&p, MIGRATE_ADD_INDEX, NULL));   /* part of ADD_TABLE */
    done(&p, a, b);
}

static void test_index_algorithm_and_name(void **state)
{
    (void)state;
    V9Spec s1 = V9_BASE, s2 = V9_BASE;
    s2.algo1 = 0;                      /* hash -> btree: another generated name */
    s2.index_name = "by_id";           /* the id index gets an explicit name */
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s1, &s2, NULL, &p, &a, &b), ST_OK);
    assert_true(has_step(&p, MIGRATE_REMOVE_INDEX, "person_name_idx_hash"));
    assert_true(has_step(&p, MIGRATE_ADD_INDEX, "person_name_idx_btree"));
    assert_true(has_step(&p, MIGRATE_REMOVE_INDEX, "person_id_idx_btree"));
    assert_true(has_step(&p, MIGRATE_ADD_INDEX, "by_id"));
    assert_int_equal(p.steps.items[0].kind, MIGRATE_REMOVE_INDEX);   /* removes first */
    done(&p, a, b);
}

static void test_unique_constraints(void **state)
{
    (void)state;
    V9Spec s1 = V9_BASE, s2 = V9_BASE;
    s1.pk = s2.pk = -1;
    s2.unique_col = 1;                 /* id's constraint dropped, one on name added */
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s1, &s2, NULL, &p, &a, &b), ST_INVALID);
    assert_true(has_step(&p, MIGRATE_REMOVE_UNIQUE, "person_id_key"));
    assert_int_equal(p.errors.len, 1);
    assert_true(has_error(&p, MIGRATE_ERR_ADD_UNIQUE, "person", "person_name_key"));
    done(&p, a, b);

    assert_int_equal(plan_specs(&s2, &s1, NULL, &p, &a, &b), ST_INVALID);   /* and back */
    assert_true(has_error(&p, MIGRATE_ERR_ADD_UNIQUE, "person", "person_id_key"));
    done(&p, a, b);
}

static void test_schedule_with_new_column(void **state)
{
    (void)state;
    V9Spec s1 = V9_BASE, s2 = V9_BASE;
    s1.table2 = "extra";
    s2.scheduled = true;               /* adds column "at" and a schedule; drops "extra" */
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s1, &s2, NULL, &p, &a, &b), ST_INVALID);
    assert_int_equal(p.errors.len, 2);   /* every reason, not only the first */
    assert_true(has_error(&p, MIGRATE_ERR_ADD_COLUMN, "person", "at"));
    assert_true(has_error(&p, MIGRATE_ERR_REMOVE_TABLE, "extra", NULL));
    assert_true(has_step(&p, MIGRATE_ADD_SCHEDULE, NULL));
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(migrate_plan_format(&p, &sb), ST_OK);   /* the errors, one per line */
    assert_non_null(strstr(sb.data, "- Adding a column at to table person"));
    assert_non_null(strstr(sb.data, "- Removing the table extra"));
    strbuf_fini(&sb);
    done(&p, a, b);
}

/* ---- the planner on definitions changed in memory ---------------------------------- */

static void swap_columns(ModuleDef *def)
{
    ModColumn c = def->tables[0].cols[1];
    def->tables[0].cols[1] = def->tables[0].cols[2];
    def->tables[0].cols[2] = c;
}

static void rename_accessor(ModuleDef *def) { def->tables[0].indexes[0].accessor = "ident"; }
static void restart_sequence(ModuleDef *def)
{
    def->tables[0].sequences[0].start = i128_from_i64(100);
}
static void make_private(ModuleDef *def) { def->tables[0].access = MOD_ACCESS_PRIVATE; }
static void retype_id(ModuleDef *def) { def->tables[0].cols[0].type = alg_prim(ALG_U32); }

static void test_changes_in_memory(void **state)
{
    (void)state;
    V9Spec s = V9_BASE;
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s, NULL, swap_columns, &p, &a, &b), ST_INVALID);
    assert_int_equal(p.errors.len, 1);
    assert_true(has_error(&p, MIGRATE_ERR_REORDER_TABLE, "person", NULL));
    done(&p, a, b);

    assert_int_equal(plan_specs(&s, NULL, rename_accessor, &p, &a, &b), ST_INVALID);
    assert_true(has_error(&p, MIGRATE_ERR_CHANGE_INDEX_ACCESSOR, "person", "person_id_idx_btree"));
    done(&p, a, b);

    assert_int_equal(plan_specs(&s, NULL, retype_id, &p, &a, &b), ST_INVALID);
    assert_true(has_error(&p, MIGRATE_ERR_CHANGE_COLUMN_TYPE, "person", "id"));
    assert_non_null(strstr(p.errors.items[0].text, "from u64 to u32"));
    done(&p, a, b);

    assert_int_equal(plan_specs(&s, NULL, restart_sequence, &p, &a, &b), ST_OK);
    assert_true(has_step(&p, MIGRATE_REMOVE_SEQUENCE, "person_id_seq"));
    assert_true(has_step(&p, MIGRATE_ADD_SEQUENCE, "person_id_seq"));
    done(&p, a, b);

    assert_int_equal(plan_specs(&s, NULL, make_private, &p, &a, &b), ST_OK);
    assert_true(has_step(&p, MIGRATE_CHANGE_ACCESS, "person"));
    done(&p, a, b);
}

/* ---- the example modules ---------------------------------------------------------- */

static HostModule *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    HostConfig cfg = { 0 };
    HostModule *hm;
    ModError err;
    if (module_load(buf, len, &cfg, &hm, &err) != ST_OK)
        fail_msg("%s: %s", path, err.msg);
    return hm;
}

static void test_bank_v2_and_bad(void **state)
{
    (void)state;
    HostModule *v1 = load(BANK), *v2 = load(BANK_V2), *bad = load(BANK_BAD);
    MigratePlan p;
    assert_int_equal(plan(module_def(v1), module_def(v2), &p), ST_OK);
    assert_int_equal(p.steps.len, 3);
    assert_true(has_step(&p, MIGRATE_ADD_TABLE, "audit_log"));
    assert_true(has_step(&p, MIGRATE_ADD_INDEX, "account_balance_idx_btree"));
    assert_true(has_step(&p, MIGRATE_CHANGE_ACCESS, "transfer"));
    migrate_plan_fini(&p);

    assert_int_equal(plan(module_def(v1), module_def(bad), &p), ST_INVALID);
    assert_int_equal(p.errors.len, 3);
    assert_true(has_error(&p, MIGRATE_ERR_ADD_COLUMN, "account", "frozen"));
    assert_true(has_error(&p, MIGRATE_ERR_CHANGE_COLUMN_TYPE, "account", "balance"));
    assert_true(has_error(&p, MIGRATE_ERR_REMOVE_TABLE, "transfer", NULL));
    migrate_plan_fini(&p);
    module_free(v1), module_free(v2), module_free(bad);
}

static void call(HostModule *hm, const char *reducer, const char *json)
{
    HostCaller c = { .timestamp = 1 };
    HostResult res;
    Status st = module_call_json(hm, reducer, &c, json, strlen(json), &res);
    if (st != ST_OK || res.outcome != HOST_COMMITTED)
        fail_msg("%s: %s", reducer, res.message);
}

static uint64_t rows(HostModule *hm, const char *table)
{
    return table_row_count(db_table(module_db(hm), module_table_id(hm, table)));
}

static void test_apply_bank_v2(void **state)
{
    (void)state;
    HostModule *v1 = load(BANK), *v2 = load(BANK_V2);
    HostResult res;
    assert_int_equal(module_init(v1, 1, &res), ST_OK);
    call(v1, "open_account", "[\"dave\", 70]");
    call(v1, "open_account", "[\"erin\", 5]");
    call(v1, "transfer", "[\"dave\", \"erin\", 20]");
    MigratePlan p;
    MigrateReport rep;
    char err[256], msg[256];
    assert_int_equal(plan(module_def(v1), module_def(v2), &p), ST_OK);
    assert_int_equal(migrate_apply(&p, module_db(v1), module_db(v2), &rep, err, sizeof err), ST_OK);
    assert_int_equal(rep.tables_kept, 2);
    assert_int_equal(rep.rows, 4);
    assert_int_equal(rows(v2, "account"), 3);
    assert_int_equal(rows(v2, "transfer"), 1);
    assert_int_equal(rows(v2, "audit_log"), 0);
    assert_int_equal(rows(v1, "account"), 3);   /* the old one only read */
    if (db_check(module_db(v2), msg, sizeof msg) != ST_OK)
        fail_msg("db_check: %s", msg);
    Table *acc = db_table(module_db(v2), module_table_id(v2, "account"));
    assert_int_equal(table_sequence(acc, 0)->value.lo, 4);   /* the position, by name */
    call(v2, "open_account", "[\"finn\", 1]");               /* id 4, no clash */
    call(v2, "deposit", "[\"erin\", 100]");
    assert_int_equal(rows(v2, "account"), 4);
    migrate_plan_fini(&p);
    module_free(v1), module_free(v2);
}

/* ---- the added-sequence precheck ----------------------------------------------------- */

static void drop_sequence(ModuleDef *def)
{
    def->tables[0].nsequences = 0;
    def->tables[0].schema.nsequences = 0;
}

/* person(id, name "ann", pos {0, 0}) */
static void insert_person(Db *db, uint64_t id)
{
    uint8_t row[8 + 4 + 3 + 8] = { 0 };
    for (int i = 0; i < 8; i++)
        row[i] = (uint8_t)(id >> 8 * i);
    row[8] = 3;
    memcpy(row + 12, "ann", 3);
    DbError err;
    if (table_insert(db_table(db, DB_FIRST_ID), row, sizeof row, NULL, NULL, &err) != ST_OK)
        fail_msg("insert: %s", err.msg);
}

static Status apply_with_row(int64_t id, char *err, size_t errlen)
{
    V9Spec s = V9_BASE;
    MigratePlan p;
    ModuleDef *a, *b;
    assert_int_equal(plan_specs(&s, NULL, NULL, &p, &a, &b), ST_OK);
    migrate_plan_fini(&p);
    drop_sequence(a);                   /* the old table had no sequence */
    assert_int_equal(plan(a, b, &p), ST_OK);
    assert_true(has_step(&p, MIGRATE_ADD_SEQUENCE, "person_id_seq"));
    Db *from, *to;
    assert_int_equal(db_new(&from), ST_OK);
    assert_int_equal(db_new(&to), ST_OK);
    assert_int_equal(db_create_table(from, &a->tables[0].schema, NULL, NULL), ST_OK);
    assert_int_equal(db_create_table(to, &b->tables[0].schema, NULL, NULL), ST_OK);
    if (id >= 0)
        insert_person(from, (uint64_t)id);
    MigrateReport rep;
    Status st = migrate_apply(&p, from, to, &rep, err, errlen);
    if (st == ST_OK && id >= 0) {   /* the row came over byte for byte */
        TableCursor c;
        table_cursor_all(db_table(to, DB_FIRST_ID), &c);
        const uint8_t *row;
        size_t len;
        RowId rid;
        assert_true(table_cursor_next(&c, &rid, &row, &len));
        uint64_t got = 0;
        for (int i = 0; i < 8; i++)
            got |= (uint64_t)row[i] << 8 * i;
        assert_int_equal(got, (uint64_t)id);
        table_cursor_fini(&c);
    }
    db_free(from), db_free(to);
    done(&p, a, b);
    return st;
}

static void test_added_sequence_precheck(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(apply_with_row(-1, err, sizeof err), ST_OK);   /* empty: fine */
    assert_int_equal(apply_with_row(5, err, sizeof err), ST_INVALID);
    assert_non_null(strstr(err, "Precheck failed: added sequence person_id_seq"));
    /* 0 is outside [min, max] and is copied as it is, not replaced */
    assert_int_equal(apply_with_row(0, err, sizeof err), ST_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_definition),
        cmocka_unit_test(test_add_and_remove_table),
        cmocka_unit_test(test_rename_table_is_remove_and_add),
        cmocka_unit_test(test_index_algorithm_and_name),
        cmocka_unit_test(test_unique_constraints),
        cmocka_unit_test(test_schedule_with_new_column),
        cmocka_unit_test(test_changes_in_memory),
        cmocka_unit_test(test_bank_v2_and_bad),
        cmocka_unit_test(test_apply_bank_v2),
        cmocka_unit_test(test_added_sequence_precheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
