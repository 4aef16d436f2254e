/*
 * arena.h - a bump allocator for short-lived work.
 *
 * An Arena hands out memory from large blocks and frees it all at once
 * (arena_reset or arena_fini).  It is the per-request allocator: parse a
 * message, handle it, encode the answer, reset.  Nothing allocated from an
 * arena may outlive the next reset.
 *
 * Invariants: every pointer returned is aligned to ARENA_ALIGN; blocks form
 * a singly linked list, newest first; `used <= size` in every block.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_ARENA_H
#define TINYSTDB_ARENA_H

#include <stddef.h>

#include "status.h"

#define ARENA_ALIGN 16
#define ARENA_BLOCK_SIZE (64 * 1024)

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
    ArenaBlock *head;   /* newest block, the one we bump in */
    size_t total;       /* bytes handed out since the last reset */
} Arena;

void arena_init(Arena *a);
void arena_fini(Arena *a);
/* Free every block but the newest, which is kept for reuse. */
void arena_reset(Arena *a);
/* NULL when out of memory.  Memory is not zeroed. */
void *arena_alloc(Arena *a, size_t size);
void *arena_calloc(Arena *a, size_t n, size_t size);
char *arena_strndup(Arena *a, const char *s, size_t n);
/* Returns ST_OK when the arena's structure is sound. */
Status arena_check(const Arena *a);

#endif
