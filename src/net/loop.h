/*
 * loop.h - the server's network substrate: one thread, one poll() loop,
 * many line-framed TCP connections.
 *
 * A Loop owns a listening socket and every accepted connection (Conn).  It
 * sleeps in poll() until a socket is ready, the caller's next timer is due
 * (next_timeout_ms), a connection deadline passes, or loop_stop() is called
 * (also from a signal handler: a self-pipe wakes poll()).  The application
 * sees only four things:
 *
 *     on_open(c)                  a client connected
 *     on_line(c, line, len)       a complete message arrived (one per '\n')
 *     conn_send(c, bytes, len)    queue bytes for that client
 *     on_close(c, reason)         the connection is over; forget c
 *
 * Sockets are non-blocking; nothing here ever waits except poll().  Every
 * byte held for a client is bounded by the limits in LoopConfig:
 *
 *   - an input buffer never holds more than max_line + 1 bytes; a longer
 *     line earns the client one error line, then the connection closes;
 *   - replies queue in an output buffer; while more than pause_out bytes
 *     wait, the loop stops reading that client's requests (backpressure);
 *     if a conn_send would push the queue past max_out (a client that does
 *     not read what the server pushes to it), the client is disconnected;
 *   - past max_conns, a new client gets one error line and is closed.
 *
 * Error lines sent by the loop itself are JSON: {"error":"..."}\n.
 *
 * Contract for callbacks: they run on the loop's thread, from inside
 * loop_run_once().  A Conn is valid from on_open until on_close returns;
 * on_close is called exactly once for every connection that got on_open,
 * never from inside conn_send/conn_close (it is deferred to a safe point of
 * the iteration), so an application may iterate its own client list and
 * send to each member without the list changing underneath it.
 * Callbacks must not call loop_free().
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#ifndef TINYSTDB_LOOP_H
#define TINYSTDB_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"

typedef struct Loop Loop;
typedef struct Conn Conn;

/* Defaults (chapter 19, "The limits", explains each choice). */
#define LOOP_DEFAULT_MAX_LINE ((size_t)64 << 20)   /* 64 MiB per message */
#define LOOP_DEFAULT_MAX_OUT ((size_t)64 << 20)    /* 64 MiB queued per client */
#define LOOP_DEFAULT_PAUSE_OUT ((size_t)1 << 20)   /* 1 MiB: stop reading requests */
#define LOOP_DEFAULT_MAX_CONNS 1000
#define LOOP_DEFAULT_LINGER_MS 2000

#define LOOP_ERR_LEN 256   /* size of the err buffer of loop_listen() */

typedef struct LoopConfig {
    size_t max_line;    /* longest message in bytes, '\n' not counted */
    size_t max_out;     /* most bytes queued for one client */
    size_t pause_out;   /* stop reading requests while this many bytes wait */
    int max_conns;      /* open connections at most */
    int idle_ms;        /* close a client silent this long; 0 = never */
    int linger_ms;      /* time a closing connection gets to flush and drain */

    /* Callbacks; each may be NULL. */
    void (*on_open)(Conn *c);
    /* line[0..len) is one message without its '\n'; line[len] is a NUL
     * written over the '\n'.  The bytes (line[len] included) are yours to
     * modify until on_line returns. */
    void (*on_line)(Conn *c, char *line, size_t len);
    void (*on_close)(Conn *c, const char *reason);
    int (*next_timeout_ms)(Loop *loop);   /* for loop_run: ms until the next timer, -1 = none */
    void (*on_tick)(Loop *loop);          /* after every wake-up: run due timers here */
    void *user;                           /* returned by loop_user() */
} LoopConfig;

/* ---- the loop -------------------------------------------------------- */

void loop_config_default(LoopConfig *cfg);   /* the defaults above, no callbacks */

/* A loop with no listener yet; NULL when out of memory or the config is
 * unusable (a zero limit, pause_out > max_out). */
Loop *loop_new(const LoopConfig *cfg);

/* Closes every connection at once (on_close "server stopped" for each open
 * one; queued output is dropped), the listener and the wake-up pipe.
 * NULL is allowed. */
void loop_free(Loop *loop);

/* Listen on "HOST:PORT": "127.0.0.1:3000", "[::1]:0", "localhost:3000",
 * ":3000" (every interface), on the first address HOST resolves to that can
 * be bound.  Port 0 picks a free port; loop_port() tells which.  On failure returns ST_ARG (bad syntax) or ST_IO and writes a
 * one-line reason into err. */
Status loop_listen(Loop *loop, const char *hostport, char err[LOOP_ERR_LEN]);
int loop_port(const Loop *loop);   /* the bound port, 0 before loop_listen */

/* Serve fd, an already connected stream socket (e.g. one end of a
 * socketpair), as if it had been accepted: on_open follows.  A loop with
 * no listener serves only such connections (`tinystdb test`, chapter 30).
 * The loop owns fd from here, also on failure (ST_IO, ST_LIMIT, ST_NOMEM). */
Status loop_adopt(Loop *loop, int fd, const char *peer);

/* One iteration: wait at most timeout_ms (-1 = until something happens),
 * handle what is ready, run on_tick, flush output, report closes.
 * ST_IO only if poll() itself fails. */
Status loop_run_once(Loop *loop, int timeout_ms);

/* From on_tick only: read the input that is ready now, without waiting;
 * how many connections had some.  Group commit batches with it. */
size_t loop_gather(Loop *loop);

/* Iterate, taking each timeout from next_timeout_ms, until loop_stop(). */
Status loop_run(Loop *loop);

/* Ask loop_run to return (the current run, or the next if none is running).
 * Async-signal-safe: it sets a flag and writes one byte to a pipe. */
void loop_stop(Loop *loop);
bool loop_stopping(const Loop *loop);

void *loop_user(const Loop *loop);
size_t loop_conn_count(const Loop *loop);

/* Bytes held in connection buffers (input + output capacity), for tests
 * and for the server's stats. */
size_t loop_memory(const Loop *loop);

/* Verify every invariant of the loop and its connections; on failure
 * return ST_INVALID with a description in msg. */
Status loop_check(const Loop *loop, char *msg, size_t msglen);

/* ---- connections ----------------------------------------------------- */

/* Queue len bytes (callers add their own '\n').  ST_OK, or:
 *   ST_IO     the connection is closing: nothing queued (a normal race);
 *   ST_LIMIT  the queue would exceed max_out: the client is disconnected;
 *   ST_NOMEM  no memory for the queue: the client is disconnected. */
Status conn_send(Conn *c, const void *bytes, size_t len);

/* Stop reading, send what is queued, then close.  on_close follows with
 * reason "closed by server".  Does nothing if already closing. */
void conn_close(Conn *c);

void conn_set_user(Conn *c, void *user);
void *conn_user(const Conn *c);
Loop *conn_loop(const Conn *c);
uint64_t conn_id(const Conn *c);       /* 1, 2, 3, ... in accept order */
const char *conn_peer(const Conn *c);  /* "127.0.0.1:54321", "[::1]:54321" */
size_t conn_queued(const Conn *c);     /* output bytes not yet written */

#endif
