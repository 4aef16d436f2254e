/*
 * status.c - names for the Status codes.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include "status.h"

static const char *const status_names[ST__COUNT] = {
    [ST_OK] = "ok",
    [ST_NOMEM] = "out of memory",
    [ST_MALFORMED] = "malformed input",
    [ST_INVALID] = "invalid input",
    [ST_LINK] = "link error",
    [ST_TRAP] = "trap",
    [ST_NOT_FOUND] = "not found",
    [ST_EXISTS] = "already exists",
    [ST_LIMIT] = "limit exceeded",
    [ST_IO] = "i/o error",
    [ST_ARG] = "bad argument",
    [ST_UNSUPPORTED] = "unsupported",
};

const char *status_str(Status st)
{
    if ((unsigned)st >= ST__COUNT || !status_names[st])
        return "unknown status";
    return status_names[st];
}
