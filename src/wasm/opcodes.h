/*
 * opcodes.h - the table of every WebAssembly 2.0 instruction (no SIMD).
 *
 * One X-macro row per instruction:
 *
 *     X(ENUM_NAME, code, "text name", IMM_kind, "signature")
 *
 * code      the binary opcode: one byte, or 0xFC00 | sub-opcode for the
 *           0xFC-prefixed group (saturating truncation, bulk memory, tables).
 * IMM_kind  which immediates follow the opcode in the binary (see WasmImm).
 * signature for instructions with a fixed type, "params:results" with one
 *           letter per value: i=i32 I=i64 f=f32 F=f64; "" when the type
 *           depends on immediates or context (the validator handles those).
 *
 * The decoder uses the IMM column, the validator the signature column, the
 * tree builder and the dumper the names.  Keeping one table means adding an
 * instruction starts here (book chapter 3, exercise "add an instruction").
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#ifndef TINYSTDB_WASM_OPCODES_H
#define TINYSTDB_WASM_OPCODES_H

typedef enum WasmImm {
    IMM_NONE,
    IMM_BLOCK,        /* blocktype */
    IMM_LABEL,        /* a = label depth */
    IMM_BR_TABLE,     /* a = first index into WasmCode.labels, b = count without default */
    IMM_FUNC,         /* a = function index */
    IMM_CALL_INDIRECT,/* a = type index, b = table index */
    IMM_LOCAL,        /* a = local index */
    IMM_GLOBAL,       /* a = global index */
    IMM_TABLE,        /* a = table index */
    IMM_MEMARG,       /* a = alignment exponent, b = offset */
    IMM_MEMIDX,       /* a reserved 0x00 byte (memory.size, memory.grow, memory.fill) */
    IMM_I32,          /* c = value, zero-extended from 32 bits */
    IMM_I64,          /* c = value */
    IMM_F32,          /* c = raw bits */
    IMM_F64,          /* c = raw bits */
    IMM_REFTYPE,      /* a = reftype byte (ref.null) */
    IMM_SELECT_T,     /* a = number of types, b = first type byte */
    IMM_DATA_MEM,     /* a = data index, then a reserved 0x00 (memory.init) */
    IMM_DATA,         /* a = data index (data.drop) */
    IMM_MEM_MEM,      /* two reserved 0x00 bytes (memory.copy) */
    IMM_ELEM_TABLE,   /* a = elem index, b = table index (table.init) */
    IMM_ELEM,         /* a = elem index (elem.drop) */
    IMM_TABLE_TABLE,  /* a = destination table, b = source table (table.copy) */
} WasmImm;

#define WASM_OPCODES(X) \
    X(UNREACHABLE, 0x00, "unreachable", IMM_NONE, "") \
    X(NOP, 0x01, "nop", IMM_NONE, "") \
    X(BLOCK, 0x02, "block", IMM_BLOCK, "") \
    X(LOOP, 0x03, "loop", IMM_BLOCK, "") \
    X(IF, 0x04, "if", IMM_BLOCK, "") \
    X(ELSE, 0x05, "else", IMM_NONE, "") \
    X(END, 0x0B, "end", IMM_NONE, "") \
    X(BR, 0x0C, "br", IMM_LABEL, "") \
    X(BR_IF, 0x0D, "br_if", IMM_LABEL, "") \
    X(BR_TABLE, 0x0E, "br_table", IMM_BR_TABLE, "") \
    X(RETURN, 0x0F, "return", IMM_NONE, "") \
    X(CALL, 0x10, "call", IMM_FUNC, "") \
    X(CALL_INDIRECT, 0x11, "call_indirect", IMM_CALL_INDIRECT, "") \
    X(DROP, 0x1A, "drop", IMM_NONE, "") \
    X(SELECT, 0x1B, "select", IMM_NONE, "") \
    X(SELECT_T, 0x1C, "select", IMM_SELECT_T, "") \
    X(LOCAL_GET, 0x20, "local.get", IMM_LOCAL, "") \
    X(LOCAL_SET, 0x21, "local.set", IMM_LOCAL, "") \
    X(LOCAL_TEE, 0x22, "local.tee", IMM_LOCAL, "") \
    X(GLOBAL_GET, 0x23, "global.get", IMM_GLOBAL, "") \
    X(GLOBAL_SET, 0x24, "global.set", IMM_GLOBAL, "") \
    X(TABLE_GET, 0x25, "table.get", IMM_TABLE, "") \
    X(TABLE_SET, 0x26, "table.set", IMM_TABLE, "") \
    X(I32_LOAD, 0x28, "i32.load", IMM_MEMARG, "i:i") \
    X(I64_LOAD, 0x29, "i64.load", IMM_MEMARG, "i:I") \
    X(F32_LOAD, 0x2A, "f32.load", IMM_MEMARG, "i:f") \
    X(F64_LOAD, 0x2B, "f64.load", IMM_MEMARG, "i:F") \
    X(I32_LOAD8_S, 0x2C, "i32.load8_s", IMM_MEMARG, "i:i") \
    X(I32_LOAD8_U, 0x2D, "i32.load8_u", IMM_MEMARG, "i:i") \
    X(I32_LOAD16_S, 0x2E, "i32.load16_s", IMM_MEMARG, "i:i") \
    X(I32_LOAD16_U, 0x2F, "i32.load16_u", IMM_MEMARG, "i:i") \
    X(I64_LOAD8_S, 0x30, "i64.load8_s", IMM_MEMARG, "i:I") \
    X(I64_LOAD8_U, 0x31, "i64.load8_u", IMM_MEMARG, "i:I") \
    X(I64_LOAD16_S, 0x32, "i64.load16_s", IMM_MEMARG, "i:I") \
    X(I64_LOAD16_U, 0x33, "i64.load16_u", IMM_MEMARG, "i:I") \
    X(I64_LOAD32_S, 0x34, "i64.load32_s", IMM_MEMARG, "i:I") \
    X(I64_LOAD32_U, 0x35, "i64.load32_u", IMM_MEMARG, "i:I") \
    X(I32_STORE, 0x36, "i32.store", IMM_MEMARG, "ii:") \
    X(I64_STORE, 0x37, "i64.store", IMM_MEMARG, "iI:") \
    X(F32_STORE, 0x38, "f32.store", IMM_MEMARG, "if:") \
    X(F64_STORE, 0x39, "f64.store", IMM_MEMARG, "iF:") \
    X(I32_STORE8, 0x3A, "i32.store8", IMM_MEMARG, "ii:") \
    X(I32_STORE16, 0x3B, "i32.store16", IMM_MEMARG, "ii:") \
    X(I64_STORE8, 0x3C, "i64.store8", IMM_MEMARG, "iI:") \
    X(I64_STORE16, 0x3D, "i64.store16", IMM_MEMARG, "iI:") \
    X(I64_STORE32, 0x3E, "i64.store32", IMM_MEMARG, "iI:") \
    X(MEMORY_SIZE, 0x3F, "memory.size", IMM_MEMIDX, ":i") \
    X(MEMORY_GROW, 0x40, "memory.grow", IMM_MEMIDX, "i:i") \
    X(I32_CONST, 0x41, "i32.const", IMM_I32, ":i") \
    X(I64_CONST, 0x42, "i64.const", IMM_I64, ":I") \
    X(F32_CONST, 0x43, "f32.const", IMM_F32, ":f") \
    X(F64_CONST, 0x44, "f64.const", IMM_F64, ":F") \
    X(I32_EQZ, 0x45, "i32.eqz", IMM_NONE, "i:i") \
    X(I32_EQ, 0x46, "i32.eq", IMM_NONE, "ii:i") \
    X(I32_NE, 0x47, "i32.ne", IMM_NONE, "ii:i") \
    X(I32_LT_S, 0x48, "i32.lt_s", IMM_NONE, "ii:i") \
    X(I32_LT_U, 0x49, "i32.lt_u", IMM_NONE, "ii:i") \
    X(I32_GT_S, 0x4A, "i32.gt_s", IMM_NONE, "ii:i") \
    X(I32_GT_U, 0x4B, "i32.gt_u", IMM_NONE, "ii:i") \
    X(I32_LE_S, 0x4C, "i32.le_s", IMM_NONE, "ii:i") \
    X(I32_LE_U, 0x4D, "i32.le_u", IMM_NONE, "ii:i") \
    X(I32_GE_S, 0x4E, "i32.ge_s", IMM_NONE, "ii:i") \
    X(I32_GE_U, 0x4F, "i32.ge_u", IMM_NONE, "ii:i") \
    X(I64_EQZ, 0x50, "i64.eqz", IMM_NONE, "I:i") \
    X(I64_EQ, 0x51, "i64.eq", IMM_NONE, "II:i") \
    X(I64_NE, 0x52, "i64.ne", IMM_NONE, "II:i") \
    X(I64_LT_S, 0x53, "i64.lt_s", IMM_NONE, "II:i") \
    X(I64_LT_U, 0x54, "i64.lt_u", IMM_NONE, "II:i") \
    X(I64_GT_S, 0x55, "i64.gt_s", IMM_NONE, "II:i") \
    X(I64_GT_U, 0x56, "i64.gt_u", IMM_NONE, "II:i") \
    X(I64_LE_S, 0x57, "i64.le_s", IMM_NONE, "II:i") \
    X(I64_LE_U, 0x58, "i64.le_u", IMM_NONE, "II:i") \
    X(I64_GE_S, 0x59, "i64.ge_s", IMM_NONE, "II:i") \
    X(I64_GE_U, 0x5A, "i64.ge_u", IMM_NONE, "II:i") \
    X(F32_EQ, 0x5B, "f32.eq", IMM_NONE, "ff:i") \
    X(F32_NE, 0x5C, "f32.ne", IMM_NONE, "ff:i") \
    X(F32_LT, 0x5D, "f32.lt", IMM_NONE, "ff:i") \
    X(F32_GT, 0x5E, "f32.gt", IMM_NONE, "ff:i") \
    X(F32_LE, 0x5F, "f32.le", IMM_NONE, "ff:i") \
    X(F32_GE, 0x60, "f32.ge", IMM_NONE, "ff:i") \
    X(F64_EQ, 0x61, "f64.eq", IMM_NONE, "FF:i") \
    X(F64_NE, 0x62, "f64.ne", IMM_NONE, "FF:i") \
    X(F64_LT, 0x63, "f64.lt", IMM_NONE, "FF:i") \
    X(F64_GT, 0x64, "f64.gt", IMM_NONE, "FF:i") \
    X(F64_LE, 0x65, "f64.le", IMM_NONE, "FF:i") \
    X(F64_GE, 0x66, "f64.ge", IMM_NONE, "FF:i") \
    X(I32_CLZ, 0x67, "i32.clz", IMM_NONE, "i:i") \
    X(I32_CTZ, 0x68, "i32.ctz", IMM_NONE, "i:i") \
    X(I32_POPCNT, 0x69, "i32.popcnt", IMM_NONE, "i:i") \
    X(I32_ADD, 0x6A, "i32.add", IMM_NONE, "ii:i") \
    X(I32_SUB, 0x6B, "i32.sub", IMM_NONE, "ii:i") \
    X(I32_MUL, 0x6C, "i32.mul", IMM_NONE, "ii:i") \
    X(I32_DIV_S, 0x6D, "i32.div_s", IMM_NONE, "ii:i") \
    X(I32_DIV_U, 0x6E, "i32.div_u", IMM_NONE, "ii:i") \
    X(I32_REM_S, 0x6F, "i32.rem_s", IMM_NONE, "ii:i") \
    X(I32_REM_U, 0x70, "i32.rem_u", IMM_NONE, "ii:i") \
    X(I32_AND, 0x71, "i32.and", IMM_NONE, "ii:i") \
    X(I32_OR, 0x72, "i32.or", IMM_NONE, "ii:i") \
    X(I32_XOR, 0x73, "i32.xor", IMM_NONE, "ii:i") \
    X(I32_SHL, 0x74, "i32.shl", IMM_NONE, "ii:i") \
    X(I32_SHR_S, 0x75, "i32.shr_s", IMM_NONE, "ii:i") \
    X(I32_SHR_U, 0x76, "i32.shr_u", IMM_NONE, "ii:i") \
    X(I32_ROTL, 0x77, "i32.rotl", IMM_NONE, "ii:i") \
    X(I32_ROTR, 0x78, "i32.rotr", IMM_NONE, "ii:i") \
    X(I64_CLZ, 0x79, "i64.clz", IMM_NONE, "I:I") \
    X(I64_CTZ, 0x7A, "i64.ctz", IMM_NONE, "I:I") \
    X(I64_POPCNT, 0x7B, "i64.popcnt", IMM_NONE, "I:I") \
    X(I64_ADD, 0x7C, "i64.add", IMM_NONE, "II:I") \
    X(I64_SUB, 0x7D, "i64.sub", IMM_NONE, "II:I") \
    X(I64_MUL, 0x7E, "i64.mul", IMM_NONE, "II:I") \
    X(I64_DIV_S, 0x7F, "i64.div_s", IMM_NONE, "II:I") \
    X(I64_DIV_U, 0x80, "i64.div_u", IMM_NONE, "II:I") \
    X(I64_REM_S, 0x81, "i64.rem_s", IMM_NONE, "II:I") \
    X(I64_REM_U, 0x82, "i64.rem_u", IMM_NONE, "II:I") \
    X(I64_AND, 0x83, "i64.and", IMM_NONE, "II:I") \
    X(I64_OR, 0x84, "i64.or", IMM_NONE, "II:I") \
    X(I64_XOR, 0x85, "i64.xor", IMM_NONE, "II:I") \
    X(I64_SHL, 0x86, "i64.shl", IMM_NONE, "II:I") \
    X(I64_SHR_S, 0x87, "i64.shr_s", IMM_NONE, "II:I") \
    X(I64_SHR_U, 0x88, "i64.shr_u", IMM_NONE, "II:I") \
    X(I64_ROTL, 0x89, "i64.rotl", IMM_NONE, "II:I") \
    X(I64_ROTR, 0x8A, "i64.rotr", IMM_NONE, "II:I") \
    X(F32_ABS, 0x8B, "f32.abs", IMM_NONE, "f:f") \
    X(F32_NEG, 0x8C, "f32.neg", IMM_NONE, "f:f") \
    X(F32_CEIL, 0x8D, "f32.ceil", IMM_NONE, "f:f") \
    X(F32_FLOOR, 0x8E, "f32.floor", IMM_NONE, "f:f") \
    X(F32_TRUNC, 0x8F, "f32.trunc", IMM_NONE, "f:f") \
    X(F32_NEAREST, 0x90, "f32.nearest", IMM_NONE, "f:f") \
    X(F32_SQRT, 0x91, "f32.sqrt", IMM_NONE, "f:f") \
    X(F32_ADD, 0x92, "f32.add", IMM_NONE, "ff:f") \
    X(F32_SUB, 0x93, "f32.sub", IMM_NONE, "ff:f") \
    X(F32_MUL, 0x94, "f32.mul", IMM_NONE, "ff:f") \
    X(F32_DIV, 0x95, "f32.div", IMM_NONE, "ff:f") \
    X(F32_MIN, 0x96, "f32.min", IMM_NONE, "ff:f") \
    X(F32_MAX, 0x97, "f32.max", IMM_NONE, "ff:f") \
    X(F32_COPYSIGN, 0x98, "f32.copysign", IMM_NONE, "ff:f") \
    X(F64_ABS, 0x99, "f64.abs", IMM_NONE, "F:F") \
    X(F64_NEG, 0x9A, "f64.neg", IMM_NONE, "F:F") \
    X(F64_CEIL, 0x9B, "f64.ceil", IMM_NONE, "F:F") \
    X(F64_FLOOR, 0x9C, "f64.floor", IMM_NONE, "F:F") \
    X(F64_TRUNC, 0x9D, "f64.trunc", IMM_NONE, "F:F") \
    X(F64_NEAREST, 0x9E, "f64.nearest", IMM_NONE, "F:F") \
    X(F64_SQRT, 0x9F, "f64.sqrt", IMM_NONE, "F:F") \
    X(F64_ADD, 0xA0, "f64.add", IMM_NONE, "FF:F") \
    X(F64_SUB, 0xA1, "f64.sub", IMM_NONE, "FF:F") \
    X(F64_MUL, 0xA2, "f64.mul", IMM_NONE, "FF:F") \
    X(F64_DIV, 0xA3, "f64.div", IMM_NONE, "FF:F") \
    X(F64_MIN, 0xA4, "f64.min", IMM_NONE, "FF:F") \
    X(F64_MAX, 0xA5, "f64.max", IMM_NONE, "FF:F") \
    X(F64_COPYSIGN, 0xA6, "f64.copysign", IMM_NONE, "FF:F") \
    X(I32_WRAP_I64, 0xA7, "i32.wrap_i64", IMM_NONE, "I:i") \
    X(I32_TRUNC_F32_S, 0xA8, "i32.trunc_f32_s", IMM_NONE, "f:i") \
    X(I32_TRUNC_F32_U, 0xA9, "i32.trunc_f32_u", IMM_NONE, "f:i") \
    X(I32_TRUNC_F64_S, 0xAA, "i32.trunc_f64_s", IMM_NONE, "F:i") \
    X(I32_TRUNC_F64_U, 0xAB, "i32.trunc_f64_u", IMM_NONE, "F:i") \
    X(I64_EXTEND_I32_S, 0xAC, "i64.extend_i32_s", IMM_NONE, "i:I") \
    X(I64_EXTEND_I32_U, 0xAD, "i64.extend_i32_u", IMM_NONE, "i:I") \
    X(I64_TRUNC_F32_S, 0xAE, "i64.trunc_f32_s", IMM_NONE, "f:I") \
    X(I64_TRUNC_F32_U, 0xAF, "i64.trunc_f32_u", IMM_NONE, "f:I") \
    X(I64_TRUNC_F64_S, 0xB0, "i64.trunc_f64_s", IMM_NONE, "F:I") \
    X(I64_TRUNC_F64_U, 0xB1, "i64.trunc_f64_u", IMM_NONE, "F:I") \
    X(F32_CONVERT_I32_S, 0xB2, "f32.convert_i32_s", IMM_NONE, "i:f") \
    X(F32_CONVERT_I32_U, 0xB3, "f32.convert_i32_u", IMM_NONE, "i:f") \
    X(F32_CONVERT_I64_S, 0xB4, "f32.convert_i64_s", IMM_NONE, "I:f") \
    X(F32_CONVERT_I64_U, 0xB5, "f32.convert_i64_u", IMM_NONE, "I:f") \
    X(F32_DEMOTE_F64, 0xB6, "f32.demote_f64", IMM_NONE, "F:f") \
    X(F64_CONVERT_I32_S, 0xB7, "f64.convert_i32_s", IMM_NONE, "i:F") \
    X(F64_CONVERT_I32_U, 0xB8, "f64.convert_i32_u", IMM_NONE, "i:F") \
    X(F64_CONVERT_I64_S, 0xB9, "f64.convert_i64_s", IMM_NONE, "I:F") \
    X(F64_CONVERT_I64_U, 0xBA, "f64.convert_i64_u", IMM_NONE, "I:F") \
    X(F64_PROMOTE_F32, 0xBB, "f64.promote_f32", IMM_NONE, "f:F") \
    X(I32_REINTERPRET_F32, 0xBC, "i32.reinterpret_f32", IMM_NONE, "f:i") \
    X(I64_REINTERPRET_F64, 0xBD, "i64.reinterpret_f64", IMM_NONE, "F:I") \
    X(F32_REINTERPRET_I32, 0xBE, "f32.reinterpret_i32", IMM_NONE, "i:f") \
    X(F64_REINTERPRET_I64, 0xBF, "f64.reinterpret_i64", IMM_NONE, "I:F") \
    X(I32_EXTEND8_S, 0xC0, "i32.extend8_s", IMM_NONE, "i:i") \
    X(I32_EXTEND16_S, 0xC1, "i32.extend16_s", IMM_NONE, "i:i") \
    X(I64_EXTEND8_S, 0xC2, "i64.extend8_s", IMM_NONE, "I:I") \
    X(I64_EXTEND16_S, 0xC3, "i64.extend16_s", IMM_NONE, "I:I") \
    X(I64_EXTEND32_S, 0xC4, "i64.extend32_s", IMM_NONE, "I:I") \
    X(REF_NULL, 0xD0, "ref.null", IMM_REFTYPE, "") \
    X(REF_IS_NULL, 0xD1, "ref.is_null", IMM_NONE, "") \
    X(REF_FUNC, 0xD2, "ref.func", IMM_FUNC, "") \
    X(I32_TRUNC_SAT_F32_S, 0xFC00, "i32.trunc_sat_f32_s", IMM_NONE, "f:i") \
    X(I32_TRUNC_SAT_F32_U, 0xFC01, "i32.trunc_sat_f32_u", IMM_NONE, "f:i") \
    X(I32_TRUNC_SAT_F64_S, 0xFC02, "i32.trunc_sat_f64_s", IMM_NONE, "F:i") \
    X(I32_TRUNC_SAT_F64_U, 0xFC03, "i32.trunc_sat_f64_u", IMM_NONE, "F:i") \
    X(I64_TRUNC_SAT_F32_S, 0xFC04, "i64.trunc_sat_f32_s", IMM_NONE, "f:I") \
    X(I64_TRUNC_SAT_F32_U, 0xFC05, "i64.trunc_sat_f32_u", IMM_NONE, "f:I") \
    X(I64_TRUNC_SAT_F64_S, 0xFC06, "i64.trunc_sat_f64_s", IMM_NONE, "F:I") \
    X(I64_TRUNC_SAT_F64_U, 0xFC07, "i64.trunc_sat_f64_u", IMM_NONE, "F:I") \
    X(MEMORY_INIT, 0xFC08, "memory.init", IMM_DATA_MEM, "iii:") \
    X(DATA_DROP, 0xFC09, "data.drop", IMM_DATA, ":") \
    X(MEMORY_COPY, 0xFC0A, "memory.copy", IMM_MEM_MEM, "iii:") \
    X(MEMORY_FILL, 0xFC0B, "memory.fill", IMM_MEMIDX, "iii:") \
    X(TABLE_INIT, 0xFC0C, "table.init", IMM_ELEM_TABLE, "iii:") \
    X(ELEM_DROP, 0xFC0D, "elem.drop", IMM_ELEM, ":") \
    X(TABLE_COPY, 0xFC0E, "table.copy", IMM_TABLE_TABLE, "iii:") \
    X(TABLE_GROW, 0xFC0F, "table.grow", IMM_TABLE, "") \
    X(TABLE_SIZE, 0xFC10, "table.size", IMM_TABLE, ":i") \
    X(TABLE_FILL, 0xFC11, "table.fill", IMM_TABLE, "")

typedef enum WasmOp {
#define X(name, code, text, imm, sig) OP_##name = code,
    WASM_OPCODES(X)
#undef X
} WasmOp;

/* Static facts about one opcode; NULL from wasm_op_info for an unknown code. */
typedef struct WasmOpInfo {
    unsigned code;
    const char *name;
    WasmImm imm;
    const char *sig;
} WasmOpInfo;

const WasmOpInfo *wasm_op_info(unsigned code);
const char *wasm_op_name(unsigned code);   /* "?" when unknown */

#endif
