/*
 * exercise.h - what every graded exercise in tests/exercises/ shares.
 *
 * An exercise test is an ordinary cmocka program, built by
 * tools/exercise.sh (not by `make test`) against the student's
 * build/libtinystdb.a.  Its opening comment carries the lines the script
 * prints as a header:
 *
 *     Exercise: 3
 *     Title: Bulk loading
 *     Change: btree_bulk_load() in src/db/btree.c (new)
 *     Book: chapter 10, book/10-btree.md
 *
 * and the file defines EXERCISE_NUMBER and EXERCISE_SEE ("book/10-btree.md,
 * exercise 1") before including this header.
 *
 * A function the student has to write does not exist yet, so the test
 * declares it weak: the program links either way and the pointer is NULL
 * until the function is there.  NEED() turns that into one clear failure
 * instead of a crash or a link error.  CHECK() is an assertion whose
 * message says the exercise is not done and where to read about it, so
 * that a half-done solution fails with a sentence, not a line number.
 *
 * Book: chapter 31, book/31-coursework.md
 */
#ifndef TINYSTDB_TESTS_EXERCISE_H
#define TINYSTDB_TESTS_EXERCISE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define EXERCISE_WEAK __attribute__((weak))

/* Fail unless cond holds, saying what is wrong and where to read. */
#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            print_error("exercise %d not done yet: ", EXERCISE_NUMBER);           \
            print_error(__VA_ARGS__);                                             \
            print_error(" - see %s\n", EXERCISE_SEE);                             \
            fail();                                                               \
        }                                                                         \
    } while (0)

/* Fail cleanly when the function the exercise asks for is not written. */
#define NEED(fn) CHECK((fn) != NULL, "%s() does not exist", #fn)

#endif
