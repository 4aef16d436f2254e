/*
 * types.h - SpacetimeDB's algebraic types (SATS) and the Typespace.
 *
 * Every value the storage engine keeps has a type built from a few
 * constructors: primitives (bool, u8..u256, i8..i256, f32, f64), String,
 * Array(T), Product{e0..en} (a struct or tuple), Sum[v0..vn] (an enum,
 * e.g. Option) and Ref(n), "the n-th type of the Typespace", which is how
 * named and recursive types are written.  Types are trees of AlgType nodes;
 * only Ref edges may form cycles.
 *
 * Ownership: a Typespace owns every node it created (typespace_new_type,
 * alg_type_decode) in its Arena, plus its array of top-level types.  The
 * primitive singletons (alg_prim, alg_unit) are static and owned by nobody.
 * Nothing is ever freed individually; typespace_fini frees everything.
 *
 * Invariants (typespace_check): every non-Ref node is a finite tree;
 * ARRAY has elem; PRODUCT/SUM members have types; a SUM has at most 256
 * variants (its BSATN tag is one byte); refs are checked lazily:
 * alg_resolve returns NULL for a dangling ref or a cycle of bare refs.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#ifndef TINYSTDB_DB_TYPES_H
#define TINYSTDB_DB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/status.h"
#include "../util/vec.h"
#include "dberror.h"

/* Types nested deeper than this are refused by alg_type_decode. */
#define ALG_MAX_DEPTH 64
/* A sum's BSATN tag is one byte. */
#define ALG_MAX_VARIANTS 256

typedef enum AlgKind {   /* numbering = the tags of AlgebraicType's meta-encoding */
    ALG_REF = 0, ALG_SUM, ALG_PRODUCT, ALG_ARRAY, ALG_STRING, ALG_BOOL,
    ALG_I8, ALG_U8, ALG_I16, ALG_U16, ALG_I32, ALG_U32, ALG_I64, ALG_U64,
    ALG_I128, ALG_U128, ALG_I256, ALG_U256, ALG_F32, ALG_F64,
} AlgKind;
#define ALG_KIND_COUNT 20

typedef struct AlgType AlgType;
typedef struct AlgMember { const char *name; /* NULL = unnamed */ const AlgType *type; } AlgMember;
struct AlgType {
    AlgKind kind;
    uint32_t ref;            /* ALG_REF: typespace index */
    const AlgType *elem;     /* ALG_ARRAY */
    AlgMember *members;      /* ALG_PRODUCT elements / ALG_SUM variants */
    uint32_t nmembers;
};

/* A Typespace owns its types (all nodes in its Arena) and the refs among them. */
typedef struct Typespace { Arena arena; const AlgType **types; uint32_t ntypes, cap; } Typespace;

void typespace_init(Typespace *ts);
void typespace_fini(Typespace *ts);
/* Static singletons for the primitives and String; NULL for REF/SUM/PRODUCT/ARRAY. */
const AlgType *alg_prim(AlgKind k);
/* The static empty product `()`, the unit type. */
const AlgType *alg_unit(void);
/* A new node in ts's arena with nmembers zeroed members; NULL when out of memory. */
AlgType *typespace_new_type(Typespace *ts, AlgKind k, uint32_t nmembers);
/* Append t as the next top-level type; *ref_out (may be NULL) gets its index. */
Status typespace_add(Typespace *ts, const AlgType *t, uint32_t *ref_out);
/* Follows refs; NULL if dangling (or a cycle of refs that never reaches a type). */
const AlgType *alg_resolve(const Typespace *ts, const AlgType *t);
/* ST_OK when the invariants above hold; otherwise ST_INVALID and a message. */
Status typespace_check(const Typespace *ts, char *msg, size_t msglen);

/* Meta-encoding (module-abi.md §4): decode one AlgebraicType from BSATN.
 * New nodes go into ts's arena (they are not added as top-level types).
 * Errors: ST_MALFORMED (truncated, bad tag, bad UTF-8 or NUL in a name,
 * more than 256 variants), ST_LIMIT (nesting deeper than ALG_MAX_DEPTH),
 * ST_NOMEM; err gets DBE_BSATN_DECODE_ERROR and a message with the offset. */
Status alg_type_decode(Typespace *ts, const uint8_t *p, size_t len, size_t *used, const AlgType **out, DbError *err);
/* A whole Typespace (u32 count, then the types), appended to ts. */
Status typespace_decode(Typespace *ts, const uint8_t *p, size_t len, size_t *used, DbError *err);
/* The meta-encoding of t, appended to out (the inverse of alg_type_decode). */
Status alg_type_encode(const AlgType *t, StrBuf *out);

typedef enum AlgSpecial { ALG_SPECIAL_NONE, ALG_SPECIAL_IDENTITY, ALG_SPECIAL_CONNECTION_ID,
    ALG_SPECIAL_TIMESTAMP, ALG_SPECIAL_TIME_DURATION, ALG_SPECIAL_SCHEDULE_AT, ALG_SPECIAL_UUID,
    ALG_SPECIAL_OPTION } AlgSpecial;
/* Structural, never through a Ref (§6): t itself must have the exact shape. */
AlgSpecial alg_special(const AlgType *t);
/* "Identity", "Option", ...; "" for ALG_SPECIAL_NONE. */
const char *alg_special_name(AlgSpecial s);
/* "u32", "String", "Array", "Product", ... */
const char *alg_kind_name(AlgKind k);
/* True for the signed integer kinds, i8 to i256. */
bool alg_kind_signed(AlgKind k);
/* "(x: u32, name: String)", "(some: u8 | none: ())", "Array<u8>", "&3" for
 * Ref(3), special types by name ("Identity", "Option<String>"). */
Status alg_type_format(const Typespace *ts, const AlgType *t, StrBuf *out);

#endif
