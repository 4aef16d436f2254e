/*
 * cmd_wasm_dump.c - `tinystdb wasm dump FILE [--func N|NAME]`: look inside
 * a module.
 *
 * Without --func it prints the module's table of contents: every section
 * as it lies in the file (id, name, offset, size), then what the decoder
 * made of them (types, imports, functions, exports, tables, memories,
 * globals, segments).  The section list is read straight from the bytes
 * (module.h keeps contents, not the section frame), which shows the
 * student what the binary looks like before decoding:
 *
 *     magic+version | id size payload | id size payload | ...
 *       8 bytes       1   LEB  size bytes
 *
 * With --func it prints the execution tree the interpreter will walk for
 * one function (tree_dump_func, chapter 5).  The module is loaded in full
 * (decoded, validated, trees built) either way, so dump never shows an
 * invalid module; `wasm validate` says what is wrong with one.
 *
 * Book: chapter 8, book/08-cli.md
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../wasm/opcodes.h"
#include "../wasm/tree.h"
#include "cli.h"
#include "value.h"

static const char *const section_names[] = {
    "custom", "type",    "import", "function", "table", "memory",   "global",
    "export", "start",   "element", "code",    "data",  "datacount",
};

#define NSECTION_NAMES (sizeof section_names / sizeof section_names[0])

/* By WasmExternKind. */
static const char *const kind_names[] = {"function", "table", "memory", "global"};

/* A u32 LEB128 at bytes[*at], bounded by len; false when cut short. */
static bool read_leb(const uint8_t *bytes, size_t len, size_t *at, uint32_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 35 && *at < len; shift += 7) {
        uint8_t b = bytes[(*at)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (uint32_t)v;
            return v <= UINT32_MAX;
        }
    }
    return false;
}

/* Print a name from the module, with anything unprintable as '?'. */
static void put_name(const char *s, uint32_t len)
{
    for (uint32_t i = 0; i < len && i < 60; i++)
        putchar(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
    if (len > 60)
        fputs("...", stdout);
}

/* "1 type", "3 types" */
static void count(uint32_t n, const char *one, const char *many)
{
    printf("%" PRIu32 " %s", n, n == 1 ? one : many);
}

/* What the decoder found in section `id` (one short phrase). */
static void section_contents(const WasmModule *m, uint8_t id)
{
    switch (id) {
    case 1: count(m->ntypes, "type", "types"); break;
    case 2: count(m->nimports, "import", "imports"); break;
    case 3: count(m->nfuncs - m->nimported_funcs, "function", "functions"); break;
    case 4: count(m->ntables - m->nimported_tables, "table", "tables"); break;
    case 5: count(m->nmems - m->nimported_mems, "memory", "memories"); break;
    case 6: count(m->nglobals - m->nimported_globals, "global", "globals"); break;
    case 7: count(m->nexports, "export", "exports"); break;
    case 8: printf("function %" PRIu32, m->start); break;
    case 9: count(m->nelems, "element segment", "element segments"); break;
    case 10: count(m->ncodes, "body", "bodies"); break;
    case 11: count(m->ndatas, "data segment", "data segments"); break;
    case 12: count(m->datacount, "data segment", "data segments"); break;
    default: break;
    }
}

static void dump_sections(const WasmModule *m)
{
    const uint8_t *b = m->binary;
    size_t len = m->binary_len, at = 8;
    printf("sections:\n  id  name       offset      size  contents\n");
    while (at < len) {
        size_t start = at;
        uint8_t id = b[at++];
        uint32_t size, nlen;
        if (!read_leb(b, len, &at, &size) || size > len - at)
            break;   /* cannot happen for a module that loaded */
        printf("  %2u  %-9s  0x%06zx  %6" PRIu32 "  ", id,
               id < NSECTION_NAMES ? section_names[id] : "?", start, size);
        size_t name_at = at;
        if (id == 0 && read_leb(b, at + size, &name_at, &nlen) && nlen <= at + size - name_at) {
            putchar('"');
            put_name((const char *)b + name_at, nlen);
            putchar('"');
        } else {
            section_contents(m, id);
        }
        putchar('\n');
        at += size;
    }
}

/* The name of function `idx`: name section, else an export, else NULL. */
static const char *func_name(const WasmModule *m, uint32_t idx)
{
    if (m->func_names && m->func_names[idx])
        return m->func_names[idx];
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == WASM_EXTERN_FUNC && m->exports[i].index == idx)
            return m->exports[i].name.s;
    return NULL;
}

static void dump_types_and_imports(const WasmModule *m)
{
    char sig[256];
    printf("types:\n");
    for (uint32_t i = 0; i < m->ntypes; i++) {
        value_format_functype(sig, sizeof sig, &m->types[i]);
        printf("  %" PRIu32 ": %s\n", i, sig);
    }
    printf("imports:%s\n", m->nimports ? "" : " none");
    for (uint32_t i = 0; i < m->nimports; i++) {
        const WasmImport *imp = &m->imports[i];
        printf("  %s %" PRIu32 " from \"", kind_names[imp->kind & 3], imp->index);
        put_name(imp->module.s, imp->module.len);
        fputs("\".\"", stdout);
        put_name(imp->name.s, imp->name.len);
        fputs("\"\n", stdout);
    }
}

static void dump_funcs_and_exports(const WasmModule *m)
{
    char sig[256];
    printf("functions:\n");
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const char *name = func_name(m, i);
        value_format_functype(sig, sizeof sig, wasm_module_func_type(m, i));
        printf("  %" PRIu32 " %s: %s", i, name ? name : "-", sig);
        if (i < m->nimported_funcs) {
            printf(", imported\n");
            continue;
        }
        const WasmCode *c = &m->codes[i - m->nimported_funcs];
        printf(", ");
        count(c->nlocals, "local", "locals");
        printf(", ");
        count(c->body.count, "instruction", "instructions");
        putchar('\n');
    }
    printf("exports:%s\n", m->nexports ? "" : " none");
    for (uint32_t i = 0; i < m->nexports; i++) {
        fputs("  \"", stdout);
        put_name(m->exports[i].name.s, m->exports[i].name.len);
        printf("\" %s %" PRIu32 "\n", kind_names[m->exports[i].kind & 3], m->exports[i].index);
    }
}

static void print_limits(const WasmLimits *l, const char *unit)
{
    printf("min %" PRIu32 "%s", l->min, unit);
    if (l->has_max)
        printf(", max %" PRIu32 "%s", l->max, unit);
    else
        printf(", no max");
}

/* A constant expression's first instruction ("i32.const 66560"). */
static void print_const_expr(const WasmExpr *e)
{
    if (e->count == 0) {
        fputs("(imported)", stdout);
        return;
    }
    const WasmInsn *in = &e->insns[0];
    char text[VALUE_TEXT_MAX];
    uint8_t type = in->op == OP_I32_CONST   ? WASM_I32
                   : in->op == OP_I64_CONST ? WASM_I64
                   : in->op == OP_F32_CONST ? WASM_F32
                   : in->op == OP_F64_CONST ? WASM_F64
                                            : 0;
    if (type) {   /* "i32:66560" printed as "i32.const 66560" */
        value_format(text, sizeof text, type, in->c);
        printf("%s %s", wasm_op_name(in->op), strchr(text, ':') + 1);
    } else {
        printf("%s %" PRIu32, wasm_op_name(in->op), in->a);
    }
}

static void dump_storage(const WasmModule *m)
{
    printf("memories:%s\n", m->nmems ? "" : " none");
    for (uint32_t i = 0; i < m->nmems; i++) {
        printf("  %" PRIu32 ": ", i);
        print_limits(&m->mems[i], " pages");
        printf("%s\n", i < m->nimported_mems ? ", imported" : "");
    }
    printf("tables:%s\n", m->ntables ? "" : " none");
    for (uint32_t i = 0; i < m->ntables; i++) {
        printf("  %" PRIu32 ": %s, ", i, value_type_name(m->tables[i].elem_type));
        print_limits(&m->tables[i].limits, "");
        printf("%s\n", i < m->nimported_tables ? ", imported" : "");
    }
    printf("globals:%s\n", m->nglobals ? "" : " none");
    for (uint32_t i = 0; i < m->nglobals; i++) {
        const WasmGlobal *g = &m->globals[i];
        printf("  %" PRIu32 ": %s%s = ", i, g->type.mutable_ ? "mut " : "",
               value_type_name(g->type.type));
        print_const_expr(&g->init);
        putchar('\n');
    }
    uint64_t data_bytes = 0;
    for (uint32_t i = 0; i < m->ndatas; i++)
        data_bytes += m->datas[i].len;
    printf("segments: %" PRIu32 " element, %" PRIu32 " data (%" PRIu64 " bytes)\n", m->nelems,
           m->ndatas, data_bytes);
    if (m->has_start)
        printf("start: function %" PRIu32 "\n", m->start);
}

/* Function index named by `arg` (a number, an export or a name-section
 * name); UINT32_MAX when there is none. */
static uint32_t resolve_func(const WasmModule *m, const char *arg)
{
    if (*arg >= '0' && *arg <= '9') {
        WasmError err;
        WasmCell v;
        if (value_parse_as(WASM_I64, arg, &v, &err) == ST_OK && v < m->nfuncs)
            return (uint32_t)v;
        return UINT32_MAX;
    }
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == WASM_EXTERN_FUNC && strcmp(m->exports[i].name.s, arg) == 0)
            return m->exports[i].index;
    for (uint32_t i = 0; m->func_names && i < m->nfuncs; i++)
        if (m->func_names[i] && strcmp(m->func_names[i], arg) == 0)
            return i;
    return UINT32_MAX;
}

static int dump_func(const char *path, const WasmModule *m, const char *arg)
{
    uint32_t idx = resolve_func(m, arg);
    if (idx == UINT32_MAX) {
        fprintf(stderr, "%s: no function \"%s\" (give an index below %" PRIu32 " or a name)\n",
                path, arg, m->nfuncs);
        return CLI_EXIT_ERROR;
    }
    if (idx < m->nimported_funcs) {
        fprintf(stderr, "%s: function %" PRIu32 " is imported; it has no body\n", path, idx);
        return CLI_EXIT_ERROR;
    }
    char sig[256];
    const char *name = func_name(m, idx);
    value_format_functype(sig, sizeof sig, wasm_module_func_type(m, idx));
    printf("function %" PRIu32 " %s: %s\n", idx, name ? name : "-", sig);
    tree_dump_func(stdout, m, idx);
    return CLI_EXIT_OK;
}

int cmd_wasm_dump_run(int argc, char **argv)
{
    const char *path = NULL, *func = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: tinystdb wasm dump FILE.wasm [--func N|NAME]\n\n"
                   "Print the module's sections, types, imports, functions, exports,\n"
                   "memories, tables and globals; with --func, the execution tree of\n"
                   "one function (by index, export name or name-section name).\n");
            return CLI_EXIT_OK;
        }
        if (strcmp(argv[i], "--func") == 0 && i + 1 < argc && !func)
            func = argv[++i];
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            path = NULL;   /* anything else: print the usage */
            break;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: tinystdb wasm dump FILE.wasm [--func N|NAME]\n");
        return CLI_EXIT_ERROR;
    }
    WasmModule *m = NULL;
    if (cmd_wasm_load(path, &m) != ST_OK)
        return CLI_EXIT_ERROR;
    int rc = CLI_EXIT_OK;
    if (func) {
        rc = dump_func(path, m, func);
    } else {
        printf("%s: %zu bytes, version %u\n", path, m->binary_len, m->binary[4]);
        dump_sections(m);
        dump_types_and_imports(m);
        dump_funcs_and_exports(m);
        dump_storage(m);
    }
    wasm_module_free(m);
    return rc;
}
