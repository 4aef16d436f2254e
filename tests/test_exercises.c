/*
 * test_exercises.c - the coursework's grading works on the unsolved tree.
 *
 * The exercises of book/31-coursework.md are graded by tests in
 * tests/exercises/, which `make test` does not run: they fail until a
 * student has done the work.  What `make test` can check is that the
 * grading itself works: every exercise test compiles against today's
 * library and FAILS CLEANLY - tools/exercise.sh ends with "exercise N:
 * not done yet (M of T checks failing)", exit status 1, and each failing
 * check says why ("exercise N not done yet: ...") instead of crashing or
 * tripping a bare assertion.  An exercise that passed here would mean its
 * solution is in the repository, or its test proves nothing.  It also
 * checks that each test file carries the header lines the script prints
 * and that `exercise.sh BUILD list` names every exercise.
 *
 * The script is run with EXERCISE_NO_MAKE=1 (make test has just built the
 * library) on the BUILD directory this binary lives in (BUILD/tests/...),
 * from the repository root, as make test does.
 *
 * Book: chapter 31, book/31-coursework.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char build_dir[4096] = "build";

#define MAX_EXERCISES 99
static char files[MAX_EXERCISES + 1][300];   /* files[n]: tests/exercises/exNN_*.c, or "" */
static int count;

typedef struct Run {
    int status;              /* exit status, -1 if it did not exit */
    char *out;               /* everything it printed (malloc) */
} Run;

static void run(Run *r, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "EXERCISE_NO_MAKE=1 sh tools/exercise.sh '%s' %s 2>&1", build_dir,
             args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0, k;
    r->out = malloc(cap);
    assert_non_null(r->out);
    while ((k = fread(r->out + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (n + 1 == cap) {
            r->out = realloc(r->out, cap *= 2);
            assert_non_null(r->out);
        }
    }
    r->out[n] = '\0';
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The last non-empty line of s, copied into line. */
static void last_line(const char *s, char *line, size_t cap)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '\n')
        n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    snprintf(line, cap, "%.*s", (int)(n - start), s + start);
}

static size_t occurrences(const char *s, const char *what)
{
    size_t k = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        k++;
    return k;
}

static bool has_field(const char *path, const char *field)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strncmp(line, field, strlen(field)) == 0 && strlen(line) > strlen(field) + 1;
    fclose(f);
    return found;
}

static void test_files_are_numbered(void **state)
{
    (void)state;
    assert_true(count >= 10);
    for (int n = 1; n <= count; n++) {
        if (!files[n][0])
            fail_msg("exercise %d is missing: the numbers must run 1..%d", n, count);
        char want[32];
        snprintf(want, sizeof want, " * Exercise: %d\n", n);
        FILE *f = fopen(files[n], "r");
        assert_non_null(f);
        char line[512];
        bool numbered = false;
        while (!numbered && fgets(line, sizeof line, f))
            numbered = strcmp(line, want) == 0;
        fclose(f);
        if (!numbered)
            fail_msg("%s has no line \"%.*s\"", files[n], (int)strlen(want) - 1, want);
        static const char *const fields[] = {" * Title: ", " * Change: ", " * Book: chapter "};
        for (size_t i = 0; i < 3; i++)
            if (!has_field(files[n], fields[i]))
                fail_msg("%s has no \"%s\" line", files[n], fields[i]);
    }
}

static void test_list_names_every_exercise(void **state)
{
    (void)state;
    Run r;
    run(&r, "list");
    assert_int_equal(r.status, 0);
    for (int n = 1; n <= count; n++) {
        char row[16];
        snprintf(row, sizeof row, "\n%-3d ", n);
        if (!strstr(r.out, row))
            fail_msg("exercise.sh list does not list exercise %d:\n%s", n, r.out);
    }
    free(r.out);
    run(&r, "0");
    assert_int_equal(r.status, 2);   /* no such exercise: a usage error, not "not done" */
    free(r.out);
}

static void test_each_fails_cleanly(void **state)
{
    (void)state;
    int bad = 0;
    for (int n = 1; n <= count; n++) {
        char arg[16], want[64], last[512];
        snprintf(arg, sizeof arg, "%d", n);
        Run r;
        run(&r, arg);
        last_line(r.out, last, sizeof last);
        snprintf(want, sizeof want, "exercise %d: not done yet (", n);
        unsigned failing = 0, total = 0;
        bool clean = r.status == 1 && strncmp(last, want, strlen(want)) == 0
                     && sscanf(last + strlen(want), "%u of %u checks failing)", &failing,
                               &total) == 2
                     && failing >= 1 && failing <= total;
        /* Each failing check explains itself through CHECK or NEED. */
        snprintf(want, sizeof want, "exercise %d not done yet: ", n);
        if (clean && occurrences(r.out, want) < failing)
            clean = false;
        if (!clean) {
            print_error("exercise %d does not fail cleanly on the unsolved tree (status %d); "
                        "its output:\n%s\n", n, r.status, r.out);
            bad++;
        }
        free(r.out);
    }
    assert_int_equal(bad, 0);
}

/* Find tests/exercises/exNN_*.c; count = the highest NN. */
static void find_exercises(void)
{
    DIR *d = opendir("tests/exercises");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int n;
        size_t len = strlen(e->d_name);
        if (sscanf(e->d_name, "ex%2d_", &n) == 1 && n >= 1 && n <= MAX_EXERCISES && len > 2
            && strcmp(e->d_name + len - 2, ".c") == 0) {
            snprintf(files[n], sizeof files[n], "tests/exercises/%s", e->d_name);
            count = n > count ? n : count;
        }
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    (void)argc;
    /* BUILD/tests/test_exercises -> BUILD */
    snprintf(build_dir, sizeof build_dir, "%s", argv[0]);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(build_dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(build_dir, sizeof build_dir, "build");
    }
    find_exercises();
    if (count == 0) {
        printf("SKIPPED: no tests/exercises here; run from the repository root\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_are_numbered),
        cmocka_unit_test(test_list_names_every_exercise),
        cmocka_unit_test(test_each_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
