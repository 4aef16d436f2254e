/*
 * vec.h - growable arrays and byte/string buffers.
 *
 * VEC(T) declares an anonymous struct { T *items; size_t len, cap; }.
 * A zeroed VEC is empty and valid; vec_fini frees it.  Growth doubles the
 * capacity, so n pushes cost O(n) amortised.  Pointers into items are
 * invalidated by any push.
 *
 *     VEC(int) v = {0};
 *     if (vec_push(&v, 42) != ST_OK) goto fail;
 *     ...
 *     vec_fini(&v);
 *
 * StrBuf is a VEC of char that keeps a NUL after the last byte, so
 * sb.data is always a C string (once anything was appended).
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_VEC_H
#define TINYSTDB_VEC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define VEC(T)                                                                 \
    struct {                                                                   \
        T *items;                                                              \
        size_t len, cap;                                                       \
    }

/* Make room for at least `need` elements of `elem` bytes.  `pitems` points
 * at the items pointer (any pointer type); it is read and written through
 * memcpy so no aliasing rule is bent. */
Status vec_reserve_(void *pitems, size_t *cap, size_t need, size_t elem);

#define vec_reserve(v, n)                                                      \
    vec_reserve_(&(v)->items, &(v)->cap, (n), sizeof *(v)->items)

#define vec_push(v, x)                                                         \
    (vec_reserve((v), (v)->len + 1) == ST_OK                                   \
         ? ((v)->items[(v)->len++] = (x), ST_OK)                               \
         : ST_NOMEM)

#define vec_fini(v)                                                            \
    do {                                                                       \
        mem_free((v)->items);                                                  \
        (v)->items = NULL;                                                     \
        (v)->len = (v)->cap = 0;                                               \
    } while (0)

/* ---- StrBuf ------------------------------------------------------------ */

typedef struct StrBuf {
    char *data;
    size_t len, cap;
} StrBuf;

void strbuf_init(StrBuf *sb);
void strbuf_fini(StrBuf *sb);
void strbuf_clear(StrBuf *sb);
Status strbuf_append(StrBuf *sb, const void *bytes, size_t n);
Status strbuf_puts(StrBuf *sb, const char *s);
Status strbuf_putc(StrBuf *sb, char c);
Status strbuf_printf(StrBuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
Status strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap);

#endif
