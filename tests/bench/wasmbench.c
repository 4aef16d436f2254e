/*
 * wasmbench.c - time the interpreter on the benchmark programs.
 *
 * Two modes (tests/bench/run.sh uses both):
 *
 *   wasmbench [--dir tests/bench]
 *       Load each tests/bench/NAME.wasm through the wasm.h API, call its export
 *       with a fixed argument, and print one line per program:
 *           bench wasm_fib: 14.2 ns/call
 *       The time is the best of CALLS calls divided by the work units of
 *       one call (calls, iterations, bytes, multiply-adds, elements).
 *
 *   wasmbench --vs wasm-interp --tinystdb build/tinystdb [--dir tests/bench]
 *       Run every program's no-argument export `bench` as a whole process
 *       on both engines, alternating, and print the ratio of their best
 *       CPU times (user + system):
 *           bench wasm_fib_vs_wasm_interp: 7.1 x
 *       (above 1: tinystdb is faster).  Whole processes are timed on both
 *       sides, so loading and validating count for both.
 *
 * Every call's result is compared with the value a native build of the
 * same C source computes (the table below); a wrong result is reported and
 * no time is printed, so a broken interpreter cannot post a good number.
 *
 * Book: chapter 8, book/08-cli.md
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/value.h"
#include "wasm/wasm.h"

#define CALLS 5   /* timed calls per program, in process */
#define RUNS 3    /* runs per engine and program, as processes */

typedef struct Bench {
    const char *name;    /* tests/bench/NAME.wasm, export NAME */
    uint32_t arg;        /* the argument of the timed call */
    uint8_t type;        /* result type */
    uint64_t expect;     /* result bits; bench() returns the same */
    double units;        /* work units in one call */
    const char *unit;
} Bench;

/* arg must equal the one bench() passes in the C source. */
static const Bench benches[] = {
    {"fib", 30, WASM_I32, 832040, 2692537, "ns/call"},   /* 2*fib(31)-1 calls */
    {"loop", 5000000, WASM_I32, 2599615808u, 5e6, "ns/iter"},
    {"crc32", 48, WASM_I32, 3094359326u, 48.0 * 65536, "ns/byte"},
    {"matmul", 16, WASM_F64, 0x40f202c000000000u /* 73772.0 */, 16.0 * 64 * 64 * 64, "ns/madd"},
    {"sort", 50000, WASM_I32, 2864982198u, 50000, "ns/elem"},
    {"tokenize", 16, WASM_I32, 1126659173u, 16.0 * 65536, "ns/byte"},
};

#define NBENCHES (sizeof benches / sizeof benches[0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static Status no_imports(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    (void)user;
    (void)out;
    return wasm_error(err, ST_LINK, -1, "unknown import: %s.%s", imp->module.s, imp->name.s);
}

/* Call f(arg) CALLS times, checking each result; best seconds or -1. */
static double time_calls(const Bench *b, WasmStore *s, WasmFuncInst *f)
{
    double best = -1;
    for (int r = 0; r < CALLS; r++) {
        WasmCell arg = b->arg, result = 0;
        WasmError err = {0};
        double t0 = now();
        Status st = wasm_call(s, f, &arg, &result, &err);
        double t = now() - t0;
        if (st != ST_OK || result != b->expect) {
            char got[VALUE_TEXT_MAX], want[VALUE_TEXT_MAX];
            value_format(got, sizeof got, b->type, result);
            value_format(want, sizeof want, b->type, b->expect);
            fprintf(stderr, "wasmbench: %s(%" PRIu32 ") %s %s, expected %s\n", b->name, b->arg,
                    st == ST_OK ? "returned" : "failed:", st == ST_OK ? got : err.msg, want);
            return -1;
        }
        if (best < 0 || t < best)
            best = t;
    }
    return best;
}

/* One in-process benchmark; false when it could not be measured. */
static bool run_in_process(const char *dir, const Bench *b)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, b->name);
    WasmModule *m = NULL;
    WasmStore *s = NULL;
    WasmInstance *inst = NULL;
    WasmExtern ext;
    WasmError err = {0};
    double t = -1;
    if (cmd_wasm_load(path, &m) != ST_OK)
        goto done;
    s = wasm_store_new(NULL);
    if (!s || wasm_instantiate(s, m, no_imports, NULL, &inst, &err) != ST_OK) {
        fprintf(stderr, "wasmbench: %s: cannot instantiate: %s\n", path, s ? err.msg : "no memory");
        goto done;
    }
    if (wasm_instance_export(inst, b->name, &ext) != ST_OK || ext.kind != WASM_EXTERN_FUNC) {
        fprintf(stderr, "wasmbench: %s: no exported function %s\n", path, b->name);
        goto done;
    }
    t = time_calls(b, s, ext.u.func);
    if (t >= 0)
        printf("bench wasm_%s: %.2f %s\n", b->name, t * 1e9 / b->units, b->unit);
done:
    wasm_store_free(s);
    wasm_module_free(m);
    return t >= 0;
}

/* CPU seconds (user + system) used by the waited-for children so far. */
static double children_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* Run argv as a process; its stdout (truncated to n-1 bytes) in out.
 * The CPU seconds it used, or -1 when it could not run or exited
 * non-zero.  CPU time rather than wall time: on a busy machine a short
 * process is more likely than a long one to find a core free, and wall
 * times would flatter whichever engine is faster. */
static double time_process(char *const argv[], char *out, size_t n)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    double t0 = children_cpu();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    char sink[4096];
    while ((got = read(fds[0], sink, sizeof sink)) > 0)
        for (ssize_t i = 0; i < got; i++)
            if (len + 1 < n)
                out[len++] = sink[i];
    out[len] = '\0';
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    double t = children_cpu() - t0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

/* Run argv once; lower *best to its time.  False when it failed or
 * printed something without `expect` in it. */
static bool run_checked(char *const argv[], const char *expect, double *best)
{
    char out[4096];
    double t = time_process(argv, out, sizeof out);
    if (t < 0 || !strstr(out, expect)) {
        fprintf(stderr, "wasmbench: %s %s: failed or wrong result", argv[0], argv[1]);
        fprintf(stderr, " (wanted \"%s\", got \"%.200s\")\n", expect, out);
        return false;
    }
    if (*best < 0 || t < *best)
        *best = t;
    return true;
}

/* wasm-interp prints "bench() => i32:832040" (i32 as unsigned) and
 * "bench() => f64:73772.000000". */
static void interp_text(const Bench *b, char *buf, size_t n)
{
    double d;
    memcpy(&d, &b->expect, sizeof d);
    if (b->type == WASM_F64)
        snprintf(buf, n, "bench() => f64:%f", d);
    else
        snprintf(buf, n, "bench() => i32:%" PRIu32, (uint32_t)b->expect);
}

static bool compare(const char *dir, const Bench *b, const char *tinystdb, const char *other)
{
    char path[512], ours[VALUE_TEXT_MAX + 1], theirs[128];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, b->name);
    value_format(ours, sizeof ours - 1, b->type, b->expect);
    strcat(ours, "\n");
    interp_text(b, theirs, sizeof theirs);
    char wasm[] = "wasm", run[] = "run", bench[] = "bench", all[] = "--run-all-exports";
    char *ours_argv[] = {(char *)tinystdb, wasm, run, path, bench, NULL};
    char *their_argv[] = {(char *)other, path, all, NULL};
    /* Alternate the two engines so both see the same machine load. */
    double t_ours = -1, t_theirs = -1;
    for (int r = 0; r < RUNS; r++)
        if (!run_checked(ours_argv, ours, &t_ours) || !run_checked(their_argv, theirs, &t_theirs))
            return false;
    if (t_ours <= 0 || t_theirs <= 0)
        return false;
    printf("bench wasm_%s_vs_wasm_interp: %.1f x\n", b->name, t_theirs / t_ours);
    printf("#   %s: tinystdb %.3f s, %s %.3f s (CPU time of whole processes, best of %d)\n",
           b->name, t_ours, other, t_theirs, RUNS);
    fflush(stdout);
    return true;
}

int main(int argc, char **argv)
{
    const char *dir = "tests/bench", *vs = NULL, *tinystdb = "build/tinystdb";
    for (int i = 1; i < argc; i += 2) {
        const char **opt = strcmp(argv[i], "--dir") == 0        ? &dir
                           : strcmp(argv[i], "--vs") == 0       ? &vs
                           : strcmp(argv[i], "--tinystdb") == 0 ? &tinystdb
                                                                : NULL;
        if (!opt || i + 1 >= argc) {
            fprintf(stderr, "usage: wasmbench [--dir DIR] [--vs wasm-interp --tinystdb PATH]\n");
            return 1;
        }
        *opt = argv[i + 1];
    }
    bool ok = true;
    for (size_t i = 0; i < NBENCHES; i++) {
        const Bench *b = &benches[i];
        ok = (vs ? compare(dir, b, tinystdb, vs) : run_in_process(dir, b)) && ok;
        fflush(stdout);
    }
    return ok ? 0 : 1;
}
