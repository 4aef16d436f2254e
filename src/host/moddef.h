/*
 * moddef.h - a module's definition, as the host understands it.
 *
 * A SpacetimeDB module is a black box of WebAssembly.  Before the host can
 * create a single table it must ask the module what it contains: the
 * module's `__describe_module__` export writes the BSATN of a
 * `RawModuleDef` (module-abi.md §5) into the host's bytes sink.  This
 * header is what the host turns those bytes into:
 *
 *   sink bytes --moddef_decode--> ModuleDef  (decoded, upgraded from V8 if
 *                                             need be, validated, names made)
 *
 *   ModuleDef ─┬─ typespace: every named type (rows, structs, enums)
 *              ├─ tables[]   columns, primary key, indexes, unique
 *              │             constraints, sequences, schedule, access
 *              ├─ reducers[] name, params (a named product), lifecycle;
 *              │             the position is the id __call_reducer__ takes
 *              ├─ types[]    names for typespace entries (RawTypeDefV9)
 *              ├─ misc[]     1.11 extras: column defaults, procedures, views
 *              └─ rls[]      row-level-security SQL strings
 *
 * What a caller may rely on after moddef_decode returned ST_OK (the rules
 * of module-abi.md §5.3, checked in moddef_module.c and moddef_check.c):
 *   - every type reference anywhere resolves; every table's row type is a
 *     product; every column index in the def is in range;
 *   - every index, unique constraint, sequence and schedule has a name:
 *     the module's, or the one the host generates (§5.2), e.g.
 *     `player_identity_idx_btree`, the string 1.x modules pass to
 *     index_id_from_name; all these names and the table names are unique;
 *   - sequences carry their effective bounds (§7.2 defaults applied);
 *   - reducer i has id i; at most one reducer per lifecycle kind; a
 *     scheduled table names an existing reducer that takes its row.
 *
 * Ownership: a ModuleDef owns everything it points to (strings and
 * arrays in its arena, types in its typespace); moddef_free releases it.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#ifndef TINYSTDB_HOST_MODDEF_H
#define TINYSTDB_HOST_MODDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../db/sequence.h"
#include "../db/table.h"
#include "../db/types.h"
#include "../util/arena.h"
#include "../util/status.h"
#include "../util/vec.h"

/* Why a module could not be loaded or described: a Status and one line. */
typedef struct ModError {
    Status status;
    char msg[256];
} ModError;

/* Record an error and return st.  err may be NULL. */
Status moddef_error(ModError *err, Status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A list of column positions (ColList in the def). */
typedef struct ModCols {
    uint16_t *cols;
    uint16_t n;
} ModCols;

typedef struct ModColumn {
    const char *name;           /* the row element's name, or "col_N" if it had none */
    const AlgType *type;        /* as written in the row product (may be a Ref) */
} ModColumn;

typedef struct ModIndex {
    const char *name;           /* what index_id_from_name receives */
    const char *accessor;       /* the module's accessor name, or NULL */
    IndexAlgo algo;             /* RawIndexAlgorithm: BTree, Hash, Direct */
    ModCols cols;               /* Direct: exactly one column */
    bool generated;             /* the name was made by the host (§5.2) */
} ModIndex;

typedef struct ModUnique {
    const char *name;
    ModCols cols;
    bool generated;
} ModUnique;

typedef struct ModSequence {
    const char *name;
    uint16_t col;
    bool has_start, has_min, has_max;   /* what the def said ... */
    I128 start, min, max, increment;    /* ... and the effective values (§7.2) */
    bool generated;
} ModSequence;

typedef struct ModSchedule {
    const char *name;
    const char *reducer;        /* the reducer (1.11: or procedure) it calls */
    uint16_t at_col;            /* the ScheduleAt column */
    bool generated;
} ModSchedule;

typedef enum ModTableType { MOD_TABLE_SYSTEM = 0, MOD_TABLE_USER = 1 } ModTableType;
typedef enum ModAccess { MOD_ACCESS_PUBLIC = 0, MOD_ACCESS_PRIVATE = 1 } ModAccess;

#define MOD_NO_PK (-1)

typedef struct ModTable {
    const char *name;
    uint32_t row_ref;           /* product_type_ref: typespace index of the row */
    const AlgType *row_type;    /* the resolved row product */
    ModColumn *cols;            /* one per element of row_type */
    uint16_t ncols;
    ModCols pk;                 /* the primary key as the def lists it (0 or 1 column) */
    int primary_key;            /* that column, or MOD_NO_PK */
    ModIndex *indexes;
    uint32_t nindexes;
    ModUnique *uniques;
    uint32_t nuniques;
    ModSequence *sequences;
    uint32_t nsequences;
    bool scheduled;
    ModSchedule schedule;       /* when scheduled */
    ModTableType type;
    ModAccess access;
    /* The same table as the storage engine wants it (table_new), built
     * after validation; its arrays live in the def's arena. */
    TableSchema schema;
} ModTable;

/* Lifecycle (sum tag + 1, so that 0 can mean "an ordinary reducer"). */
typedef enum ModLifecycle {
    MOD_LIFECYCLE_NONE = 0,
    MOD_LIFECYCLE_INIT,
    MOD_LIFECYCLE_CLIENT_CONNECTED,
    MOD_LIFECYCLE_CLIENT_DISCONNECTED,
} ModLifecycle;

typedef struct ModReducer {
    const char *name;
    uint32_t id;                /* == its position in ModuleDef.reducers */
    const AlgType *params;      /* a product; every element named */
    ModLifecycle lifecycle;
} ModReducer;

typedef struct ModTypeDef {
    const char **scope;         /* RawScopedTypeNameV9: scope parts ... */
    uint32_t nscope;
    const char *name;           /* ... and the last part */
    uint32_t ref;               /* the typespace entry it names */
    bool custom_ordering;
} ModTypeDef;

/* RawMiscModuleExportV9 (1.11.3; 1.1.x modules send none). */
typedef enum ModMiscKind { MOD_MISC_COLUMN_DEFAULT = 0, MOD_MISC_PROCEDURE, MOD_MISC_VIEW } ModMiscKind;

typedef struct ModMisc {
    ModMiscKind kind;
    const char *name;           /* COLUMN_DEFAULT: the table; else the procedure/view */
    uint16_t col;               /* COLUMN_DEFAULT */
    const uint8_t *value;       /* COLUMN_DEFAULT: BSATN of the value */
    uint32_t value_len;
    const AlgType *params;      /* PROCEDURE, VIEW */
    const AlgType *ret;         /* PROCEDURE, VIEW */
    uint32_t view_index;        /* VIEW */
    bool is_public, is_anonymous; /* VIEW */
} ModMisc;

typedef struct ModuleDef {
    int version;                /* 8 (V8BackCompat, upgraded) or 9 */
    Typespace ts;
    Arena arena;                /* every string and array below */
    ModTable *tables;
    uint32_t ntables;
    ModReducer *reducers;
    uint32_t nreducers;
    ModTypeDef *types;
    uint32_t ntypes;
    ModMisc *misc;
    uint32_t nmisc;
    const char **rls;           /* RawRowLevelSecurityDefV9 sql strings */
    uint32_t nrls;
} ModuleDef;

/* Decode bsatn(RawModuleDef) (the whole buffer), upgrade V8, validate and
 * generate names.  On success the caller owns *out (moddef_free).
 * Errors, each with a one-line message naming the cause and where:
 *   ST_MALFORMED  bytes that do not decode (truncated, bad tag, bad UTF-8,
 *                 trailing bytes), with the byte offset;
 *   ST_INVALID    a rule of §5.3 broken (dangling type ref, row type not a
 *                 product, column out of range, duplicate name, ...);
 *   ST_UNSUPPORTED  RawModuleDef::V10 (SpacetimeDB 2.x);
 *   ST_LIMIT      types nested too deeply;  ST_NOMEM. */
Status moddef_decode(const uint8_t *bytes, size_t len, ModuleDef **out, ModError *err);
void moddef_free(ModuleDef *def);

/* The structural invariants listed above (for tests): ST_OK, or
 * ST_INVALID and a message. */
Status moddef_check(const ModuleDef *def, char *msg, size_t msglen);

/* Lookups by exact name; NULL when absent. */
const ModTable *moddef_find_table(const ModuleDef *def, const char *name);
const ModReducer *moddef_find_reducer(const ModuleDef *def, const char *name);
/* An index by its (possibly generated) name; *table_out (may be NULL)
 * gets its table. */
const ModIndex *moddef_find_index(const ModuleDef *def, const char *name,
                                  const ModTable **table_out);
/* The type def naming typespace entry ref, or NULL. */
const ModTypeDef *moddef_type_name(const ModuleDef *def, uint32_t ref);

/* "init", "client_connected", "client_disconnected", "" for NONE. */
const char *moddef_lifecycle_name(ModLifecycle lc);
/* "btree", "hash", "direct". */
const char *moddef_algo_name(IndexAlgo a);

/* Print the definition: tables (columns with types, primary key, unique
 * constraints, indexes with their names, sequences, schedule, access) and
 * reducers (parameters, lifecycle), then types and RLS.  json: one JSON
 * object instead of text.  Appends to out. */
Status moddef_format(const ModuleDef *def, StrBuf *out, bool json);
/* A type as the describe output shows it: a bare Ref with a type def
 * prints as its name ("Vector3"), everything else as alg_type_format. */
Status moddef_format_type(const ModuleDef *def, const AlgType *t, StrBuf *out);

#endif
