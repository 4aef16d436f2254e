/*
 * conn.c - one client connection: reading and framing lines, queueing and
 * writing replies, and the OPEN -> CLOSING -> LINGER -> DEAD state machine
 * described in conn.h.
 *
 * Reading.  Bytes go straight from the socket into the connection's input
 * buffer, which grows by doubling up to max_line + 1 bytes and never past
 * it: we ask recv() for at most the room left.  After each read, complete
 * lines are cut at '\n', the '\n' is overwritten by a NUL, and each line
 * goes to on_line.  If max_line + 1 bytes have arrived and none is a '\n',
 * the line is too long: the client gets an error line and the connection
 * closes.  So a 100 MB line costs at most max_line + 1 bytes of memory.
 *
 * Writing.  conn_send() only copies into the output queue; the loop writes
 * queues just before it sleeps (conn_flush), so many replies produced in
 * one iteration leave in one send().  Two limits bound the queue:
 *   - backpressure: while pause_out bytes or more wait, we stop reading
 *     (and stop delivering already-buffered lines of) that client, so a
 *     client that pipelines requests without reading replies is slowed
 *     down, not dropped;
 *   - the hard cap: a conn_send() that would take the queue past max_out
 *     disconnects the client at once.  Because of the pause above, only
 *     bytes the client did not ask for (pushed updates) get there, or a
 *     single reply larger than max_out - pause_out.
 *
 * Errors.  Nothing here calls on_close directly: state changes record a
 * reason and set close_pending, and the loop calls on_close at a safe
 * point (see loop.c, reap()).  The first reason recorded wins.
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#include "conn.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/alloc.h"
#include "../util/check.h"
#include "../util/log.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0   /* BSDs: loop.c sets SO_NOSIGPIPE on each socket */
#endif

#define IN_INITIAL 16384     /* first input buffer */
#define IN_MIN_READ 4096     /* grow when less room than this is left */
#define BUF_KEEP 65536       /* an empty buffer larger than this is freed */
#define OUT_INITIAL 4096

/* ---- state changes --------------------------------------------------- */

static bool paused(const Conn *c)
{
    return c->out_len >= c->loop->cfg.pause_out;
}

/* Move forward to state `next` (never back).  Leaving OPEN records why and
 * schedules on_close; entering CLOSING starts the flush deadline. */
__attribute__((format(printf, 3, 4)))
static void leave(Conn *c, ConnState next, const char *fmt, ...)
{
    if (c->state == CONN_OPEN) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->reason, sizeof c->reason, fmt, ap);
        va_end(ap);
        c->close_pending = true;
        log_msg(LOG_DEBUG, "conn %llu %s: %s", (unsigned long long)c->id, c->peer, c->reason);
    }
    if (next <= c->state)
        return;
    c->state = next;
    /* The clock, not loop->now_ms: conn_close may be called between iterations. */
    c->deadline_ms = next == CONN_CLOSING ? loop_clock_ms() + c->loop->cfg.linger_ms : 0;
}

void conn_kill(Conn *c, const char *reason)
{
    leave(c, CONN_DEAD, "%s", reason);
}

void conn_close(Conn *c)
{
    leave(c, CONN_CLOSING, "closed by server");
}

/* ---- the output queue ------------------------------------------------ */

/* Room for n more bytes after the queued ones: slide the queue to the front
 * if that is enough, else grow (never beyond max_out + ERROR_LINE_MAX). */
static Status out_reserve(Conn *c, size_t n)
{
    size_t need = c->out_len + n;
    if (c->out_head + need <= c->out_cap)
        return ST_OK;
    if (c->out_head > 0) {
        memmove(c->out, c->out + c->out_head, c->out_len);
        c->out_head = 0;
    }
    if (need <= c->out_cap)
        return ST_OK;
    size_t limit = c->loop->cfg.max_out + ERROR_LINE_MAX;
    size_t cap = c->out_cap ? c->out_cap * 2 : OUT_INITIAL;
    if (cap < need)
        cap = need;
    if (cap > limit)
        cap = limit;
    assert(need <= cap);
    char *p = mem_realloc(c->out, cap);
    if (!p)
        return ST_NOMEM;
    c->out = p;
    c->out_cap = cap;
    return ST_OK;
}

static void out_append(Conn *c, const void *bytes, size_t len)
{
    memcpy(c->out + c->out_head + c->out_len, bytes, len);
    c->out_len += len;
}

Status conn_send(Conn *c, const void *bytes, size_t len)
{
    if (c->state != CONN_OPEN)
        return ST_IO;
    if (len == 0)
        return ST_OK;
    size_t max = c->loop->cfg.max_out;
    if (len > max - c->out_len) {
        leave(c, CONN_DEAD, "slow reader: output queue over %zu bytes", max);
        return ST_LIMIT;
    }
    if (out_reserve(c, len) != ST_OK) {
        leave(c, CONN_DEAD, "out of memory for the output queue");
        return ST_NOMEM;
    }
    out_append(c, bytes, len);
    return ST_OK;
}

/* Our own {"error":"..."} line, queued even past max_out (it is short and
 * the connection is about to close).  Best effort: dropped without memory. */
static void queue_error_line(Conn *c, const char *text)
{
    char line[ERROR_LINE_MAX];
    int n = snprintf(line, sizeof line, "{\"error\":\"%s\"}\n", text);
    assert(n > 0 && (size_t)n < sizeof line);
    if (out_reserve(c, (size_t)n) == ST_OK)
        out_append(c, line, (size_t)n);
}

/* ---- reading and framing --------------------------------------------- */

/* Make sure the input buffer has room to read into, within max_line + 1. */
static Status in_reserve(Conn *c)
{
    size_t limit = c->loop->cfg.max_line + 1;
    if (c->in_cap - c->in_len >= IN_MIN_READ || c->in_cap == limit)
        return ST_OK;
    size_t cap = c->in_cap ? c->in_cap * 2 : IN_INITIAL;
    if (cap > limit)
        cap = limit;
    char *p = mem_realloc(c->in, cap);
    if (!p)
        return ST_NOMEM;
    c->in = p;
    c->in_cap = cap;
    return ST_OK;
}

static void in_release(Conn *c)
{
    mem_free(c->in);
    c->in = NULL;
    c->in_len = c->in_cap = c->in_scan = 0;
}

/* Forget the first `used` bytes (delivered lines).  A closing connection
 * needs no input buffer at all; an empty large one is given back. */
static void in_consume(Conn *c, size_t used)
{
    if (c->state != CONN_OPEN || (c->in_len == used && c->in_cap > BUF_KEEP)) {
        in_release(c);
        return;
    }
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    c->in_scan -= used;
}

static void line_too_long(Conn *c)
{
    char text[ERROR_LINE_MAX / 2];
    size_t max = c->loop->cfg.max_line;
    snprintf(text, sizeof text, "message too large: the limit is %zu bytes", max);
    queue_error_line(c, text);
    leave(c, CONN_CLOSING, "message too large (limit %zu bytes)", max);
}

/* Deliver every complete line in the buffer, unless the client is paused
 * or a callback closed it.  Then check the unfinished rest against max_line. */
static void frame_lines(Conn *c)
{
    const LoopConfig *cfg = &c->loop->cfg;
    size_t start = 0;
    if (!c->in)
        return;   /* nothing buffered (memchr must not see NULL) */
    while (c->state == CONN_OPEN && !paused(c)) {
        char *nl = memchr(c->in + c->in_scan, '\n', c->in_len - c->in_scan);
        if (!nl) {
            c->in_scan = c->in_len;
            break;
        }
        size_t end = (size_t)(nl - c->in);
        *nl = '\0';
        c->in_scan = end + 1;
        if (cfg->on_line)
            cfg->on_line(c, c->in + start, end - start);
        start = end + 1;
    }
    in_consume(c, start);
    if (c->state == CONN_OPEN && c->in_scan == c->in_len && c->in_len > cfg->max_line)
        line_too_long(c);
}

static void read_failed(Conn *c, int err)
{
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
        return;
    if (err == ECONNRESET)
        leave(c, CONN_DEAD, "connection reset by peer");
    else
        leave(c, CONN_DEAD, "read error: %s", strerror(err));
}

static void peer_closed(Conn *c)
{
    c->peer_eof = true;
    if (c->in_len > 0)
        leave(c, CONN_CLOSING, "peer closed mid-message (%zu bytes dropped)", c->in_len);
    else
        leave(c, CONN_CLOSING, "peer closed");
}

static void read_lines(Conn *c)
{
    if (in_reserve(c) != ST_OK) {
        leave(c, CONN_DEAD, "out of memory for the input buffer");
        return;
    }
    assert(c->in_len < c->in_cap);
    ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (n < 0) {
        read_failed(c, errno);
        return;
    }
    if (n == 0) {
        peer_closed(c);
        return;
    }
    c->in_len += (size_t)n;
    if (c->loop->cfg.idle_ms > 0)
        c->deadline_ms = c->loop->now_ms + c->loop->cfg.idle_ms;
    frame_lines(c);
}

/* CLOSING or LINGER: read and throw away, to see the client's EOF. */
static void discard_input(Conn *c)
{
    if (c->in)
        in_release(c);
    ssize_t n = recv(c->fd, c->loop->scratch, sizeof c->loop->scratch, 0);
    if (n > 0)
        return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    c->peer_eof = true;
    if (n < 0 || c->state == CONN_LINGER)
        leave(c, CONN_DEAD, "connection lost");
}

void conn_on_readable(Conn *c)
{
    if (c->state == CONN_OPEN && !paused(c))
        read_lines(c);
    else if (c->state == CONN_CLOSING || c->state == CONN_LINGER)
        discard_input(c);
}

/* ---- writing --------------------------------------------------------- */

static void write_failed(Conn *c, int err)
{
    if (err == EPIPE || err == ECONNRESET)
        leave(c, CONN_DEAD, "connection reset by peer");
    else
        leave(c, CONN_DEAD, "write error: %s", strerror(err));
}

/* What follows a write: a closing connection whose queue is empty shuts
 * its write side and lingers; an open one below pause_out again resumes
 * the lines it had buffered. */
static void after_flush(Conn *c, bool was_paused)
{
    if (c->state == CONN_CLOSING && c->out_len == 0) {
        if (c->peer_eof) {
            leave(c, CONN_DEAD, "done");
            return;
        }
        shutdown(c->fd, SHUT_WR);
        c->state = CONN_LINGER;
        c->deadline_ms = c->loop->now_ms + c->loop->cfg.linger_ms;
    } else if (c->state == CONN_OPEN && was_paused && !paused(c)) {
        frame_lines(c);
    }
}

void conn_flush(Conn *c)
{
    bool was_paused = paused(c);
    while (c->out_len > 0 && c->state != CONN_DEAD) {
        ssize_t n = send(c->fd, c->out + c->out_head, c->out_len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                c->wait_writable = true;   /* the socket buffer is full */
            else
                write_failed(c, errno);
            break;
        }
        c->out_head += (size_t)n;
        c->out_len -= (size_t)n;
        if (c->state == CONN_CLOSING)   /* progress earns more time */
            c->deadline_ms = c->loop->now_ms + c->loop->cfg.linger_ms;
    }
    if (c->out_len == 0) {
        c->out_head = 0;
        c->wait_writable = false;
        if (c->out_cap > BUF_KEEP) {
            mem_free(c->out);
            c->out = NULL;
            c->out_cap = 0;
        }
    }
    after_flush(c, was_paused);
}

/* ---- deadlines and poll ---------------------------------------------- */

void conn_on_deadline(Conn *c)
{
    if (c->state == CONN_OPEN) {
        queue_error_line(c, "idle timeout");
        leave(c, CONN_CLOSING, "idle timeout (%d ms)", c->loop->cfg.idle_ms);
    } else {
        log_msg(LOG_DEBUG, "conn %llu: %s, giving up", (unsigned long long)c->id,
                c->state == CONN_CLOSING ? "output not flushed in time" : "linger over");
        leave(c, CONN_DEAD, "deadline");
    }
}

/* The poll() events this connection waits for.  Reading stops while the
 * client is paused, and once it has sent EOF (EOF stays readable: asking
 * for it again would spin). */
short conn_poll_events(const Conn *c)
{
    short ev = 0;
    if (c->state == CONN_OPEN ? !paused(c) : !c->peer_eof)
        ev |= POLLIN;
    if (c->out_len > 0)
        ev |= POLLOUT;
    return ev;
}

/* ---- life cycle and accessors ---------------------------------------- */

Conn *conn_new(Loop *loop, int fd, const char *peer)
{
    Conn *c = mem_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->fd = fd;
    c->id = ++loop->next_id;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    if (loop->cfg.idle_ms > 0)
        c->deadline_ms = loop->now_ms + loop->cfg.idle_ms;
    return c;
}

void conn_free(Conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    mem_free(c->in);
    mem_free(c->out);
    mem_free(c);
}

void conn_set_user(Conn *c, void *user)
{
    c->user = user;
}

void *conn_user(const Conn *c)
{
    return c->user;
}

Loop *conn_loop(const Conn *c)
{
    return c->loop;
}

uint64_t conn_id(const Conn *c)
{
    return c->id;
}

const char *conn_peer(const Conn *c)
{
    return c->peer;
}

size_t conn_queued(const Conn *c)
{
    return c->out_len;
}


Status conn_check(const Conn *c, char *msg, size_t msglen)
{
    const LoopConfig *cfg = &c->loop->cfg;
    unsigned long long id = (unsigned long long)c->id;
    CHECK(c->fd >= 0, "conn %llu: no socket", id);
    CHECK(c->state <= CONN_DEAD, "conn %llu: bad state %d", id, (int)c->state);
    CHECK((c->in == NULL) == (c->in_cap == 0), "conn %llu: input buffer/capacity mismatch", id);
    CHECK(c->in_scan <= c->in_len && c->in_len <= c->in_cap, "conn %llu: input offsets", id);
    CHECK(c->in_cap <= cfg->max_line + 1, "conn %llu: input buffer over max_line + 1", id);
    CHECK(!c->in_scan || !memchr(c->in, '\n', c->in_scan), "conn %llu: '\\n' before in_scan", id);
    CHECK(c->state != CONN_OPEN || c->in_len <= cfg->max_line || c->in_scan < c->in_len,
          "conn %llu: unframed input over max_line", id);
    CHECK((c->out == NULL) == (c->out_cap == 0), "conn %llu: output buffer/capacity mismatch", id);
    CHECK(c->out_head + c->out_len <= c->out_cap, "conn %llu: output offsets", id);
    CHECK(c->out_cap <= cfg->max_out + ERROR_LINE_MAX, "conn %llu: output over max_out", id);
    CHECK(c->state != CONN_OPEN || c->out_len <= cfg->max_out, "conn %llu: queue over max_out", id);
    CHECK(c->state == CONN_OPEN || c->reason[0], "conn %llu: closing without a reason", id);
    CHECK(!c->close_pending || c->state != CONN_OPEN, "conn %llu: on_close pending while open", id);
    return ST_OK;
}
