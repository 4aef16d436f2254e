/*
 * client.h - the client side of the protocol: a small blocking TCP client
 * for the `tinystdb publish | call | logs | describe | delete` commands,
 * and the file where a person's token is kept between commands.
 *
 * One command is one short conversation with the server:
 *
 *     client_connect("127.0.0.1:3000")         TCP, with a timeout
 *     client_hello(c, "bank")   ── {"Connect":{"database":"bank","token":"tstdb_…"}}
 *                               ◄─ {"IdentityToken":{…}}   (a new token is saved)
 *     client_send(c, &req)      ── {"CallReducer":{…}}
 *     client_read_reply(c, …)   ◄─ {"TransactionUpdate":{…}}
 *     client_close(c)
 *
 * "Blocking" from the caller's point of view: every call returns when it
 * is done or when its timeout passes.  Underneath, the socket is
 * non-blocking and every wait is a poll() with a deadline, so a server
 * that stops answering can never hang a command.  Replies are read into
 * a buffer that never grows past CLIENT_MAX_LINE bytes.
 *
 * Tokens (client_token.c).  The server gives a client without a token a
 * new identity; the first publisher of a database is its owner.  So that
 * the same person stays the owner from one command to the next, the token
 * is kept in a file, one per server address:
 *
 *     $XDG_CONFIG_HOME/tinystdb/token-127.0.0.1_3000    (if XDG_CONFIG_HOME
 *     $HOME/.config/tinystdb/token-127.0.0.1_3000        is absolute, else)
 *
 * The directory is created with mode 0700 and the file with 0600 on first
 * use (the token is a password); it is written to a temporary file and
 * renamed, so a crash never leaves half a token.
 *
 * Errors: every fallible function returns a Status and puts one line of
 * explanation in a ClientError, ready to print after "Error: ".
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#ifndef TINYSTDB_CLI_CLIENT_H
#define TINYSTDB_CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../net/identity.h"
#include "../net/proto.h"
#include "../util/arena.h"
#include "../util/status.h"
#include "../util/vec.h"

#define CLIENT_DEFAULT_SERVER "127.0.0.1:3000"
#define CLIENT_SERVER_ENV "TINYSTDB_SERVER"
#define CLIENT_CONNECT_TIMEOUT_MS 5000
#define CLIENT_REPLY_TIMEOUT_MS 60000
#define CLIENT_FOREVER (-1)                   /* a timeout: wait as long as it takes */
#define CLIENT_MAX_LINE ((size_t)128 << 20)   /* longest reply line we accept */
#define CLIENT_MAX_HOST 256                   /* bytes of a host name, NUL included */

typedef struct ClientError {
    char msg[512];
} ClientError;

/* Fill err (may be NULL) with a printf-style message and return st. */
Status client_error(ClientError *err, Status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- addresses ------------------------------------------------------------ */

/* The server to talk to: `flag` (from --server) if not NULL, else
 * $TINYSTDB_SERVER if set and not empty, else CLIENT_DEFAULT_SERVER. */
const char *client_server_address(const char *flag);

/* Split "HOST:PORT" (or "[v6addr]:PORT") at its last colon.  ST_ARG with
 * a reason when there is no colon, the host is empty or too long, or the
 * port is not a number in 1..65535. */
Status client_parse_address(const char *addr, char host[CLIENT_MAX_HOST], uint16_t *port,
                            ClientError *err);

/* Start a non-blocking TCP connection to addr: *fd is a socket whose
 * connect() may still be in progress (poll for POLLOUT, then read
 * SO_ERROR).  The building block of client_connect, shared with
 * tools/loadgen.  ST_ARG (bad address), ST_NOT_FOUND (unknown host),
 * ST_IO (socket errors). */
Status client_dial(const char *addr, int *fd, ClientError *err);

/* ---- one connection ------------------------------------------------------- */

typedef struct Client {
    int fd;                    /* -1 when closed */
    char addr[CLIENT_MAX_HOST + 8];   /* "HOST:PORT", for messages and the token file */
    StrBuf in;                 /* bytes received; in.data[in_start..in.len) are unread */
    size_t in_start;
    Arena arena;               /* the last decoded reply lives here */
    Identity identity;         /* after client_hello: who the server says we are */
    ConnectionId conn_id;      /* after client_hello: this connection's id */
    char token[IDENTITY_TOKEN_LEN + 1];   /* after client_hello: our token */
} Client;

/* Connect to addr within timeout_ms.  On failure c is closed and err says
 * why, e.g. "cannot connect to 127.0.0.1:3000: Connection refused (is
 * `tinystdb start` running?)".  Call client_close in either case. */
Status client_connect(Client *c, const char *addr, int timeout_ms, ClientError *err);
void client_close(Client *c);

/* Send one request as one line (proto_encode_request).  ST_IO when the
 * server has gone away or does not take the bytes within the timeout. */
Status client_send(Client *c, const ProtoRequest *req, ClientError *err);

/* The next line from the server, without its '\n'.  *line points into the
 * client's buffer and stays valid until the next read.  ST_IO when the
 * connection closes first ("the server closed the connection"), ST_LIMIT
 * for a line longer than CLIENT_MAX_LINE, ST_IO on timeout. */
Status client_read_line(Client *c, const char **line, size_t *len, int timeout_ms,
                        ClientError *err);

/* The next line, decoded (proto_decode_reply into c->arena, which is reset
 * first, so the previous reply dies).  A line that is not a reply is
 * ST_MALFORMED / ST_INVALID with the decoder's reason. */
Status client_read_reply(Client *c, ProtoReply *out, int timeout_ms, ClientError *err);

/* Say who we are: load the token for this server (if any), send Connect
 * (with database when not NULL), wait for IdentityToken and save the
 * token if the server minted a new one.  An {"error": …} answer is
 * ST_INVALID with the server's text. */
Status client_hello(Client *c, const char *database, ClientError *err);

/* ---- the token file (client_token.c) -------------------------------------- */

/* The directory: $XDG_CONFIG_HOME/tinystdb if that is an absolute path,
 * else $HOME/.config/tinystdb.  ST_NOT_FOUND when neither is usable. */
Status client_config_dir(StrBuf *out, ClientError *err);

/* The token file of a server address: DIR/token-HOST_PORT, every byte of
 * the address other than [A-Za-z0-9.-] replaced by '_'. */
Status client_token_path(const char *addr, StrBuf *out, ClientError *err);

/* Read the token for addr.  *found is false (and ST_OK) when there is no
 * file.  A file that does not hold a well-formed token is ST_MALFORMED. */
Status client_token_load(const char *addr, char token[IDENTITY_TOKEN_LEN + 1], bool *found,
                         ClientError *err);

/* Write the token for addr (creating the directory), mode 0600, atomically. */
Status client_token_save(const char *addr, const char *token, ClientError *err);

#endif
