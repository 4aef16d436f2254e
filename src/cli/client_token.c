/*
 * client_token.c - where a person's token lives between two commands.
 *
 * The server names a client without a token with a new identity and
 * hands it a token; the identity that first publishes a database owns it.
 * If the CLI forgot the token, the next `tinystdb publish` would come from
 * a stranger and be refused.  So the token is kept in a file:
 *
 *     $XDG_CONFIG_HOME/tinystdb/token-HOST_PORT     (XDG_CONFIG_HOME absolute)
 *     $HOME/.config/tinystdb/token-HOST_PORT        (otherwise)
 *
 * one file per server address, because each server mints its own tokens
 * and knows only those.  The file holds the token and a newline, nothing
 * else.  It is a password, so the directory is made 0700 and the file
 * 0600; it is written to DIR/.token-….tmp and renamed over the old one,
 * so a crash leaves either the old token or the new, never half of one.
 *
 * The XDG rule (a relative $XDG_CONFIG_HOME is ignored) is the XDG Base
 * Directory specification's; SpacetimeDB keeps its token in
 * ~/.config/spacetime/cli.toml the same way.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_FILE_MAX 256   /* a token file is never longer than this */

Status client_config_dir(StrBuf *out, ClientError *err)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    Status st;
    if (xdg && xdg[0] == '/')
        st = strbuf_printf(out, "%s/tinystdb", xdg);
    else if (home && home[0])
        st = strbuf_printf(out, "%s/.config/tinystdb", home);
    else
        return client_error(err, ST_NOT_FOUND,
                            "neither $XDG_CONFIG_HOME nor $HOME is set: nowhere to keep the token");
    return st == ST_OK ? ST_OK : client_error(err, st, "out of memory");
}

Status client_token_path(const char *addr, StrBuf *out, ClientError *err)
{
    Status st = client_config_dir(out, err);
    if (st != ST_OK)
        return st;
    st = strbuf_puts(out, "/token-");
    for (const char *p = addr; st == ST_OK && *p; p++) {
        char ch = *p;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
        st = strbuf_putc(out, keep ? ch : '_');
    }
    return st == ST_OK ? ST_OK : client_error(err, st, "out of memory");
}

/* Read at most TOKEN_FILE_MAX bytes of path.  *n == 0 and ST_OK for a
 * missing file (errno ENOENT). */
static Status read_small(const char *path, char *buf, size_t *n, bool *found, ClientError *err)
{
    *found = false;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return ST_OK;
        return client_error(err, ST_IO, "cannot read %s: %s", path, strerror(errno));
    }
    *n = fread(buf, 1, TOKEN_FILE_MAX, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad)
        return client_error(err, ST_IO, "cannot read %s", path);
    *found = true;
    return ST_OK;
}

Status client_token_load(const char *addr, char token[IDENTITY_TOKEN_LEN + 1], bool *found,
                         ClientError *err)
{
    StrBuf path;
    strbuf_init(&path);
    char buf[TOKEN_FILE_MAX];
    size_t n = 0;
    Status st = client_token_path(addr, &path, err);
    if (st == ST_OK)
        st = read_small(path.data, buf, &n, found, err);
    if (st != ST_OK || !*found)
        goto done;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;   /* an editor may have added a newline or a space */
    if (!identity_token_well_formed(buf, n)) {
        st = client_error(err, ST_MALFORMED,
                          "%s does not hold a tinystdb token; remove it to get a new identity",
                          path.data);
        *found = false;
        goto done;
    }
    memcpy(token, buf, n);
    token[n] = '\0';
done:
    strbuf_fini(&path);
    return st;
}

/* mkdir -p for the config directory: its parent (~/.config) too, each
 * created 0700 (an existing directory keeps its mode). */
static Status make_dirs(StrBuf *dir, ClientError *err)
{
    for (size_t i = 1; i <= dir->len; i++) {
        if (i < dir->len && dir->data[i] != '/')
            continue;
        char saved = dir->data[i];
        dir->data[i] = '\0';
        int rc = mkdir(dir->data, 0700);
        int e = errno;
        struct stat sb;
        if (rc < 0 && e != EEXIST && !(stat(dir->data, &sb) == 0 && S_ISDIR(sb.st_mode)))
            return client_error(err, ST_IO, "cannot create %s: %s", dir->data, strerror(e));
        dir->data[i] = saved;
    }
    return ST_OK;
}

/* Write token + '\n' to tmp with mode 0600, then rename it to path. */
static Status write_atomically(const char *tmp, const char *path, const char *token,
                               ClientError *err)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return client_error(err, ST_IO, "cannot create %s: %s", tmp, strerror(errno));
    size_t n = strlen(token);
    bool ok = write(fd, token, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && rename(tmp, path) == 0)
        return ST_OK;
    e = ok ? errno : e;
    unlink(tmp);
    return client_error(err, ST_IO, "cannot write %s: %s", path, strerror(e));
}

Status client_token_save(const char *addr, const char *token, ClientError *err)
{
    StrBuf dir, path, tmp;
    strbuf_init(&dir);
    strbuf_init(&path);
    strbuf_init(&tmp);
    Status st = client_config_dir(&dir, err);
    if (st == ST_OK)
        st = make_dirs(&dir, err);
    if (st == ST_OK)
        st = client_token_path(addr, &path, err);
    if (st == ST_OK) {
        const char *base = strrchr(path.data, '/') + 1;
        st = strbuf_printf(&tmp, "%s/.%s.tmp", dir.data, base);
        if (st != ST_OK)
            client_error(err, st, "out of memory");
    }
    if (st == ST_OK)
        st = write_atomically(tmp.data, path.data, token, err);
    strbuf_fini(&dir);
    strbuf_fini(&path);
    strbuf_fini(&tmp);
    return st;
}
