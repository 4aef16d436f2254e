/*
 * conn.h - inside a connection: its state machine and its two buffers.
 * Private to src/net/loop.c and src/net/conn.c; applications use loop.h.
 *
 * A connection moves one way through four states:
 *
 *           peer EOF, too-long line, idle, conn_close
 *   OPEN ─────────────────────────────────────────────► CLOSING
 *    │                                                     │ output flushed:
 *    │ reset, write error, slow reader,                    ▼ shutdown(SHUT_WR)
 *    │ out of memory                                    LINGER
 *    │                                                     │ client EOF, linger_ms
 *    └──────────────────────► DEAD ◄──────────────────────┘
 *          (CLOSING and LINGER also end in DEAD on an error or a deadline)
 *
 *   OPEN     lines are read, framed and given to on_line.
 *   CLOSING  on_close is decided; no more lines are delivered.  Queued
 *            output is still written; input is read and thrown away.
 *   LINGER   output done, write side shut (the client sees EOF after our
 *            last byte).  We keep reading and discarding until the client
 *            closes too or linger_ms passes, so that closing our socket
 *            with unread input does not make the kernel send a reset that
 *            could destroy the error line the client has not read yet.
 *   DEAD     waiting for the loop to call close() and free it.
 *
 * Buffers (invariants checked by conn_check):
 *   in[0 .. in_len)    received bytes not yet delivered; no '\n' in
 *                      [0, in_scan) (so a long line is scanned only once);
 *                      in_len <= in_cap <= max_line + 1.
 *   out[out_head .. out_head + out_len)   bytes queued, not yet written;
 *                      out_len <= max_out + ERROR_LINE_MAX.
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#ifndef TINYSTDB_CONN_H
#define TINYSTDB_CONN_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define CONN_REASON_LEN 96
#define CONN_PEER_LEN 64
#define ERROR_LINE_MAX 128      /* an error line of our own, {"error":...}\n */
#define LOOP_SCRATCH 65536      /* discard buffer for closing connections */

typedef enum ConnState {
    CONN_OPEN,
    CONN_CLOSING,
    CONN_LINGER,
    CONN_DEAD,
} ConnState;

struct Conn {
    Loop *loop;
    int fd;
    size_t slot;                 /* index in loop->conns */
    ConnState state;
    bool close_pending;          /* on_close not called yet */
    bool peer_eof;               /* the client has shut its write side */
    bool wait_writable;          /* send() said EAGAIN: write again on POLLOUT */
    int64_t deadline_ms;         /* idle / flush / linger deadline; 0 = none */
    uint64_t id;
    void *user;
    char *in;                    /* input: received, not yet delivered */
    size_t in_len, in_cap, in_scan;
    char *out;                   /* output: queued, not yet written */
    size_t out_head, out_len, out_cap;
    char reason[CONN_REASON_LEN];
    char peer[CONN_PEER_LEN];
};

struct Loop {
    LoopConfig cfg;
    int listen_fd;               /* -1 before loop_listen */
    int port;
    int wake[2];                 /* self-pipe: loop_stop writes, poll reads */
    int spare_fd;                /* released to accept-and-refuse on EMFILE */
    int64_t accept_resume_ms;    /* not accepting until then (EMFILE); 0 = accepting */
    volatile sig_atomic_t stop;
    uint64_t next_id;
    int64_t now_ms;              /* monotonic time of this iteration */
    Conn **conns;                /* the open connections, capacity max_conns */
    size_t nconns;
    struct pollfd *pfds;         /* wake pipe, listener, then one per conn */
    Conn **polled;               /* the Conn behind each pfds entry (or NULL) */
    char scratch[LOOP_SCRATCH];
};

/* loop.c, called by conn.c: the monotonic clock in milliseconds */
int64_t loop_clock_ms(void);

/* conn.c, called by loop.c */
Conn *conn_new(Loop *loop, int fd, const char *peer);
void conn_free(Conn *c);
void conn_on_readable(Conn *c);
void conn_flush(Conn *c);
void conn_on_deadline(Conn *c);
short conn_poll_events(const Conn *c);
void conn_kill(Conn *c, const char *reason);
Status conn_check(const Conn *c, char *msg, size_t msglen);

#endif
