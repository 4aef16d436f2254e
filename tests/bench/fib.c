/*
 * fib.c - benchmark: doubly recursive Fibonacci (wasm32, freestanding).
 *
 * Measures the cost of a wasm function call: fib(n) makes 2*fib(n+1)-1
 * calls, each doing a compare, two subtractions and an add.  The
 * disable_tail_calls attribute stops clang from turning one of the two
 * recursive calls into a loop (accumulator tail-recursion elimination),
 * so the call count is exactly the textbook one.
 *
 * Exports: fib(n) and bench() = fib(30) = 832040 (for wasm-interp's
 * --run-all-exports, which runs only the exports without parameters).
 *
 * Book: chapter 8, book/08-cli.md
 */
#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("fib") __attribute__((disable_tail_calls)) int fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

EXPORT("bench") int bench(void)
{
    return fib(30);
}
