/*
 * check.h - CHECK, the one-line assertion of the *_check invariant
 * checkers.
 *
 * A checker has the signature `Status foo_check(const Foo *f, char *msg,
 * size_t msglen)`: it returns ST_OK, or ST_INVALID with the first broken
 * rule written into msg.  CHECK(cond, "format", ...) is that rule: when
 * cond does not hold, it writes the reason and returns.  Include this
 * header only in the files that define checkers (the name is short).
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_UTIL_CHECK_H
#define TINYSTDB_UTIL_CHECK_H

#include <stdio.h>

#include "status.h"

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            snprintf(msg, msglen, __VA_ARGS__);                                \
            return ST_INVALID;                                                 \
        }                                                                      \
    } while (0)

#endif
