/*
 * dberror.c - filling a DbError; the names of SpacetimeDB's errno values;
 * the message of a failed invariant check.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "dberror.h"

#include <stdarg.h>
#include <stdio.h>

Status db_error(DbError *err, Status st, DbErrno code, const char *fmt, ...)
{
    if (!err)
        return st;
    err->status = st;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

Status db_check_fail(char *msg, size_t msglen, const char *fmt, ...)
{
    if (msg && msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msglen, fmt, ap);
        va_end(ap);
    }
    return ST_INVALID;
}

const char *db_errno_name(DbErrno code)
{
    static const char *const names[] = {
        "OK", "HOST_CALL_FAILURE", "NOT_IN_TRANSACTION", "BSATN_DECODE_ERROR",
        "NO_SUCH_TABLE", "NO_SUCH_INDEX", "NO_SUCH_ITER", "NO_SUCH_CONSOLE_TIMER",
        "NO_SUCH_BYTES", "NO_SPACE", "WRONG_INDEX_ALGO", "BUFFER_TOO_SMALL",
        "UNIQUE_ALREADY_EXISTS", "SCHEDULE_AT_DELAY_TOO_LONG", "INDEX_NOT_UNIQUE",
        "NO_SUCH_ROW", "AUTO_INC_OVERFLOW",
    };
    if ((unsigned)code >= sizeof names / sizeof names[0])
        return "UNKNOWN";
    return names[code];
}
