/*
 * interp.h - private to the interpreter (interp*.c): reading and writing
 * cells, the numeric operations that are more than one C operator, and
 * the out-of-line helpers for bulk memory and tables.
 *
 * Cells hold raw bits (wasm.h): an i32 or f32 in the low 32 bits with the
 * high bits zero, an i64 or f64 in all 64.  Floats are moved in and out
 * of cells with memcpy, never by pointer casts, so no aliasing rule is
 * bent; the compiler turns those memcpys into register moves.
 *
 * The float operations follow the spec (4.3.3) where C's library does
 * not: wasm's min/max propagate NaN and order -0 below +0 (C's fmin
 * returns the other operand for a NaN), and nearest rounds half to even
 * (C's round goes away from zero).  A NaN result only has to be *some*
 * NaN, quiet, so `x + y` of a NaN operand is the easy way to make one.
 *
 * These rely on what gcc and clang do on every target we build for:
 * IEEE 754 binary32/64 floats with FLT_EVAL_METHOD 0, two's complement
 * integers where converting an out-of-range unsigned value to a signed
 * type wraps, and `>>` of a negative value shifting in sign bits.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#ifndef TINYSTDB_WASM_INTERP_H
#define TINYSTDB_WASM_INTERP_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "runtime.h"

/* ---- cells <-> floats ------------------------------------------------------- */

static inline float cell_to_f32(WasmCell c)
{
    uint32_t u = (uint32_t)c;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline WasmCell f32_to_cell(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline double cell_to_f64(WasmCell c)
{
    double d;
    memcpy(&d, &c, sizeof d);
    return d;
}

static inline WasmCell f64_to_cell(double d)
{
    WasmCell c;
    memcpy(&c, &d, sizeof c);
    return c;
}

/* ---- float operations (spec 4.3.3) ------------------------------------------ */

#define F32_SIGN 0x80000000u
#define F64_SIGN 0x8000000000000000u

/* min: NaN if either is NaN; of -0 and +0, -0 (the one with the sign). */
static inline WasmCell f32_min(WasmCell a, WasmCell b)
{
    float x = cell_to_f32(a), y = cell_to_f32(b);
    if (isnan(x) || isnan(y))
        return f32_to_cell(x + y);
    if (x == y)   /* equal, or -0 and +0: OR keeps a sign bit */
        return a | b;
    return x < y ? a : b;
}

static inline WasmCell f32_max(WasmCell a, WasmCell b)
{
    float x = cell_to_f32(a), y = cell_to_f32(b);
    if (isnan(x) || isnan(y))
        return f32_to_cell(x + y);
    if (x == y)   /* AND drops a sign bit unless both have it */
        return a & b;
    return x > y ? a : b;
}

static inline WasmCell f64_min(WasmCell a, WasmCell b)
{
    double x = cell_to_f64(a), y = cell_to_f64(b);
    if (isnan(x) || isnan(y))
        return f64_to_cell(x + y);
    if (x == y)
        return a | b;
    return x < y ? a : b;
}

static inline WasmCell f64_max(WasmCell a, WasmCell b)
{
    double x = cell_to_f64(a), y = cell_to_f64(b);
    if (isnan(x) || isnan(y))
        return f64_to_cell(x + y);
    if (x == y)
        return a & b;
    return x > y ? a : b;
}

/* ceil, floor, trunc, nearest and sqrt of a NaN must give a quiet NaN;
 * `x + x` does that on every libm. */
static inline float f32_round(float x, int how)
{
    if (isnan(x))
        return x + x;
    switch (how) {
    case 0: return ceilf(x);
    case 1: return floorf(x);
    case 2: return truncf(x);
    default: return nearbyintf(x);   /* default rounding: half to even */
    }
}

static inline double f64_round(double x, int how)
{
    if (isnan(x))
        return x + x;
    switch (how) {
    case 0: return ceil(x);
    case 1: return floor(x);
    case 2: return trunc(x);
    default: return nearbyint(x);
    }
}

/* ---- saturating float -> int (spec 4.3.3, trunc_sat) -------------------------- */

/* lo and hi are the first values outside the target range, on each side. */
#define SAT_BODY(v, lo, hi, tmin, tmax, T)                                     \
    do {                                                                       \
        if (isnan(v))                                                          \
            return 0;                                                          \
        if (v <= (lo))                                                         \
            return (tmin);                                                     \
        if (v >= (hi))                                                         \
            return (tmax);                                                     \
        return (T)(v);                                                         \
    } while (0)

static inline int32_t sat_i32_f64(double v)
{
    SAT_BODY(v, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX, int32_t);
}

static inline uint32_t sat_u32_f64(double v)
{
    SAT_BODY(v, -1.0, 4294967296.0, 0, UINT32_MAX, uint32_t);
}

static inline int64_t sat_i64_f64(double v)
{
    SAT_BODY(v, -9223372036854777856.0, 9223372036854775808.0, INT64_MIN, INT64_MAX, int64_t);
}

static inline uint64_t sat_u64_f64(double v)
{
    SAT_BODY(v, -1.0, 18446744073709551616.0, 0, UINT64_MAX, uint64_t);
}

/* Zero n cells: a function's declared locals, on every call.  Most
 * functions have a handful, and plain stores beat calling memset (which
 * the compiler would turn a simple loop into). */
static inline void zero_cells(WasmCell *p, uint32_t n)
{
    switch (n) {
    default: memset(p, 0, n * sizeof *p); break;
    case 6: p[5] = 0; /* fall through */
    case 5: p[4] = 0; /* fall through */
    case 4: p[3] = 0; /* fall through */
    case 3: p[2] = 0; /* fall through */
    case 2: p[1] = 0; /* fall through */
    case 1: p[0] = 0; /* fall through */
    case 0: break;
    }
}

/* ---- the dispatch loop (interp.c) and the trap message (interp_entry.c) -- */

/* Run f, whose frame is ready at fp (arguments in, locals zeroed, call
 * record written), until the frame with no caller node returns. */
Status interp_run(WasmStore *s, WasmFuncInst *f, WasmCell *fp);
/* Copy msg into s->trap_msg; returns ST_TRAP. */
Status interp_trap(WasmStore *s, const char *msg);

/* ---- slow paths (interp_memory.c); false means "trap", message given ---- */

/* memory.fill / memory.copy / memory.init / data.drop (spec 4.4.7). */
bool interp_memory_fill(WasmMemInst *mem, uint32_t dst, uint32_t val, uint32_t n);
bool interp_memory_copy(WasmMemInst *mem, uint32_t dst, uint32_t src, uint32_t n);
bool interp_memory_init(WasmInstance *inst, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n);

/* table.grow: the old size, or -1 (as u32) when it cannot grow. */
uint32_t interp_table_grow(WasmTableInst *t, WasmCell init, uint32_t n);
bool interp_table_fill(WasmTableInst *t, uint32_t i, WasmCell val, uint32_t n);
bool interp_table_copy(WasmTableInst *dst, WasmTableInst *src, uint32_t d, uint32_t s, uint32_t n);
bool interp_table_init(WasmInstance *inst, uint32_t table, uint32_t seg, uint32_t d, uint32_t s,
                       uint32_t n);

#endif
