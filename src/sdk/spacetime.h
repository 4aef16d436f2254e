/*
 * spacetime.h - the C module SDK: everything a module written in C includes.
 *
 * A SpacetimeDB module is a WebAssembly program that declares tables and
 * reducers (transactions the clients may call).  The host loads it, asks it
 * to describe itself (`__describe_module__`, which answers with the bytes of
 * a RawModuleDefV9), creates the tables, and from then on calls one export,
 * `__call_reducer__`, once per transaction.  The module touches its tables
 * only through the host's imports (module "spacetime_10.0").  This SDK hides
 * both directions behind a small C API, and speaks the same imports and the
 * same definition bytes as a module built with the Rust crate 1.1.2, so a
 * module written with it would also load on SpacetimeDB itself.
 *
 * The shape of a module (see examples/quickstart-chat/quickstart_chat.c):
 *
 *   typedef struct User { StdbIdentity identity; StdbOptStr name; bool online; } User;
 *   static const StdbColumn user_columns[] = {
 *       STDB_COLUMN(User, identity, STDB_IDENTITY, STDB_PRIMARY_KEY), ... };
 *   static StdbTable user_table = { .name = "user", STDB_ROWS(User, user_columns) };
 *   static StdbResult set_name(StdbCtx *ctx, const void *args) { ... }
 *   static const StdbReducer reducers[] = { { .name = "set_name", .fn = set_name, ... } };
 *   static StdbTable *const tables[] = { &user_table };
 *   STDB_MODULE(tables, reducers);
 *
 * Declarations are plain data: a row is a C struct, a table lists its
 * columns as (name, type, flags, offsetof) and the SDK turns rows into BSATN
 * and back by walking that list.  Reducer arguments are the same: a C
 * struct described by a column list, decoded from the call's argument bytes
 * before the reducer runs.  Nothing registers itself at run time, so the
 * definition the host sees is exactly the order of these arrays: table i is
 * typespace entry i, reducer i is reducer id i.
 *
 * Memory: there is no libc and no free().  Everything the SDK allocates
 * (decoded strings, buffers, stdb_fmt results) comes from a bump heap that
 * is emptied when the next reducer call starts.  So a row read in a reducer
 * is valid until that reducer returns, and never longer.
 *
 * Errors: operations the host may legitimately refuse (insert, update)
 * return the host's errno (0 = success) for the reducer to turn into an
 * Err; failures that mean the module itself is broken (an unknown table, a
 * column without an index) panic like Rust's `.unwrap()`: a log line at
 * level Panic and a wasm trap, so the host rolls the transaction back.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#ifndef TINYSTDB_SPACETIME_H
#define TINYSTDB_SPACETIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- values: the C shape of each column type --------------------------- */

/* A String: UTF-8 bytes, not NUL-terminated in general (those the SDK
 * decodes are, for convenience: ptr[len] == 0). */
typedef struct StdbStr { const char *ptr; uint32_t len; } StdbStr;
/* A u256, as 32 little-endian bytes (printed big-endian: stdb_identity_hex). */
typedef struct StdbIdentity { uint8_t bytes[32]; } StdbIdentity;
/* A u128, as 16 little-endian bytes; all zero means "no connection". */
typedef struct StdbConnectionId { uint8_t bytes[16]; } StdbConnectionId;
typedef struct StdbTimestamp { int64_t micros; } StdbTimestamp;   /* since 1970-01-01 UTC */
typedef struct StdbDuration { int64_t micros; } StdbDuration;
/* ScheduleAt: tag STDB_AT_INTERVAL (repeat every `micros`) or STDB_AT_TIME
 * (once, at the absolute time `micros`). */
typedef struct StdbScheduleAt { uint8_t tag; int64_t micros; } StdbScheduleAt;
enum { STDB_AT_INTERVAL = 0, STDB_AT_TIME = 1 };
/* Option<T> is a struct { bool some; T value; } (the SDK computes where
 * `value` sits from T's alignment, exactly as the compiler does). */
#define STDB_OPTION_OF(T) struct { bool some; T value; }
typedef STDB_OPTION_OF(StdbStr) StdbOptStr;

/* Column and parameter types.  OR a base type with STDB_OPTION for Option<T>. */
typedef enum StdbType {
    STDB_BOOL = 1, STDB_U8, STDB_U16, STDB_U32, STDB_U64, STDB_I8, STDB_I16, STDB_I32,
    STDB_I64, STDB_F32, STDB_F64, STDB_STRING, STDB_IDENTITY, STDB_CONNECTION_ID,
    STDB_TIMESTAMP, STDB_TIME_DURATION, STDB_SCHEDULE_AT,
    STDB_ROW,              /* a whole row of another table (scheduled reducers' argument) */
    STDB_OPTION = 0x80,    /* flag: Option<base type> */
} StdbType;

/* ---- declarations ------------------------------------------------------- */

/* Column flags. */
enum {
    STDB_PRIMARY_KEY = 1,  /* the table's primary key (implies STDB_UNIQUE) */
    STDB_UNIQUE = 2,       /* a unique constraint, backed by a btree index */
    STDB_AUTO_INC = 4,     /* a sequence: inserting 0 stores the next value */
    STDB_INDEXED = 8,      /* a single-column btree index */
};

struct StdbTable;
/* One column of a table, or one parameter of a reducer. */
typedef struct StdbColumn {
    const char *name;
    uint8_t type;               /* a StdbType, maybe | STDB_OPTION */
    uint8_t flags;              /* STDB_PRIMARY_KEY ... (0 for parameters) */
    uint16_t offset;            /* offsetof(the C struct, field) */
    struct StdbTable *row;      /* STDB_ROW only: which table's row */
} StdbColumn;

#define STDB_COLUMN(Row, field, type, flags) { #field, (type), (flags), offsetof(Row, field), NULL }
#define STDB_PARAM(Args, field, type) STDB_COLUMN(Args, field, type, 0)
/* The single parameter of a scheduled reducer: the row of its table. */
#define STDB_ROW_PARAM(name, table) { (name), STDB_ROW, 0, 0, &(table) }
#define STDB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A btree index over up to STDB_MAX_INDEX_COLS columns (in key order). */
#define STDB_MAX_INDEX_COLS 4
typedef struct StdbIndex {
    const char *accessor;       /* how the module names it: stdb_index_filter(t, accessor, ...) */
    uint8_t ncols;
    uint16_t cols[STDB_MAX_INDEX_COLS];
    /* filled in by the SDK: the host's id, looked up once per instance */
    bool have_id;
    uint32_t id;
} StdbIndex;

/* The indexes a table may have in all (declared + per-column + unique). */
#define STDB_MAX_INDEXES 8
typedef struct StdbTable {
    const char *name;           /* the table's name in the database */
    const char *type_name;      /* the row type's name ("User") */
    uint32_t row_size;          /* sizeof(Row) */
    const StdbColumn *columns;
    uint16_t ncolumns;
    const StdbIndex *indexes;   /* multi-column (or explicitly named) btree indexes */
    uint16_t nindexes;
    bool is_public;             /* clients may subscribe to it */
    const char *scheduled;      /* a scheduled table: the reducer to call, else NULL */
    uint16_t scheduled_at;      /* ... and its STDB_SCHEDULE_AT column */
    struct {                    /* filled in by the SDK; zero in declarations */
        bool ready, have_id;
        uint32_t id;            /* the host's table id */
        uint32_t type_ref;      /* the row type's typespace index */
        uint8_t nidx;
        StdbIndex idx[STDB_MAX_INDEXES];   /* every index, in definition order */
    } rt;
} StdbTable;

#define STDB_ROWS(Row, cols) .type_name = #Row, .row_size = sizeof(Row), \
    .columns = (cols), .ncolumns = STDB_COUNT(cols)
#define STDB_INDEXES(list) .indexes = (list), .nindexes = STDB_COUNT(list)

/* What a reducer knows about its call. */
typedef struct StdbCtx {
    StdbIdentity sender;              /* the caller (the database itself for scheduled calls) */
    StdbConnectionId connection_id;   /* all zero when there is none */
    bool has_connection_id;
    StdbTimestamp timestamp;          /* when the call was made */
} StdbCtx;

/* A reducer returns STDB_OK, or an error message: the transaction is then
 * rolled back and the caller sees the message. */
typedef const char *StdbResult;
#define STDB_OK ((StdbResult)0)
typedef StdbResult (*StdbReducerFn)(StdbCtx *ctx, const void *args);

typedef enum StdbLifecycle {
    STDB_REDUCER = 0,            /* an ordinary reducer */
    STDB_INIT,                   /* once, when the database is created */
    STDB_CLIENT_CONNECTED,       /* a client connects (an Err refuses it) */
    STDB_CLIENT_DISCONNECTED,    /* a client went away */
} StdbLifecycle;

typedef struct StdbReducer {
    const char *name;
    StdbReducerFn fn;
    const StdbColumn *params;    /* the fields of the args struct, in wire order */
    uint16_t nparams;
    uint32_t args_size;          /* sizeof(the args struct) */
    StdbLifecycle lifecycle;
} StdbReducer;

#define STDB_PARAMS(Args, list) .params = (list), .nparams = STDB_COUNT(list), \
    .args_size = sizeof(Args)

typedef struct StdbModule {
    StdbTable *const *tables;
    uint32_t ntables;
    const StdbReducer *reducers;
    uint32_t nreducers;
    const char *const *rls;     /* row-level security: `SELECT * FROM t WHERE ... :sender ...` */
    uint32_t nrls;
} StdbModule;

/* Every module defines exactly one, with STDB_MODULE(tables, reducers), or
 * STDB_MODULE_RLS(tables, reducers, filters) to add row-level security
 * filters (client_visibility_filter: what each non-owner may see). */
extern const StdbModule stdb_module;
#define STDB_MODULE(tables, reducers) \
    const StdbModule stdb_module = { (tables), STDB_COUNT(tables), (reducers), STDB_COUNT(reducers), \
                                     NULL, 0 }
#define STDB_MODULE_RLS(tables, reducers, filters) \
    const StdbModule stdb_module = { (tables), STDB_COUNT(tables), (reducers), STDB_COUNT(reducers), \
                                     (filters), STDB_COUNT(filters) }

/* ---- table operations ---------------------------------------------------- */

/* The host's errno values a module can see (module-abi.md §1.2). */
typedef enum StdbErrno {
    STDB_ERRNO_OK = 0, STDB_ERRNO_HOST_CALL_FAILURE = 1, STDB_ERRNO_NOT_IN_TRANSACTION = 2,
    STDB_ERRNO_BSATN_DECODE_ERROR = 3, STDB_ERRNO_NO_SUCH_TABLE = 4, STDB_ERRNO_NO_SUCH_INDEX = 5,
    STDB_ERRNO_NO_SUCH_ITER = 6, STDB_ERRNO_NO_SUCH_CONSOLE_TIMER = 7, STDB_ERRNO_NO_SUCH_BYTES = 8,
    STDB_ERRNO_NO_SPACE = 9, STDB_ERRNO_BUFFER_TOO_SMALL = 11, STDB_ERRNO_UNIQUE_ALREADY_EXISTS = 12,
    STDB_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG = 13, STDB_ERRNO_INDEX_NOT_UNIQUE = 14,
    STDB_ERRNO_NO_SUCH_ROW = 15,
} StdbErrno;

/* One end of a range.  The kinds are the tags of BSATN's Bound<T>. */
typedef struct StdbBound { uint8_t kind; const void *value; } StdbBound;
enum { STDB_BOUND_INCLUDED = 0, STDB_BOUND_EXCLUDED = 1, STDB_BOUND_UNBOUNDED = 2 };
#define STDB_INCL(p) ((StdbBound){ STDB_BOUND_INCLUDED, (p) })
#define STDB_EXCL(p) ((StdbBound){ STDB_BOUND_EXCLUDED, (p) })
#define STDB_UNBOUNDED ((StdbBound){ STDB_BOUND_UNBOUNDED, NULL })

/* Rows coming back from the host, a buffer at a time. */
typedef struct StdbIter {
    StdbTable *table;
    uint32_t handle;             /* the host's RowIter; 0 once the host has sent the last rows */
    uint8_t *buf;
    uint32_t cap, len, pos;      /* buf holds len bytes of whole rows; pos = next row */
} StdbIter;

/* Insert *row.  Auto-inc columns holding 0 get their generated values
 * written back into *row.  0, or STDB_ERRNO_UNIQUE_ALREADY_EXISTS, or
 * STDB_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG. */
StdbErrno stdb_insert(StdbTable *t, void *row);
/* Delete the row equal to *row; returns how many were deleted (0 or 1). */
uint32_t stdb_delete(StdbTable *t, const void *row);
/* Find the row whose unique column `col` equals *key; false if none. */
bool stdb_find(StdbTable *t, uint16_t col, const void *key, void *row_out);
/* Replace the row with the same value in unique column `col` by *row.
 * 0, STDB_ERRNO_NO_SUCH_ROW, or STDB_ERRNO_UNIQUE_ALREADY_EXISTS. */
StdbErrno stdb_update(StdbTable *t, uint16_t col, void *row);
/* Delete the row whose unique column `col` equals *key; returns 0 or 1. */
uint32_t stdb_delete_by(StdbTable *t, uint16_t col, const void *key);
/* Every row. */
StdbIter stdb_scan(StdbTable *t);
/* Rows whose column `col` (which has a btree index) lies between lo and hi. */
StdbIter stdb_filter(StdbTable *t, uint16_t col, StdbBound lo, StdbBound hi);
uint32_t stdb_delete_range(StdbTable *t, uint16_t col, StdbBound lo, StdbBound hi);
/* The same through a declared multi-column index: the first nprefix key
 * columns equal *prefix[0..nprefix), the next one lies between lo and hi. */
StdbIter stdb_index_filter(StdbTable *t, const char *index, const void *const *prefix,
                           uint32_t nprefix, StdbBound lo, StdbBound hi);
uint32_t stdb_index_delete(StdbTable *t, const char *index, const void *const *prefix,
                           uint32_t nprefix, StdbBound lo, StdbBound hi);
/* Decode the next row into *row_out; false when there are no more. */
bool stdb_next(StdbIter *it, void *row_out);
/* Only needed when a loop stops before stdb_next returned false. */
void stdb_iter_close(StdbIter *it);
uint64_t stdb_count(StdbTable *t);

/* ---- logging, errors, helpers ------------------------------------------------- */

typedef enum StdbLogLevel {
    STDB_LOG_ERROR = 0, STDB_LOG_WARN = 1, STDB_LOG_INFO = 2, STDB_LOG_DEBUG = 3,
    STDB_LOG_TRACE = 4, STDB_LOG_PANIC = 101,
} StdbLogLevel;

/* printf-style, with %d %i %u %x %X %c %s %p %% (lengths hh h l ll z; a
 * width, the '-' and '0' flags, and a precision for %s as in "%.*s"). */
void stdb_log_at(StdbLogLevel level, const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define stdb_log_error(...) stdb_log_at(STDB_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define stdb_log_warn(...) stdb_log_at(STDB_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define stdb_log_info(...) stdb_log_at(STDB_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define stdb_log_debug(...) stdb_log_at(STDB_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

/* Log at level Panic and trap: the host rolls the transaction back. */
_Noreturn void stdb_panic_at(const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define stdb_panic(...) stdb_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* A formatted string on the heap (valid until the reducer returns); the
 * natural way to build an Err: return stdb_fmt("no account %s", name). */
char *stdb_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *stdb_vfmt(const char *fmt, va_list ap);

StdbStr stdb_str(const char *s);
bool stdb_str_eq(StdbStr a, StdbStr b);
bool stdb_identity_eq(const StdbIdentity *a, const StdbIdentity *b);
/* 64 hex digits, most significant first, as SpacetimeDB prints identities. */
const char *stdb_identity_hex(const StdbIdentity *id);
/* The database's own identity (the sender of scheduled calls). */
StdbIdentity stdb_module_identity(void);

/* The bump heap: zeroed memory, valid until the next reducer call. */
void *stdb_alloc(size_t n);

/* The few libc functions the SDK provides (clang also emits memcpy/memset
 * calls for struct copies, so they must exist). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
