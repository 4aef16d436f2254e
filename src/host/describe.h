/*
 * describe.h - loading a module far enough to ask for its definition.
 *
 * The steps, from module-abi.md §2.1, each a function here so that the
 * full host (which runs reducers) reuses them with its own imports:
 *
 *   WasmModule --describe_check_imports--> ABI version 10.N, or a load
 *              --describe_check_exports-->  error naming the import/export
 *   --describe_instantiate(bind)--> instance; every spacetime import is
 *              linked to what `bind` supplies (or a trap stub), then the
 *              __preinit__* exports run in bytewise name order
 *   --describe_call_setup / describe_call_describe--> the module writes
 *              bsatn(RawModuleDef) to bytes sink 1 (the caller's sink)
 *   --moddef_decode--> ModuleDef
 *
 * describe_wasm does all of it offline, for `tinystdb describe`: its own
 * bytes_sink_write collects the bytes, its console_log keeps the module's
 * log lines, and every other import traps with "... is not available
 * while describing the module" (a module that touches the database
 * before it has one is broken).
 *
 * Load errors are one line each and name the culprit: an unknown import
 * (`env::foo`), a WASI import, no spacetime import at all (no ABI
 * version), an ABI version this host does not implement, an import or
 * export with the wrong type, a missing `memory` / `__describe_module__` /
 * `__call_reducer__`, a trap in preinit or describe (with the module's
 * panic message when it logged one), a definition that does not decode.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#ifndef TINYSTDB_HOST_DESCRIBE_H
#define TINYSTDB_HOST_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../wasm/wasm.h"
#include "moddef.h"

/* The ABI this host implements: spacetime_10.0 ... spacetime_10.4. */
#define DESCRIBE_ABI_MAJOR 10
#define DESCRIBE_ABI_MINOR 4

/* One function the host offers a module (module-abi.md §1.3). */
typedef struct HostImport {
    const char *name;           /* "bytes_sink_write" */
    uint8_t minor;              /* imported from "spacetime_10.<minor>" */
    uint8_t nparams, nresults;  /* nresults is 0 or 1 */
    uint8_t params[9];          /* WASM_I32 / WASM_I64 */
    uint8_t result;
} HostImport;

/* The host function for module `module` (e.g. "spacetime_10.0"), function
 * `name`, or NULL when the host has none (names may contain NUL bytes). */
const HostImport *describe_find_import(const char *module, size_t module_len, const char *name,
                                       size_t name_len);
/* All of them, for hosts that want to list or pre-create them. */
const HostImport *describe_imports(size_t *count);

/* Check every import of m (§0, §2.1 step 1): only functions from
 * spacetime_10.N modules that the host implements, with the right types;
 * one ABI major; minor <= DESCRIBE_ABI_MINOR.  *minor (may be NULL) gets
 * the module's ABI minor version.  ST_LINK with a message otherwise. */
Status describe_check_imports(const WasmModule *m, uint32_t *minor, ModError *err);
/* Check the exports (§2): memory "memory", __describe_module__ (i32)->(),
 * __call_reducer__, every __preinit__* () -> (), and the optional ones
 * (__setup__, __call_procedure__, __call_view__, __call_view_anon__)
 * with their signatures when present.  ST_LINK with a message. */
Status describe_check_exports(const WasmModule *m, ModError *err);

/* Supply the implementation of one import: set *fn (and *fn_user), or
 * leave *fn NULL to link the trap stub. */
typedef void (*DescribeBindFn)(void *user, const HostImport *imp, WasmHostFn *fn, void **fn_user);

/* Check imports and exports, instantiate m in s linking each import to
 * what bind supplies (bind may be NULL: all stubs), then call every
 * __preinit__* export in ascending bytewise order of its name.  The
 * instance belongs to s.  Errors: ST_LINK (checks), ST_TRAP (start
 * function or a preinit trapped), ST_NOMEM, ... with a message. */
Status describe_instantiate(WasmStore *s, const WasmModule *m, DescribeBindFn bind, void *user,
                            WasmInstance **out, ModError *err);
/* If __setup__ is exported, call __setup__(1): *present says whether it
 * was, *result is its return value (0 = OK; else the message is in the
 * caller's sink).  ST_TRAP if it trapped. */
Status describe_call_setup(WasmStore *s, WasmInstance *inst, bool *present, int32_t *result,
                           ModError *err);
/* Call __describe_module__(1) once; the bytes arrive in the caller's sink. */
Status describe_call_describe(WasmStore *s, WasmInstance *inst, ModError *err);

/* The memory named "memory" of the instance whose code is calling the
 * running host function (what every import's pointers refer to), or NULL. */
WasmMemInst *describe_caller_memory(WasmStore *s);

/* ---- the offline path --------------------------------------------------- */

typedef struct DescribeOptions {
    uint64_t fuel;              /* instructions for preinit + describe (0: 1e9) */
    uint32_t max_pages;         /* linear memory cap in pages (0: 4096 = 256 MiB) */
    size_t max_def_bytes;       /* sink cap (0: 16 MiB) */
    StrBuf *log;                /* module log lines are appended here (may be NULL) */
} DescribeOptions;

/* Load wasm bytes, instantiate with the describe-only imports, preinit,
 * describe, decode and validate.  opt may be NULL (defaults).  On success
 * the caller owns *out (moddef_free).  Every failure is a Status and a
 * one-line message in err. */
Status describe_wasm(const uint8_t *wasm, size_t len, const DescribeOptions *opt,
                     ModuleDef **out, ModError *err);

#endif
