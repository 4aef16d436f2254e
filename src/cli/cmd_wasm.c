/*
 * cmd_wasm.c - `tinystdb wasm run | validate | dump`: the engine by hand.
 *
 * These subcommands drive the embedding API of wasm.h exactly as the
 * database host will, one step at a time, so each step can be tried and
 * watched from a shell:
 *
 *     read file ──> wasm_module_load ──> wasm_instantiate ──> wasm_call
 *                   (decode, validate,   (no imports: the     (args parsed
 *                    build trees)         module stands alone)  by value.c)
 *
 * Every failure becomes one line on stderr naming the file and what went
 * wrong (with the byte offset for decode and validation errors) and exit
 * status 1; a trap is reported as "trap: MESSAGE" with exit status 2.
 * Hostile input is the engine's business: it bounds every allocation and
 * returns an error; here we only bound the file size.
 *
 * Book: chapter 8, book/08-cli.md
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"
#include "cli.h"
#include "value.h"

#define MAX_FILE_BYTES ((size_t)256 << 20)

static int run_cmd(int argc, char **argv);
static int validate_cmd(int argc, char **argv);

static const CliCommand wasm_commands[] = {
    {"run", "FILE.wasm FUNC [ARGS...] [--trace] [--fuel N]",
     "call an exported function, print its results", run_cmd},
    {"validate", "FILE.wasm", "decode and validate a module", validate_cmd},
    {"dump", "FILE.wasm [--func N|NAME]", "show a module's sections, or one function's tree",
     cmd_wasm_dump_run},
};

#define NWASM_COMMANDS (sizeof wasm_commands / sizeof wasm_commands[0])

static const char run_help[] =
    "Instantiate FILE.wasm (a module without imports), call its export FUNC\n"
    "with ARGS and print each result as TYPE:VALUE on its own line.\n\n"
    "  ARGS      i32:5 i32:-1 i32:0xffffffff i64:42 f32:1.5 f32:0x3fc00000\n"
    "            f64:-inf f64:nan funcref:null externref:null; the TYPE: prefix\n"
    "            may be left out (the function's signature gives it)\n"
    "  --trace   print every node the interpreter executes, indented by depth\n"
    "  --fuel N  trap with \"out of fuel\" after N units of fuel (about one\n"
    "            per instruction); report the fuel used on stderr\n"
    "Exit status: 0 success, 1 error, 2 trap.\n";

/* ---- shared helpers ------------------------------------------------------ */

Status cmd_wasm_read_file(const char *path, uint8_t **bytes, size_t *len, WasmError *err)
{
    Status st = ST_OK;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return wasm_error(err, ST_IO, -1, "cannot open: %s", strerror(errno));
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_FILE_BYTES) {
                st = wasm_error(err, ST_LIMIT, -1, "file larger than %zu MiB",
                                MAX_FILE_BYTES >> 20);
                goto fail;
            }
            cap = cap ? cap * 2 : 65536;
            uint8_t *bigger = mem_realloc(buf, cap);
            if (!bigger) {
                st = wasm_error(err, ST_NOMEM, -1, "out of memory reading the file");
                goto fail;
            }
            buf = bigger;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        st = wasm_error(err, ST_IO, -1, "cannot read: %s", strerror(errno));
        goto fail;
    }
    fclose(f);
    *bytes = buf;
    *len = n;
    return ST_OK;
fail:
    fclose(f);
    mem_free(buf);
    return st;
}

/* "FILE: invalid: type mismatch: ... at byte 0x1a2" */
static void print_error(const char *path, const WasmError *err)
{
    const char *word = err->status == ST_MALFORMED ? "malformed: "
                       : err->status == ST_INVALID ? "invalid: "
                       : err->status == ST_LINK    ? "link error: "
                                                   : "";
    fprintf(stderr, "%s: %s%s", path, word, err->msg[0] ? err->msg : status_str(err->status));
    if (err->has_pos)
        fprintf(stderr, " at byte 0x%" PRIx32, err->pos);
    fputc('\n', stderr);
}

Status cmd_wasm_load(const char *path, WasmModule **out)
{
    WasmError err = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    Status st = cmd_wasm_read_file(path, &bytes, &len, &err);
    if (st == ST_OK) {
        err.status = ST_OK;
        st = wasm_module_load(bytes, len, out, &err);
        mem_free(bytes);
    }
    if (st != ST_OK) {
        err.status = st;
        print_error(path, &err);
    }
    return st;
}

static const char *kind_name(WasmExternKind kind)
{
    switch (kind) {
    case WASM_EXTERN_FUNC: return "function";
    case WASM_EXTERN_TABLE: return "table";
    case WASM_EXTERN_MEMORY: return "memory";
    case WASM_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

static void print_usage(FILE *out, const CliCommand *c)
{
    fprintf(out, "usage: tinystdb wasm %s %s\n", c->name, c->args);
}

/* True (and help printed) when argv asks for help. */
static bool wants_help(int argc, char **argv, const CliCommand *c, const char *text)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_usage(stdout, c);
            fprintf(stdout, "\n%s", text);
            return true;
        }
    return false;
}

/* ---- wasm run ------------------------------------------------------------ */

typedef struct RunOptions {
    const char *file, *func;
    char **args;            /* owned: FILE, FUNC, then nargs arguments */
    int nargs;
    bool trace, has_fuel;
    uint64_t fuel;
} RunOptions;

static bool parse_count(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    *out = v;
    return *end == '\0' && errno == 0;
}

/* argv[*i] is an option ("--trace", "--fuel N"): apply it, stepping *i
 * past its value.  ST_ARG (with a message) for anything else. */
static Status parse_option(int argc, char **argv, int *i, RunOptions *o)
{
    const char *a = argv[*i];
    if (strcmp(a, "--trace") == 0) {
        o->trace = true;
        return ST_OK;
    }
    if (strcmp(a, "--fuel") == 0) {
        if (*i + 1 < argc && parse_count(argv[*i + 1], &o->fuel)) {
            o->has_fuel = true;
            (*i)++;
            return ST_OK;
        }
        fprintf(stderr, "tinystdb wasm run: --fuel needs a count\n");
        return ST_ARG;
    }
    fprintf(stderr, "tinystdb wasm run: bad option \"%s\"\n", a);
    return ST_ARG;
}

/* Split argv into options and positionals.  "--" ends the options, so
 * what follows it is passed to the function as is. */
static Status parse_run_args(int argc, char **argv, RunOptions *o)
{
    char **pos = mem_alloc_array((size_t)argc, sizeof *pos);
    int npos = 0;
    bool options = true;
    if (!pos)
        return ST_NOMEM;
    for (int i = 1; i < argc; i++) {
        if (options && strcmp(argv[i], "--") == 0) {
            options = false;
        } else if (options && strncmp(argv[i], "--", 2) == 0) {
            if (parse_option(argc, argv, &i, o) != ST_OK)
                goto fail;
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos < 2) {
        print_usage(stderr, &wasm_commands[0]);
        goto fail;
    }
    o->file = pos[0];
    o->func = pos[1];
    o->args = pos;   /* owned; the arguments start at pos + 2 */
    o->nargs = npos - 2;
    return ST_OK;
fail:
    mem_free(pos);
    return ST_ARG;
}

/* The link step for a module with no imports: anything asked for is an
 * error (run_cmd checks first, so this is a safety net). */
static Status no_imports(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    (void)user;
    (void)out;
    return wasm_error(err, ST_LINK, -1, "unknown import: \"%s\" \"%s\"", imp->module.s,
                      imp->name.s);
}

static bool check_no_imports(const RunOptions *o, const WasmModule *m)
{
    if (m->nimports == 0)
        return true;
    const WasmImport *imp = &m->imports[0];
    fprintf(stderr,
            "%s: the module imports %s \"%s\".\"%s\"%s; wasm run provides no imports\n",
            o->file, kind_name(imp->kind), imp->module.s, imp->name.s,
            m->nimports > 1 ? " (and more)" : "");
    return false;
}

static void list_func_exports(FILE *out, const WasmModule *m)
{
    int n = 0;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == WASM_EXTERN_FUNC)
            fprintf(out, "%s%s", n++ ? ", " : "; exported functions: ", m->exports[i].name.s);
    fputs(n ? "\n" : "; it exports no functions\n", out);
}

static WasmFuncInst *find_func(const RunOptions *o, const WasmInstance *inst)
{
    WasmExtern ext;
    if (wasm_instance_export(inst, o->func, &ext) != ST_OK) {
        fprintf(stderr, "%s: no export \"%s\"", o->file, o->func);
        list_func_exports(stderr, wasm_instance_module(inst));
        return NULL;
    }
    if (ext.kind != WASM_EXTERN_FUNC) {
        fprintf(stderr, "%s: export \"%s\" is a %s, not a function\n", o->file, o->func,
                kind_name(ext.kind));
        return NULL;
    }
    return ext.u.func;
}

/* Parse the call's arguments against the function's parameter types. */
static Status parse_call_args(const RunOptions *o, const WasmFuncType *ft, WasmCell *args)
{
    char sig[256];
    value_format_functype(sig, sizeof sig, ft);
    if ((uint32_t)o->nargs != ft->nparams) {
        fprintf(stderr, "%s: %s takes %" PRIu32 " argument%s, got %d; its type is %s\n", o->file,
                o->func, ft->nparams, ft->nparams == 1 ? "" : "s", o->nargs, sig);
        return ST_ARG;
    }
    for (int i = 0; i < o->nargs; i++) {
        WasmError err = {0};
        if (value_parse(o->args[i + 2], WASM_PARAMS(ft)[i], NULL, &args[i], &err) != ST_OK) {
            fprintf(stderr, "%s: argument %d of %s: %s; its type is %s\n", o->file, i + 1, o->func,
                    err.msg, sig);
            return ST_ARG;
        }
    }
    return ST_OK;
}

static void print_results(const WasmFuncType *ft, const WasmCell *results)
{
    for (uint32_t i = 0; i < ft->nresults; i++) {
        char text[VALUE_TEXT_MAX];
        value_format(text, sizeof text, WASM_RESULTS(ft)[i], results[i]);
        puts(text);
    }
}

/* Report a failed instantiate or call: 2 for a trap, else 1. */
static int report(const RunOptions *o, Status st, const WasmError *err)
{
    fflush(stdout);   /* keep --trace output before the message */
    if (st == ST_TRAP) {
        fprintf(stderr, "trap: %s\n", err->msg);
        return CLI_EXIT_TRAP;
    }
    WasmError e = *err;
    e.status = st;
    print_error(o->file, &e);
    return CLI_EXIT_ERROR;
}

/* Call the function; print results or the trap; the exit status. */
static int call_and_print(const RunOptions *o, WasmStore *s, WasmFuncInst *f)
{
    const WasmFuncType *ft = wasm_func_type(f);
    WasmCell *args = mem_calloc(ft->nparams + 1u, sizeof *args);
    WasmCell *results = mem_calloc(ft->nresults + 1u, sizeof *results);
    WasmError err = {0};
    int rc = CLI_EXIT_ERROR;
    if (!args || !results) {
        fprintf(stderr, "%s: out of memory\n", o->file);
        goto done;
    }
    if (parse_call_args(o, ft, args) != ST_OK)
        goto done;
    Status st = wasm_call(s, f, args, results, &err);
    if (st == ST_OK) {
        print_results(ft, results);
        rc = CLI_EXIT_OK;
    } else {
        rc = report(o, st, &err);
    }
    if (o->has_fuel)
        fprintf(stderr, "fuel: %" PRIu64 " used\n", o->fuel - wasm_store_fuel(s));
done:
    mem_free(args);
    mem_free(results);
    return rc;
}

static int run_module(const RunOptions *o)
{
    WasmModule *m = NULL;
    WasmStore *s = NULL;
    WasmInstance *inst = NULL;
    WasmError err = {0};
    int rc = CLI_EXIT_ERROR;
    if (cmd_wasm_load(o->file, &m) != ST_OK || !check_no_imports(o, m))
        goto done;
    s = wasm_store_new(NULL);
    if (!s) {
        fprintf(stderr, "%s: out of memory\n", o->file);
        goto done;
    }
    /* Before instantiating: the start function runs under both. */
    if (o->trace)
        wasm_store_set_trace(s, stdout);
    if (o->has_fuel)
        wasm_store_set_fuel(s, o->fuel);
    Status st = wasm_instantiate(s, m, no_imports, NULL, &inst, &err);
    if (st != ST_OK) {
        rc = report(o, st, &err);
        goto done;
    }
    WasmFuncInst *f = find_func(o, inst);
    if (f)
        rc = call_and_print(o, s, f);
done:
    wasm_store_free(s);
    wasm_module_free(m);
    return rc;
}

static int run_cmd(int argc, char **argv)
{
    RunOptions o = {0};
    if (wants_help(argc, argv, &wasm_commands[0], run_help))
        return CLI_EXIT_OK;
    if (parse_run_args(argc, argv, &o) != ST_OK)
        return CLI_EXIT_ERROR;
    int rc = run_module(&o);
    mem_free(o.args);
    return rc;
}

/* ---- wasm validate --------------------------------------------------------- */

static int validate_cmd(int argc, char **argv)
{
    if (wants_help(argc, argv, &wasm_commands[1],
                   "Decode FILE.wasm and check it against the validation rules.\n"
                   "Print \"valid\", or the first error and its byte offset (exit 1).\n"))
        return CLI_EXIT_OK;
    if (argc != 2) {
        print_usage(stderr, &wasm_commands[1]);
        return CLI_EXIT_ERROR;
    }
    WasmError err = {0};
    WasmModule *m = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    Status st = cmd_wasm_read_file(argv[1], &bytes, &len, &err);
    if (st == ST_OK)
        st = wasm_module_decode(bytes, len, &m, &err);
    if (st == ST_OK)
        st = wasm_module_validate(m, &err);
    mem_free(bytes);
    wasm_module_free(m);
    if (st != ST_OK) {
        err.status = st;
        print_error(argv[1], &err);
        return CLI_EXIT_ERROR;
    }
    puts("valid");
    return CLI_EXIT_OK;
}

/* ---- dispatch ---------------------------------------------------------------- */

static void wasm_usage(FILE *out)
{
    fprintf(out, "usage: tinystdb wasm SUBCOMMAND ...\n\n");
    for (size_t i = 0; i < NWASM_COMMANDS; i++)
        fprintf(out, "  tinystdb wasm %s %s\n      %s\n", wasm_commands[i].name,
                wasm_commands[i].args, wasm_commands[i].summary);
    fprintf(out, "\nRun 'tinystdb wasm SUBCOMMAND --help' for details.\n");
}

int cmd_wasm_main(int argc, char **argv)
{
    if (argc < 2) {
        wasm_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        wasm_usage(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < NWASM_COMMANDS; i++)
        if (strcmp(argv[1], wasm_commands[i].name) == 0)
            return wasm_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "tinystdb wasm: unknown subcommand \"%s\"; try 'tinystdb wasm --help'\n",
            argv[1]);
    return CLI_EXIT_ERROR;
}
