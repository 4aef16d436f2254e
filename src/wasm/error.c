/*
 * error.c - filling in a WasmError.
 *
 * Every error the engine reports goes through wasm_error(), so every
 * message has the same shape: the spec's wording first ("unexpected end",
 * "type mismatch"), then, after ": ", details for people.  The spectest
 * runner compares only the leading wording.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "wasm.h"

#include <stdarg.h>

Status wasm_error(WasmError *err, Status st, long pos, const char *fmt, ...)
{
    if (!err)
        return st;
    err->status = st;
    err->has_pos = pos >= 0;
    err->pos = pos >= 0 ? (uint32_t)pos : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}
