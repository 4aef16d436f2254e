/*
 * moddef_int.h - what the files of the module-definition decoder share
 * (moddef.c, moddef_read.c, moddef_v8.c, moddef_check.c, moddef_module.c,
 * moddef_names.c, moddef_format.c).  Not for use outside src/host/moddef*.c.
 *
 * ModReader is a cursor over untrusted BSATN.  Every read checks the
 * bytes left first, so a truncated or hostile definition gets an error,
 * never an out-of-bounds read; every count is checked against the bytes
 * left before anything is allocated for it (an element takes at least
 * one byte).  `where` names the object being decoded ("table 2 \"player\"
 * index 0") so that error messages can say where the problem is.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#ifndef TINYSTDB_HOST_MODDEF_INT_H
#define TINYSTDB_HOST_MODDEF_INT_H

#include "moddef.h"

typedef struct ModReader {
    const uint8_t *p;
    size_t len, pos;
    ModuleDef *def;         /* strings and arrays go into def->arena, types into def->ts */
    ModError *err;
    const char *format;     /* "RawModuleDefV9" or "RawModuleDefV8" */
    char where[128];        /* the object being decoded, for messages */
} ModReader;

/* Set r->where (printf-style). */
void moddef_where(ModReader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Primitive reads; `what` names the field in error messages. */
Status moddef_read_u8(ModReader *r, const char *what, uint8_t *out);
Status moddef_read_u16(ModReader *r, const char *what, uint16_t *out);
Status moddef_read_u32(ModReader *r, const char *what, uint32_t *out);
Status moddef_read_bool(ModReader *r, const char *what, bool *out);
Status moddef_read_i128(ModReader *r, const char *what, I128 *out);
/* A sum tag that must be < ntags. */
Status moddef_read_tag(ModReader *r, const char *what, uint8_t ntags, uint8_t *out);
/* An array count; each element needs at least min_bytes more bytes. */
Status moddef_read_count(ModReader *r, const char *what, size_t min_bytes, uint32_t *out);
/* A String as a NUL-terminated copy in the arena (valid UTF-8, no NUL). */
Status moddef_read_string(ModReader *r, const char *what, const char **out);
/* Option<String>: *out NULL for None. */
Status moddef_read_opt_string(ModReader *r, const char *what, const char **out);
/* Option<i128>: *has false for None. */
Status moddef_read_opt_i128(ModReader *r, const char *what, bool *has, I128 *out);
/* ColList = Array<u16>. */
Status moddef_read_cols(ModReader *r, const char *what, ModCols *out);
/* An AlgebraicType (meta-encoding, module-abi.md §4). */
Status moddef_read_type(ModReader *r, const char *what, const AlgType **out);
/* A ProductType: Array<ProductTypeElement> with no AlgebraicType tag. */
Status moddef_read_product(ModReader *r, const char *what, const AlgType **out);
/* A zeroed array of n elements of size bytes in the def's arena; NULL
 * (and ST_NOMEM in r->err) when out of memory. */
void *moddef_alloc(ModReader *r, size_t n, size_t size);

/* The typespace that starts both formats: a count, then that many
 * AlgebraicTypes, added to def->ts in order (moddef_read.c). */
Status moddef_read_typespace(ModReader *r);

/* A count, then that many elements, each read by `one` into a fresh array
 * in the def's arena.  For functions with a `Status st` in scope: any
 * failure returns it. */
#define READ_ARRAY(r, what, minb, arr, n, one)                                       \
    do {                                                                             \
        if ((st = moddef_read_count((r), (what), (minb), &(n))) != ST_OK)            \
            return st;                                                               \
        if (!((arr) = moddef_alloc((r), (n), sizeof *(arr))))                        \
            return ST_NOMEM;                                                         \
        for (uint32_t i_ = 0; i_ < (n); i_++)                                        \
            if ((st = one((r), &(arr)[i_])) != ST_OK)                                \
                return st;                                                           \
    } while (0)

/* The two formats (moddef.c, moddef_v8.c): read the variant's payload. */
Status moddef_decode_v9(ModReader *r);
Status moddef_decode_v8(ModReader *r);

/* moddef_module.c: the rules of §5.3, run after decoding; fills in the
 * columns, generated names, sequence defaults and storage schemas. */
Status moddef_validate(ModuleDef *def, ModError *err);

/* moddef_check.c: one table's rules (after the typespace was checked). */
Status moddef_check_table(ModuleDef *def, ModTable *t, ModError *err);
/* Every Ref inside t resolves; `where` names t in the message. */
Status moddef_check_refs(const ModuleDef *def, const AlgType *t, const char *where, ModError *err);
/* Structural equality after resolving refs (bounded work). */
bool moddef_same_type(const Typespace *ts, const AlgType *a, const AlgType *b);

/* moddef_names.c */
/* §5.3 identifier: non-empty, starts with a letter or '_', continues with
 * letters, digits or '_' (non-ASCII code points are accepted as letters). */
bool moddef_is_identifier(const char *s);
/* §5.2, into the def's arena; NULL when out of memory. */
const char *moddef_index_name(ModuleDef *def, const ModTable *t, IndexAlgo algo, ModCols cols);
const char *moddef_unique_name(ModuleDef *def, const ModTable *t, ModCols cols);
const char *moddef_sequence_name(ModuleDef *def, const ModTable *t, uint16_t col);
const char *moddef_schedule_name(ModuleDef *def, const ModTable *t);
/* arena printf. */
const char *moddef_strf(ModuleDef *def, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
