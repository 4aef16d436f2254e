/*
 * sha256.c - SHA-256 as FIPS 180-4 describes it, one step per function.
 *
 * The message is padded to a multiple of 64 bytes and cut into blocks.
 * Each block goes through the compression function, which stirs it into
 * eight 32-bit words of state; the final state, written big-endian, is
 * the digest:
 *
 *   H(0) = the constants IV (section 5.3.3)
 *   for each 64-byte block M(i):
 *       W[0..63]  = message schedule of M(i)       (6.2.2 step 1)
 *       a..h      = H(i-1)                         (step 2)
 *       64 rounds mixing W[t] and K[t] into a..h   (step 3)
 *       H(i)      = H(i-1) + a..h, word by word    (step 4)
 *   digest = H(N) as 8 big-endian words
 *
 * Padding (5.1.1): one 1 bit (the byte 0x80), zeros until the length is
 * 56 mod 64, then the message length in BITS as a big-endian u64.
 *
 * Everything is done with uint32_t arithmetic, which C defines to wrap
 * modulo 2^32, exactly the "+" of the standard.  Bytes are assembled into
 * words by shifting, so the code does not depend on the host's byte order.
 *
 * Book: chapter 21, book/21-identities.md
 */
#include "sha256.h"

#include <string.h>

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (section 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* The first 32 bits of the fractional parts of the square roots of the
 * first 8 primes (section 5.3.3). */
static const uint32_t IV[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* The six logical functions of section 4.1.2.  ROTR is a right rotation;
 * n is never 0 or 32 here, so neither shift is undefined. */
#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Step 1 of 6.2.2: sixteen words straight from the block, then 48 more,
 * each mixing four earlier ones, so every input bit reaches many rounds. */
static void schedule(uint32_t W[64], const uint8_t block[SHA256_BLOCK_LEN])
{
    for (int t = 0; t < 16; t++)
        W[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++)
        W[t] = SSIG1(W[t - 2]) + W[t - 7] + SSIG0(W[t - 15]) + W[t - 16];
}

/* Steps 2-4 of 6.2.2: 64 rounds over the working variables a..h, then
 * add them into the state.  Each round computes two temporaries and
 * shifts the variables along by one, like a conveyor belt. */
static void compress(uint32_t H[8], const uint8_t block[SHA256_BLOCK_LEN])
{
    uint32_t W[64];
    schedule(W, block);
    uint32_t a = H[0], b = H[1], c = H[2], d = H[3];
    uint32_t e = H[4], f = H[5], g = H[6], h = H[7];
    for (int t = 0; t < 64; t++) {
        uint32_t T1 = h + BSIG1(e) + CH(e, f, g) + K[t] + W[t];
        uint32_t T2 = BSIG0(a) + MAJ(a, b, c);
        h = g;
        g = f;
        f = e;
        e = d + T1;
        d = c;
        c = b;
        b = a;
        a = T1 + T2;
    }
    H[0] += a;  H[1] += b;  H[2] += c;  H[3] += d;
    H[4] += e;  H[5] += f;  H[6] += g;  H[7] += h;
}

void sha256_init(Sha256 *s)
{
    memcpy(s->h, IV, sizeof s->h);
    s->length = 0;
    s->buffered = 0;
}

void sha256_update(Sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len == 0)                          /* data may be NULL then */
        return;
    s->length += len;
    if (s->buffered > 0) {                 /* top up the partial block first */
        size_t take = SHA256_BLOCK_LEN - s->buffered;
        if (take > len)
            take = len;
        memcpy(s->block + s->buffered, p, take);
        s->buffered += take;
        p += take;
        len -= take;
        if (s->buffered < SHA256_BLOCK_LEN)
            return;
        compress(s->h, s->block);
        s->buffered = 0;
    }
    for (; len >= SHA256_BLOCK_LEN; p += SHA256_BLOCK_LEN, len -= SHA256_BLOCK_LEN)
        compress(s->h, p);                 /* whole blocks need no copy */
    memcpy(s->block, p, len);
    s->buffered = len;
}

void sha256_final(Sha256 *s, uint8_t out[SHA256_DIGEST_LEN])
{
    uint64_t bits = s->length * 8;
    size_t n = s->buffered;
    s->block[n++] = 0x80;
    if (n > SHA256_BLOCK_LEN - 8) {        /* no room for the length: one more block */
        memset(s->block + n, 0, SHA256_BLOCK_LEN - n);
        compress(s->h, s->block);
        n = 0;
    }
    memset(s->block + n, 0, SHA256_BLOCK_LEN - 8 - n);
    for (int i = 0; i < 8; i++)
        s->block[SHA256_BLOCK_LEN - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(s->h, s->block);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, s->h[i]);
    memset(s, 0, sizeof *s);               /* best effort: no token bytes left behind */
}

void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
    Sha256 s;
    sha256_init(&s);
    sha256_update(&s, data, len);
    sha256_final(&s, out);
}

bool sha256_check(const Sha256 *s)
{
    return s->buffered < SHA256_BLOCK_LEN && s->length % SHA256_BLOCK_LEN == s->buffered;
}
