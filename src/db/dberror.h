/*
 * dberror.h - how the storage engine reports errors.
 *
 * Storage functions return a Status (src/util/status.h) and, when the
 * caller passes one, fill a DbError with the SpacetimeDB errno that the
 * module ABI would return for it (module-abi.md section 1.2) and a message
 * naming the cause ("unique constraint violated: index player_identity_idx_btree
 * already has key ...").  The host (src/host/) returns `code` to modules as
 * is, so the mapping lives here, once.
 *
 * Invariant: code == DBE_OK exactly when status == ST_OK.
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_DB_DBERROR_H
#define TINYSTDB_DB_DBERROR_H

#include <stddef.h>

#include "../util/status.h"

/* SpacetimeDB's errno values (crates/primitives/src/errno.rs). */
typedef enum DbErrno {
    DBE_OK = 0,
    DBE_HOST_CALL_FAILURE = 1,
    DBE_NOT_IN_TRANSACTION = 2,
    DBE_BSATN_DECODE_ERROR = 3,
    DBE_NO_SUCH_TABLE = 4,
    DBE_NO_SUCH_INDEX = 5,
    DBE_NO_SUCH_ITER = 6,
    DBE_NO_SUCH_CONSOLE_TIMER = 7,
    DBE_NO_SUCH_BYTES = 8,
    DBE_NO_SPACE = 9,
    DBE_WRONG_INDEX_ALGO = 10,
    DBE_BUFFER_TOO_SMALL = 11,
    DBE_UNIQUE_ALREADY_EXISTS = 12,
    DBE_SCHEDULE_AT_DELAY_TOO_LONG = 13,
    DBE_INDEX_NOT_UNIQUE = 14,
    DBE_NO_SUCH_ROW = 15,
    DBE_AUTO_INC_OVERFLOW = 16,
} DbErrno;

typedef struct DbError {
    Status status;
    DbErrno code;
    char msg[256];
} DbError;

/* Fill err (may be NULL) and return st.  Defined in src/db/dberror.c. */
Status db_error(DbError *err, Status st, DbErrno code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* For the *_check functions: print the broken invariant into msg (when
 * msg is not NULL and msglen > 0) and return ST_INVALID. */
Status db_check_fail(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "UNIQUE_ALREADY_EXISTS" etc.; "UNKNOWN" for other values. */
const char *db_errno_name(DbErrno code);

#endif
