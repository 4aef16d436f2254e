/*
 * crc32.c - benchmark: table-driven CRC-32 over a buffer (wasm32,
 * freestanding).
 *
 * Exercises byte loads (i32.load8_u), table lookups (i32.load with a
 * computed address), shifts and xors: the inner loop of every checksum.
 * The buffer (64 KiB of LCG bytes) and the 256-entry table are built on
 * the first call.  crc32(reps) runs the CRC over the buffer reps times,
 * carrying the CRC from one pass to the next so no pass is redundant, and
 * returns the final CRC (standard CRC-32: reflected, poly 0xEDB88320).
 *
 * Exports: crc32(reps) and bench() = crc32(48).
 *
 * Book: chapter 8, book/08-cli.md
 */
#define EXPORT(name) __attribute__((export_name(name)))
#define BUF_LEN 65536u

static unsigned table[256];
static unsigned char buf[BUF_LEN];
static int ready;

static void setup(void)
{
    for (unsigned i = 0; i < 256; i++) {
        unsigned c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    unsigned x = 12345;
    for (unsigned i = 0; i < BUF_LEN; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    ready = 1;
}

EXPORT("crc32") unsigned crc32(unsigned reps)
{
    if (!ready)
        setup();
    unsigned crc = 0xFFFFFFFFu;
    for (unsigned r = 0; r < reps; r++)
        for (unsigned i = 0; i < BUF_LEN; i++)
            crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

EXPORT("bench") unsigned bench(void)
{
    return crc32(48);
}
