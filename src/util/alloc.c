/*
 * alloc.c - heap allocation with failure injection and a live counter.
 *
 * The counter is a plain global: tinystdb is single-threaded by design.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1; /* -1: disarmed */
static long live_count;

/* Decide whether this allocation should fail because a test asked it to. */
static int injected_failure(void)
{
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

void *mem_alloc(size_t size)
{
    if (injected_failure())
        return NULL;
    void *p = malloc(size ? size : 1);
    if (p)
        live_count++;
    return p;
}

void *mem_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    if (injected_failure())
        return NULL;
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p)
        live_count++;
    return p;
}

void *mem_alloc_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return mem_alloc(n * size);
}

void *mem_realloc(void *p, size_t size)
{
    if (!p)
        return mem_alloc(size);
    if (injected_failure())
        return NULL;
    return realloc(p, size ? size : 1);
}

void *mem_realloc_array(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return mem_realloc(p, n * size);
}

void mem_free(void *p)
{
    if (!p)
        return;
    live_count--;
    free(p);
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

void mem_fail_after(long n)
{
    fail_countdown = n;
}

long mem_live(void)
{
    return live_count;
}
