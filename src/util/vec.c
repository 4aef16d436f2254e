/*
 * vec.c - growth policy for VEC and the StrBuf helpers.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include "vec.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

Status vec_reserve_(void *pitems, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return ST_OK;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return ST_NOMEM;
        ncap *= 2;
    }
    void *items;
    memcpy(&items, pitems, sizeof items);
    void *grown = mem_realloc_array(items, ncap, elem);
    if (!grown)
        return ST_NOMEM;
    memcpy(pitems, &grown, sizeof grown);
    *cap = ncap;
    return ST_OK;
}

void strbuf_init(StrBuf *sb)
{
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

void strbuf_fini(StrBuf *sb)
{
    mem_free(sb->data);
    strbuf_init(sb);
}

void strbuf_clear(StrBuf *sb)
{
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

Status strbuf_append(StrBuf *sb, const void *bytes, size_t n)
{
    if (n > SIZE_MAX - sb->len - 1)
        return ST_NOMEM;
    if (vec_reserve_(&sb->data, &sb->cap, sb->len + n + 1, 1) != ST_OK)
        return ST_NOMEM;
    if (n)
        memcpy(sb->data + sb->len, bytes, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
    return ST_OK;
}

Status strbuf_puts(StrBuf *sb, const char *s)
{
    return strbuf_append(sb, s, strlen(s));
}

Status strbuf_putc(StrBuf *sb, char c)
{
    return strbuf_append(sb, &c, 1);
}

Status strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ST_ARG;
    if (vec_reserve_(&sb->data, &sb->cap, sb->len + (size_t)n + 1, 1) != ST_OK)
        return ST_NOMEM;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return ST_OK;
}

Status strbuf_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    Status st = strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
    return st;
}
