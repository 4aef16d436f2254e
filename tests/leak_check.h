/*
 * leak_check.h - a cmocka fixture that fails a test which leaves
 * allocations behind: setup records mem_live(), teardown switches off any
 * failure injection the test left on and compares.  Used with
 * cmocka_unit_test_setup_teardown(test, setup, teardown) by the decoder's
 * tests (through decode_util.h) and the module-definition tests.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_TESTS_LEAK_CHECK_H
#define TINYSTDB_TESTS_LEAK_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/alloc.h"

static inline int setup(void **state)
{
    static long live;
    live = mem_live();
    *state = &live;
    return 0;
}

static inline int teardown(void **state)
{
    mem_fail_after(-1);
    long live = *(long *)*state;
    if (mem_live() != live) {
        print_error("leak: %ld allocations not freed\n", mem_live() - live);
        return -1;
    }
    return 0;
}

#endif
