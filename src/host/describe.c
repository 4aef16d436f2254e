/*
 * describe.c - what the host offers a module, and checking that a module
 * asks for nothing else (module-abi.md §0, §1.3, §2).
 *
 * A module names each host function it needs as an import
 * (module "spacetime_10.0", name "bytes_sink_write").  The host answers
 * three questions before it runs a single instruction:
 *
 *   1. Is every import something we provide?  WASI (wasi_snapshot_preview1
 *      and friends) and anything else ("env::malloc") are load errors.
 *   2. Which ABI version does the module use?  SpacetimeDB reads it from
 *      the import module names: all "spacetime_MAJOR.MINOR" function
 *      imports must share one major, the highest minor counts, and the
 *      host must implement it (10.0 .. 10.4 here).  A module with no
 *      spacetime import at all has no ABI version and is refused.
 *   3. Are the types right?  An import whose signature differs from the
 *      host function's, or a required export that is missing or has the
 *      wrong signature, is refused with its name.
 *
 * Each function is registered under exactly one module name, the ABI
 * version that introduced it: bytes_source_remaining_length exists in
 * spacetime_10.1, not in spacetime_10.0.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "describe.h"

#include <stdio.h>
#include <string.h>

#define I WASM_I32
#define L WASM_I64
#define NONE 0

/* {name, minor, nparams, nresults, {params}, result} */
static const HostImport imports[] = {
    { "table_id_from_name", 0, 3, 1, { I, I, I }, I },
    { "index_id_from_name", 0, 3, 1, { I, I, I }, I },
    { "datastore_table_row_count", 0, 2, 1, { I, I }, I },
    { "datastore_table_scan_bsatn", 0, 2, 1, { I, I }, I },
    { "datastore_index_scan_range_bsatn", 0, 9, 1, { I, I, I, I, I, I, I, I, I }, I },
    { "datastore_btree_scan_bsatn", 0, 9, 1, { I, I, I, I, I, I, I, I, I }, I },
    { "datastore_delete_by_index_scan_range_bsatn", 0, 9, 1, { I, I, I, I, I, I, I, I, I }, I },
    { "datastore_delete_by_btree_scan_bsatn", 0, 9, 1, { I, I, I, I, I, I, I, I, I }, I },
    { "datastore_delete_all_by_eq_bsatn", 0, 4, 1, { I, I, I, I }, I },
    { "row_iter_bsatn_advance", 0, 3, 1, { I, I, I }, I },
    { "row_iter_bsatn_close", 0, 1, 1, { I }, I },
    { "datastore_insert_bsatn", 0, 3, 1, { I, I, I }, I },
    { "datastore_update_bsatn", 0, 4, 1, { I, I, I, I }, I },
    { "bytes_source_read", 0, 3, 1, { I, I, I }, I },
    { "bytes_sink_write", 0, 3, 1, { I, I, I }, I },
    { "console_log", 0, 8, 0, { I, I, I, I, I, I, I, I }, NONE },
    { "console_timer_start", 0, 2, 1, { I, I }, I },
    { "console_timer_end", 0, 1, 1, { I }, I },
    { "identity", 0, 1, 0, { I }, NONE },
    { "volatile_nonatomic_schedule_immediate", 0, 4, 0, { I, I, I, I }, NONE },
    { "bytes_source_remaining_length", 1, 2, 1, { I, I }, I },
    { "get_jwt", 2, 2, 1, { I, I }, I },
    { "procedure_sleep_until", 3, 1, 1, { L }, L },
    { "procedure_start_mut_tx", 3, 1, 1, { I }, I },
    { "procedure_commit_mut_tx", 3, 0, 1, { 0 }, I },
    { "procedure_abort_mut_tx", 3, 0, 1, { 0 }, I },
    { "procedure_http_request", 3, 5, 1, { I, I, I, I, I }, I },
    { "datastore_index_scan_point_bsatn", 4, 4, 1, { I, I, I, I }, I },
    { "datastore_delete_by_index_scan_point_bsatn", 4, 4, 1, { I, I, I, I }, I },
};

const HostImport *describe_imports(size_t *count)
{
    *count = sizeof imports / sizeof imports[0];
    return imports;
}

/* "spacetime_10.4" -> 10, 4.  False unless the whole name has that form. */
static bool parse_abi(const char *s, size_t len, unsigned *major, unsigned *minor)
{
    static const char prefix[] = "spacetime_";
    size_t at = sizeof prefix - 1;
    if (len <= at || memcmp(s, prefix, at) != 0)
        return false;
    unsigned v[2] = { 0, 0 };
    for (int part = 0; part < 2; part++) {
        size_t start = at;
        while (at < len && s[at] >= '0' && s[at] <= '9' && at - start < 5)
            v[part] = v[part] * 10 + (unsigned)(s[at++] - '0');
        if (at == start || (part == 0 && (at >= len || s[at++] != '.')))
            return false;
    }
    *major = v[0];
    *minor = v[1];
    return at == len;
}

const HostImport *describe_find_import(const char *module, size_t module_len, const char *name,
                                       size_t name_len)
{
    unsigned major, minor;
    if (!parse_abi(module, module_len, &major, &minor) || major != DESCRIBE_ABI_MAJOR)
        return NULL;
    for (size_t i = 0; i < sizeof imports / sizeof imports[0]; i++) {
        const HostImport *h = &imports[i];
        if (h->minor == minor && strlen(h->name) == name_len && memcmp(h->name, name, name_len) == 0)
            return h;
    }
    return NULL;
}

/* ---- imports ----------------------------------------------------------------- */

static bool is_wasi(const WasmName *module)
{
    return module->len >= 4 && memcmp(module->s, "wasi", 4) == 0;
}

/* The first pass: every import module is a spacetime_X.Y (or it is an error). */
static Status check_import_modules(const WasmModule *m, ModError *err)
{
    for (uint32_t i = 0; i < m->nimports; i++) {
        const WasmImport *imp = &m->imports[i];
        unsigned major, minor;
        if (is_wasi(&imp->module))
            return moddef_error(err, ST_LINK,
                                "WASI import \"%.60s::%.60s\": SpacetimeDB modules run without WASI "
                                "(build for wasm32-unknown-unknown)", imp->module.s, imp->name.s);
        if (!parse_abi(imp->module.s, imp->module.len, &major, &minor))
            return moddef_error(err, ST_LINK,
                                "unknown import \"%.60s::%.60s\": the host provides only "
                                "spacetime_10.x functions", imp->module.s, imp->name.s);
    }
    return ST_OK;
}

/* The ABI version from the function imports' module names. */
static Status check_abi_version(const WasmModule *m, uint32_t *minor_out, ModError *err)
{
    bool any = false;
    unsigned major = 0, minor = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const WasmImport *imp = &m->imports[i];
        unsigned ma, mi;
        if (imp->kind != WASM_EXTERN_FUNC || !parse_abi(imp->module.s, imp->module.len, &ma, &mi))
            continue;
        if (any && ma != major)
            return moddef_error(err, ST_LINK, "imports from spacetime_%u.x and spacetime_%u.x: "
                                "one ABI major version is required", major, ma);
        major = ma;
        minor = any && minor > mi ? minor : mi;
        any = true;
    }
    if (!any)
        return moddef_error(err, ST_LINK, "no spacetime_10.x function import: cannot determine the "
                            "module's ABI version (is this a SpacetimeDB module?)");
    if (major != DESCRIBE_ABI_MAJOR || minor > DESCRIBE_ABI_MINOR)
        return moddef_error(err, ST_LINK, "the module needs ABI %u.%u; this host implements "
                            "%d.0 to %d.%d%s", major, minor, DESCRIBE_ABI_MAJOR, DESCRIBE_ABI_MAJOR,
                            DESCRIBE_ABI_MINOR, major == 10 && minor == 5 ?
                            " (10.5 is SpacetimeDB 2.x)" : "");
    if (minor_out)
        *minor_out = minor;
    return ST_OK;
}

static bool same_sig(const WasmFuncType *ft, const uint8_t *params, uint32_t np,
                     const uint8_t *results, uint32_t nr)
{
    if (ft->nparams != np || ft->nresults != nr)
        return false;
    for (uint32_t i = 0; i < np; i++)
        if (WASM_PARAMS(ft)[i] != params[i])
            return false;
    return nr == 0 || WASM_RESULTS(ft)[0] == results[0];
}

Status describe_check_imports(const WasmModule *m, uint32_t *minor, ModError *err)
{
    Status st;
    if ((st = check_import_modules(m, err)) != ST_OK || (st = check_abi_version(m, minor, err)) != ST_OK)
        return st;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const WasmImport *imp = &m->imports[i];
        const HostImport *h = describe_find_import(imp->module.s, imp->module.len, imp->name.s,
                                                   imp->name.len);
        if (!h || imp->kind != WASM_EXTERN_FUNC)
            return moddef_error(err, ST_LINK, "unknown import \"%.60s::%.60s\": not a %s function "
                                "of this host", imp->module.s, imp->name.s, imp->module.s);
        if (!same_sig(wasm_module_func_type(m, imp->index), h->params, h->nparams, &h->result,
                      h->nresults))
            return moddef_error(err, ST_LINK, "import \"%s::%s\" has the wrong type for the host's "
                                "function", imp->module.s, imp->name.s);
    }
    return ST_OK;
}

/* ---- exports ----------------------------------------------------------------- */

typedef struct ExportSpec {
    const char *name;
    bool required;
    uint8_t nparams, nresults;
    uint8_t params[10];
    uint8_t result;
} ExportSpec;

static const ExportSpec exports[] = {
    { "__describe_module__", true, 1, 0, { I }, NONE },
    { "__call_reducer__", true, 10, 1, { I, L, L, L, L, L, L, L, I, I }, I },
    { "__setup__", false, 1, 1, { I }, I },
    { "__call_procedure__", false, 10, 1, { I, L, L, L, L, L, L, L, I, I }, I },
    { "__call_view__", false, 7, 1, { I, L, L, L, L, I, I }, I },
    { "__call_view_anon__", false, 3, 1, { I, I, I }, I },
};

static const WasmExport *find_export(const WasmModule *m, const char *name)
{
    size_t len = strlen(name);
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].name.len == len && memcmp(m->exports[i].name.s, name, len) == 0)
            return &m->exports[i];
    return NULL;
}

static Status check_export(const WasmModule *m, const ExportSpec *spec, ModError *err)
{
    const WasmExport *e = find_export(m, spec->name);
    if (!e)
        return spec->required ? moddef_error(err, ST_LINK, "the module does not export %s",
                                             spec->name) : ST_OK;
    if (e->kind != WASM_EXTERN_FUNC ||
        !same_sig(wasm_module_func_type(m, e->index), spec->params, spec->nparams, &spec->result,
                  spec->nresults))
        return moddef_error(err, ST_LINK, "export %s has the wrong type", spec->name);
    return ST_OK;
}

Status describe_check_exports(const WasmModule *m, ModError *err)
{
    const WasmExport *mem = find_export(m, "memory");
    if (!mem || mem->kind != WASM_EXTERN_MEMORY)
        return moddef_error(err, ST_LINK, "the module does not export its memory as \"memory\"");
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++) {
        Status st = check_export(m, &exports[i], err);
        if (st != ST_OK)
            return st;
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        const WasmExport *e = &m->exports[i];
        if (e->name.len < 11 || memcmp(e->name.s, "__preinit__", 11) != 0)
            continue;
        if (e->kind != WASM_EXTERN_FUNC || !same_sig(wasm_module_func_type(m, e->index), NULL, 0,
                                                     NULL, 0))
            return moddef_error(err, ST_LINK, "export %.80s must be a function () -> ()",
                                e->name.s);
    }
    return ST_OK;
}
