/*
 * identity.c - identities and connection ids: deriving, printing, parsing,
 * and the random bytes that tokens and connection ids are made of.
 *
 * Numbers live little-endian in memory (`le`, the BSATN order); every text
 * form is big-endian.  The helpers hex_out/hex_in walk the bytes from the
 * most significant end, so each format/parse pair is one loop and one
 * reversal.  The u128 decimal form is schoolbook long division and
 * multiply-add on the bytes (C11 has no 128-bit integer type).
 *
 * Randomness comes only from /dev/urandom: the kernel's CSPRNG, which does
 * not block once seeded and is what a token needs to be unguessable.  If
 * it cannot be opened or read we fail with ST_IO; a server that silently
 * fell back to rand() would hand out predictable tokens.
 *
 * Book: chapter 21, book/21-identities.md
 */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../util/hex.h"

Status identity_error(IdError *err, Status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---- hex, both directions -------------------------------------------- */

/* Parse 1 to 2n hex digits (big-endian, right-aligned: missing leading
 * digits are zeros) into n little-endian bytes.  what names the thing in
 * messages; at is the offset of s in the caller's text. */
static Status hex_in(const char *s, size_t len, uint8_t *le, size_t n, const char *what,
                     size_t at, IdError *err)
{
    memset(le, 0, n);
    for (size_t i = 0; i < len; i++) {
        int d = hex_digit(s[len - 1 - i]);   /* i-th digit from the right */
        if (d < 0)
            return identity_error(err, ST_MALFORMED, "%s: bad hex digit '%c' at offset %zu", what,
                                  s[len - 1 - i], at + len - 1 - i);
        le[i / 2] |= (uint8_t)(d << (4 * (i % 2)));
    }
    return ST_OK;
}

/* "0x" is optional when `need_prefix` is false.  The digit count must be
 * `exact`, or between 1 and max when exact is 0. */
static Status parse_number(const char *s, size_t len, uint8_t *le, size_t n, bool need_prefix,
                           size_t exact, const char *what, IdError *err)
{
    size_t skip = len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 2 : 0;
    if (need_prefix && skip == 0)
        return identity_error(err, ST_MALFORMED, "%s: expected \"0x\" and hex digits", what);
    size_t digits = len - skip;
    if (exact ? digits != exact : digits == 0 || digits > 2 * n) {
        if (exact)
            return identity_error(err, ST_MALFORMED, "%s: expected %zu hex digits, got %zu",
                                  what, exact, digits);
        return identity_error(err, ST_MALFORMED, "%s: expected 1 to %zu hex digits, got %zu",
                              what, 2 * n, digits);
    }
    return hex_in(s + skip, digits, le, n, what, skip, err);
}

/* ---- Identity ---------------------------------------------------------- */

bool identity_equal(const Identity *a, const Identity *b)
{
    return memcmp(a->le, b->le, IDENTITY_LEN) == 0;
}

bool identity_is_zero(const Identity *id)
{
    static const Identity zero;
    return identity_equal(id, &zero);
}

void identity_format_hex(const Identity *id, char out[IDENTITY_HEX_LEN + 1])
{
    hex_encode(id->le, IDENTITY_LEN, true, out);
}

void identity_format_u256(const Identity *id, char out[IDENTITY_U256_LEN + 1])
{
    char hex[IDENTITY_HEX_LEN + 1];
    identity_format_hex(id, hex);
    size_t z = 0;
    while (z < IDENTITY_HEX_LEN - 1 && hex[z] == '0')   /* keep at least one digit */
        z++;
    out[0] = '0';
    out[1] = 'x';
    memcpy(out + 2, hex + z, IDENTITY_HEX_LEN + 1 - z);
}

Status identity_parse_hex(const char *s, size_t len, Identity *out, IdError *err)
{
    return parse_number(s, len, out->le, IDENTITY_LEN, false, IDENTITY_HEX_LEN, "identity", err);
}

Status identity_parse_u256(const char *s, size_t len, Identity *out, IdError *err)
{
    return parse_number(s, len, out->le, IDENTITY_LEN, true, 0, "identity", err);
}

/* w[k] is bytes 8k..8k+7 read as a little-endian u64. */
static void words(const uint8_t *le, size_t nwords, uint64_t *w)
{
    for (size_t k = 0; k < nwords; k++) {
        w[k] = 0;
        for (int j = 7; j >= 0; j--)
            w[k] = w[k] << 8 | le[8 * k + (size_t)j];
    }
}

void identity_words(const Identity *id, uint64_t w[4])
{
    words(id->le, 4, w);
}

/* Big-endian bytes (the written order) into an Identity. */
static void from_be(const uint8_t be[IDENTITY_LEN], Identity *out)
{
    for (size_t i = 0; i < IDENTITY_LEN; i++)
        out->le[i] = be[IDENTITY_LEN - 1 - i];
}

/* sha256([c2 00] ++ id26), whose first 4 bytes are the checksum. */
static void checksum(const uint8_t id26[26], uint8_t out[SHA256_DIGEST_LEN])
{
    uint8_t input[28] = {0xc2, 0x00};
    memcpy(input + 2, id26, 26);
    sha256_digest(input, sizeof input, out);
}

void identity_from_claims(const char *issuer, const char *subject, Identity *out)
{
    uint8_t first[SHA256_DIGEST_LEN], sum[SHA256_DIGEST_LEN], be[IDENTITY_LEN];
    Sha256 s;
    sha256_init(&s);                          /* sha256(issuer "|" subject) */
    sha256_update(&s, issuer, strlen(issuer));
    sha256_update(&s, "|", 1);
    sha256_update(&s, subject, strlen(subject));
    sha256_final(&s, first);
    checksum(first, sum);                     /* the id is first[0..26) */
    be[0] = 0xc2;
    be[1] = 0x00;
    memcpy(be + 2, sum, 4);
    memcpy(be + 6, first, 26);
    from_be(be, out);
}

bool identity_checksum_ok(const Identity *id)
{
    uint8_t be[IDENTITY_LEN], sum[SHA256_DIGEST_LEN];
    for (size_t i = 0; i < IDENTITY_LEN; i++)
        be[i] = id->le[IDENTITY_LEN - 1 - i];
    if (be[0] != 0xc2 || be[1] != 0x00)
        return false;
    checksum(be + 6, sum);
    return memcmp(be + 2, sum, 4) == 0;
}

void identity_from_name(const char *name, Identity *out)
{
    uint8_t be[IDENTITY_LEN];
    sha256_digest(name, strlen(name), be);
    be[0] = 0xc2;
    be[1] = 0x00;
    from_be(be, out);
}

/* ---- ConnectionId ------------------------------------------------------ */

bool identity_conn_equal(const ConnectionId *a, const ConnectionId *b)
{
    return memcmp(a->le, b->le, CONNID_LEN) == 0;
}

bool identity_conn_is_zero(const ConnectionId *c)
{
    static const ConnectionId zero;
    return identity_conn_equal(c, &zero);
}

Status identity_conn_random(ConnectionId *out, IdError *err)
{
    do {   /* zero means "no connection"; 2^-128 odds, but cheap to rule out */
        Status st = identity_random_bytes(out->le, CONNID_LEN, err);
        if (st != ST_OK)
            return st;
    } while (identity_conn_is_zero(out));
    return ST_OK;
}

void identity_conn_format_hex(const ConnectionId *c, char out[CONNID_HEX_LEN + 1])
{
    hex_encode(c->le, CONNID_LEN, true, out);
}

Status identity_conn_parse_hex(const char *s, size_t len, ConnectionId *out, IdError *err)
{
    return parse_number(s, len, out->le, CONNID_LEN, false, CONNID_HEX_LEN, "connection id",
                        err);
}

/* Divide the 128-bit number held as four 32-bit limbs (most significant
 * first) in place by 10^9; return the remainder.  Long division as on
 * paper, nine decimal digits per step, so a connection id (formatted for
 * every TransactionUpdate) takes at most five steps. */
static uint32_t divmod_1e9(uint32_t limb[4])
{
    uint64_t rem = 0;
    for (size_t i = 0; i < 4; i++) {
        uint64_t cur = rem << 32 | limb[i];
        limb[i] = (uint32_t)(cur / 1000000000u);
        rem = cur % 1000000000u;
    }
    return (uint32_t)rem;
}

void identity_conn_format_decimal(const ConnectionId *c, char out[CONNID_DECIMAL_LEN + 1])
{
    uint32_t limb[4];
    for (size_t i = 0; i < 4; i++)      /* limb 0 = bytes 15..12 (most significant) */
        limb[i] = (uint32_t)c->le[15 - 4 * i] << 24 | (uint32_t)c->le[14 - 4 * i] << 16 |
                  (uint32_t)c->le[13 - 4 * i] << 8 | c->le[12 - 4 * i];
    char rev[CONNID_DECIMAL_LEN + 9];
    size_t len = 0;
    do {
        uint32_t chunk = divmod_1e9(limb);
        bool last = !(limb[0] | limb[1] | limb[2] | limb[3]);
        for (int k = 0; k < 9 && (!last || chunk || k == 0); k++, chunk /= 10)
            rev[len++] = (char)('0' + chunk % 10);
    } while (limb[0] | limb[1] | limb[2] | limb[3]);
    for (size_t i = 0; i < len; i++)
        out[i] = rev[len - 1 - i];
    out[len] = '\0';
}

/* le = le * 10 + digit; false when the result does not fit in 128 bits. */
static bool muladd10(uint8_t le[CONNID_LEN], unsigned digit)
{
    unsigned carry = digit;
    for (size_t i = 0; i < CONNID_LEN; i++) {
        unsigned cur = le[i] * 10u + carry;
        le[i] = (uint8_t)cur;
        carry = cur >> 8;
    }
    return carry == 0;
}

Status identity_conn_parse_decimal(const char *s, size_t len, ConnectionId *out, IdError *err)
{
    memset(out->le, 0, CONNID_LEN);
    if (len == 0 || len > CONNID_DECIMAL_LEN)
        return identity_error(err, ST_MALFORMED, "connection id: expected 1 to %d decimal "
                              "digits, got %zu", CONNID_DECIMAL_LEN, len);
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return identity_error(err, ST_MALFORMED, "connection id: bad decimal digit '%c' "
                                  "at offset %zu", s[i], i);
        if (!muladd10(out->le, (unsigned)(s[i] - '0')))
            return identity_error(err, ST_MALFORMED, "connection id: %.*s does not fit in "
                                  "128 bits", (int)len, s);
    }
    return ST_OK;
}

void identity_conn_words(const ConnectionId *c, uint64_t w[2])
{
    words(c->le, 2, w);
}

/* ---- randomness and secrets -------------------------------------------- */

static const char *random_path = "/dev/urandom";

static bool seeded;                /* identity_set_random_seed: a PRNG instead */
static uint64_t seed_state;

void identity_set_random_source(const char *path)
{
    random_path = path ? path : "/dev/urandom";
    seeded = false;
}

void identity_set_random_seed(uint64_t seed)
{
    seeded = true;
    seed_state = seed;
}

/* splitmix64: a well-mixed 64-bit sequence from a counter, enough to make
 * distinct, reproducible test identities (and useless as a secret). */
static void seeded_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i % 8 == 0)
            seed_state += 0x9e3779b97f4a7c15u;
        uint64_t z = seed_state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        z ^= z >> 31;
        p[i] = (uint8_t)(z >> (8 * (i % 8)));
    }
}

/* read() until n bytes arrived: a read may return fewer, or be
 * interrupted by a signal. */
static Status read_full(int fd, uint8_t *p, size_t n, IdError *err)
{
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return identity_error(err, ST_IO, "reading %s: %s", random_path,
                                  got < 0 ? strerror(errno) : "unexpected end of file");
        p += got;
        n -= (size_t)got;
    }
    return ST_OK;
}

Status identity_random_bytes(void *out, size_t n, IdError *err)
{
    if (seeded) {
        seeded_bytes(out, n);
        return ST_OK;
    }
    int fd;
    do
        fd = open(random_path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return identity_error(err, ST_IO, "cannot open %s for random bytes: %s", random_path,
                              strerror(errno));
    Status st = read_full(fd, out, n, err);
    close(fd);
    return st;
}

bool identity_ct_equal(const void *a, const void *b, size_t n)
{
    /* OR together the differences of every byte, with no early exit, so
     * the time taken does not tell how long the matching prefix was. */
    const volatile uint8_t *x = a, *y = b;
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}
