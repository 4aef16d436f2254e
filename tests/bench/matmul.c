/*
 * matmul.c - benchmark: 64x64 matrix multiply in f64 (wasm32,
 * freestanding).
 *
 * Exercises f64 loads, stores, multiplies and adds with nested counted
 * loops: the interpreter's float path and its address arithmetic.  The
 * matrices hold small integers (-8..7) so every product and sum is exact
 * and the result does not depend on evaluation order or rounding: the
 * checksum is the same on every correct engine.
 *
 * matmul(reps) computes C = A*B reps times; after each pass it bumps one
 * element of A so the passes differ, and returns the sum of all elements
 * of C plus the sum of one diagonal element per pass.
 *
 * Exports: matmul(reps) and bench() = matmul(16).
 *
 * Book: chapter 8, book/08-cli.md
 */
#define EXPORT(name) __attribute__((export_name(name)))
#define N 64

static double a[N][N], b[N][N], c[N][N];

static void setup(void)
{
    unsigned x = 42;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            x = x * 1103515245u + 12345u;
            a[i][j] = (double)((int)((x >> 16) & 15) - 8);
            x = x * 1103515245u + 12345u;
            b[i][j] = (double)((int)((x >> 16) & 15) - 8);
        }
}

static void multiply(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int k = 0; k < N; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

EXPORT("matmul") double matmul(int reps)
{
    double check = 0.0;
    setup();
    for (int r = 0; r < reps; r++) {
        multiply();
        check += c[r % N][r % N];
        a[r % N][(r * 7) % N] += 1.0;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            check += c[i][j];
    return check;
}

EXPORT("bench") double bench(void)
{
    return matmul(16);
}
