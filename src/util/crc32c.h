/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of the commit log.
 *
 * A CRC is a 32-bit fingerprint of a byte string that changes, with
 * certainty, when any single bit, any two bits or any burst of up to 32
 * bits change, and with probability 1 - 2^-32 for anything else.  The
 * commit log stores one after every commit and recomputes it when it
 * reads the log back: a mismatch means the bytes on disk are not the
 * bytes that were written (a torn write, a bit flip, a stray block).
 *
 * CRC-32C uses the Castagnoli polynomial 0x1EDC6F41 (0x82F63B78 bit
 * reversed), the one of iSCSI (RFC 3720), ext4, Btrfs and SpacetimeDB's
 * commit log; it detects more error patterns than the zlib CRC-32 at the
 * same cost, and x86 and ARM have an instruction for it (not used here:
 * portable C first).  Parameters: reflected input and output, initial
 * value 0xFFFFFFFF, final XOR 0xFFFFFFFF.  Check value: "123456789" ->
 * 0xE3069283.
 *
 * Incremental use: crc32c_update(crc32c_update(0, a), b) equals
 * crc32c_update(0, a||b), so a writer may checksum a commit piece by piece.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#ifndef TINYSTDB_CRC32C_H
#define TINYSTDB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue the CRC `crc` (0 to start) over data[0..n). */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t n);
/* The CRC of data[0..n): crc32c_update(0, data, n). */
uint32_t crc32c_compute(const void *data, size_t n);

#endif
