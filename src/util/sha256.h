/*
 * sha256.h - the SHA-256 hash function (FIPS 180-4, section 6.2).
 *
 * The server never keeps a client's token, only its SHA-256; identities
 * are derived from a SHA-256 of their claims (src/net/identity.c).  The
 * function is written here from the standard because tinystdb links
 * nothing but libc.
 *
 * Two ways to use it:
 *   - one call:    sha256_digest(data, len, out)
 *   - in pieces:   sha256_init(&s); sha256_update(&s, ...) any number of
 *                  times, with pieces of any size; sha256_final(&s, out).
 *     Splitting the input differently never changes the result.
 *
 * Invariants of a Sha256 (sha256_check): `buffered` < 64, and it equals
 * the message length so far modulo 64 (the buffer holds the tail of the
 * message that does not yet fill a 64-byte block).  After sha256_final the
 * state is wiped and must be re-initialised before it is used again.
 *
 * Book: chapter 21, book/21-identities.md
 */
#ifndef TINYSTDB_SHA256_H
#define TINYSTDB_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32   /* bytes of output: 256 bits */
#define SHA256_BLOCK_LEN 64    /* bytes the compression function eats at once */

typedef struct Sha256 {
    uint32_t h[8];                  /* the running hash value H(i) */
    uint64_t length;                /* message bytes seen so far */
    uint8_t block[SHA256_BLOCK_LEN];/* the partial block not yet compressed */
    size_t buffered;                /* bytes used in block */
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t len);
/* Pads, compresses the last block(s), writes the digest, wipes *s. */
void sha256_final(Sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);
/* One shot: init + update + final. */
void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
/* The invariants above (for tests). */
bool sha256_check(const Sha256 *s);

#endif
