/*
 * identity_store.c - the tokens this server has handed out, by their hash.
 *
 * A client that connects without a token is given a new identity and a
 * token (identity_store_mint).  The store remembers sha256(token) ->
 * (identity, subject), never the token itself, so a copy of the store
 * (a backup, a stolen disk) does not let anyone log in as anybody: the
 * same reason a password file keeps hashes.  Tokens are 256 random bits,
 * so, unlike passwords, they need no salt and no slow hash: there is no
 * dictionary of likely tokens to try.
 *
 * In memory: an array of entries in minting order (the order of the file)
 * plus an open-addressing hash table of slots holding entry index + 1.
 * The token hash is already uniformly random, so its first 8 bytes are the
 * table hash; linear probing; the table is kept at most half full.
 *
 *   slots: [0][3][0][1][2][0][0][0]      entries: 0: hash a1.. id c200.. subj ..
 *               \    \  \                          1: hash 44.. ...
 *                `----`--`--> entries[i - 1]       2: hash 45.. ...
 *
 * On disk, dir/identities, one line per entry after a header line:
 *
 *   tinystdb-identities 1
 *   <sha256 of token, 64 hex> <identity, 64 hex> <subject>
 *
 * Loading checks every field and that each identity really is derived from
 * (issuer, subject), and names the line of the first problem.  Saving
 * writes a temporary file, fsyncs it, renames it over the old one and
 * fsyncs the directory, so a crash leaves either the old file or the new
 * one, never half of each.
 *
 * Bounded: at most max_entries identities (anyone may connect, and every
 * anonymous connection mints one); lines longer than LINE_MAX_LEN are
 * rejected before they are stored.
 *
 * Book: chapter 21, book/21-identities.md
 */
#include "identity.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../util/alloc.h"
#include "../util/hex.h"
#include "../util/vec.h"

/* hash, space, identity, space, subject, newline */
#define LINE_MAX_LEN (2 * SHA256_DIGEST_LEN + 1 + IDENTITY_HEX_LEN + 1 + IDENTITY_MAX_CLAIM + 1)
#define PATH_LEN 4096

/* ---- tokens ------------------------------------------------------------- */

static bool lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool identity_token_well_formed(const char *s, size_t len)
{
    size_t plen = strlen(IDENTITY_TOKEN_PREFIX);
    return len == IDENTITY_TOKEN_LEN && memcmp(s, IDENTITY_TOKEN_PREFIX, plen) == 0 &&
           lower_hex(s + plen, len - plen);
}

void identity_token_hash(const char *token, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
    sha256_digest(token, len, out);
}

/* A subject in the shape of SpacetimeDB's: a random (version 4) UUID,
 * RFC 9562 section 5.4, e.g. "1b4e28ba-2fa1-41d2-883f-0016d3cca427". */
static Status new_subject(char out[37], IdError *err)
{
    uint8_t r[16];
    Status st = identity_random_bytes(r, sizeof r, err);
    if (st != ST_OK)
        return st;
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);   /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);   /* variant 10 */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
    return ST_OK;
}

/* ---- the hash table ----------------------------------------------------- */

void identity_store_init(IdentityStore *st, const char *issuer, size_t max_entries)
{
    memset(st, 0, sizeof *st);
    issuer = issuer ? issuer : IDENTITY_ISSUER;
    assert(*issuer && strlen(issuer) <= IDENTITY_MAX_CLAIM);   /* a programming error */
    snprintf(st->issuer, sizeof st->issuer, "%s", issuer);
    st->max_entries = max_entries ? max_entries : IDENTITY_STORE_DEFAULT_MAX;
    if (st->max_entries > UINT32_MAX / 4)      /* slot indices are uint32_t */
        st->max_entries = UINT32_MAX / 4;
}

void identity_store_fini(IdentityStore *st)
{
    mem_free(st->entries);
    mem_free(st->slots);
    memset(st, 0, sizeof *st);
}

static size_t home_slot(const uint8_t hash[SHA256_DIGEST_LEN], size_t nslots)
{
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h << 8 | hash[i];
    return (size_t)(h & (nslots - 1));
}

/* The slot holding hash, or the empty slot where it would go.  The table
 * is never full, so the probe ends. */
static size_t find_slot(const IdentityStore *st, const uint8_t hash[SHA256_DIGEST_LEN])
{
    size_t i = home_slot(hash, st->nslots);
    while (st->slots[i] != 0 &&
           !identity_ct_equal(st->entries[st->slots[i] - 1].hash, hash, SHA256_DIGEST_LEN))
        i = (i + 1) & (st->nslots - 1);
    return i;
}

/* Room for one more entry: grow the array, and double the table (putting
 * every entry back) when it would become more than half full. */
static Status reserve_one(IdentityStore *st)
{
    if (st->len == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 16;
        TokenEntry *e = mem_realloc_array(st->entries, cap, sizeof *e);
        if (!e)
            return ST_NOMEM;
        st->entries = e;
        st->cap = cap;
    }
    if (2 * (st->len + 1) <= st->nslots)
        return ST_OK;
    size_t n = st->nslots ? 2 * st->nslots : 32;
    uint32_t *slots = mem_calloc(n, sizeof *slots);
    if (!slots)
        return ST_NOMEM;
    mem_free(st->slots);
    st->slots = slots;
    st->nslots = n;
    for (size_t k = 0; k < st->len; k++)
        st->slots[find_slot(st, st->entries[k].hash)] = (uint32_t)(k + 1);
    return ST_OK;
}

/* Append an entry; the caller has checked its fields. */
static Status add_entry(IdentityStore *st, const uint8_t hash[SHA256_DIGEST_LEN],
                        const Identity *id, const char *subject, IdError *err)
{
    if (st->len >= st->max_entries)
        return identity_error(err, ST_LIMIT, "identity store is full (%zu identities)",
                              st->max_entries);
    Status rc = reserve_one(st);
    if (rc != ST_OK)
        return identity_error(err, rc, "identity store: out of memory");
    size_t slot = find_slot(st, hash);
    if (st->slots[slot] != 0)
        return identity_error(err, ST_EXISTS, "the same token hash appears twice");
    TokenEntry *e = &st->entries[st->len];
    memcpy(e->hash, hash, SHA256_DIGEST_LEN);
    e->identity = *id;
    strcpy(e->subject, subject);
    st->slots[slot] = (uint32_t)++st->len;
    st->dirty = true;
    return ST_OK;
}

static void clear(IdentityStore *st)
{
    st->len = 0;
    if (st->slots)
        memset(st->slots, 0, st->nslots * sizeof *st->slots);
}

/* ---- minting and looking up --------------------------------------------- */

Status identity_store_mint(IdentityStore *st, char token_out[IDENTITY_TOKEN_LEN + 1],
                           Identity *id_out, IdError *err)
{
    uint8_t secret[IDENTITY_TOKEN_BYTES], hash[SHA256_DIGEST_LEN];
    char subject[37];
    Status rc = identity_random_bytes(secret, sizeof secret, err);
    if (rc == ST_OK)
        rc = new_subject(subject, err);
    if (rc != ST_OK)
        return rc;
    size_t plen = strlen(IDENTITY_TOKEN_PREFIX);
    memcpy(token_out, IDENTITY_TOKEN_PREFIX, plen);
    for (size_t i = 0; i < sizeof secret; i++)
        snprintf(token_out + plen + 2 * i, 3, "%02x", secret[i]);
    memset(secret, 0, sizeof secret);
    identity_token_hash(token_out, IDENTITY_TOKEN_LEN, hash);
    identity_from_claims(st->issuer, subject, id_out);
    rc = add_entry(st, hash, id_out, subject, err);
    if (rc != ST_OK)
        token_out[0] = '\0';               /* never hand out a token we did not keep */
    return rc;
}

Status identity_store_lookup(const IdentityStore *st, const char *token, size_t len,
                             Identity *id_out, IdError *err)
{
    if (!identity_token_well_formed(token, len))
        return identity_error(err, ST_MALFORMED, "not a tinystdb token (expected \"%s\" and "
                              "%d lowercase hex digits)", IDENTITY_TOKEN_PREFIX,
                              2 * IDENTITY_TOKEN_BYTES);
    uint8_t hash[SHA256_DIGEST_LEN];
    identity_token_hash(token, len, hash);
    size_t slot = st->nslots ? find_slot(st, hash) : 0;
    if (st->nslots == 0 || st->slots[slot] == 0)
        return identity_error(err, ST_NOT_FOUND, "unknown token: not issued by this server");
    *id_out = st->entries[st->slots[slot] - 1].identity;
    return ST_OK;
}

/* ---- saving --------------------------------------------------------------- */

static Status store_path(const char *dir, const char *suffix, char out[PATH_LEN], IdError *err)
{
    int n = snprintf(out, PATH_LEN, "%s/%s%s", dir, IDENTITY_STORE_FILE, suffix);
    if (n < 0 || n >= PATH_LEN)
        return identity_error(err, ST_ARG, "data directory path too long: %s", dir);
    return ST_OK;
}

/* The whole file as text. */
static Status render(const IdentityStore *st, StrBuf *sb)
{
    Status rc = strbuf_puts(sb, IDENTITY_STORE_HEADER "\n");
    for (size_t k = 0; k < st->len && rc == ST_OK; k++) {
        const TokenEntry *e = &st->entries[k];
        char hash[2 * SHA256_DIGEST_LEN + 1], id[IDENTITY_HEX_LEN + 1];
        for (size_t i = 0; i < SHA256_DIGEST_LEN; i++)
            snprintf(hash + 2 * i, 3, "%02x", e->hash[i]);
        identity_format_hex(&e->identity, id);
        rc = strbuf_printf(sb, "%s %s %s\n", hash, id, e->subject);
    }
    return rc;
}

static Status write_all(int fd, const char *p, size_t n, const char *path, IdError *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return identity_error(err, ST_IO, "writing %s: %s", path, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return ST_OK;
}

/* Make the rename itself durable.  Some file systems cannot fsync a
 * directory (EINVAL); there is nothing more we can do on those. */
static Status sync_dir(const char *dir, IdError *err)
{
    int fd = open(dir, O_RDONLY);
    if (fd < 0)
        return identity_error(err, ST_IO, "opening %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc < 0 && e != EINVAL)
        return identity_error(err, ST_IO, "fsync of %s: %s", dir, strerror(e));
    return ST_OK;
}

/* Write tmp completely and durably, then rename it to path. */
static Status replace_file(const char *tmp, const char *path, const StrBuf *sb, IdError *err)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return identity_error(err, ST_IO, "creating %s: %s", tmp, strerror(errno));
    Status rc = write_all(fd, sb->data, sb->len, tmp, err);
    if (rc == ST_OK && fsync(fd) < 0)
        rc = identity_error(err, ST_IO, "fsync of %s: %s", tmp, strerror(errno));
    if (close(fd) < 0 && rc == ST_OK)
        rc = identity_error(err, ST_IO, "closing %s: %s", tmp, strerror(errno));
    if (rc == ST_OK && rename(tmp, path) < 0)
        rc = identity_error(err, ST_IO, "renaming %s to %s: %s", tmp, path, strerror(errno));
    if (rc != ST_OK)
        unlink(tmp);
    return rc;
}

Status identity_store_save(IdentityStore *st, const char *dir, IdError *err)
{
    char path[PATH_LEN], tmp[PATH_LEN];
    StrBuf sb;
    strbuf_init(&sb);
    Status rc = store_path(dir, "", path, err);
    if (rc == ST_OK)
        rc = store_path(dir, ".tmp", tmp, err);
    if (rc == ST_OK && (rc = render(st, &sb)) != ST_OK)
        identity_error(err, rc, "identity store: out of memory");
    if (rc == ST_OK)
        rc = replace_file(tmp, path, &sb, err);
    if (rc == ST_OK)
        rc = sync_dir(dir, err);
    if (rc == ST_OK)
        st->dirty = false;
    strbuf_fini(&sb);
    return rc;
}

/* ---- loading -------------------------------------------------------------- */

typedef enum LineRead { LINE_OK, LINE_EOF, LINE_LONG, LINE_NUL, LINE_UNTERMINATED, LINE_ERROR }
    LineRead;

/* One line without its '\n' into buf (NUL-terminated), at most cap - 1
 * bytes.  A line that does not fit, holds a NUL, or lacks its newline at
 * the end of the file is an error: our writer never produces one. */
static LineRead read_line(FILE *f, char *buf, size_t cap)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (c == '\0')
            return LINE_NUL;
        if (n + 1 >= cap)
            return LINE_LONG;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    if (c == '\n')
        return LINE_OK;
    if (ferror(f))
        return LINE_ERROR;
    return n == 0 ? LINE_EOF : LINE_UNTERMINATED;
}

static bool valid_subject(const char *s, size_t len)
{
    if (len == 0 || len > IDENTITY_MAX_CLAIM)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] > '~')     /* printable ASCII, no spaces */
            return false;
    return true;
}

/* "<hash> <identity> <subject>" -> a new entry.  Messages name no line;
 * the caller adds it. */
static Status parse_entry(IdentityStore *st, char *line, IdError *err)
{
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp2)
        return identity_error(err, ST_MALFORMED, "expected \"<token hash> <identity> <subject>\"");
    size_t hlen = (size_t)(sp1 - line), ilen = (size_t)(sp2 - sp1 - 1);
    const char *subject = sp2 + 1;
    uint8_t hash[SHA256_DIGEST_LEN];
    Identity id, derived;
    if (hlen != 2 * SHA256_DIGEST_LEN || !lower_hex(line, hlen))
        return identity_error(err, ST_MALFORMED, "the token hash is not 64 lowercase hex digits");
    hex_decode(line, SHA256_DIGEST_LEN, false, hash, NULL);   /* checked by lower_hex */
    Status rc = identity_parse_hex(sp1 + 1, ilen, &id, err);
    if (rc != ST_OK)
        return rc;
    if (!valid_subject(subject, strlen(subject)))
        return identity_error(err, ST_MALFORMED, "the subject must be 1 to %d printable "
                              "characters without spaces", IDENTITY_MAX_CLAIM);
    identity_from_claims(st->issuer, subject, &derived);
    if (!identity_equal(&id, &derived))
        return identity_error(err, ST_MALFORMED, "the identity is not the one derived from "
                              "issuer \"%s\" and subject \"%s\"", st->issuer, subject);
    rc = add_entry(st, hash, &id, subject, err);
    return rc == ST_EXISTS ? ST_MALFORMED : rc;
}

/* Every line of f into st; line numbers count from 1. */
static Status load_lines(IdentityStore *st, FILE *f, const char *path, IdError *err)
{
    static const char *const why[] = {
        [LINE_LONG] = "line too long", [LINE_NUL] = "NUL byte in line",
        [LINE_UNTERMINATED] = "last line has no newline (truncated file?)",
    };
    char buf[LINE_MAX_LEN + 1];
    for (size_t line = 1;; line++) {
        LineRead r = read_line(f, buf, sizeof buf);
        if (r == LINE_EOF && line > 1)
            return ST_OK;
        if (r == LINE_ERROR)
            return identity_error(err, ST_IO, "reading %s: %s", path, strerror(errno));
        if (r == LINE_EOF)
            return identity_error(err, ST_MALFORMED, "%s: line 1: empty file, expected \"%s\"",
                                  path, IDENTITY_STORE_HEADER);
        if (r != LINE_OK)
            return identity_error(err, ST_MALFORMED, "%s: line %zu: %s", path, line, why[r]);
        if (line == 1 && strcmp(buf, IDENTITY_STORE_HEADER) != 0)
            return identity_error(err, ST_MALFORMED, "%s: line 1: expected \"%s\"", path,
                                  IDENTITY_STORE_HEADER);
        IdError e;
        Status rc = line == 1 ? ST_OK : parse_entry(st, buf, &e);
        if (rc != ST_OK)
            return identity_error(err, rc, "%s: line %zu: %s", path, line, e.msg);
    }
}

Status identity_store_load(IdentityStore *st, const char *dir, IdError *err)
{
    char path[PATH_LEN];
    Status rc = store_path(dir, "", path, err);
    if (rc != ST_OK)
        return rc;
    clear(st);
    FILE *f = fopen(path, "r");
    if (!f && errno == ENOENT) {             /* a new data directory */
        st->dirty = false;
        return ST_OK;
    }
    if (!f)
        return identity_error(err, ST_IO, "opening %s: %s", path, strerror(errno));
    rc = load_lines(st, f, path, err);
    fclose(f);
    if (rc != ST_OK)
        clear(st);
    st->dirty = false;
    return rc;
}

/* ---- invariants ------------------------------------------------------------ */

bool identity_store_check(const IdentityStore *st)
{
    if (st->len > st->max_entries || st->len > st->cap)
        return false;
    if (st->nslots == 0)
        return st->len == 0;
    if ((st->nslots & (st->nslots - 1)) != 0 || st->nslots < 2 * st->len)
        return false;
    size_t used = 0;
    for (size_t i = 0; i < st->nslots; i++) {
        if (st->slots[i] > st->len)
            return false;
        used += st->slots[i] != 0;
    }
    if (used != st->len)          /* with the loop below: each entry once */
        return false;
    for (size_t k = 0; k < st->len; k++) {   /* reachable, unique, derived */
        const TokenEntry *e = &st->entries[k];
        Identity derived;
        if (st->slots[find_slot(st, e->hash)] != k + 1)
            return false;
        identity_from_claims(st->issuer, e->subject, &derived);
        if (!identity_equal(&derived, &e->identity))
            return false;
    }
    return true;
}
