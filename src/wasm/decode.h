/*
 * decode.h - private interface between the decoder's files.
 *
 *   decode.c          header, section loop and order, custom and "name"
 *                     sections, the final cross-section checks, freeing
 *   decode_sections.c the contents of each standard section
 *   decode_code.c     instruction sequences: function bodies, constant
 *                     expressions
 *
 * All three fill one WasmModule (module.h) that is valid to free with
 * wasm_module_free() at every moment: arrays are zeroed when allocated and
 * their counts cover only memory that can be freed.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#ifndef TINYSTDB_WASM_DECODE_H
#define TINYSTDB_WASM_DECODE_H

#include "module.h"
#include "reader.h"

/* Return from the enclosing function when a fallible call fails. */
#define TRY(expr)                                                              \
    do {                                                                       \
        Status try_st_ = (expr);                                               \
        if (try_st_ != ST_OK)                                                  \
            return try_st_;                                                    \
    } while (0)

/* Implementation limit on the locals of one function (params excluded):
 * the spec allows 2^32 - 1, which no real program needs and which would
 * let a few bytes of input demand gigabytes of frame. */
#define DECODE_MAX_LOCALS 50000u

/* State shared by the section decoders while one module is decoded. */
typedef struct Decoder {
    Reader r;
    WasmModule *m;
    bool uses_data_index;  /* some body uses memory.init or data.drop */
    uint32_t customs_cap;  /* capacity of m->customs */
} Decoder;

/* Decode the contents of standard section `id` (1..12, not 0). */
Status decode_section(Decoder *d, uint8_t id);

/* A constant expression, up to and including its final `end`. */
Status decode_const_expr(Reader *r, WasmExpr *out);
/* One entry of the code section: size, locals, body (spec 5.5.13). */
Status decode_code(Reader *r, WasmCode *out, bool *uses_data_index);

void decode_expr_free(WasmExpr *e);

/* The decoder's structural promises about a module, for tests: index
 * spaces imports-first, every expression ending in `end`, br_table label
 * ranges inside their body's label array, data inside the binary.
 * ST_OK or ST_INVALID. */
Status decode_module_check(const WasmModule *m);

#endif
