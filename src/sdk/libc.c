/*
 * libc.c - the little of a C library a module needs: memory and string
 * functions, and a bump heap over the wasm linear memory.
 *
 * A module is built with -nostdlib: there is no malloc, no printf, not even
 * memcpy.  clang still emits calls to memcpy and memset for struct copies
 * and zeroing, so those must exist; -ffreestanding keeps clang from turning
 * the loops below back into calls to themselves.
 *
 * The heap.  wasm-ld puts the stack first, then the static data, and
 * defines the symbol __heap_base just past them; everything above is ours.
 * stdb_alloc bumps a pointer upwards, asking the host for more pages with
 * memory.grow when the pointer passes the end of memory.  There is no free:
 * heap_reset (called when a reducer call or __describe_module__ starts)
 * forgets everything at once.  That matches how a reducer works - decode
 * the arguments, do the work, return - and makes leaks impossible.
 *
 * Row iterators need a buffer each (64 KiB), and a reducer may run
 * thousands of lookups, so finished iterators return their buffer to a
 * few spare slots (heap_buffer_put) for the next iterator to reuse.
 *
 * Invariants: heap_base <= last <= top <= memory size; every allocation
 * starts at a multiple of 8 (enough for any C type on wasm32); a spare
 * buffer is owned by nobody else.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "sdk_int.h"

/* ---- memory and strings -------------------------------------------------- */

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d <= s)
        return memcpy(dst, src, n);
    while (n--)                    /* overlapping with dst above src: copy backwards */
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

/* ---- the bump heap ------------------------------------------------------- */

extern unsigned char __heap_base;   /* defined by wasm-ld */

#define PAGE 65536u
static uintptr_t top;    /* the next free byte; 0 until the first allocation */
static uintptr_t last;   /* where the newest allocation starts */

/* Buffers handed back by finished row iterators, for the next one to reuse
 * (without this, a reducer calling stdb_find in a loop would eat the heap). */
#define SPARES 4
static struct { uint8_t *p; uint32_t cap; } spare[SPARES];

void heap_reset(void)
{
    top = last = (uintptr_t)&__heap_base;
    memset(spare, 0, sizeof spare);
}

/* Make sure memory reaches `end`, growing it by whole pages. */
static void ensure_memory(uint64_t end)
{
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * PAGE;
    if (end <= have)
        return;
    size_t pages = (size_t)((end - have + PAGE - 1) / PAGE);
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
        stdb_panic("out of memory: cannot grow the heap to %llu bytes", (unsigned long long)end);
}

static void *take(uint32_t n)
{
    if (top == 0)
        heap_reset();
    uint64_t start = (top + 7) & ~(uint64_t)7;
    ensure_memory(start + n);
    last = (uintptr_t)start;
    top = (uintptr_t)(start + n);
    return (void *)last;
}

void *stdb_alloc(size_t n)
{
    void *p = take((uint32_t)n);
    return memset(p, 0, n);   /* the memory may hold an earlier call's data */
}

void *heap_realloc(void *p, uint32_t old, uint32_t n)
{
    if (p != NULL && (uintptr_t)p == last && n >= old) {   /* the newest block: grow in place */
        ensure_memory((uint64_t)last + n);
        top = last + n;
        return p;
    }
    void *q = take(n);
    if (p != NULL)
        memcpy(q, p, old < n ? old : n);
    return q;
}

uint8_t *heap_buffer_get(uint32_t min, uint32_t *cap)
{
    for (int i = 0; i < SPARES; i++)
        if (spare[i].p != NULL && spare[i].cap >= min) {
            uint8_t *p = spare[i].p;
            *cap = spare[i].cap;
            spare[i].p = NULL;
            return p;
        }
    *cap = min;
    return take(min);
}

void heap_buffer_put(uint8_t *p, uint32_t cap)
{
    for (int i = 0; i < SPARES; i++)
        if (spare[i].p == NULL) {
            spare[i].p = p;
            spare[i].cap = cap;
            return;
        }
}
