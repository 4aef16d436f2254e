/*
 * hex.c - hexadecimal digits, both directions (see hex.h).
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include "hex.h"

static const char DIGITS[] = "0123456789abcdef";

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void hex_encode(const uint8_t *p, size_t n, bool reversed, char *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[reversed ? n - 1 - i : i];
        out[2 * i] = DIGITS[b >> 4];
        out[2 * i + 1] = DIGITS[b & 15];
    }
    out[2 * n] = '\0';
}

Status hex_append(StrBuf *sb, const uint8_t *p, size_t n, bool reversed)
{
    size_t mark = sb->len;
    Status st = ST_OK;
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        uint8_t b = p[reversed ? n - 1 - i : i];
        char two[2] = { DIGITS[b >> 4], DIGITS[b & 15] };
        st = strbuf_append(sb, two, 2);
    }
    if (st != ST_OK && sb->data) {
        sb->len = mark;
        sb->data[mark] = '\0';
    }
    return st;
}

bool hex_decode(const char *s, size_t n, bool reversed, uint8_t *out, size_t *bad)
{
    for (size_t i = 0; i < 2 * n; i += 2) {
        int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0) {
            if (bad)
                *bad = hi < 0 ? i : i + 1;
            return false;
        }
        out[reversed ? n - 1 - i / 2 : i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}
