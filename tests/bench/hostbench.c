/*
 * hostbench.c - reducer calls per second through the module host, in
 * process: `make bench` runs build/hostbench.
 *
 * A call here is everything a server does for one reducer call except
 * the network: argument check, transaction begin, __call_reducer__ in
 * the interpreter (argument decoding, the module's own work, each host
 * call), commit with its delta.  Measured:
 *
 *   host_insert_calls      examples/bench-insert: insert(value: u64), one
 *                          row per call (a table with an auto_inc key)
 *   host_insert_fuel       fuel (about instructions) per such call
 *   host_update_player_input_calls
 *                          the Rust module's update_player_input for one
 *                          registered player, its input sequence changed
 *                          every call (so every call really updates)
 *   host_update_player_input_fuel
 *
 * Each figure is the best of 3 runs of N calls (default 20000).  The
 * Rust module is read from $TINYSTDB_SHARED/modules or ../shared/modules;
 * without it that line says "skipped".  Exit status 1 if any call fails.
 *
 * Usage: hostbench [N]
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/module.h"
#include "host/sats_json.h"
#include "util/alloc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = mem_alloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        mem_free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static HostModule *load(const char *path)
{
    size_t len = 0;
    uint8_t *wasm = read_all(path, &len);
    if (!wasm)
        return NULL;
    HostConfig cfg = { 0 };
    memset(cfg.identity, 0xdb, 32);
    HostModule *hm = NULL;
    ModError err;
    if (module_load(wasm, len, &cfg, &hm, &err) != ST_OK)
        fprintf(stderr, "hostbench: %s: %s\n", path, err.msg);
    mem_free(wasm);
    return hm;
}

/* Call `reducer` n times; args[at..at+4) gets a counter when at >= 0.
 * Best calls/s of 3 runs; *fuel = fuel of the last call; false on a failure. */
static bool measure(HostModule *hm, const char *reducer, const HostCaller *c, uint8_t *args,
                    size_t len, long at, long n, double *rate, uint64_t *fuel)
{
    HostResult res;
    uint32_t counter = 0;
    *rate = 0;
    for (int run = 0; run < 3; run++) {
        double t = now_s();
        for (long i = 0; i < n; i++) {
            if (at >= 0) {
                counter++;
                memcpy(args + at, &counter, 4);   /* little-endian hosts */
            }
            if (module_call(hm, reducer, c, args, len, &res) != ST_OK ||
                res.outcome != HOST_COMMITTED) {
                fprintf(stderr, "hostbench: %s: %s\n", reducer, res.message);
                return false;
            }
        }
        t = now_s() - t;
        if (n / t > *rate)
            *rate = (double)n / t;
        *fuel = res.fuel_used;
    }
    return true;
}

static bool bench_insert(long n)
{
    HostModule *hm = load("examples/bench-insert/bench_insert.wasm");
    if (!hm) {
        printf("bench host_insert_calls: skipped, examples/bench-insert/bench_insert.wasm "
               "not loadable\n");
        return false;
    }
    HostCaller c = { .timestamp = 1735689600000000 };
    uint8_t args[8] = { 42 };
    double rate;
    uint64_t fuel;
    bool ok = measure(hm, "insert", &c, args, sizeof args, -1, n, &rate, &fuel);
    if (ok) {
        printf("bench host_insert_calls: %.0f calls/s\n", rate);
        printf("bench host_insert_fuel: %llu fuel/call\n", (unsigned long long)fuel);
    }
    module_free(hm);
    return ok;
}

static const char input_json[] =
    "[{\"forward\":true,\"backward\":false,\"left\":false,\"right\":false,\"sprint\":true,"
    "\"jump\":false,\"attack\":false,\"cast_spell\":false,\"sequence\":1},"
    "{\"x\":1.0,\"y\":0.0,\"z\":2.0},{\"x\":0.0,\"y\":1.5,\"z\":0.0},\"run\"]";

static HostModule *load_rust(void)
{
    const char *dirs[] = { getenv("TINYSTDB_SHARED"), "../shared", "../../shared" };
    for (int i = 0; i < 3; i++) {
        char path[512];
        if (!dirs[i])
            continue;
        snprintf(path, sizeof path, "%s/modules/rust-1.1.2-metasiberia-game.wasm", dirs[i]);
        HostModule *hm = load(path);
        if (hm)
            return hm;
    }
    return NULL;
}

static bool bench_rust(long n)
{
    HostModule *hm = load_rust();
    if (!hm) {
        printf("bench host_update_player_input_calls: skipped, the Rust module is not in "
               "$TINYSTDB_SHARED/modules or ../shared/modules\n");
        return true;
    }
    HostCaller c = { .timestamp = 1735689600000000 };
    memset(c.identity, 0xa1, 32);
    c.connection_id[0] = 1;
    HostResult res;
    const ModReducer *r = moddef_find_reducer(module_def(hm), "update_player_input");
    StrBuf args;
    strbuf_init(&args);
    DbError err;
    bool ok = r && module_init(hm, c.timestamp, &res) == ST_OK &&
              module_call_json(hm, "register_player", &c, "[\"alice\",\"warrior\"]", 19, &res) ==
                  ST_OK && res.outcome == HOST_COMMITTED &&
              sats_json_args_to_bsatn(&module_def(hm)->ts, r->params, input_json,
                                      sizeof input_json - 1, &args, &err) == ST_OK;
    double rate = 0;
    uint64_t fuel = 0;
    /* InputState is eight bools, then the u32 sequence: args[8..12). */
    ok = ok && measure(hm, "update_player_input", &c, (uint8_t *)args.data, args.len, 8, n,
                       &rate, &fuel);
    if (ok) {
        printf("bench host_update_player_input_calls: %.0f calls/s\n", rate);
        printf("bench host_update_player_input_fuel: %llu fuel/call\n", (unsigned long long)fuel);
    } else {
        fprintf(stderr, "hostbench: the Rust module could not be set up\n");
    }
    strbuf_fini(&args);
    module_free(hm);
    return ok;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    if (n <= 0) {
        fprintf(stderr, "usage: hostbench [CALLS]\n");
        return 2;
    }
    bool ok = bench_insert(n);
    ok = bench_rust(n) && ok;
    return ok ? 0 : 1;
}
