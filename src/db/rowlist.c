/*
 * rowlist.c - rows back to back, with their ends.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "rowlist.h"

#include "../util/alloc.h"

void rowlist_init(RowList *l)
{
    strbuf_init(&l->bytes);
    l->ends = NULL;
    l->count = l->cap = 0;
}

void rowlist_fini(RowList *l)
{
    strbuf_fini(&l->bytes);
    mem_free(l->ends);
    rowlist_init(l);
}

void rowlist_clear(RowList *l)
{
    strbuf_clear(&l->bytes);
    l->count = 0;
}

void rowlist_truncate(RowList *l, size_t count)
{
    if (count >= l->count)
        return;
    l->count = count;
    l->bytes.len = count ? l->ends[count - 1] : 0;
    if (l->bytes.data)
        l->bytes.data[l->bytes.len] = '\0';
}

Status rowlist_push(RowList *l, const uint8_t *row, size_t len)
{
    if (vec_reserve_(&l->ends, &l->cap, l->count + 1, sizeof *l->ends) != ST_OK)
        return ST_NOMEM;
    if (strbuf_append(&l->bytes, row, len) != ST_OK)
        return ST_NOMEM;
    l->ends[l->count++] = l->bytes.len;
    return ST_OK;
}

Status rowlist_append(RowList *l, const RowList *src)
{
    size_t base = l->bytes.len;
    if (vec_reserve_(&l->ends, &l->cap, l->count + src->count, sizeof *l->ends) != ST_OK ||
        strbuf_append(&l->bytes, src->bytes.data, src->bytes.len) != ST_OK)
        return ST_NOMEM;
    for (size_t i = 0; i < src->count; i++)
        l->ends[l->count++] = base + src->ends[i];
    return ST_OK;
}

const uint8_t *rowlist_get(const RowList *l, size_t i, size_t *len)
{
    size_t start = i ? l->ends[i - 1] : 0;
    *len = l->ends[i] - start;
    return (const uint8_t *)l->bytes.data + start;
}
