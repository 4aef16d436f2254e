/*
 * sats_json_num.c - big integers and shortest floats as JSON text.
 *
 * Integers.  Every width up to 256 bits is handled the same way: the
 * magnitude lives in eight 32-bit limbs (least significant first), text
 * is read by "multiply by the base, add the digit" with an overflow check,
 * and written by repeated division by 10^9.  Signed values are two's
 * complement in BSATN, so reading ends with a range check against
 * [-2^(8w-1), 2^(8w-1)) and a negation; writing starts by undoing it.
 *
 * Floats.  serde_json (through the Ryu algorithm) writes the SHORTEST
 * digit string that reads back as the same float, then lays it out by its
 * decimal exponent: plain digits with ".0" for whole numbers below 10^16
 * (10^13 for f32), a decimal point inside the digits, "0.000ddd" down to
 * 10^-5 (10^-7 for f32), and "d.ddde-7" style beyond.  We find the
 * shortest digits by asking printf for 1, 2, 3... significant digits
 * until strtod (strtof for f32) gives the value back; printf rounds
 * correctly, so the first hit is the nearest shortest string, which is
 * Ryu's answer too (they could differ only in a tie between two shortest
 * strings, at a power of two, which the tests have not met).
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#include "sats_json_int.h"
#include "../util/hex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMBS 8

/* w = w * mul + add; false when the result needs more than 256 bits. */
static bool mul_add(uint32_t w[LIMBS], uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t x = (uint64_t)w[i] * mul + carry;
        w[i] = (uint32_t)x;
        carry = x >> 32;
    }
    return carry == 0;
}

/* w = w / div; returns the remainder. */
static uint32_t div_small(uint32_t w[LIMBS], uint32_t div)
{
    uint64_t rem = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint64_t x = rem << 32 | w[i];
        w[i] = (uint32_t)(x / div);
        rem = x % div;
    }
    return (uint32_t)rem;
}

/* Two's complement negation over all 256 bits. */
static void negate(uint32_t w[LIMBS])
{
    uint64_t carry = 1;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t x = (uint64_t)(uint32_t)~w[i] + carry;
        w[i] = (uint32_t)x;
        carry = x >> 32;
    }
}

/* Index of the highest set bit, or -1 for zero. */
static int top_bit(const uint32_t w[LIMBS])
{
    for (int i = LIMBS - 1; i >= 0; i--)
        for (int b = 31; b >= 0; b--)
            if (w[i] >> b & 1)
                return i * 32 + b;
    return -1;
}

static bool is_zero(const uint32_t w[LIMBS])
{
    return top_bit(w) < 0;
}

/* Does magnitude m, with sign neg, fit `bits` bits (signed or not)? */
static bool fits(const uint32_t m[LIMBS], bool neg, unsigned bits, bool is_signed)
{
    int top = top_bit(m);
    if (!is_signed)
        return !neg ? top < (int)bits : top < 0;
    if (top < (int)bits - 1)
        return true;
    if (!neg || top != (int)bits - 1)
        return false;
    /* -2^(bits-1) is the one magnitude with bit (bits-1) set that fits. */
    uint32_t rest[LIMBS];
    memcpy(rest, m, sizeof rest);
    rest[(bits - 1) / 32] &= ~(UINT32_C(1) << (bits - 1) % 32);
    return is_zero(rest);
}

Status sats_json_num_parse_int(const char *s, size_t n, bool allow_hex, unsigned width,
                               bool is_signed, uint8_t out[32])
{
    uint32_t m[LIMBS] = {0};
    bool neg = n > 0 && s[0] == '-';
    size_t i = neg ? 1 : 0;
    uint32_t base = 10;
    if (allow_hex && n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    if (i == n)
        return ST_INVALID;
    bool overflow = false;
    for (; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0 || d >= (int)base)
            return ST_INVALID;
        if (!overflow && !mul_add(m, base, (uint32_t)d))
            overflow = true;   /* keep going: a later bad digit is a syntax error */
    }
    if (overflow || !fits(m, neg, width * 8, is_signed))
        return ST_LIMIT;
    if (neg)
        negate(m);
    for (unsigned b = 0; b < width; b++)
        out[b] = (uint8_t)(m[b / 4] >> 8 * (b % 4));
    return ST_OK;
}

/* The magnitude of the width-byte value at le, sign-extended first. */
static bool load_magnitude(const uint8_t *le, unsigned width, bool is_signed, uint32_t m[LIMBS])
{
    bool neg = is_signed && (le[width - 1] & 0x80);
    uint8_t full[32];
    memset(full, neg ? 0xFF : 0, sizeof full);
    memcpy(full, le, width);
    for (int i = 0; i < LIMBS; i++)
        m[i] = (uint32_t)full[4 * i] | (uint32_t)full[4 * i + 1] << 8 |
               (uint32_t)full[4 * i + 2] << 16 | (uint32_t)full[4 * i + 3] << 24;
    if (neg)
        negate(m);
    return neg;
}

Status sats_json_num_write_int(StrBuf *sb, const uint8_t *le, unsigned width, bool is_signed,
                               bool hex)
{
    uint32_t m[LIMBS];
    bool neg = load_magnitude(le, width, is_signed, m);
    char buf[96];   /* 78 decimal or 64 hex digits at most, filled from the end */
    size_t pos = sizeof buf;
    buf[--pos] = '\0';
    if (hex) {
        int top = top_bit(m);
        for (int nib = 0; nib <= (top < 0 ? 0 : top / 4); nib++)
            buf[--pos] = "0123456789abcdef"[m[nib / 8] >> 4 * (nib % 8) & 0xF];
        buf[--pos] = 'x';
        buf[--pos] = '0';
    } else {
        do {   /* nine digits per division; the leading chunk without zeros */
            uint32_t chunk = div_small(m, 1000000000u);
            bool leading = is_zero(m);
            for (int d = 0; d < 9 && (!leading || chunk || d == 0); d++) {
                buf[--pos] = (char)('0' + chunk % 10);
                chunk /= 10;
            }
        } while (!is_zero(m));
    }
    if (neg)
        buf[--pos] = '-';
    return strbuf_puts(sb, buf + pos);
}

/* The shortest significant digits of |v| (no trailing zeros) and the
 * decimal exponent of the first one: |v| = d.ddd x 10^exp10. */
static size_t shortest_digits(double v, bool single, char digits[24], int *exp10)
{
    char buf[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, fabs(v));
        if (single ? strtof(buf, NULL) == (float)fabs(v) : strtod(buf, NULL) == fabs(v))
            break;
    }
    size_t n = 0;
    for (const char *p = buf; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *exp10 = atoi(strchr(buf, 'e') + 1);
    return n;
}

static void put_zeros(char *out, size_t *pos, int n)
{
    while (n-- > 0)
        out[(*pos)++] = '0';
}

static void put_text(char *out, size_t *pos, const char *s, size_t n)
{
    memcpy(out + *pos, s, n);
    *pos += n;
}

Status sats_json_num_write_float(StrBuf *sb, double v, bool single)
{
    if (!isfinite(v))
        return strbuf_puts(sb, "null");
    char d[24], out[64];
    size_t pos = 0;
    if (signbit(v))
        out[pos++] = '-';
    if (v == 0) {
        put_text(out, &pos, "0.0", 3);
        return strbuf_append(sb, out, pos);
    }
    int e;
    int n = (int)shortest_digits(v, single, d, &e);
    int kk = e + 1;           /* 10^(kk-1) <= |v| < 10^kk */
    int k = kk - n;           /* the decimal exponent of the last digit */
    int max_kk = single ? 13 : 16, min_kk = single ? -6 : -5;
    if (k >= 0 && kk <= max_kk) {               /* 1234e7 -> 12340000000.0 */
        put_text(out, &pos, d, (size_t)n);
        put_zeros(out, &pos, k);
        put_text(out, &pos, ".0", 2);
    } else if (kk > 0 && kk <= max_kk) {        /* 1234e-2 -> 12.34 */
        put_text(out, &pos, d, (size_t)kk);
        out[pos++] = '.';
        put_text(out, &pos, d + kk, (size_t)(n - kk));
    } else if (kk > min_kk && kk <= 0) {        /* 1234e-6 -> 0.001234 */
        put_text(out, &pos, "0.", 2);
        put_zeros(out, &pos, -kk);
        put_text(out, &pos, d, (size_t)n);
    } else {                                    /* 1e30, 1234e30 -> 1.234e33 */
        out[pos++] = d[0];
        if (n > 1) {
            out[pos++] = '.';
            put_text(out, &pos, d + 1, (size_t)(n - 1));
        }
        pos += (size_t)snprintf(out + pos, sizeof out - pos, "e%d", kk - 1);
    }
    return strbuf_append(sb, out, pos);
}
