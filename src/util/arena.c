/*
 * arena.c - bump allocation from a chain of blocks.
 *
 *   head -> [ block: used | ...free... ] -> [ older block ] -> NULL
 *
 * A request larger than a normal block gets a block of its own sized to
 * fit.  That block becomes the newest, so whatever was left free in the
 * previous block is not used again before the next reset (chapter 2,
 * exercise 1, keeps it in use).
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include "arena.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

struct ArenaBlock {
    ArenaBlock *next;
    size_t size, used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(Arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void arena_fini(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        mem_free(b);
        b = next;
    }
    arena_init(a);
}

void arena_reset(Arena *a)
{
    if (!a->head)
        return;
    ArenaBlock *keep = a->head, *b = keep->next;
    while (b) {
        ArenaBlock *next = b->next;
        mem_free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->total = 0;
}

static ArenaBlock *block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(ArenaBlock))
        return NULL;
    ArenaBlock *b = mem_alloc(sizeof(ArenaBlock) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *arena_alloc(Arena *a, size_t size)
{
    if (size > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    ArenaBlock *b = a->head;
    if (!b || b->size - b->used < size) {
        b = block_new(size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->total += size;
    return p;
}

void *arena_calloc(Arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

Status arena_check(const Arena *a)
{
    for (const ArenaBlock *b = a->head; b; b = b->next) {
        if (b->used > b->size || b->used % ARENA_ALIGN != 0)
            return ST_INVALID;
    }
    return ST_OK;
}
