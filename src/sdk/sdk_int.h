/*
 * sdk_int.h - the SDK's insides: the host imports, a BSATN writer and
 * reader, the row codec, and the bits the SDK's files share.
 *
 * The imports are declared exactly as module-abi.md §1.3 lists them for
 * "spacetime_10.0": every pointer and u32 lowers to a wasm i32, u64 to i64.
 * The results are declared as Rust declares them, u16 errno values and
 * i16 for the two calls that may answer -1; clang passes them in an i32
 * and keeps the low 16 bits, exactly as a Rust module does.  wasm-ld only
 * imports what the linked code calls, so a module that never deletes by
 * range does not import the delete functions.
 *
 * Nothing here is for module authors; spacetime.h is the public API.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#ifndef TINYSTDB_SDK_INT_H
#define TINYSTDB_SDK_INT_H

#include "spacetime.h"

/* ---- host imports (module-abi.md §1.3, spacetime_10.0) ------------------ */

/* STDB_IMPORT(result, name, (params)) declares sys_NAME, imported as
 * spacetime_10.0.NAME (the sys_ prefix keeps the names out of the module's way). */
#define STDB_IMPORT(ret, name, params) \
    __attribute__((import_module("spacetime_10.0"), import_name(#name))) ret sys_##name params

STDB_IMPORT(uint16_t, table_id_from_name, (const char *name, uint32_t len, uint32_t *out));
STDB_IMPORT(uint16_t, index_id_from_name, (const char *name, uint32_t len, uint32_t *out));
STDB_IMPORT(uint16_t, datastore_table_row_count, (uint32_t table, uint64_t *out));
STDB_IMPORT(uint16_t, datastore_table_scan_bsatn, (uint32_t table, uint32_t *out));
STDB_IMPORT(uint16_t, datastore_index_scan_range_bsatn,
            (uint32_t index, const uint8_t *prefix, uint32_t prefix_len, uint32_t prefix_elems,
             const uint8_t *rstart, uint32_t rstart_len, const uint8_t *rend, uint32_t rend_len,
             uint32_t *out));
STDB_IMPORT(uint16_t, datastore_delete_by_index_scan_range_bsatn,
            (uint32_t index, const uint8_t *prefix, uint32_t prefix_len, uint32_t prefix_elems,
             const uint8_t *rstart, uint32_t rstart_len, const uint8_t *rend, uint32_t rend_len,
             uint32_t *out));
STDB_IMPORT(uint16_t, datastore_delete_all_by_eq_bsatn,
            (uint32_t table, const uint8_t *rel, uint32_t rel_len, uint32_t *out));
STDB_IMPORT(int16_t, row_iter_bsatn_advance, (uint32_t iter, uint8_t *buf, uint32_t *buf_len));
STDB_IMPORT(uint16_t, row_iter_bsatn_close, (uint32_t iter));
STDB_IMPORT(uint16_t, datastore_insert_bsatn, (uint32_t table, uint8_t *row, uint32_t *row_len));
STDB_IMPORT(uint16_t, datastore_update_bsatn,
            (uint32_t table, uint32_t index, uint8_t *row, uint32_t *row_len));
STDB_IMPORT(int16_t, bytes_source_read, (uint32_t source, uint8_t *buf, uint32_t *buf_len));
STDB_IMPORT(uint16_t, bytes_sink_write, (uint32_t sink, const uint8_t *buf, uint32_t *buf_len));
STDB_IMPORT(void, console_log,
            (uint32_t level, const char *target, uint32_t target_len, const char *file,
             uint32_t file_len, uint32_t line, const char *msg, uint32_t msg_len));
STDB_IMPORT(void, identity, (uint8_t *out));

/* row_iter_bsatn_advance and bytes_source_read return -1 for "that was the last". */
#define STDB_EXHAUSTED (-1)

/* ---- the bump heap and formatting (libc.c, fmt.c) ------------------------- */

/* Forget every allocation: called when a host call into the module starts. */
void heap_reset(void);
/* Grow the allocation p (of old bytes) to n bytes; in place when p is the newest. */
void *heap_realloc(void *p, uint32_t old, uint32_t n);
/* A buffer of at least min bytes (*cap = its size), reusing a spare one. */
uint8_t *heap_buffer_get(uint32_t min, uint32_t *cap);
/* Give a buffer from heap_buffer_get back for reuse (until the next reset). */
void heap_buffer_put(uint8_t *p, uint32_t cap);
/* Append the formatted text to a heap buffer; returns its NUL-terminated start. */
char *fmt_v(uint32_t *len_out, const char *fmt, va_list ap);

/* ---- BSATN writer and reader (bsatn_w.c) ---------------------------------- */

/* A growable byte buffer on the heap. */
typedef struct BsatnW { uint8_t *p; uint32_t len, cap; } BsatnW;
void bsatn_w_init(BsatnW *w, uint32_t cap);
void bsatn_w_bytes(BsatnW *w, const void *src, uint32_t n);
void bsatn_w_u8(BsatnW *w, uint8_t v);
void bsatn_w_u16(BsatnW *w, uint16_t v);
void bsatn_w_u32(BsatnW *w, uint32_t v);
void bsatn_w_u64(BsatnW *w, uint64_t v);
/* The low n (<= 8) bytes of v, little-endian. */
void bsatn_w_le(BsatnW *w, uint64_t v, uint32_t n);
/* A String: u32 length, then the bytes. */
void bsatn_w_str(BsatnW *w, const char *s, uint32_t len);
void bsatn_w_cstr(BsatnW *w, const char *s);

/* A cursor over bytes from the host.  Reading past the end sets ok = false
 * and yields zeros, so callers check ok once at the end. */
typedef struct BsatnR { const uint8_t *p; uint32_t len, pos; bool ok; } BsatnR;
BsatnR bsatn_r_init(const uint8_t *p, uint32_t len);
bool bsatn_r_bytes(BsatnR *r, void *dst, uint32_t n);
uint8_t bsatn_r_u8(BsatnR *r);
uint32_t bsatn_r_u32(BsatnR *r);
/* An n-byte (n <= 8) little-endian unsigned integer. */
uint64_t bsatn_r_le(BsatnR *r, uint32_t n);

/* ---- the row codec (codec.c): C structs <-> BSATN ------------------------- */

/* The value of column c stored at `value` (already offset into its struct). */
void codec_write(BsatnW *w, const StdbColumn *c, const void *value);
bool codec_read(BsatnR *r, const StdbColumn *c, void *value);
/* A product of columns: a row of a table, or a reducer's arguments. */
void codec_write_product(BsatnW *w, const StdbColumn *cols, uint32_t n, const void *base);
bool codec_read_product(BsatnR *r, const StdbColumn *cols, uint32_t n, void *base);
/* True when the value's bytes are all zero (an auto-inc column to generate). */
bool codec_is_zero(const StdbColumn *c, const void *value);

/* ---- definitions (moddef.c) ------------------------------------------------ */

/* Build t->rt (index list, typespace ref) once; every table op calls it. */
void moddef_prepare(StdbTable *t);
/* The index over exactly `cols` in t's definition order, or -1. */
int moddef_find_index(const StdbTable *t, const uint16_t *cols, uint32_t ncols);
/* The host's generated name of index i, "{table}_{cols}_idx_btree" (§5.2). */
char *moddef_index_name(const StdbTable *t, const StdbIndex *ix);

/* Append the BSATN of RawModuleDef::V9 for stdb_module. */
void moddef_describe(BsatnW *w);

#endif
