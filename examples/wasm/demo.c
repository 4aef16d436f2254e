/*
 * demo.c - small example functions for `make demo` and the CLI tests
 * (compiled to demo.wasm by tools/build-wasm.sh; wasm32, freestanding).
 *
 * Each export shows one thing about the engine:
 *   add(a, b)       i32 arithmetic; small enough to --trace
 *   fact(n)         an i64 result from a loop (fact(20) = 2432902008176640000)
 *   checksum(n)     Adler-32 of the first n bytes of a string that lives in
 *                   the module's data segment, read through linear memory
 *                   (checksum(43) = 0x5bdc0fda for the whole sentence)
 *   divide(a, b)    signed division: divide(1, 0) traps
 *   collatz(n)      steps to reach 1; an unbounded loop, to try --fuel on
 *   hypot(x, y)     f64 arithmetic and f64.sqrt
 *   half(x)         an f32 in and out
 *
 * Book: chapter 8, book/08-cli.md
 */
#define EXPORT(name) __attribute__((export_name(name)))

static const char text[] = "The quick brown fox jumps over the lazy dog";

EXPORT("add") int add(int a, int b)
{
    return a + b;
}

EXPORT("fact") long long fact(int n)
{
    long long f = 1;
    for (int i = 2; i <= n; i++)
        f *= i;
    return f;
}

EXPORT("checksum") unsigned checksum(unsigned n)
{
    unsigned a = 1, b = 0;
    for (unsigned i = 0; i < n && i < sizeof text - 1; i++) {
        a = (a + (unsigned char)text[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return b << 16 | a;
}

EXPORT("divide") int divide(int a, int b)
{
    return a / b;
}

EXPORT("collatz") int collatz(unsigned n)
{
    int steps = 0;
    while (n > 1) {
        n = (n & 1) ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

EXPORT("hypot") double hypot(double x, double y)
{
    return __builtin_sqrt(x * x + y * y);
}

EXPORT("half") float half(float x)
{
    return x * 0.5f;
}
