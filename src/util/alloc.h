/*
 * alloc.h - the single choke point for heap memory.
 *
 * All heap allocation in src/ goes through mem_alloc/mem_calloc/
 * mem_realloc/mem_free.  Having one door lets tests (a) inject failures
 * ("the 7th allocation from now fails") to prove every error path cleans
 * up, and (b) count live allocations to find leaks without a sanitizer.
 *
 * Contract: the functions behave like malloc/calloc/realloc/free, except
 * that a zero-size request returns a unique non-NULL pointer, and that
 * mem_calloc/mem_alloc_array check n*size for overflow (returning NULL).
 * Callers treat NULL as ST_NOMEM.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_ALLOC_H
#define TINYSTDB_ALLOC_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t n, size_t size);
void *mem_alloc_array(size_t n, size_t size);   /* uninitialised, overflow-checked */
void *mem_realloc(void *p, size_t size);
void *mem_realloc_array(void *p, size_t n, size_t size);
void mem_free(void *p);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);

/* --- test hooks ---------------------------------------------------------
 * mem_fail_after(n): the allocation after the next n successful ones fails,
 * and so does every allocation after it until mem_fail_after(-1) disarms.
 * mem_live() counts allocations not yet freed (since program start). */
void mem_fail_after(long n);
long mem_live(void);

#endif
