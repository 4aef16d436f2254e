/*
 * benchnet.h - the client side of a non-blocking line connection, shared by
 * the two programs that drive many connections from one thread with poll():
 * tools/loadgen.c and tools/subbench.c.
 *
 * Each connection keeps an input buffer whose bytes in[in_start..in.len)
 * are unread, and an output buffer whose bytes out[out_off..out.len) are
 * not yet sent.  The helpers here move bytes between those buffers and the
 * socket; what a line means is the including program's business, so
 * bench_drain() hands each complete line to a callback.
 *
 * Every helper is `static inline` (no unused-function warning where a tool
 * does not need one): the Makefile builds each tool from its one .c file,
 * so a header is the way to share code between them.  Before the
 * #include, define BENCH_NAME to the program's name ("loadgen"); it
 * prefixes the messages of bench_die().  Failures here (out of memory, a
 * refused dial) end the program: these are command-line tools, not
 * library code.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#ifndef TINYSTDB_TOOLS_BENCHNET_H
#define TINYSTDB_TOOLS_BENCHNET_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "net/proto.h"
#include "util/vec.h"

#ifndef BENCH_NAME
#error "define BENCH_NAME before including benchnet.h"
#endif

#define BENCH_READ_CHUNK 65536

/* A monotonic clock in nanoseconds: latencies must not jump with NTP. */
static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void bench_die(const char *fmt, const char *arg)
{
    fprintf(stderr, BENCH_NAME ": ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

/* Encode req into the scratch buffer and append the line to out. */
static inline void bench_queue(StrBuf *scratch, StrBuf *out, const ProtoRequest *req)
{
    strbuf_clear(scratch);
    if (proto_encode_request(scratch, req) != ST_OK ||
        strbuf_append(out, scratch->data, scratch->len) != ST_OK)
        bench_die("%s", "out of memory");
}

/* Send what the socket takes now.  False when the connection broke. */
static inline bool bench_flush(int fd, StrBuf *out, size_t *out_off)
{
    while (*out_off < out->len) {
        ssize_t k = send(fd, out->data + *out_off, out->len - *out_off, MSG_NOSIGNAL);
        if (k < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        *out_off += (size_t)k;
    }
    strbuf_clear(out);
    *out_off = 0;
    return true;
}

typedef void (*BenchLineFn)(void *ctx, const char *line, size_t len);

/* Read what is there and hand each complete line (without its '\n') to
 * on_line(ctx, ...).  False on EOF or error. */
static inline bool bench_drain(int fd, StrBuf *in, size_t *in_start, BenchLineFn on_line, void *ctx)
{
    char chunk[BENCH_READ_CHUNK];
    ssize_t k = recv(fd, chunk, sizeof chunk, 0);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return false;
    if (k < 0)
        return true;
    if (strbuf_append(in, chunk, (size_t)k) != ST_OK)
        bench_die("%s", "out of memory");
    for (;;) {
        char *start = in->data + *in_start;
        char *nl = memchr(start, '\n', in->len - *in_start);
        if (!nl)
            break;
        *in_start += (size_t)(nl - start) + 1;
        on_line(ctx, start, (size_t)(nl - start));
    }
    if (*in_start == in->len) {   /* everything consumed: start again at 0 */
        strbuf_clear(in);
        *in_start = 0;
    }
    return true;
}

/* A non-blocking connect() became writable: did it succeed?  Dies if not. */
static inline void bench_check_connected(int fd)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr)
        bench_die("cannot connect: %s", strerror(soerr ? soerr : errno));
}

/* qsort comparator for latencies. */
static inline int bench_by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted values v[0..n). */
static inline double bench_percentile(const float *v, long n, double p)
{
    long rank = (long)ceil(p / 100.0 * (double)n);
    return v[rank < 1 ? 0 : rank - 1];
}

#endif
