/*
 * bsatn_w.c - a tiny BSATN writer and reader for guest code.
 *
 * BSATN (module-abi.md §3) is positional and little-endian: a u32 is four
 * bytes, lowest first; a String is a u32 byte count and the bytes; a
 * product is its fields back to back; a sum is a tag byte and the payload.
 * The types say where one value ends, so these functions only move bytes;
 * codec.c knows the types.
 *
 * Writing goes into a BsatnW on the bump heap that doubles when full.
 * Reading is a cursor that never reads past the end: a short read sets
 * ok = false and returns zeros, so a decoder can run to the end and check
 * once (bytes from the host are trusted to be well formed, but a bug should
 * end in a clean panic, not in reading the rest of memory).
 *
 * Integers are assembled byte by byte, not with a pointer cast, so the code
 * says what the format is, whatever the machine's byte order.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "sdk_int.h"

void bsatn_w_init(BsatnW *w, uint32_t cap)
{
    w->p = heap_realloc(NULL, 0, cap);
    w->len = 0;
    w->cap = cap;
}

void bsatn_w_bytes(BsatnW *w, const void *src, uint32_t n)
{
    if (w->len + n > w->cap) {
        uint32_t cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
        w->p = heap_realloc(w->p, w->len, cap);
        w->cap = cap;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

void bsatn_w_u8(BsatnW *w, uint8_t v)
{
    bsatn_w_bytes(w, &v, 1);
}

/* The low `n` bytes of v, least significant first. */
void bsatn_w_le(BsatnW *w, uint64_t v, uint32_t n)
{
    uint8_t b[8];
    for (uint32_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    bsatn_w_bytes(w, b, n);
}

void bsatn_w_u16(BsatnW *w, uint16_t v)
{
    bsatn_w_le(w, v, 2);
}

void bsatn_w_u32(BsatnW *w, uint32_t v)
{
    bsatn_w_le(w, v, 4);
}

void bsatn_w_u64(BsatnW *w, uint64_t v)
{
    bsatn_w_le(w, v, 8);
}

void bsatn_w_str(BsatnW *w, const char *s, uint32_t len)
{
    bsatn_w_u32(w, len);
    bsatn_w_bytes(w, s, len);
}

void bsatn_w_cstr(BsatnW *w, const char *s)
{
    bsatn_w_str(w, s, (uint32_t)strlen(s));
}

BsatnR bsatn_r_init(const uint8_t *p, uint32_t len)
{
    return (BsatnR){ .p = p, .len = len, .pos = 0, .ok = true };
}

bool bsatn_r_bytes(BsatnR *r, void *dst, uint32_t n)
{
    if (!r->ok || n > r->len - r->pos) {
        r->ok = false;
        memset(dst, 0, n);
        return false;
    }
    memcpy(dst, r->p + r->pos, n);
    r->pos += n;
    return true;
}

uint8_t bsatn_r_u8(BsatnR *r)
{
    uint8_t v;
    bsatn_r_bytes(r, &v, 1);
    return v;
}

uint64_t bsatn_r_le(BsatnR *r, uint32_t n)
{
    uint8_t b[8];
    uint64_t v = 0;
    bsatn_r_bytes(r, b, n);
    for (uint32_t i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

uint32_t bsatn_r_u32(BsatnR *r)
{
    return (uint32_t)bsatn_r_le(r, 4);
}
