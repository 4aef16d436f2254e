/*
 * spectest.c - the WebAssembly spec suite runner.
 *
 * The official suite is written in .wast scripts; wabt's wast2json turned
 * each into NAME/NAME.json (a list of commands) plus the .wasm modules it
 * names.  This program plays those commands against the engine through
 * nothing but its public embedding API (src/wasm/wasm.h):
 *
 *   NAME.json --json_parse--> commands --run_command--> module loads,
 *   registrations, invocations --compare--> passed / failed / skipped
 *
 * Usage: spectest [--suite 1.0|2.0] [-v] [--no-fork] DIR, where DIR is a
 * converted suite (NAME/NAME.json folders), one NAME folder, or one .json
 * file.  Prints a line per file, then "spectest: N passed, M failed, K
 * skipped"; exits with 0 when suite_passes().
 *
 * Isolation: every .json file gets a fresh WasmStore (registered modules
 * must be importable by later modules of the same file, so a store per
 * file is the natural unit) and runs in a child process, so an engine
 * crash or hang costs one file, not the run.
 *
 * Book: chapter 7, book/07-wasm-conformance.md
 */
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/json.h"
#include "util/vec.h"
#include "wasm/wasm.h"

#define MAX_VALUES 64      /* parameters or results of one call (the suite uses <= 17) */
#define CALL_DEPTH 1000    /* deep enough for every test, shallow enough that
                              assert_exhaustion ends in microseconds */
#define FILE_SECONDS 300   /* a file still running after this is a hang */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Assertions where the 1.0 and 2.0 specifications disagree: an engine
 * built for 2.0 fails them when it runs the 1.0 suite.  The reasons: */
/* BOOK: disagreements */
#define CALL_INDIRECT "2.0 reads call_indirect's reserved zero byte as a LEB128 table index"
#define NEW_MESSAGE "same module, but 2.0 expects \"length out of bounds\""
#define ELEM_FLAGS "2.0 reads an element segment's first byte as flags (10: malformed)"
#define BLOCK_TYPE "2.0 reads block type byte 0x0b as type index 11 (multi-value)"
#define SEG_TRAPS "a segment out of bounds: 1.0 fails linking, 2.0 traps in instantiation"
#define SEG_KEPT "2.0 keeps what segments wrote before an instantiation trapped"
#define MULTI_VALUE "2.0 allows several results (multi-value)"
#define MULTI_TABLE "2.0 allows several tables (reference types)"
#define BR_TABLE "2.0 types br_table after unreachable per label (reference types)"

static const struct { const char *file; unsigned line; const char *reason; } v1_disagreements[] = {
    {"binary", 50, CALL_INDIRECT}, {"binary", 69, CALL_INDIRECT}, {"binary", 88, CALL_INDIRECT},
    {"binary", 106, CALL_INDIRECT}, {"binary", 124, CALL_INDIRECT},
    {"binary", 425, NEW_MESSAGE}, {"binary", 571, NEW_MESSAGE}, {"custom", 85, NEW_MESSAGE},
    {"binary", 626, ELEM_FLAGS}, {"binary", 763, BLOCK_TYPE},
    {"data", 162, SEG_TRAPS}, {"data", 170, SEG_TRAPS}, {"data", 178, SEG_TRAPS},
    {"data", 186, SEG_TRAPS}, {"data", 194, SEG_TRAPS}, {"data", 211, SEG_TRAPS},
    {"data", 220, SEG_TRAPS}, {"data", 227, SEG_TRAPS}, {"data", 235, SEG_TRAPS},
    {"data", 243, SEG_TRAPS}, {"data", 251, SEG_TRAPS}, {"data", 258, SEG_TRAPS},
    {"data", 266, SEG_TRAPS}, {"data", 273, SEG_TRAPS},
    {"elem", 143, SEG_TRAPS}, {"elem", 152, SEG_TRAPS}, {"elem", 161, SEG_TRAPS},
    {"elem", 170, SEG_TRAPS}, {"elem", 178, SEG_TRAPS}, {"elem", 186, SEG_TRAPS},
    {"elem", 195, SEG_TRAPS}, {"elem", 203, SEG_TRAPS}, {"elem", 212, SEG_TRAPS},
    {"elem", 220, SEG_TRAPS}, {"elem", 229, SEG_TRAPS}, {"elem", 237, SEG_TRAPS},
    {"linking", 207, SEG_TRAPS}, {"linking", 228, SEG_TRAPS}, {"linking", 239, SEG_TRAPS},
    {"linking", 299, SEG_TRAPS}, {"linking", 335, SEG_TRAPS}, {"linking", 345, SEG_TRAPS},
    {"linking", 236, SEG_KEPT}, {"linking", 248, SEG_KEPT}, {"linking", 342, SEG_KEPT},
    {"linking", 354, SEG_KEPT},
    {"func", 493, MULTI_VALUE}, {"func", 497, MULTI_VALUE}, {"type", 53, MULTI_VALUE},
    {"type", 57, MULTI_VALUE},
    {"imports", 310, MULTI_TABLE}, {"imports", 314, MULTI_TABLE}, {"imports", 318, MULTI_TABLE},
    {"table", 11, MULTI_TABLE}, {"table", 12, MULTI_TABLE},
    {"unreached-invalid", 539, BR_TABLE},
};
/* BOOK-END: disagreements */

/* Texts 2.0 reworded.  With --suite 1.0 an expected old text is looked
 * for in its new words: the assertion itself has not changed. */
static const char *const v1_rewordings[][2] = {
    {"zero flag expected", "zero byte expected"},
    {"junk after last section", "unexpected content after last section"},
};

typedef struct Counts {
    unsigned long passed, failed, skipped;
    unsigned long excused;   /* failures listed in v1_disagreements */
    unsigned long crashed;   /* files whose child process died */
} Counts;

typedef struct Options {
    int suite;               /* 0 (none), 10 or 20 */
    bool verbose, fork;
} Options;

typedef struct Named {
    const JsonValue *name;   /* a JSON string ("$M1", or register's "as") */
    WasmInstance *inst;
} Named;

typedef VEC(Named) NamedVec;

typedef struct Runner {
    const Options *opt;
    const char *path;        /* the .json file; its folder holds the modules */
    const char *name;        /* NAME, for messages and the disagreement list */
    WasmStore *store;
    VEC(WasmModule *) modules;   /* kept until the store is freed */
    NamedVec named;          /* "$M" -> instance (newest last) */
    NamedVec registered;     /* register "as" name -> instance */
    WasmInstance *current;   /* the most recent module */
    const char *host_names[16];
    WasmExtern host[16];     /* the "spectest" module */
    size_t nhost;
    Counts counts;
} Runner;

/* A value from the JSON: {"type": "i32", "value": "42"} and friends. */
typedef enum Match { MATCH_BITS, MATCH_NAN_CANONICAL, MATCH_NAN_ARITHMETIC } Match;

typedef struct Value { uint8_t type; Match match; WasmCell cell; } Value;

/* The whole file, NUL-terminated, in one allocation; NULL on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    bool regular = f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);   /* not a folder */
    size_t size = regular ? (size_t)st.st_size : 0;
    char *buf = regular ? mem_alloc(size + 1) : NULL;
    if (buf && fread(buf, 1, size, f) != size) {
        mem_free(buf);
        buf = NULL;
    } else if (buf) {
        buf[size] = '\0';
        *len = size;
    }
    if (f)
        fclose(f);
    return buf;
}

/* Member `key` as a string, or "" when it is missing or not a string, so
 * that a damaged command file leads to failures, never to a crash. */
static const char *str(const JsonValue *obj, const char *key)
{
    const char *s = json_get_string(json_object_get(obj, key), NULL);
    return s ? s : "";
}

/* pass() and fail() return what a command handler returns: did it pass? */
static bool pass(Runner *r)
{
    r->counts.passed++;
    return true;
}

__attribute__((format(printf, 3, 4)))
static bool fail(Runner *r, const JsonValue *cmd, const char *fmt, ...)
{
    uint64_t line = 0;
    const char *why = NULL;   /* set when this is a known 1.0/2.0 disagreement */
    json_get_u64(json_object_get(cmd, "line"), &line);
    for (size_t i = 0; r->opt->suite == 10 && i < COUNT(v1_disagreements); i++)
        if (!strcmp(v1_disagreements[i].file, r->name) && v1_disagreements[i].line == line)
            why = v1_disagreements[i].reason;
    r->counts.failed++;
    r->counts.excused += why != NULL;
    if (!r->opt->verbose)
        return false;
    printf("  %s.wast:%llu: %s: ", r->name, (unsigned long long)line, str(cmd, "type"));
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("%s%s\n", why ? "\n    known 1.0/2.0 disagreement: " : "", why ? why : "");
    return false;
}

/* Does the engine's message start with the expected text? */
static bool text_matches(const Runner *r, const char *want, const char *got)
{
    for (size_t i = 0; r->opt->suite == 10 && i < COUNT(v1_rewordings); i++) {
        if (strcmp(want, v1_rewordings[i][0]) == 0)
            want = v1_rewordings[i][1];   /* 1.0's words for what 2.0 says */
    }
    return strncmp(got, want, strlen(want)) == 0;
}

/* ---- values ------------------------------------------------------------- */

/* Numbers arrive as the unsigned decimal of their bits; a reference
 * `ref.extern N` becomes the cell N+1, since the cell 0 means null. */
static bool parse_value(const JsonValue *j, Value *out)
{
    static const char *const names[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
    static const uint8_t types[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_FUNCREF,
                                    WASM_EXTERNREF};
    size_t len, k = 0;
    uint64_t bits;
    const char *s = json_get_string(json_object_get(j, "value"), &len);
    while (k < 6 && !json_string_is(json_object_get(j, "type"), names[k]))
        k++;
    if (k == 6 || !s)
        return false;   /* v128 (no SIMD here), or a value-less type */
    *out = (Value){.type = types[k], .match = MATCH_BITS};
    if (strcmp(s, "nan:canonical") == 0 || strcmp(s, "nan:arithmetic") == 0) {
        out->match = s[4] == 'c' ? MATCH_NAN_CANONICAL : MATCH_NAN_ARITHMETIC;
        return k == 2 || k == 3;
    }
    if (k >= 4 && strcmp(s, "null") == 0)
        return true;
    if (k == 4 || json_text_u64(s, len, &bits) != ST_OK ||   /* no JSON for a function */
        ((k == 0 || k == 2) && bits > UINT32_MAX))
        return false;
    out->cell = k == 5 ? bits + 1 : bits;
    return true;
}

static bool value_matches(const Value *want, WasmCell got)
{
    bool f32 = want->type == WASM_F32;
    uint64_t exp_quiet = f32 ? 0x7fc00000u : 0x7ff8000000000000u;   /* exponent, quiet bit */
    uint64_t magnitude = f32 ? 0x7fffffffu : 0x7fffffffffffffffu;   /* all but the sign */
    switch (want->match) {
    case MATCH_BITS: return got == want->cell;
    case MATCH_NAN_CANONICAL:    /* only the top mantissa bit set, either sign */
        return (!f32 || got <= UINT32_MAX) && (got & magnitude) == exp_quiet;
    case MATCH_NAN_ARITHMETIC:   /* top mantissa bit set, anything below it */
        return (!f32 || got <= UINT32_MAX) && (got & exp_quiet) == exp_quiet;
    }
    return false;
}

/* ---- the "spectest" host module and linking ------------------------------ */

static Status host_print(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    return (void)s, (void)user, (void)args, (void)results, ST_OK;   /* output is not checked */
}

static void host_add(Runner *r, const char *name, WasmExtern e, const void *obj)
{
    r->host_names[r->nhost] = name;
    r->host[r->nhost] = e;
    r->nhost += obj != NULL;   /* out of memory: left out, so imports fail */
}

/* The objects every spec test may import from "spectest", created once per
 * store: instances that import the same memory share it. */
static void spectest_init(Runner *r)
{
    static const struct { const char *name; uint8_t params[2]; uint32_t n; } prints[] = {
        {"print", {0}, 0}, {"print_i32", {WASM_I32}, 1}, {"print_i64", {WASM_I64}, 1},
        {"print_f32", {WASM_F32}, 1}, {"print_f64", {WASM_F64}, 1},
        {"print_i32_f32", {WASM_I32, WASM_F32}, 2}, {"print_f64_f64", {WASM_F64, WASM_F64}, 2}};
    static const struct { const char *name; uint8_t type; WasmCell bits; } globals[] = {
        {"global_i32", WASM_I32, 666}, {"global_i64", WASM_I64, 666},
        {"global_f32", WASM_F32, 0x4426a666u},            /* 666.6f */
        {"global_f64", WASM_F64, 0x4084d4cccccccccdu}};   /* 666.6 */
    for (size_t i = 0; i < COUNT(prints); i++) {
        WasmFuncInst *f = wasm_host_func_new(r->store, prints[i].params, prints[i].n, NULL, 0,
                                             host_print, NULL);
        host_add(r, prints[i].name, (WasmExtern){WASM_EXTERN_FUNC, .u.func = f}, f);
    }
    for (size_t i = 0; i < COUNT(globals); i++) {
        WasmGlobalType gt = {globals[i].type, false};
        WasmGlobalInst *g = wasm_global_new(r->store, gt, globals[i].bits);
        host_add(r, globals[i].name, (WasmExtern){WASM_EXTERN_GLOBAL, .u.global = g}, g);
    }
    WasmTableInst *t = wasm_table_new(r->store, (WasmTableType){WASM_FUNCREF, {10, 20, true}});
    WasmMemInst *m = wasm_memory_new(r->store, (WasmLimits){1, 2, true});
    host_add(r, "table", (WasmExtern){WASM_EXTERN_TABLE, .u.table = t}, t);
    host_add(r, "memory", (WasmExtern){WASM_EXTERN_MEMORY, .u.memory = m}, m);
}

static WasmInstance *find_named(const NamedVec *v, const JsonValue *name)
{
    for (size_t i = v->len; json_get_string(name, NULL) && i-- > 0;) {   /* newest first */
        const JsonValue *n = v->items[i].name;
        if (n->len == name->len && memcmp(n->str, name->str, n->len) == 0)
            return v->items[i].inst;
    }
    return NULL;
}

static bool name_is(const WasmName *n, const char *s, size_t len)
{
    return n->len == len && memcmp(n->s, s, len) == 0;
}

static Status resolve(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    Runner *r = user;
    if (name_is(&imp->module, "spectest", 8)) {
        for (size_t i = 0; i < r->nhost; i++) {
            if (name_is(&imp->name, r->host_names[i], strlen(r->host_names[i]))) {
                *out = r->host[i];
                return ST_OK;
            }
        }
    }
    for (size_t i = r->registered.len; i-- > 0;) {   /* newest registration first */
        const Named *n = &r->registered.items[i];
        if (name_is(&imp->module, n->name->str, n->name->len))
            if (wasm_instance_export_n(n->inst, imp->name.s, imp->name.len, out) == ST_OK)
                return ST_OK;
    }
    return wasm_error(err, ST_LINK, -1, "unknown import: \"%s\" \"%s\"", imp->module.s,
                      imp->name.s);
}

/* ---- modules ------------------------------------------------------------ */

typedef enum Stage { STAGE_OK, STAGE_MALFORMED, STAGE_INVALID, STAGE_UNLINKABLE,
                     STAGE_UNINSTANTIABLE, STAGE_OTHER } Stage;

static const char *const stage_names[] = {"instantiated", "malformed", "invalid",
                                          "unlinkable", "uninstantiable", "failed"};

/* Load and instantiate the module in `filename`; which stage it reached.
 * The Status of each step tells the stage: the decoder reports
 * ST_MALFORMED, the validator ST_INVALID, linking ST_LINK, and a trap
 * during instantiation ST_TRAP. */
static Stage load_module(Runner *r, const char *filename, WasmInstance **out, WasmError *err)
{
    char path[4096];
    size_t len = 0;
    const char *slash = strrchr(r->path, '/');
    snprintf(path, sizeof path, "%.*s%s", slash ? (int)(slash - r->path + 1) : 0, r->path, filename);
    uint8_t *bytes = (uint8_t *)read_file(path, &len);
    WasmModule *m = NULL;
    *out = NULL;
    if (!bytes) {
        wasm_error(err, ST_IO, -1, "cannot read %s", path);
        return STAGE_OTHER;
    }
    Status st = wasm_module_load(bytes, len, &m, err);
    mem_free(bytes);
    if (st != ST_OK)
        return st == ST_MALFORMED ? STAGE_MALFORMED : st == ST_INVALID ? STAGE_INVALID : STAGE_OTHER;
    /* Keep the module even if instantiation fails: a trapping start
     * function may already have put its functions into imported tables. */
    if (vec_push(&r->modules, m) != ST_OK) {
        wasm_module_free(m);
        wasm_error(err, ST_NOMEM, -1, "out of memory");
        return STAGE_OTHER;
    }
    st = wasm_instantiate(r->store, m, resolve, r, out, err);
    if (st != ST_OK)
        return st == ST_LINK ? STAGE_UNLINKABLE : st == ST_TRAP ? STAGE_UNINSTANTIABLE : STAGE_OTHER;
    return STAGE_OK;
}

static bool cmd_module(Runner *r, const JsonValue *cmd)
{
    WasmError err = {0};
    WasmInstance *inst;
    const JsonValue *name = json_object_get(cmd, "name");
    r->current = NULL;   /* after a failure, do not test the previous module */
    Stage stage = load_module(r, str(cmd, "filename"), &inst, &err);
    if (stage != STAGE_OK)
        return fail(r, cmd, "%s: %s", stage_names[stage], err.msg);
    r->current = inst;
    if (json_get_string(name, NULL) && vec_push(&r->named, ((Named){name, inst})) != ST_OK)
        return fail(r, cmd, "out of memory");
    return pass(r);
}

/* assert_malformed, assert_invalid, assert_unlinkable, assert_uninstantiable:
 * the module must fail at the stage the command names, with its text. */
static bool cmd_assert_module(Runner *r, const JsonValue *cmd)
{
    const char *text = str(cmd, "text");
    Stage want = STAGE_MALFORMED, got;
    while (want < STAGE_OTHER && strcmp(stage_names[want], str(cmd, "type") + 7) != 0)
        want++;   /* + 7 skips "assert_" */
    if (!json_string_is(json_object_get(cmd, "module_type"), "binary")) {
        r->counts.skipped++;   /* a .wat text module: we have no text parser */
        return false;
    }
    WasmError err = {0};
    WasmInstance *inst;
    if ((got = load_module(r, str(cmd, "filename"), &inst, &err)) == STAGE_OK)
        return fail(r, cmd, "expected %s \"%s\", got a working module", stage_names[want], text);
    if (got != want)
        return fail(r, cmd, "expected %s \"%s\", got %s \"%s\"", stage_names[want], text,
                    stage_names[got], err.msg);
    if (!text_matches(r, text, err.msg))
        return fail(r, cmd, "expected \"%s\", got \"%s\"", text, err.msg);
    return pass(r);
}

static bool cmd_register(Runner *r, const JsonValue *cmd)
{
    const JsonValue *name = json_object_get(cmd, "name"), *as = json_object_get(cmd, "as");
    WasmInstance *inst = name ? find_named(&r->named, name) : r->current;
    if (!inst || !json_get_string(as, NULL))
        return fail(r, cmd, "nothing to register as \"%s\"", str(cmd, "as"));
    if (vec_push(&r->registered, ((Named){as, inst})) != ST_OK)
        return fail(r, cmd, "out of memory");
    return true;   /* not a test: nothing counted */
}

/* ---- actions ----------------------------------------------------------------- */

typedef struct Outcome {
    Status st;               /* ST_TRAP: the engine trapped; others: see err */
    WasmError err;
    uint32_t n;
    uint8_t types[MAX_VALUES];
    WasmCell cells[MAX_VALUES];
} Outcome;

/* Look up the export an action names; ST_NOT_FOUND explains itself. */
static Status find_export(Runner *r, const JsonValue *action, WasmExtern *ext, WasmError *err)
{
    const JsonValue *mod = json_object_get(action, "module");
    const JsonValue *field = json_object_get(action, "field");
    WasmInstance *inst = mod ? find_named(&r->named, mod) : r->current;
    if (!inst || !json_get_string(field, NULL))
        return wasm_error(err, ST_NOT_FOUND, -1, "no module \"%s\"", str(action, "module"));
    /* By length: names.wast exports a name that contains a NUL byte. */
    if (wasm_instance_export_n(inst, field->str, field->len, ext) != ST_OK)
        return wasm_error(err, ST_NOT_FOUND, -1, "no export \"%s\"", field->str);
    return ST_OK;
}

/* Convert the JSON arguments, checking them against the parameter types. */
static Status get_args(const JsonValue *args, const WasmFuncType *ft, WasmCell *cells,
                       WasmError *err)
{
    if (json_array_len(args) != ft->nparams || ft->nparams > MAX_VALUES)
        return wasm_error(err, ST_ARG, -1, "%zu arguments for %u parameters",
                          json_array_len(args), ft->nparams);
    for (uint32_t i = 0; i < ft->nparams; i++) {
        Value v;
        if (!parse_value(json_array_get(args, i), &v) || v.match != MATCH_BITS ||
            v.type != WASM_PARAMS(ft)[i])
            return wasm_error(err, ST_ARG, -1, "argument %u is not a %s", i,
                              wasm_valtype_name(WASM_PARAMS(ft)[i]));
        cells[i] = v.cell;
    }
    return ST_OK;
}

static void run_action(Runner *r, const JsonValue *action, Outcome *o)
{
    WasmExtern ext;
    WasmCell args[MAX_VALUES];
    memset(o, 0, sizeof *o);
    if ((o->st = find_export(r, action, &ext, &o->err)) != ST_OK)
        return;
    if (json_string_is(json_object_get(action, "type"), "get") &&
        ext.kind == WASM_EXTERN_GLOBAL) {
        o->n = 1;
        o->types[0] = wasm_global_type(ext.u.global).type;
        o->cells[0] = wasm_global_get(ext.u.global);
        return;
    }
    const WasmFuncType *ft = ext.kind == WASM_EXTERN_FUNC ? wasm_func_type(ext.u.func) : NULL;
    if (!ft || ft->nresults > MAX_VALUES || !json_string_is(json_object_get(action, "type"), "invoke"))
        o->st = wasm_error(&o->err, ST_ARG, -1, "action does not fit the export's kind");
    else
        o->st = get_args(json_object_get(action, "args"), ft, args, &o->err);
    if (o->st != ST_OK)
        return;
    o->n = ft->nresults;
    memcpy(o->types, WASM_RESULTS(ft), ft->nresults);
    o->st = wasm_call(r->store, ext.u.func, args, o->cells, &o->err);
}

/* assert_return, and action: the same without looking at the results. */
static bool cmd_assert_return(Runner *r, const JsonValue *cmd)
{
    const JsonValue *expected = json_object_get(cmd, "expected");
    Outcome o;
    run_action(r, json_object_get(cmd, "action"), &o);
    if (o.st != ST_OK)
        return fail(r, cmd, "%s: %s", status_str(o.st), o.err.msg);
    if (json_string_is(json_object_get(cmd, "type"), "action"))
        return pass(r);
    if (json_array_len(expected) != o.n)
        return fail(r, cmd, "expected %zu results, got %u", json_array_len(expected), o.n);
    for (uint32_t i = 0; i < o.n; i++) {   /* shown as in the JSON: decimal bits */
        Value want;
        if (!parse_value(json_array_get(expected, i), &want)) {
            r->counts.skipped++;   /* v128 or a value we cannot express */
            return false;
        }
        if (want.type != o.types[i] || !value_matches(&want, o.cells[i]))
            return fail(r, cmd, "result %u: expected %s %s, got %s %llu%s", i,
                        wasm_valtype_name(want.type), str(json_array_get(expected, i), "value"),
                        wasm_valtype_name(o.types[i]), (unsigned long long)o.cells[i],
                        o.types[i] == WASM_EXTERNREF ? " (a cell: 0 null, N+1 ref N)" : "");
    }
    return pass(r);
}

/* assert_trap and assert_exhaustion: the call must trap with `text`. */
static bool cmd_assert_trap(Runner *r, const JsonValue *cmd)
{
    const char *text = str(cmd, "text");
    Outcome o;
    run_action(r, json_object_get(cmd, "action"), &o);
    if (o.st == ST_OK)
        return fail(r, cmd, "expected trap \"%s\", got a result", text);
    if (o.st != ST_TRAP)
        return fail(r, cmd, "expected trap \"%s\", got %s: %s", text, status_str(o.st), o.err.msg);
    if (!text_matches(r, text, o.err.msg))
        return fail(r, cmd, "expected trap \"%s\", got \"%s\"", text, o.err.msg);
    return pass(r);
}

static void run_command(Runner *r, const JsonValue *cmd)
{
    static const struct { const char *type; bool (*run)(Runner *, const JsonValue *); } kinds[] = {
        {"module", cmd_module},
        {"register", cmd_register},
        {"action", cmd_assert_return},   /* without comparing results */
        {"assert_return", cmd_assert_return},
        {"assert_trap", cmd_assert_trap},
        {"assert_exhaustion", cmd_assert_trap},   /* the same, with another text */
        {"assert_malformed", cmd_assert_module},
        {"assert_invalid", cmd_assert_module},
        {"assert_unlinkable", cmd_assert_module},
        {"assert_uninstantiable", cmd_assert_module},
    };
    for (size_t i = 0; i < COUNT(kinds); i++) {
        if (json_string_is(json_object_get(cmd, "type"), kinds[i].type)) {
            kinds[i].run(r, cmd);
            return;
        }
    }
    fail(r, cmd, "unknown command type");
}

/* ---- files --------------------------------------------------------------- */

/* Run every command of one parsed NAME.json in a fresh store. */
static Counts run_commands(const Options *opt, const char *path, const char *name,
                           const JsonValue *root)
{
    Runner r = {.opt = opt, .path = path, .name = name};
    const JsonValue *cmds = json_object_get(root, "commands");
    WasmStoreConfig cfg = {.max_call_depth = CALL_DEPTH};
    r.store = wasm_store_new(&cfg);
    if (!r.store || json_array_len(cmds) == 0) {
        printf("  %s: %s\n", name, r.store ? "no commands" : "out of memory");
        r.counts.failed++;
    } else {
        spectest_init(&r);
        for (size_t i = 0; i < cmds->len; i++)
            run_command(&r, &cmds->items[i]);
    }
    if (r.store)
        wasm_store_free(r.store);
    for (size_t i = 0; i < r.modules.len; i++)
        wasm_module_free(r.modules.items[i]);
    vec_fini(&r.modules);
    vec_fini(&r.named);
    vec_fini(&r.registered);
    return r.counts;
}

/* Run the commands in a child process (unless --no-fork), which sends its
 * Counts back through a pipe.  A child that crashes, hangs past
 * FILE_SECONDS or exits non-zero (say, a sanitizer report) counts as a
 * crash, and any crash fails the run whatever the percentages say. */
static Counts run_isolated(const Options *opt, const char *path, const char *name,
                           const JsonValue *root)
{
    int fds[2], status = 0;
    Counts c;
    if (!opt->fork || pipe(fds) != 0)
        return run_commands(opt, path, name, root);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(FILE_SECONDS);
        c = run_commands(opt, path, name, root);
        fflush(stdout);
        exit(write(fds[1], &c, sizeof c) == (ssize_t)sizeof c ? 0 : 1);
    }
    close(fds[1]);
    bool got = pid > 0 && read(fds[0], &c, sizeof c) == (ssize_t)sizeof c;
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, &status, 0);
    if (got && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return c;
    printf("  %s: CRASHED (%s %d)\n", name, WIFSIGNALED(status) ? "signal" : "exit status",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return (Counts){.failed = 1, .crashed = 1};
}

/* Parse PATH (a NAME.json) and run it; add its counts to *total. */
static void run_file(const Options *opt, const char *path, Counts *total)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."), base);
    size_t len = 0;
    char *text = read_file(path, &len);
    Arena arena;
    arena_init(&arena);
    JsonValue *root = NULL;
    JsonError jerr = {0};
    Counts c = {.failed = 1};
    if (!text)
        printf("  %s: cannot read %s\n", name, path);
    else if (json_parse(&arena, text, len, &root, &jerr) != ST_OK)
        printf("  %s: %s:%u:%u: %s\n", name, path, jerr.line, jerr.col, jerr.msg);
    else
        c = run_isolated(opt, path, name, root);
    printf("%s: %lu passed, %lu failed, %lu skipped\n", name, c.passed, c.failed, c.skipped);
    total->passed += c.passed;
    total->failed += c.failed;
    total->skipped += c.skipped;
    total->excused += c.excused;
    total->crashed += c.crashed;
    arena_fini(&arena);
    mem_free(text);
}

/* Run every file matching dir/pattern, in name order (glob() sorts);
 * how many there were. */
static size_t run_glob(const Options *opt, const char *dir, const char *pattern, Counts *total)
{
    char path[4096 + 16];
    glob_t g;
    snprintf(path, sizeof path, "%s/%s", dir, pattern);
    if (glob(path, 0, NULL, &g) != 0)
        return 0;   /* no match */
    for (size_t i = 0; i < g.gl_pathc; i++)
        run_file(opt, g.gl_pathv[i], total);
    size_t n = g.gl_pathc;
    globfree(&g);
    return n;
}

static bool suite_passes(const Options *opt, const Counts *c)
{
    unsigned long ran = c->passed + c->failed;
    if (c->crashed > 0 || (opt->suite != 0 && ran == 0))   /* broken, not just failing */
        return false;
    if (opt->suite == 20)   /* 2.0: at least 99.9 % of what ran */
        return c->passed * 1000 >= ran * 999;
    if (opt->suite == 10)   /* 1.0: everything but the listed disagreements */
        return c->failed == c->excused;
    return c->failed == 0;
}

int main(int argc, char **argv)
{
    Options opt = {.fork = true};
    char dir[4096] = "";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            opt.verbose = true;
        else if (strcmp(argv[i], "--no-fork") == 0)
            opt.fork = false;
        else if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc)
            opt.suite = strcmp(argv[++i], "1.0") == 0 ? 10 : strcmp(argv[i], "2.0") == 0 ? 20 : -1;
        else if (!dir[0] && argv[i][0] != '-')
            snprintf(dir, sizeof dir, "%s", argv[i]);
        else
            opt.suite = -1;
    }
    if (!dir[0] || opt.suite < 0) {
        fprintf(stderr, "usage: spectest [--suite 1.0|2.0] [-v] [--no-fork] DIR\n");
        return 2;
    }
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';   /* "json-2.0/i32/" names the folder i32 */
    struct stat st;
    if (stat(dir, &st) != 0) {
        printf("spectest: SKIPPED (no suite at %s)\n", dir);
        return 0;
    }
    Counts total = {0};
    if (!S_ISDIR(st.st_mode))
        run_file(&opt, dir, &total);                          /* one NAME.json */
    else if (run_glob(&opt, dir, "*.json", &total) == 0)      /* one NAME folder */
        run_glob(&opt, dir, "*/*.json", &total);              /* or a whole suite */
    if (total.excused > 0)
        printf("spectest: %lu of the failures are known 1.0/2.0 disagreements\n", total.excused);
    printf("spectest: %lu passed, %lu failed, %lu skipped\n", total.passed, total.failed,
           total.skipped);
    return suite_passes(&opt, &total) ? 0 : 1;
}
