/*
 * test_bookcheck.c - proves every check of tools/bookcheck can fail.
 *
 * Each case runs the built checker on a tiny tree under tests/bookcheck/
 * (a ROOT with its own book/ and src/) and compares the exit status and
 * the problem lines.  good/ exercises every extraction rule and must pass;
 * each bad-* tree breaks one rule.  The checker is found beside this test
 * binary (BUILD/tests/test_bookcheck -> BUILD/bookcheck), so the test works
 * for any BUILD directory; run it from the repository root, as make test
 * does.  The cases are skipped when the checker has not been built.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"

static char checker[4096];   /* path of the bookcheck binary */

typedef struct Run {
    int status;              /* exit status, -1 if it did not exit */
    char out[8192];          /* everything it printed */
} Run;

static void run(Run *r, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", checker, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(r->out, 1, sizeof r->out - 1, p);
    r->out[n] = '\0';
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Skips the calling test when there is nothing to run. */
static void need_checker(void)
{
    if (access(checker, X_OK) != 0 || access("tests/bookcheck/good", F_OK) != 0) {
        fprintf(stderr, "skipping: needs %s (make %s) and the repository root as cwd\n",
                checker, checker);
        skip();
    }
}

/* Runs the checker on tests/bookcheck/<name>; expects `status`, the
 * summary line and every line of `expect` (NULL-terminated) in the output. */
static void expect_case(const char *name, int status, const char *summary,
                        const char *const *expect)
{
    Run r;
    char args[256];
    need_checker();
    snprintf(args, sizeof args, "tests/bookcheck/%s", name);
    run(&r, args);
    if (r.status != status || !strstr(r.out, summary))
        print_error("bookcheck %s printed:\n%s", name, r.out);
    assert_int_equal(r.status, status);
    assert_non_null(strstr(r.out, summary));
    for (; *expect; expect++) {
        if (!strstr(r.out, *expect))
            print_error("missing line: %s\nin:\n%s", *expect, r.out);
        assert_non_null(strstr(r.out, *expect));
    }
}

static void test_good_tree_passes(void **state)
{
    (void)state;
    static const char *const none[] = {NULL};
    expect_case("good", 0, "bookcheck: 2 chapters, 8 excerpts, 0 problems\n", none);
}

static void test_bad_excerpt(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "book/01-a.md:12: excerpt differs from src/a.c:add: book has \"    return a - b;\", "
        "source has \"    return a + b;\"\n",
        "book/01-a.md:19: excerpt differs from src/a.c:add: book has \"(end of excerpt)\"",
        NULL};
    expect_case("bad-excerpt", 1, "bookcheck: 1 chapters, 2 excerpts, 2 problems\n", lines);
}

static void test_bad_missing_symbol(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "book/01-a.md:9: symbol subtract not found in src/a.c\n",
        "book/01-a.md:16: no such file src/gone.c\n", NULL};
    expect_case("bad-missing-symbol", 1, "bookcheck: 1 chapters, 2 excerpts, 2 problems\n",
                lines);
}

static void test_bad_unnamed_source(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "src/b.c:1: no \"Book: chapter N, book/NN-slug.md\" line\n",
        "src/c.c:2: book/01-a.md does not list src/c.c in sources:\n",
        "src/d.c:2: names book/02-b.md, which is not a chapter\n",
        "src/e.c:2: malformed Book: line",
        "src/f.c:2: says chapter 2, but book/01-a.md is chapter 1\n",
        "book/01-a.md:6: src/d.c does not name this chapter "
        "(needs \"Book: chapter 1, book/01-a.md\")\n",
        "book/01-a.md:7: src/e.c does not name this chapter", NULL};
    expect_case("bad-unnamed-source", 1, "bookcheck: 1 chapters, 0 excerpts, 7 problems\n",
                lines);
}

static void test_bad_link(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "book/01-a.md:9: ../src/a.c does not contain subtract\n",
        "book/01-a.md:10: ../src/a.c does not contain ad\n",
        "book/01-a.md:10: link to missing file ../src/gone.c\n", NULL};
    expect_case("bad-link", 1, "bookcheck: 1 chapters, 0 excerpts, 3 problems\n", lines);
}

static void test_bad_front_matter(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "book/01-a.md:2: chapter: must be 1, as in the file name\n",
        "book/01-a.md:1: front matter has no title:\n",
        "book/01-a.md:5: no such file src/nothere.c\n",
        "book/02-b.md:1: no front matter", NULL};
    expect_case("bad-front-matter", 1, "bookcheck: 2 chapters, 0 excerpts, 4 problems\n", lines);
}

/* --fix on a copy of bad-excerpt: both excerpts are rewritten, after which
 * the tree passes and the chapter quotes the source. */
static void test_fix_rewrites_excerpts(void **state)
{
    (void)state;
    need_checker();
    char dir[] = "/tmp/bookcheck-fix-XXXXXX", cmd[256];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "cp -R tests/bookcheck/bad-excerpt/. %s", dir);
    assert_int_equal(system(cmd), 0);
    Run r;
    snprintf(cmd, sizeof cmd, "--fix %s", dir);
    run(&r, cmd);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "book/01-a.md:9: fixed excerpt src/a.c:add\n"));
    run(&r, dir);
    assert_int_equal(r.status, 0);
    snprintf(cmd, sizeof cmd, "grep -c 'return a + b;' %s/book/01-a.md", dir);
    FILE *p = popen(cmd, "r");
    int count = 0;
    assert_int_equal(fscanf(p, "%d", &count), 1);
    pclose(p);
    assert_int_equal(count, 2);
    fs_remove_tree(dir);
}

/* --fix must not hide what it cannot fix. */
static void test_fix_still_reports_missing(void **state)
{
    (void)state;
    need_checker();
    Run r;
    run(&r, "--fix tests/bookcheck/bad-missing-symbol");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "symbol subtract not found in src/a.c"));
}

static void test_usage_errors(void **state)
{
    (void)state;
    need_checker();
    Run r;
    run(&r, "");
    assert_int_equal(r.status, 2);
    run(&r, "tests/bookcheck/no-such-tree");
    assert_int_equal(r.status, 2);
}

int main(int argc, char **argv)
{
    (void)argc;
    /* BUILD/tests/test_bookcheck -> BUILD/bookcheck */
    snprintf(checker, sizeof checker, "%s", argv[0]);
    char *slash = strrchr(checker, '/');
    if (slash)
        *slash = '\0';
    slash = strrchr(checker, '/');
    size_t keep = slash ? (size_t)(slash - checker + 1) : 0;
    snprintf(checker + keep, sizeof checker - keep, "bookcheck");
    if (!strchr(argv[0], '/'))
        snprintf(checker, sizeof checker, "build/bookcheck");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_tree_passes),
        cmocka_unit_test(test_bad_excerpt),
        cmocka_unit_test(test_bad_missing_symbol),
        cmocka_unit_test(test_bad_unnamed_source),
        cmocka_unit_test(test_bad_link),
        cmocka_unit_test(test_bad_front_matter),
        cmocka_unit_test(test_fix_rewrites_excerpts),
        cmocka_unit_test(test_fix_still_reports_missing),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
