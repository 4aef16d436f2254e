/*
 * value.h - typed WebAssembly values as people type and read them.
 *
 * The command line writes a value as TYPE:VALUE, the same text in both
 * directions, so the output of one run can be pasted as the input of the
 * next:
 *
 *     i32:-1   i32:0xffffffff   i64:42   f32:1.5   f32:0x3fc00000
 *     f64:-inf f64:nan          funcref:null        externref:7
 *
 * Integers print as signed decimal.  Floats print as their exact bit
 * pattern (lowercase hex, zero-padded to 8 or 16 digits) followed by the
 * shortest %g decimal that reads back to the same bits (whole numbers
 * below 1e17 written out: 100, not 1e+02):
 *
 *     f32:0x3fc00000 (1.5)      f64:0x7ff8000000000000 (nan)
 *
 * (NaNs print as "nan" or "-nan" by their sign bit; the payload is in the
 * hex.)  On input a float is either raw bits ("0x" followed by hex digits
 * only), a decimal or C hex-float number (rounded once, to the type), or
 * one of nan, -nan, inf, -inf (nan is the canonical quiet NaN).
 *
 * Values travel as WasmCell, the engine's 64-bit cell of raw bits (see
 * wasm.h): i32 zero-extended, floats as bit patterns, 0 for a null
 * reference.  An externref's host value N (N >= 1) is the cell N.
 *
 * Book: chapter 8, book/08-cli.md
 */
#ifndef TINYSTDB_CLI_VALUE_H
#define TINYSTDB_CLI_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "../wasm/wasm.h"

/* Room for the longest formatted value, NUL included. */
#define VALUE_TEXT_MAX 64

/* The value type named `name` ("i32", "funcref", ...; len bytes), or 0. */
uint8_t value_type_parse(const char *name, size_t len);
/* "i32", "f64", "funcref", ...; "?" for anything else. */
const char *value_type_name(uint8_t type);

/* Parse `text`.  With a "TYPE:" prefix the prefix gives the type, and
 * when `want` is not 0 it must equal `want`; without a prefix `want`
 * gives the type (want 0 then is an error).  On success *type (may be
 * NULL) and *out are set.  Errors are ST_ARG with a message in err. */
Status value_parse(const char *text, uint8_t want, uint8_t *type, WasmCell *out, WasmError *err);

/* Parse the part after "TYPE:" as a value of `type`. */
Status value_parse_as(uint8_t type, const char *body, WasmCell *out, WasmError *err);

/* Write "TYPE:VALUE" into buf (at most n bytes, always NUL-terminated
 * when n > 0).  Returns the length of the full text, like snprintf. */
int value_format(char *buf, size_t n, uint8_t type, WasmCell v);

/* Write "(i32, f64) -> (i64)" for a function type. */
int value_format_functype(char *buf, size_t n, const WasmFuncType *ft);

#endif
