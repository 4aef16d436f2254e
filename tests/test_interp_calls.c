/*
 * test_interp_calls.c - calls (direct, indirect, host), the limits (call
 * depth, stack space, fuel), tables and globals, the dump and trace
 * views, and a differential test: random straight-line programs over
 * locals (with local.tee inside expressions, if, select and br_if, which
 * stress the builder's tracking of where values live) against a C
 * evaluation of the same expression trees.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include "interp_asm.h"

/* ---- calls and limits ------------------------------------------------------- */

static const char *FIB = "local.get 0 i32.const 2 i32.lt_s if i32 local.get 0 else local.get 0 "
                         "i32.const 1 i32.sub call 0 local.get 0 i32.const 2 i32.sub call 0 "
                         "i32.add end";

static void test_interp_recursion_limits(void **state)
{
    (void)state;
    Fixture fx;
    WasmCell r[1];
    TestModule tm = {.funcs = {{"i:i", "", FIB}, {"i:i", "", "local.get 0 call 1"}}};
    load(&fx, &tm);
    assert_int_equal(call(&fx, "f0", ARGS(20), r), ST_OK);
    assert_int_equal(r[0], 6765);
    assert_int_equal(call(&fx, "f1", ARGS(1), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "call stack exhausted");
    assert_int_equal(call(&fx, "f0", ARGS(10), r), ST_OK);   /* the store still works */
    assert_int_equal(r[0], 55);
    unload(&fx);
    /* The stack's cells run out before the depth limit. */
    WasmStoreConfig cfg = {.stack_cells = 2000, .max_call_depth = 1000000};
    TestModule deep = {.funcs = {{"i:i", "IIIIIIII", "local.get 0 call 0"}}};
    load_cfg(&fx, &deep, &cfg);
    assert_int_equal(call(&fx, "f0", ARGS(1), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "call stack exhausted");
    unload(&fx);
}

/* Locals start at zero even where an earlier call left other values on
 * the stack (few locals are zeroed by stores, many by memset). */
static void test_interp_locals_start_at_zero(void **state)
{
    (void)state;
    Fixture fx;
    WasmCell r[1];
    TestModule tm = {.funcs = {
        {":i", "", "call 1 call 2 i32.add call 3 i32.add call 4 i32.add"},
        {":i", "iii", "i32.const 5 local.set 0 i32.const 5 local.set 1 i32.const 5 local.set 2 "
                      "i32.const 0"},
        {":i", "iii", "local.get 0 local.get 1 i32.add local.get 2 i32.add"},
        {":i", "iiiiiiiii", "i32.const 5 local.set 0 i32.const 5 local.set 8 i32.const 0"},
        {":i", "iiiiiiiii", "local.get 0 local.get 8 i32.add local.get 4 i32.add"},
    }};
    load(&fx, &tm);
    assert_int_equal(call(&fx, "f0", NULL, r), ST_OK);
    assert_int_equal(r[0], 0);
    unload(&fx);
}

static void test_interp_call_indirect(void **state)
{
    (void)state;
    Fixture fx;
    WasmCell r[1];
    TestModule tm = {.types = {"i:i"}, .funcs = {
        {"i:i", "", "local.get 0 i32.const 1 i32.add"},
        {"ii:i", "", "local.get 0 local.get 1 call_indirect 0 0"},
        {":f", "", "f32.const 1"},
    }};
    load(&fx, &tm);
    assert_int_equal(call(&fx, "f1", ARGS(5, 0), r), ST_OK);
    assert_int_equal(r[0], 6);
    assert_int_equal(call(&fx, "f1", ARGS(5, 2), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "indirect call type mismatch");
    assert_int_equal(call(&fx, "f1", ARGS(5, 8), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "undefined element");
    assert_int_equal(call(&fx, "f1", ARGS(5, 5), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "uninitialized element 5");
    unload(&fx);
}

static void test_interp_host_calls(void **state)
{
    (void)state;
    Fixture fx;
    WasmCell r[1];
    TestModule tm = {.import_sig = "ii:i", .funcs = {
        {"ii:i", "", "local.get 0 local.get 1 call 0 i32.const 1 i32.add"},
    }};
    load(&fx, &tm);
    assert_int_equal(call(&fx, "f0", ARGS(10, 3), r), ST_OK);
    assert_int_equal(r[0], 8);
    assert_int_equal(call(&fx, "f0", ARGS(99, 0), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "host says no");
    assert_int_equal(fx.host_calls, 2);
    unload(&fx);
}

static void test_interp_fuel(void **state)
{
    (void)state;
    Fixture fx;
    WasmCell r[1];
    TestModule tm = {.funcs = {
        {":", "", "loop void br 0 end"},
        {"i:i", "", "loop void local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0 end "
                    "local.get 0"},
    }};
    load(&fx, &tm);
    wasm_store_set_fuel(fx.s, 1000);
    assert_int_equal(call(&fx, "f0", NULL, NULL), ST_TRAP);
    assert_string_equal(fx.err.msg, "out of fuel");
    assert_true(wasm_store_fuel(fx.s) < 1000);
    wasm_store_set_fuel(fx.s, 100000);   /* 100 iterations fit */
    assert_int_equal(call(&fx, "f1", ARGS(100), r), ST_OK);
    uint64_t left = wasm_store_fuel(fx.s);
    assert_true(left < 100000 && left > 90000);
    wasm_store_set_fuel(fx.s, 50);       /* 100 iterations do not */
    assert_int_equal(call(&fx, "f1", ARGS(100), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "out of fuel");
    wasm_store_set_fuel(fx.s, UINT64_MAX);
    assert_int_equal(call(&fx, "f1", ARGS(1000), r), ST_OK);
    assert_true(wasm_store_fuel(fx.s) == UINT64_MAX);   /* unlimited stays unlimited */
    unload(&fx);
}

/* ---- tables, references, globals ------------------------------------------------ */

static void test_interp_tables(void **state)
{
    (void)state;
    expect_trap(":i", "i32.const 8 table.get 0 ref.is_null", NOARGS, TOOB);
    expect(":i", "i32.const 0 table.get 0 ref.is_null", NOARGS, 0);
    expect(":i", "i32.const 7 table.get 0 ref.is_null", NOARGS, 1);
    expect(":i", "ref.null func i32.const 2 table.grow 0 drop table.size 0", NOARGS, 10);
    expect(":i", "ref.null func i32.const 9 table.grow 0", NOARGS, 0xFFFFFFFF);   /* max 16 */
    expect(":i", "ref.func 0 ref.is_null", NOARGS, 0);
    Fixture fx;
    WasmCell r[1];
    TestModule tm = {.types = {":i"}, .funcs = {
        {":i", "", "i32.const 42"},
        {"i:i", "", "local.get 0 call_indirect 0 0"},
        {"iii:", "", "local.get 0 ref.null func local.get 2 table.fill 0"},
        {"iii:", "", "local.get 0 local.get 1 local.get 2 table.copy 0 0"},
        {"iii:", "", "local.get 0 local.get 1 local.get 2 table.init 1 0"},
        {":", "", "elem.drop 1"},
        {"i:", "", "local.get 0 ref.func 0 table.set 0"},
    }};
    load(&fx, &tm);
    assert_int_equal(call(&fx, "f2", ARGS(0, 0, 9), NULL), ST_TRAP);   /* writes nothing */
    assert_string_equal(fx.err.msg, TOOB);
    assert_int_equal(call(&fx, "f1", ARGS(0), r), ST_OK);
    assert_int_equal(r[0], 42);
    assert_int_equal(call(&fx, "f3", ARGS(7, 0, 1), NULL), ST_OK);
    assert_int_equal(call(&fx, "f1", ARGS(7), r), ST_OK);
    assert_int_equal(r[0], 42);
    assert_int_equal(call(&fx, "f3", ARGS(7, 0, 2), NULL), ST_TRAP);
    assert_int_equal(call(&fx, "f4", ARGS(6, 0, 1), NULL), ST_OK);
    assert_int_equal(call(&fx, "f1", ARGS(6), r), ST_OK);
    assert_int_equal(call(&fx, "f5", NULL, NULL), ST_OK);
    assert_int_equal(call(&fx, "f4", ARGS(6, 0, 0), NULL), ST_OK);
    assert_int_equal(call(&fx, "f4", ARGS(6, 0, 1), NULL), ST_TRAP);   /* dropped */
    assert_int_equal(call(&fx, "f2", ARGS(0, 0, 8), NULL), ST_OK);
    assert_int_equal(call(&fx, "f1", ARGS(0), r), ST_TRAP);
    assert_string_equal(fx.err.msg, "uninitialized element 0");
    assert_int_equal(call(&fx, "f6", ARGS(8), NULL), ST_TRAP);
    assert_int_equal(call(&fx, "f6", ARGS(3), NULL), ST_OK);
    assert_int_equal(call(&fx, "f1", ARGS(3), r), ST_OK);
    assert_int_equal(r[0], 42);
    unload(&fx);
}

static void test_interp_globals(void **state)
{
    (void)state;
    expect(":i", "global.get 0 i32.const 1 i32.add global.set 0 global.get 0", NOARGS, 8);
}

/* ---- looking at trees --------------------------------------------------------- */

static void test_interp_dump_and_trace(void **state)
{
    (void)state;
    Fixture fx;
    WasmCell r[1];
    char *text = NULL;
    size_t len = 0;
    TestModule tm = {.funcs = {{"i:i", "", FIB}}};
    load(&fx, &tm);
    FILE *out = open_memstream(&text, &len);
    tree_dump_func(out, fx.m, 0);
    fclose(out);
    assert_non_null(strstr(text, "if i32.lt_s l0, 2"));   /* compare fused into the if */
    assert_non_null(strstr(text, "s0 = i32.sub l0, 1"));  /* constant folded into the sub */
    assert_non_null(strstr(text, "call f0"));
    free(text);
    out = open_memstream(&text, &len);
    wasm_store_set_trace(fx.s, out);
    assert_int_equal(call(&fx, "f0", ARGS(2), r), ST_OK);
    wasm_store_set_trace(fx.s, NULL);
    fclose(out);
    assert_int_equal(r[0], 1);
    assert_non_null(strstr(text, "if i32.lt_s l0=2, 2"));   /* values shown */
    assert_non_null(strstr(text, "  [f0 @0] if i32.lt_s l0=1, 2"));   /* a call deeper */
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_true(lines >= 9);
    free(text);
    unload(&fx);
}

/* ---- differential: random programs against a C evaluation ---------------------- */

enum { K_CONST, K_LOCAL, K_TEE, K_BIN, K_EQZ, K_SELECT, K_IF, K_BLOCK, K_BR_IF, K__COUNT };

typedef struct Ex {
    int kind, op;
    uint32_t v;
    const struct Ex *a, *b, *c;
} Ex;

typedef struct BinOp {
    const char *name;
    uint32_t (*fn)(uint32_t, uint32_t);
} BinOp;

static uint32_t op_add(uint32_t x, uint32_t y) { return x + y; }
static uint32_t op_sub(uint32_t x, uint32_t y) { return x - y; }
static uint32_t op_mul(uint32_t x, uint32_t y) { return x * y; }
static uint32_t op_and(uint32_t x, uint32_t y) { return x & y; }
static uint32_t op_xor(uint32_t x, uint32_t y) { return x ^ y; }
static uint32_t op_shl(uint32_t x, uint32_t y) { return x << (y & 31); }
static uint32_t op_shr_s(uint32_t x, uint32_t y) { return (uint32_t)((int32_t)x >> (y & 31)); }
static uint32_t op_rotl(uint32_t x, uint32_t y) { return (x << (y & 31)) | (x >> ((32 - y) & 31)); }
static uint32_t op_lt_s(uint32_t x, uint32_t y) { return (int32_t)x < (int32_t)y; }
static uint32_t op_ge_u(uint32_t x, uint32_t y) { return x >= y; }
static uint32_t op_ne(uint32_t x, uint32_t y) { return x != y; }
static uint32_t op_div_u(uint32_t x, uint32_t y) { return x / (y | 1); }   /* never by 0 */
static uint32_t op_rem_u(uint32_t x, uint32_t y) { return x % (y | 1); }

static const BinOp binops[] = {
    {"i32.add", op_add}, {"i32.sub", op_sub}, {"i32.mul", op_mul}, {"i32.and", op_and},
    {"i32.xor", op_xor}, {"i32.shl", op_shl}, {"i32.shr_s", op_shr_s}, {"i32.rotl", op_rotl},
    {"i32.lt_s", op_lt_s}, {"i32.ge_u", op_ge_u}, {"i32.ne", op_ne},
    {"i32.div_u", op_div_u}, {"i32.rem_u", op_rem_u},
};
#define NBINOPS (sizeof binops / sizeof binops[0])

typedef struct Gen {
    uint64_t seed;
    Ex pool[512];
    int used;
    char text[12000];
    size_t len;
} Gen;

static uint32_t rnd(Gen *g, uint32_t n)
{
    g->seed = g->seed * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(g->seed >> 33) % n;
}

static const Ex *gen_expr(Gen *g, int depth)
{
    Ex *e = &g->pool[g->used++];
    assert_true(g->used < 512);
    memset(e, 0, sizeof *e);
    e->kind = depth <= 0 ? (int)rnd(g, 2) : (int)rnd(g, K__COUNT);
    e->v = e->kind == K_CONST ? (rnd(g, 4) ? rnd(g, 20) : rnd(g, 0xFFFFFFFF)) : rnd(g, 4);
    e->op = (int)rnd(g, NBINOPS);
    if (e->kind >= K_TEE)
        e->a = gen_expr(g, depth - 1);
    if (e->kind == K_BIN || e->kind >= K_SELECT)
        e->b = gen_expr(g, depth - 1);
    if (e->kind == K_SELECT || e->kind == K_IF || e->kind == K_BR_IF)
        e->c = gen_expr(g, depth - 1);
    return e;
}

static void out(Gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g->len += (size_t)vsnprintf(g->text + g->len, sizeof g->text - g->len, fmt, ap);
    va_end(ap);
    assert_true(g->len < sizeof g->text);
}

static void emit_expr(Gen *g, const Ex *e)
{
    switch (e->kind) {
    case K_CONST: out(g, "i32.const %u ", e->v); break;
    case K_LOCAL: out(g, "local.get %u ", e->v); break;
    case K_TEE: emit_expr(g, e->a); out(g, "local.tee %u ", e->v); break;
    case K_BIN:
        emit_expr(g, e->a);
        emit_expr(g, e->b);
        if (binops[e->op].fn == op_div_u || binops[e->op].fn == op_rem_u)
            out(g, "i32.const 1 i32.or ");   /* the divisor is never 0 */
        out(g, "%s ", binops[e->op].name);
        break;
    case K_EQZ: emit_expr(g, e->a); out(g, "i32.eqz "); break;
    case K_SELECT: emit_expr(g, e->a); emit_expr(g, e->b); emit_expr(g, e->c); out(g, "select "); break;
    case K_IF:
        emit_expr(g, e->c);
        out(g, "if i32 ");
        emit_expr(g, e->a);
        out(g, "else ");
        emit_expr(g, e->b);
        out(g, "end ");
        break;
    case K_BLOCK: out(g, "block i32 "); emit_expr(g, e->a); out(g, "end "); break;
    case K_BR_IF:   /* a if c, else b */
        out(g, "block i32 ");
        emit_expr(g, e->a);
        emit_expr(g, e->c);
        out(g, "br_if 0 drop ");
        emit_expr(g, e->b);
        out(g, "end ");
        break;
    }
}

/* The same program, evaluated in C, in wasm's left-to-right order. */
static uint32_t eval_expr(const Ex *e, uint32_t *locals)
{
    uint32_t x, y, c;
    switch (e->kind) {
    case K_CONST: return e->v;
    case K_LOCAL: return locals[e->v];
    case K_TEE: return locals[e->v] = eval_expr(e->a, locals);
    case K_BIN: x = eval_expr(e->a, locals); y = eval_expr(e->b, locals); return binops[e->op].fn(x, y);
    case K_EQZ: return eval_expr(e->a, locals) == 0;
    case K_SELECT:
        x = eval_expr(e->a, locals);
        y = eval_expr(e->b, locals);
        c = eval_expr(e->c, locals);
        return c ? x : y;
    case K_IF: return eval_expr(e->c, locals) ? eval_expr(e->a, locals) : eval_expr(e->b, locals);
    case K_BLOCK: return eval_expr(e->a, locals);
    default:   /* K_BR_IF */
        x = eval_expr(e->a, locals);
        return eval_expr(e->c, locals) ? x : eval_expr(e->b, locals);
    }
}

static void test_interp_random_programs(void **state)
{
    (void)state;
    static Gen g;
    g.seed = 12345;
    for (int prog = 0; prog < 300; prog++) {
        const Ex *stmts[4], *result;
        int nstmts = (int)rnd(&g, 4);
        uint32_t targets[4];
        g.used = 0;
        g.len = 0;
        for (int i = 0; i < nstmts; i++) {
            stmts[i] = gen_expr(&g, 3);
            targets[i] = rnd(&g, 4);
            emit_expr(&g, stmts[i]);
            out(&g, "local.set %u ", targets[i]);
        }
        result = gen_expr(&g, 4);
        emit_expr(&g, result);
        Fixture fx;
        TestModule tm = {.funcs = {{"ii:i", "ii", g.text}}};
        load(&fx, &tm);
        for (int run = 0; run < 3; run++) {
            uint32_t locals[4] = {rnd(&g, 2) ? rnd(&g, 10) : rnd(&g, 0xFFFFFFFF), rnd(&g, 40), 0, 0};
            WasmCell args[2] = {locals[0], locals[1]}, r[1];
            for (int i = 0; i < nstmts; i++)
                locals[targets[i]] = eval_expr(stmts[i], locals);
            uint32_t want = eval_expr(result, locals);
            if (call(&fx, "f0", args, r) != ST_OK)
                fail_msg("program %d trapped: %s\n%s", prog, fx.err.msg, g.text);
            if (r[0] != want)
                fail_msg("program %d, args %u %u: got %u, want %u\n%s", prog, (unsigned)args[0],
                         (unsigned)args[1], (unsigned)r[0], want, g.text);
        }
        unload(&fx);
    }
}

/* ---- allocation failures ------------------------------------------------------ */

/* Every allocation of loading (and building trees) may fail: the load
 * then reports ST_NOMEM and leaks nothing. */
static void test_interp_build_out_of_memory(void **state)
{
    (void)state;
    static Buf bin;
    TestModule tm = {.types = {"ii:ii"}, .funcs = {
        {"i:i", "", FIB},
        {"ii:i", "i", "local.get 0 local.get 1 block t0 i32.add local.get 1 end i32.mul "
                      "block void local.get 0 br_table 1 0 0 end local.tee 2"},
    }};
    bin.n = 0;
    build_module(&bin, &tm);
    long live = mem_live();
    bool loaded = false;
    for (long n = 0; !loaded; n++) {
        WasmModule *m = NULL;
        WasmError err;
        mem_fail_after(n);
        Status st = wasm_module_load(bin.b, bin.n, &m, &err);
        mem_fail_after(-1);
        if (st == ST_OK) {
            loaded = true;
            wasm_module_free(m);
        } else {
            assert_int_equal(st, ST_NOMEM);
            assert_null(m);
        }
        assert_int_equal(mem_live(), live);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interp_recursion_limits),
        cmocka_unit_test(test_interp_locals_start_at_zero),
        cmocka_unit_test(test_interp_call_indirect),
        cmocka_unit_test(test_interp_host_calls),
        cmocka_unit_test(test_interp_fuel),
        cmocka_unit_test(test_interp_tables),
        cmocka_unit_test(test_interp_globals),
        cmocka_unit_test(test_interp_dump_and_trace),
        cmocka_unit_test(test_interp_random_programs),
        cmocka_unit_test(test_interp_build_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
