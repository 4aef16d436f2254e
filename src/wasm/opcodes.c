/*
 * opcodes.c - lookup of the opcode table in opcodes.h.
 *
 * Two dense lookup arrays, one for single-byte opcodes and one for the
 * 0xFC group, are built from the X-macro table at compile time, so a
 * lookup is one index operation.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "opcodes.h"

#include <stddef.h>

static const WasmOpInfo op_table[] = {
#define X(name, code, text, imm, sig) {code, text, imm, sig},
    WASM_OPCODES(X)
#undef X
};

#define OP_TABLE_LEN (sizeof op_table / sizeof op_table[0])

const WasmOpInfo *wasm_op_info(unsigned code)
{
    /* Built on first use: index of each code in op_table, +1 (0 = none). */
    static unsigned short single[256], prefixed[32];
    static int built;
    if (!built) {
        for (size_t i = 0; i < OP_TABLE_LEN; i++) {
            unsigned c = op_table[i].code;
            if (c < 256)
                single[c] = (unsigned short)(i + 1);
            else if ((c & 0xFF00) == 0xFC00 && (c & 0xFF) < 32)
                prefixed[c & 0xFF] = (unsigned short)(i + 1);
        }
        built = 1;
    }
    unsigned short slot = 0;
    if (code < 256)
        slot = single[code];
    else if ((code & 0xFF00) == 0xFC00 && (code & 0xFF) < 32)
        slot = prefixed[code & 0xFF];
    return slot ? &op_table[slot - 1] : NULL;
}

const char *wasm_op_name(unsigned code)
{
    const WasmOpInfo *info = wasm_op_info(code);
    return info ? info->name : "?";
}
