/*
 * loop.c - benchmark: a tight integer loop (wasm32, freestanding).
 *
 * Measures the per-instruction cost of the interpreter's straight-line
 * code: one iteration is thirteen wasm instructions (local.get/set/tee,
 * i32.xor, i32.mul, i32.add, br_if), with no calls and no memory.
 * The xor keeps clang from replacing the loop by a closed formula.
 *
 * Exports: loop(n) and bench() = loop(5000000).
 *
 * Book: chapter 8, book/08-cli.md
 */
#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("loop") unsigned loop(unsigned n)
{
    unsigned acc = 0;
    /* Unrolling would make "one iteration" mean four. */
#pragma clang loop unroll(disable)
    while (n != 0) {
        acc = (acc ^ n) * 3u;
        n--;
    }
    return acc;
}

EXPORT("bench") unsigned bench(void)
{
    return loop(5000000u);
}
