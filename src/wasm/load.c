/*
 * load.c - wasm_module_load: the three stages that turn bytes into a
 * module ready to instantiate.
 *
 *   bytes --decode (chapter 3)--> WasmModule
 *         --validate (chapter 4)--> the same module, known to be well typed
 *         --tree_build_module (chapter 5)--> m->trees, executable
 *
 * Each stage reports its own errors (ST_MALFORMED, ST_INVALID, ...) in the
 * caller's WasmError; on any failure the partial module is freed and *out
 * stays NULL.  Kept apart from decode.c so a program (or test) that only
 * decodes does not link the validator and the interpreter.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "runtime.h"
#include "wasm.h"

Status wasm_module_load(const uint8_t *bytes, size_t len, WasmModule **out, WasmError *err)
{
    *out = NULL;
    WasmModule *m;
    Status st = wasm_module_decode(bytes, len, &m, err);
    if (st != ST_OK)
        return st;
    st = wasm_module_validate(m, err);
    if (st == ST_OK)
        st = tree_build_module(m, err);
    if (st != ST_OK) {
        wasm_module_free(m);
        return st;
    }
    *out = m;
    return ST_OK;
}
