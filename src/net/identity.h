/*
 * identity.h - who is calling: identities, connection ids and tokens.
 *
 * Three ids, as in SpacetimeDB:
 *   - Identity: 256 bits naming a person (or program) across connections
 *     and restarts.  ctx.sender in a reducer.  The publisher of a database
 *     is its owner; "owner" is just the identity stored with the database.
 *   - ConnectionId: 128 random bits naming one connection, never zero
 *     (all-zero means "no connection", e.g. a scheduled reducer).
 *   - Token: the secret a client presents to be given its identity again.
 *
 * Byte order, the one trap here.  Both ids are unsigned integers (u256,
 * u128).  We keep their bytes LITTLE-endian (`le`), the order of BSATN
 * and of the Value tree, so writing one into a row is a memcpy.  Text is
 * BIG-endian, most significant digit first, as everybody writes numbers:
 *
 *   hex "c200 5f1e ... 9a"        le[31] = 0xc2, le[30] = 0x00, ... le[0] = 0x9a
 *
 * Minting (identity_from_claims) follows SpacetimeDB's layout with
 * SHA-256 where SpacetimeDB uses BLAKE3, which tinystdb does not have:
 *   id   = first 26 bytes of sha256(issuer "|" subject)
 *   sum  = first 4 bytes of sha256([c2 00] ++ id)
 *   identity, big-endian = c2 00 ++ sum ++ id      (hex starts "c200")
 * So our identities look like SpacetimeDB's and carry a checksum, but the
 * same (issuer, subject) gives a different identity in the two systems.
 *
 * Tokens are not JWTs: a token is "tstdb_" + 64 hex digits of 32 random
 * bytes from /dev/urandom.  The server keeps only sha256(token) in an
 * IdentityStore (identity_store.c), like a password file.
 *
 * Errors: functions that can fail return a Status and, when err is not
 * NULL, put a one-line reason in err->msg.
 *
 * Book: chapter 21, book/21-identities.md
 */
#ifndef TINYSTDB_NET_IDENTITY_H
#define TINYSTDB_NET_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/sha256.h"
#include "../util/status.h"

#define IDENTITY_LEN 32             /* bytes in an Identity (u256) */
#define IDENTITY_HEX_LEN 64         /* hex digits, no "0x" */
#define IDENTITY_U256_LEN 66        /* max of "0x" + digits, leading zeros dropped */
#define CONNID_LEN 16               /* bytes in a ConnectionId (u128) */
#define CONNID_HEX_LEN 32
#define CONNID_DECIMAL_LEN 39       /* digits of 2^128 - 1 */
#define IDENTITY_MAX_CLAIM 128      /* max bytes of an issuer or subject, as SpacetimeDB */
#define IDENTITY_ISSUER "localhost" /* SpacetimeDB's local issuer */
#define IDENTITY_TOKEN_PREFIX "tstdb_"
#define IDENTITY_TOKEN_BYTES 32     /* random bytes in a token */
#define IDENTITY_TOKEN_LEN (sizeof IDENTITY_TOKEN_PREFIX - 1 + 2 * IDENTITY_TOKEN_BYTES)

typedef struct Identity {
    uint8_t le[IDENTITY_LEN];       /* the u256, least significant byte first */
} Identity;

typedef struct ConnectionId {
    uint8_t le[CONNID_LEN];         /* the u128, least significant byte first */
} ConnectionId;

typedef struct IdError {
    char msg[256];
} IdError;

/* Fill err (may be NULL) with a printf-style message and return st. */
Status identity_error(IdError *err, Status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Identity ------------------------------------------------------------ */

bool identity_equal(const Identity *a, const Identity *b);
bool identity_is_zero(const Identity *id);
/* 64 lowercase hex digits, big-endian, no "0x", NUL-terminated: the form of
 * `spacetime login show`, the CLI and our files. */
void identity_format_hex(const Identity *id, char out[IDENTITY_HEX_LEN + 1]);
/* "0x" + hex without leading zeros ("0x0" for zero): the u256 string of
 * SATS-JSON, {"__identity__": "0xc200..."}. */
void identity_format_u256(const Identity *id, char out[IDENTITY_U256_LEN + 1]);
/* Exactly 64 hex digits (either case), optionally after "0x". */
Status identity_parse_hex(const char *s, size_t len, Identity *out, IdError *err);
/* The SATS-JSON form: "0x" and 1 to 64 hex digits. */
Status identity_parse_u256(const char *s, size_t len, Identity *out, IdError *err);
/* The four u64 words __call_reducer__ takes as sender_0..3 (w[0] least
 * significant). */
void identity_words(const Identity *id, uint64_t w[4]);

/* SpacetimeDB's Identity::from_claims with SHA-256 for BLAKE3 (above).
 * issuer and subject are NUL-terminated. */
void identity_from_claims(const char *issuer, const char *subject, Identity *out);
/* Does id start with c2 00 and carry the right checksum? */
bool identity_checksum_ok(const Identity *id);
/* The deterministic test identity of a name (module-abi.md, "Deterministic
 * test conventions"): sha256(name) with its first two bytes set to c2 00,
 * read big-endian.  "alice" -> c20006c97f0e00af... */
void identity_from_name(const char *name, Identity *out);

/* ---- ConnectionId ----------------------------------------------------- */

bool identity_conn_equal(const ConnectionId *a, const ConnectionId *b);
bool identity_conn_is_zero(const ConnectionId *c);
/* 16 bytes from /dev/urandom, drawn again in the (2^-128) case of zero. */
Status identity_conn_random(ConnectionId *out, IdError *err);
/* 32 lowercase hex digits, big-endian. */
void identity_conn_format_hex(const ConnectionId *c, char out[CONNID_HEX_LEN + 1]);
Status identity_conn_parse_hex(const char *s, size_t len, ConnectionId *out, IdError *err);
/* The u128 in decimal, as SATS-JSON writes it: {"__connection_id__": 1234}. */
void identity_conn_format_decimal(const ConnectionId *c, char out[CONNID_DECIMAL_LEN + 1]);
Status identity_conn_parse_decimal(const char *s, size_t len, ConnectionId *out, IdError *err);
/* conn_id_0..1 of __call_reducer__ (w[0] least significant). */
void identity_conn_words(const ConnectionId *c, uint64_t w[2]);

/* ---- randomness and secrets ------------------------------------------- */

/* Fill out with n bytes read from /dev/urandom.  There is no fallback: if
 * the device cannot be read, ST_IO with the reason.  Never rand(). */
Status identity_random_bytes(void *out, size_t n, IdError *err);
/* Test hook: read from path instead of /dev/urandom (NULL restores it). */
void identity_set_random_source(const char *path);
/* Test hook for `tinystdb test` (chapter 30): draw bytes from a PRNG seeded
 * with seed, so the same scenario mints the same tokens, identities and
 * connection ids on every run.  NOT random: never for a real server.
 * identity_set_random_source(NULL) returns to /dev/urandom. */
void identity_set_random_seed(uint64_t seed);
/* Compare n bytes in time that does not depend on where they differ. */
bool identity_ct_equal(const void *a, const void *b, size_t n);

/* ---- tokens and the token store (identity_store.c) -------------------- */

/* Is s[0..len) shaped like a token: the prefix and 64 lowercase hex? */
bool identity_token_well_formed(const char *s, size_t len);
/* sha256 of the token's text: what the store keeps instead of the token. */
void identity_token_hash(const char *token, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

#define IDENTITY_STORE_FILE "identities"
#define IDENTITY_STORE_HEADER "tinystdb-identities 1"
#define IDENTITY_STORE_DEFAULT_MAX 100000

typedef struct TokenEntry {
    uint8_t hash[SHA256_DIGEST_LEN];          /* sha256 of the token */
    Identity identity;                        /* identity_from_claims(issuer, subject) */
    char subject[IDENTITY_MAX_CLAIM + 1];     /* NUL-terminated, printable, no spaces */
} TokenEntry;

/* Tokens the server has handed out, by the hash of the token.
 * Invariants (identity_store_check): len <= max_entries; nslots is a power
 * of two >= 2 * len (or 0 while len is 0); every entry is in exactly one
 * slot, found by probing from its hash; no two entries share a hash; every
 * identity is derived from (issuer, its subject). */
typedef struct IdentityStore {
    char issuer[IDENTITY_MAX_CLAIM + 1];
    size_t max_entries;
    TokenEntry *entries;      /* in minting order, which is the file order */
    size_t len, cap;
    uint32_t *slots;          /* open addressing: entry index + 1, 0 = empty */
    size_t nslots;
    bool dirty;               /* changed since the last load or save */
} IdentityStore;

/* issuer NULL means IDENTITY_ISSUER; max_entries 0 means the default. */
void identity_store_init(IdentityStore *st, const char *issuer, size_t max_entries);
void identity_store_fini(IdentityStore *st);
/* A new identity and its token, for a client that came without one.
 * token_out gets IDENTITY_TOKEN_LEN characters and a NUL.  ST_LIMIT when
 * the store is full, ST_IO when /dev/urandom fails, ST_NOMEM. */
Status identity_store_mint(IdentityStore *st, char token_out[IDENTITY_TOKEN_LEN + 1],
                           Identity *id_out, IdError *err);
/* The identity a token was minted with.  ST_MALFORMED if the text is not a
 * token at all, ST_NOT_FOUND if this server never issued it. */
Status identity_store_lookup(const IdentityStore *st, const char *token, size_t len,
                             Identity *id_out, IdError *err);
/* Write dir/IDENTITY_STORE_FILE atomically (temporary file, fsync,
 * rename, fsync of the directory); clears dirty. */
Status identity_store_save(IdentityStore *st, const char *dir, IdError *err);
/* Replace the contents of st with dir/IDENTITY_STORE_FILE.  A missing file
 * is an empty store.  A damaged one is ST_MALFORMED with the line number
 * in err, and leaves st empty. */
Status identity_store_load(IdentityStore *st, const char *dir, IdError *err);
bool identity_store_check(const IdentityStore *st);

#endif
