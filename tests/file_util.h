/*
 * file_util.h - scratch directories and whole files, for the tests.
 *
 * Tests that write commit logs, snapshots and data directories need the
 * same four things: a fresh directory under /tmp, its removal, a file
 * read whole, a file written whole.  Memory comes from mem_alloc (the
 * leak checks count it), so free what file_read_all returns with
 * mem_free.  Include after <cmocka.h>.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_TESTS_FILE_UTIL_H
#define TINYSTDB_TESTS_FILE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/fs.h"
#include "util/vec.h"

/* A new empty directory /tmp/tinystdb-PREFIX-XXXXXX (mem_strdup'd). */
static inline char *test_make_dir(const char *prefix)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/tinystdb-%s-XXXXXX", prefix);
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    d = mem_strdup(d);
    assert_non_null(d);
    return d;
}

/* Remove dir and everything below it; free the name. */
static inline void test_remove_dir(char *dir)
{
    fs_remove_tree(dir);
    mem_free(dir);
}

/* The whole file at path, NUL-terminated one past *len (so text files
 * are C strings); NULL when it cannot be opened. */
static inline void *file_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    StrBuf sb;
    strbuf_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        assert_int_equal(strbuf_append(&sb, buf, n), ST_OK);
    fclose(f);
    *len = sb.len;
    return sb.data ? sb.data : mem_strdup("");
}

/* Replace the file at path with b[0..n). */
static inline void file_write_all(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

#endif
