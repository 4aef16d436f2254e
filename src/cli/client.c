/*
 * client.c - a small blocking TCP client speaking the line protocol.
 *
 * The socket is non-blocking from the moment it is made; "blocking" is a
 * promise this file makes to its callers by waiting in poll() until a
 * deadline.  That gives every step (connect, send, read) a timeout with
 * one mechanism, and it is also how tools/loadgen drives hundreds of
 * connections from one thread, so the two share client_dial.
 *
 *   client_dial ──► connect() in progress ──poll(POLLOUT)──► SO_ERROR == 0
 *   client_send ──► send() what fits ──poll(POLLOUT)──► ... until all sent
 *   client_read_line ──► '\n' already buffered? ──no──► poll(POLLIN), recv
 *
 * Invariants: in.data[in_start..in.len) holds the bytes received and not
 * yet returned, never more than CLIENT_MAX_LINE + one read's worth; a
 * Client with fd == -1 is closed and owns no socket.  send() uses
 * MSG_NOSIGNAL so a server that hangs up is an error value, not SIGPIPE.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536

Status client_error(ClientError *err, Status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---- addresses ------------------------------------------------------------ */

const char *client_server_address(const char *flag)
{
    if (flag)
        return flag;
    const char *env = getenv(CLIENT_SERVER_ENV);
    return env && *env ? env : CLIENT_DEFAULT_SERVER;
}

Status client_parse_address(const char *addr, char host[CLIENT_MAX_HOST], uint16_t *port,
                            ClientError *err)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return client_error(err, ST_ARG, "bad server address \"%s\": expected HOST:PORT", addr);
    const char *h = addr;
    size_t hlen = (size_t)(colon - addr);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {   /* [::1]:3000 */
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= CLIENT_MAX_HOST)
        return client_error(err, ST_ARG, "bad server address \"%s\": no host", addr);
    unsigned long p = 0;
    const char *d = colon + 1;
    for (; *d >= '0' && *d <= '9' && p <= 65535; d++)
        p = p * 10 + (unsigned long)(*d - '0');
    if (d == colon + 1 || *d != '\0' || p == 0 || p > 65535)
        return client_error(err, ST_ARG, "bad server address \"%s\": port must be 1-65535",
                            addr);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return ST_OK;
}

/* A socket for ai, non-blocking, with Nagle off (requests are small and
 * each waits for its answer: batching them only adds latency). */
static int open_socket(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int one = 1;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

Status client_dial(const char *addr, int *fd, ClientError *err)
{
    char host[CLIENT_MAX_HOST], portstr[8];
    uint16_t port;
    Status st = client_parse_address(addr, host, &port, err);
    if (st != ST_OK)
        return st;
    snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        return client_error(err, ST_NOT_FOUND, "cannot resolve %s: %s", host, gai_strerror(rc));
    /* The first address is enough for a command-line client. */
    int s = open_socket(res);
    int e = errno;
    if (s >= 0 && connect(s, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS) {
        e = errno;
        close(s);
        s = -1;
    }
    freeaddrinfo(res);
    if (s < 0)
        return client_error(err, ST_IO, "cannot connect to %s: %s", addr, strerror(e));
    *fd = s;
    return ST_OK;
}

/* ---- deadlines ------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or the deadline (-1: none) passes.
 * 1 ready, 0 timed out, -1 error (errno set). */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            ms = left <= 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, ms);
        if (rc >= 0 || errno != EINTR)
            return rc;
    }
}

static int64_t deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* ---- connecting ----------------------------------------------------------- */

Status client_connect(Client *c, const char *addr, int timeout_ms, ClientError *err)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    strbuf_init(&c->in);
    arena_init(&c->arena);
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    int fd = -1;
    Status st = client_dial(addr, &fd, err);
    if (st != ST_OK)
        goto hint;
    int rc = wait_fd(fd, POLLOUT, deadline_of(timeout_ms));
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (rc == 0) {
        st = client_error(err, ST_IO, "cannot connect to %s: timed out after %d ms", addr,
                          timeout_ms);
    } else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
        st = client_error(err, ST_IO, "cannot connect to %s: %s", addr,
                          strerror(rc < 0 ? errno : soerr ? soerr : errno));
    }
    if (st != ST_OK) {
        close(fd);
        goto hint;
    }
    c->fd = fd;
    return ST_OK;
hint:
    if (st == ST_IO && err && strlen(err->msg) + 40 < sizeof err->msg)
        strcat(err->msg, " (is `tinystdb start` running?)");
    return st;
}

void client_close(Client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    strbuf_fini(&c->in);
    arena_fini(&c->arena);
    c->in_start = 0;
}

/* ---- sending -------------------------------------------------------------- */

static Status send_all(Client *c, const char *p, size_t n, ClientError *err)
{
    int64_t deadline = deadline_of(CLIENT_REPLY_TIMEOUT_MS);
    while (n > 0) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return client_error(err, ST_IO, "sending to %s: %s", c->addr, strerror(errno));
        int rc = wait_fd(c->fd, POLLOUT, deadline);
        if (rc <= 0)
            return client_error(err, ST_IO, "sending to %s: %s", c->addr,
                                rc == 0 ? "timed out" : strerror(errno));
    }
    return ST_OK;
}

Status client_send(Client *c, const ProtoRequest *req, ClientError *err)
{
    if (c->fd < 0)
        return client_error(err, ST_IO, "not connected");
    StrBuf line;
    strbuf_init(&line);
    Status st = proto_encode_request(&line, req);
    if (st != ST_OK)
        client_error(err, st, "cannot encode the request: %s", status_str(st));
    else
        st = send_all(c, line.data, line.len, err);
    strbuf_fini(&line);
    return st;
}

/* ---- receiving ------------------------------------------------------------ */

/* Drop the bytes already returned, so the buffer holds only unread ones. */
static void compact(Client *c)
{
    if (c->in_start == 0)
        return;
    size_t left = c->in.len - c->in_start;
    memmove(c->in.data, c->in.data + c->in_start, left);
    c->in.len = left;
    c->in.data[left] = '\0';
    c->in_start = 0;
}

/* One recv() into the buffer.  ST_OK with *closed when the peer is done. */
static Status read_some(Client *c, int64_t deadline, bool *closed, ClientError *err)
{
    char chunk[READ_CHUNK];
    *closed = false;
    for (;;) {
        ssize_t k = recv(c->fd, chunk, sizeof chunk, 0);
        if (k > 0)
            return strbuf_append(&c->in, chunk, (size_t)k) == ST_OK
                       ? ST_OK
                       : client_error(err, ST_NOMEM, "out of memory reading a reply");
        if (k == 0) {
            *closed = true;
            return ST_OK;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return client_error(err, ST_IO, "reading from %s: %s", c->addr, strerror(errno));
        int rc = wait_fd(c->fd, POLLIN, deadline);
        if (rc == 0)
            return client_error(err, ST_IO, "no answer from %s: timed out", c->addr);
        if (rc < 0)
            return client_error(err, ST_IO, "reading from %s: %s", c->addr, strerror(errno));
    }
}

Status client_read_line(Client *c, const char **line, size_t *len, int timeout_ms,
                        ClientError *err)
{
    if (c->fd < 0)
        return client_error(err, ST_IO, "not connected");
    compact(c);
    int64_t deadline = deadline_of(timeout_ms);
    size_t scanned = 0;   /* bytes already searched for '\n' */
    for (;;) {
        const char *nl = c->in.len > scanned
                             ? memchr(c->in.data + scanned, '\n', c->in.len - scanned)
                             : NULL;
        if (nl) {
            *line = c->in.data;
            *len = (size_t)(nl - c->in.data);
            c->in_start = *len + 1;
            return ST_OK;
        }
        scanned = c->in.len;
        if (scanned > CLIENT_MAX_LINE)
            return client_error(err, ST_LIMIT, "a reply from %s is longer than %zu MiB",
                                c->addr, CLIENT_MAX_LINE >> 20);
        bool closed;
        Status st = read_some(c, deadline, &closed, err);
        if (st != ST_OK)
            return st;
        if (closed)
            return client_error(err, ST_IO, "%s closed the connection", c->addr);
    }
}

Status client_read_reply(Client *c, ProtoReply *out, int timeout_ms, ClientError *err)
{
    const char *line;
    size_t len;
    Status st = client_read_line(c, &line, &len, timeout_ms, err);
    if (st != ST_OK)
        return st;
    arena_reset(&c->arena);
    ProtoError perr = {{0}};
    st = proto_decode_reply(&c->arena, line, len, out, &perr);
    if (st != ST_OK)
        return client_error(err, st, "cannot understand the server's answer: %s", perr.msg);
    return ST_OK;
}

/* ---- saying who we are ---------------------------------------------------- */

/* The IdentityToken after Connect; an error line becomes the error. */
static Status read_identity(Client *c, ClientError *err)
{
    ProtoReply rep;
    Status st = client_read_reply(c, &rep, CLIENT_REPLY_TIMEOUT_MS, err);
    if (st != ST_OK)
        return st;
    if (rep.kind == PROTO_REPLY_ERROR)
        return client_error(err, ST_INVALID, "%.*s", (int)rep.error.len, rep.error.s);
    if (rep.kind != PROTO_REPLY_IDENTITY_TOKEN)
        return client_error(err, ST_INVALID, "expected IdentityToken from %s, got %s", c->addr,
                            proto_reply_name(rep.kind));
    if (!identity_token_well_formed(rep.token.s, rep.token.len))
        return client_error(err, ST_INVALID, "%s sent a token of an unknown shape", c->addr);
    c->identity = rep.identity;
    c->conn_id = rep.connection_id;
    memcpy(c->token, rep.token.s, rep.token.len);
    c->token[rep.token.len] = '\0';
    return ST_OK;
}

/* A server that refuses our saved token was probably started afresh (a
 * new data directory): tell the person how to start over. */
static void refused_hint(const char *addr, ClientError *err)
{
    if (!err)
        return;
    StrBuf path;
    strbuf_init(&path);
    size_t n = strlen(err->msg);
    if (client_token_path(addr, &path, NULL) == ST_OK)
        snprintf(err->msg + n, sizeof err->msg - n,
                 " (the token saved in %s was refused; remove that file to get a new identity)",
                 path.data);
    strbuf_fini(&path);
}

Status client_hello(Client *c, const char *database, ClientError *err)
{
    char saved[IDENTITY_TOKEN_LEN + 1] = "";
    bool found = false;
    Status st = client_token_load(c->addr, saved, &found, err);
    if (st != ST_OK)
        return st;
    ProtoRequest req = {.kind = PROTO_REQ_CONNECT, .database = proto_str(database)};
    if (found)
        req.token = proto_str(saved);
    st = client_send(c, &req, err);
    if (st == ST_OK)
        st = read_identity(c, err);
    /* "Authorization failed: token not signed by this instance" */
    if (st == ST_INVALID && found && err && strncmp(err->msg, "Authorization", 13) == 0)
        refused_hint(c->addr, err);
    if (st == ST_OK && (!found || strcmp(saved, c->token) != 0))
        st = client_token_save(c->addr, c->token, err);
    return st;
}
