/*
 * loop.c - the poll() event loop: listening, accepting, waiting, and the
 * order in which one iteration does its work.
 *
 * One iteration of loop_run_once():
 *
 *   settle ─► build pollfds ─► poll(timeout) ─► dispatch ─► expire ─► on_tick ─► settle
 *
 *   settle     write every queue that has bytes (many replies, one send),
 *              call on_close for connections that ended, free dead ones;
 *   pollfds    rebuilt each time from the connection array: slot 0 is the
 *              wake-up pipe, slot 1 the listener, then one per connection
 *              with the events it wants (conn_poll_events);
 *   timeout    the smallest of: the caller's (next timer), the nearest
 *              connection deadline (idle, flush, linger), 0 if stopping;
 *   dispatch   readable listener: accept a batch; readable/writable
 *              connection: conn_on_readable / conn_flush;
 *   expire     connections whose deadline passed.
 *
 * Why the two-phase close: a callback for one client often touches others
 * (a chat message is sent to everybody).  If sending to B could free B, or
 * call on_close(B) while the application is half-way through its own list,
 * every callback would have to defend against it.  So connections are only
 * *marked* (close_pending, state DEAD) where things go wrong, and settle()
 * reports and frees them when no callback is running.  Likewise, freed
 * connections are never touched during dispatch: the pollfd array holds
 * pointers that stay valid until the next settle().
 *
 * Stopping: loop_stop() sets a flag and writes a byte into a pipe whose
 * other end is in every poll() set.  A signal handler may call it: if the
 * signal lands just before poll(), the byte still wakes poll() at once (the
 * "self-pipe trick"); a flag alone would be seen only after the next event.
 *
 * Running out of descriptors: when accept() fails with EMFILE, the client
 * stays in the kernel's queue and the listener stays readable, so poll()
 * would return at once forever.  We keep one spare descriptor (/dev/null)
 * open; on EMFILE we close it, accept the client, send it an error line,
 * close it and reopen the spare.  If even that fails we stop polling the
 * listener for ACCEPT_BACKOFF_MS.
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "../util/alloc.h"
#include "../util/log.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define ACCEPT_BATCH 64          /* accepts per wake-up, so clients get served too */
#define ACCEPT_BACKOFF_MS 100
#define LISTEN_BACKLOG 511

/* ---- small helpers --------------------------------------------------- */

/* Milliseconds of CLOCK_MONOTONIC (never jumps when the wall clock is set). */
int64_t loop_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Non-blocking, closed on exec; sockets also never raise SIGPIPE. */
static Status set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return ST_IO;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return ST_IO;
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return ST_OK;
}

void loop_config_default(LoopConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_line = LOOP_DEFAULT_MAX_LINE;
    cfg->max_out = LOOP_DEFAULT_MAX_OUT;
    cfg->pause_out = LOOP_DEFAULT_PAUSE_OUT;
    cfg->max_conns = LOOP_DEFAULT_MAX_CONNS;
    cfg->idle_ms = 0;
    cfg->linger_ms = LOOP_DEFAULT_LINGER_MS;
}

static bool config_ok(const LoopConfig *cfg)
{
    size_t huge = (size_t)-1 / 4;
    return cfg->max_line > 0 && cfg->max_line < huge && cfg->max_out > 0 &&
           cfg->max_out < huge && cfg->pause_out > 0 && cfg->pause_out <= cfg->max_out &&
           cfg->max_conns > 0 && cfg->max_conns <= (1 << 20) && cfg->idle_ms >= 0 &&
           cfg->linger_ms >= 0;
}

/* ---- create and destroy ---------------------------------------------- */

Loop *loop_new(const LoopConfig *cfg)
{
    if (!cfg || !config_ok(cfg))
        return NULL;
    Loop *loop = mem_calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->cfg = *cfg;
    loop->listen_fd = loop->wake[0] = loop->wake[1] = loop->spare_fd = -1;
    size_t slots = (size_t)cfg->max_conns + 2;
    loop->conns = mem_calloc((size_t)cfg->max_conns, sizeof *loop->conns);
    loop->pfds = mem_calloc(slots, sizeof *loop->pfds);
    loop->polled = mem_calloc(slots, sizeof *loop->polled);
    if (!loop->conns || !loop->pfds || !loop->polled)
        goto fail;
    if (pipe(loop->wake) < 0) {
        loop->wake[0] = loop->wake[1] = -1;
        goto fail;
    }
    if (set_flags(loop->wake[0]) != ST_OK || set_flags(loop->wake[1]) != ST_OK)
        goto fail;
    loop->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);   /* -1 is tolerated */
    loop->now_ms = loop_clock_ms();
    return loop;
fail:
    loop_free(loop);
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Call on_close for every connection that ended since the last call.  A
 * callback may end others (by sending to them), hence the repeat. */
static void notify_closes(Loop *loop)
{
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = 0; i < loop->nconns; i++) {
            Conn *c = loop->conns[i];
            if (!c->close_pending)
                continue;
            c->close_pending = false;
            if (loop->cfg.on_close)
                loop->cfg.on_close(c, c->reason);
            again = true;
        }
    }
}

void loop_free(Loop *loop)
{
    if (!loop)
        return;
    for (size_t i = 0; i < loop->nconns; i++)
        conn_kill(loop->conns[i], "server stopped");
    notify_closes(loop);
    for (size_t i = 0; i < loop->nconns; i++)
        conn_free(loop->conns[i]);
    close_fd(&loop->listen_fd);
    close_fd(&loop->wake[0]);
    close_fd(&loop->wake[1]);
    close_fd(&loop->spare_fd);
    mem_free(loop->conns);
    mem_free(loop->pfds);
    mem_free(loop->polled);
    mem_free(loop);
}

/* ---- listening ------------------------------------------------------- */

/* "HOST:PORT", "[V6]:PORT", ":PORT" -> host ("" = any) and port digits. */
static Status parse_hostport(const char *s, char *host, size_t hostlen, char *port)
{
    const char *hend, *colon;
    if (s[0] == '[') {
        hend = strchr(s, ']');
        if (!hend || hend[1] != ':')
            return ST_ARG;
        s++;
        colon = hend + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return ST_ARG;   /* no port, or an IPv6 address without [] */
        hend = colon;
    }
    size_t hn = (size_t)(hend - s), pn = strlen(colon + 1);
    if (hn >= hostlen || pn < 1 || pn > 5 || strspn(colon + 1, "0123456789") != pn)
        return ST_ARG;
    if (atoi(colon + 1) > 65535)
        return ST_ARG;
    memcpy(host, s, hn);
    host[hn] = '\0';
    memcpy(port, colon + 1, pn + 1);
    return ST_OK;
}

/* A listening non-blocking socket on the first address that works. */
static int bind_first(const struct addrinfo *list)
{
    int saved = EADDRNOTAVAIL;
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;   /* restart at once even with old connections in TIME_WAIT */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0 &&
            set_flags(fd) == ST_OK)
            return fd;
        saved = errno;
        close(fd);
    }
    errno = saved;
    return -1;
}

static int sockaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return 0;
}

Status loop_listen(Loop *loop, const char *hostport, char err[LOOP_ERR_LEN])
{
    char host[256], port[8];
    if (loop->listen_fd >= 0) {
        snprintf(err, LOOP_ERR_LEN, "already listening on port %d", loop->port);
        return ST_ARG;
    }
    if (parse_hostport(hostport, host, sizeof host, port) != ST_OK) {
        snprintf(err, LOOP_ERR_LEN, "bad address '%.100s': expected HOST:PORT", hostport);
        return ST_ARG;
    }
    struct addrinfo hints = {0}, *list = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    bool any = host[0] == '\0' || strcmp(host, "*") == 0;
    int rc = getaddrinfo(any ? NULL : host, port, &hints, &list);
    if (rc != 0) {
        snprintf(err, LOOP_ERR_LEN, "cannot resolve '%.100s': %s", host, gai_strerror(rc));
        return ST_IO;
    }
    int fd = bind_first(list);
    freeaddrinfo(list);
    if (fd < 0) {
        snprintf(err, LOOP_ERR_LEN, "cannot listen on %.100s: %s", hostport, strerror(errno));
        return ST_IO;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    loop->listen_fd = fd;
    loop->port = sockaddr_port(&ss);
    return ST_OK;
}

int loop_port(const Loop *loop)
{
    return loop->port;
}

/* ---- accepting ------------------------------------------------------- */

static void format_peer(const struct sockaddr_storage *ss, socklen_t len, char *out)
{
    char host[64], serv[16];
    if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, CONN_PEER_LEN, "?");
        return;
    }
    const char *fmt = ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s";
    snprintf(out, CONN_PEER_LEN, fmt, host, serv);
}

/* One error line, best effort, then close: for clients we will not serve. */
static void refuse(int fd, const char *why)
{
    char line[ERROR_LINE_MAX];
    int n = snprintf(line, sizeof line, "{\"error\":\"%s\"}\n", why);
    ssize_t w = send(fd, line, (size_t)n, MSG_NOSIGNAL);
    (void)w;
    close(fd);
}

Status loop_adopt(Loop *loop, int fd, const char *peer)
{
    if (set_flags(fd) != ST_OK) {
        close(fd);
        return ST_IO;
    }
    if (loop->nconns >= (size_t)loop->cfg.max_conns) {
        log_msg(LOG_INFO, "refused %s: too many connections (%d)", peer, loop->cfg.max_conns);
        refuse(fd, "too many connections");
        return ST_LIMIT;
    }
    Conn *c = conn_new(loop, fd, peer);
    if (!c) {
        refuse(fd, "server out of memory");
        return ST_NOMEM;
    }
    c->slot = loop->nconns;
    loop->conns[loop->nconns++] = c;
    if (loop->cfg.on_open)
        loop->cfg.on_open(c);
    return ST_OK;
}

static void admit(Loop *loop, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    char peer[CONN_PEER_LEN];
    format_peer(ss, len, peer);
    int one = 1;   /* replies are small and we batch them ourselves: no Nagle delay */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    loop_adopt(loop, fd, peer);
}

/* EMFILE/ENFILE: see the file comment. */
static void shed_one(Loop *loop)
{
    if (loop->spare_fd >= 0) {
        close_fd(&loop->spare_fd);
        int fd = accept(loop->listen_fd, NULL, NULL);
        if (fd >= 0 && set_flags(fd) == ST_OK)
            refuse(fd, "too many connections");
        else if (fd >= 0)
            close(fd);
        loop->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (loop->spare_fd < 0)
        loop->accept_resume_ms = loop->now_ms + ACCEPT_BACKOFF_MS;
    log_msg(LOG_WARN, "out of file descriptors: refusing connections");
}

static void accept_ready(Loop *loop)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept(loop->listen_fd, (struct sockaddr *)&ss, &len);
        if (fd >= 0) {
            admit(loop, fd, &ss, len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE)
            shed_one(loop);
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            log_msg(LOG_WARN, "accept: %s", strerror(errno));
        return;
    }
}

/* ---- one iteration --------------------------------------------------- */

/* Write every queue that has bytes, except those already waiting for
 * POLLOUT; this also moves closing connections on (to LINGER or DEAD). */
static void flush_pending(Loop *loop)
{
    for (size_t i = 0; i < loop->nconns; i++) {
        Conn *c = loop->conns[i];
        bool pending = c->out_len > 0 && !c->wait_writable;
        if (c->state != CONN_DEAD && (pending || (c->state == CONN_CLOSING && !c->out_len)))
            conn_flush(c);
    }
}

/* Close and free DEAD connections; the last one takes the freed slot. */
static void free_dead(Loop *loop)
{
    size_t i = 0;
    while (i < loop->nconns) {
        Conn *c = loop->conns[i];
        if (c->state != CONN_DEAD) {
            i++;
            continue;
        }
        loop->conns[i] = loop->conns[--loop->nconns];
        loop->conns[i]->slot = i;
        loop->conns[loop->nconns] = NULL;
        conn_free(c);
    }
}

/* The safe point of an iteration: no callback is running. */
static void settle(Loop *loop)
{
    flush_pending(loop);
    notify_closes(loop);
    free_dead(loop);
}

static int poll_timeout(const Loop *loop, int timeout_ms)
{
    if (loop->stop)
        return 0;
    int64_t t = timeout_ms < 0 ? -1 : timeout_ms;
    for (size_t i = 0; i <= loop->nconns; i++) {
        int64_t when = i < loop->nconns ? loop->conns[i]->deadline_ms : loop->accept_resume_ms;
        if (when == 0)
            continue;
        int64_t d = when > loop->now_ms ? when - loop->now_ms : 0;
        if (t < 0 || d < t)
            t = d;
    }
    return t > 86400000 ? 86400000 : (int)t;
}

static size_t build_pollfds(Loop *loop)
{
    bool accepting = loop->now_ms >= loop->accept_resume_ms;
    loop->pfds[0] = (struct pollfd){.fd = loop->wake[0], .events = POLLIN};
    loop->pfds[1] = (struct pollfd){.fd = accepting ? loop->listen_fd : -1, .events = POLLIN};
    loop->polled[0] = loop->polled[1] = NULL;
    if (accepting)
        loop->accept_resume_ms = 0;
    size_t n = 2;
    for (size_t i = 0; i < loop->nconns; i++, n++) {
        Conn *c = loop->conns[i];
        loop->pfds[n] = (struct pollfd){.fd = c->fd, .events = conn_poll_events(c)};
        loop->polled[n] = c;
    }
    return n;
}

/* A connection is ready.  POLLHUP/POLLERR arrive even unasked: if we were
 * reading, the read reports them; if not (paused, or the client already
 * sent EOF), we try to write and give up if the queue cannot be flushed. */
static void conn_ready(Conn *c, short asked, short got)
{
    bool hup = (got & (POLLHUP | POLLERR | POLLNVAL)) != 0;
    if ((got & POLLIN) || (hup && (asked & POLLIN)))
        conn_on_readable(c);
    if (c->state == CONN_DEAD)
        return;
    if (got & POLLOUT)
        c->wait_writable = false;
    if ((got & POLLOUT) || hup)
        conn_flush(c);
    if (hup && !(asked & POLLIN) && c->state != CONN_DEAD && c->out_len > 0)
        conn_kill(c, "connection lost");
}

/* Empty the wake-up pipe: its bytes only mean "look at the stop flag". */
static void drain_wake(Loop *loop)
{
    char buf[64];
    while (read(loop->wake[0], buf, sizeof buf) > 0) {
    }
}

static void dispatch(Loop *loop, size_t n)
{
    if (loop->pfds[0].revents)
        drain_wake(loop);
    if (loop->pfds[1].revents)
        accept_ready(loop);
    for (size_t i = 2; i < n; i++) {
        Conn *c = loop->polled[i];
        if (loop->pfds[i].revents && c->state != CONN_DEAD)
            conn_ready(c, loop->pfds[i].events, loop->pfds[i].revents);
    }
}

static void expire(Loop *loop)
{
    for (size_t i = 0; i < loop->nconns; i++) {
        Conn *c = loop->conns[i];
        if (c->deadline_ms && loop->now_ms >= c->deadline_ms && c->state != CONN_DEAD)
            conn_on_deadline(c);
    }
}

Status loop_run_once(Loop *loop, int timeout_ms)
{
    loop->now_ms = loop_clock_ms();
    settle(loop);   /* whatever was sent or closed since the last iteration */
    size_t n = build_pollfds(loop);
    int rc = poll(loop->pfds, (nfds_t)n, poll_timeout(loop, timeout_ms));
    if (rc < 0 && errno != EINTR) {
        log_msg(LOG_ERROR, "poll: %s", strerror(errno));
        return ST_IO;
    }
    loop->now_ms = loop_clock_ms();
    if (rc > 0)
        dispatch(loop, n);
    expire(loop);
    if (loop->cfg.on_tick)
        loop->cfg.on_tick(loop);
    settle(loop);
    return ST_OK;
}

/* Group commit's second look (chapter 27): poll() the open connections
 * without waiting and read what arrived while the turn ran, so one
 * fsync covers those calls too.  Only input: output, closes and accepts
 * wait for the turn's settle().  Call it only from on_tick; it reuses
 * the pollfd array, which dispatch no longer needs by then. */
size_t loop_gather(Loop *loop)
{
    size_t n = 0, ready = 0;
    for (size_t i = 0; i < loop->nconns; i++) {
        Conn *c = loop->conns[i];
        if (c->state == CONN_OPEN && (conn_poll_events(c) & POLLIN)) {
            loop->pfds[n] = (struct pollfd){.fd = c->fd, .events = POLLIN};
            loop->polled[n++] = c;
        }
    }
    if (n == 0 || poll(loop->pfds, (nfds_t)n, 0) <= 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        Conn *c = loop->polled[i];
        if (loop->pfds[i].revents && c->state != CONN_DEAD) {
            conn_ready(c, POLLIN, loop->pfds[i].revents);
            ready++;
        }
    }
    return ready;
}

Status loop_run(Loop *loop)
{
    Status st = ST_OK;
    while (!loop->stop && st == ST_OK) {
        int t = loop->cfg.next_timeout_ms ? loop->cfg.next_timeout_ms(loop) : -1;
        st = loop_run_once(loop, t);
    }
    loop->stop = 0;   /* the request is served: the next loop_run runs */
    drain_wake(loop);
    return st;
}

void loop_stop(Loop *loop)
{
    int saved = errno;   /* we may be inside a signal handler */
    loop->stop = 1;
    ssize_t w = write(loop->wake[1], "", 1);
    (void)w;
    errno = saved;
}

bool loop_stopping(const Loop *loop)
{
    return loop->stop != 0;
}

/* ---- queries --------------------------------------------------------- */

void *loop_user(const Loop *loop)
{
    return loop->cfg.user;
}

size_t loop_conn_count(const Loop *loop)
{
    return loop->nconns;
}

size_t loop_memory(const Loop *loop)
{
    size_t total = 0;
    for (size_t i = 0; i < loop->nconns; i++)
        total += loop->conns[i]->in_cap + loop->conns[i]->out_cap;
    return total;
}

Status loop_check(const Loop *loop, char *msg, size_t msglen)
{
    if (loop->nconns > (size_t)loop->cfg.max_conns) {
        snprintf(msg, msglen, "%zu connections, limit %d", loop->nconns, loop->cfg.max_conns);
        return ST_INVALID;
    }
    if (loop->wake[0] < 0 || loop->wake[1] < 0) {
        snprintf(msg, msglen, "no wake-up pipe");
        return ST_INVALID;
    }
    for (size_t i = 0; i < loop->nconns; i++) {
        const Conn *c = loop->conns[i];
        if (!c || c->slot != i || c->loop != loop || c->state == CONN_DEAD || c->close_pending) {
            snprintf(msg, msglen, "connection slot %zu: bad entry (dead, unreported or misplaced)", i);
            return ST_INVALID;
        }
        Status st = conn_check(c, msg, msglen);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}
