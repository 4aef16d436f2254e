/*
 * crc32c.c - CRC-32C, table-driven, eight bytes per step ("slicing-by-8").
 *
 * The bit-at-a-time definition: for each input bit, shift the 32-bit
 * register right by one and XOR in the reversed polynomial 0x82F63B78
 * when the bit shifted out (XORed with the input bit) was 1.  Doing that
 * for 8 bits depends only on the low byte of (register ^ input byte), so
 * a 256-entry table T0 does a byte at a time:
 *
 *     crc = T0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
 *
 * Slicing-by-8 extends the idea: Tk[i] is the effect of byte value i
 * followed by k zero bytes, so eight table lookups XORed together advance
 * the CRC over eight input bytes with no dependency chain between them
 * (about 1 byte per cycle instead of 1 per ~4-5).  The eight tables
 * (8 KiB) are computed on first use; the server is single-threaded.
 *
 * Invariants: tables[0] is the byte-wise table of the reflected
 * polynomial; tables[k][i] = (tables[k-1][i] >> 8) ^ tables[0][tables[k-1][i] & 0xFF].
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include "crc32c.h"

#include <stdbool.h>

#define CRC32C_POLY_REV 0x82F63B78u

static uint32_t tables[8][256];
static bool tables_ready;

static void init_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REV : c >> 1;
        tables[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t prev = tables[k - 1][i];
            tables[k][i] = (prev >> 8) ^ tables[0][prev & 0xFF];
        }
    tables_ready = true;
}

/* Four bytes as a little-endian u32, whatever the host's byte order. */
static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t crc32c_update(uint32_t crc, const void *data, size_t n)
{
    if (!tables_ready)
        init_tables();
    const uint8_t *p = data;
    uint32_t c = ~crc;            /* pre-inversion (undone by the final ~) */
    while (n >= 8) {
        uint32_t lo = c ^ load_le32(p);
        uint32_t hi = load_le32(p + 4);
        c = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^
            tables[4][lo >> 24] ^ tables[3][hi & 0xFF] ^ tables[2][(hi >> 8) & 0xFF] ^
            tables[1][(hi >> 16) & 0xFF] ^ tables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = tables[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

uint32_t crc32c_compute(const void *data, size_t n)
{
    return crc32c_update(0, data, n);
}
