/*
 * fmt.c - a small printf for modules: stdb_fmt and the logging functions'
 * formatting.
 *
 * It understands the subset of printf that log messages and error texts
 * need: %d %i %u %x %X %c %s %p %%, the length modifiers hh h l ll z, a
 * field width (digits or *), the '-' (left-justify) and '0' (zero-pad)
 * flags, and a precision for %s ("%.*s" prints a StdbStr:
 * `"%.*s", (int)s.len, s.ptr`).  No floating point: a module that wants to
 * log a float converts it itself.  An unknown conversion is copied out as
 * is, so a mistake shows in the log instead of crashing.  spacetime.h
 * declares the functions with __attribute__((format(printf))), so clang
 * checks every call's arguments at compile time.
 *
 * The text goes into a growable BsatnW on the bump heap and ends with a NUL;
 * the result lives until the next reducer call.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "sdk_int.h"

/* One parsed conversion: %[flags][width][.precision][length]conv */
typedef struct Spec {
    bool left, zero;
    int width, prec;      /* prec < 0: none */
    int longs;            /* 0 int, 1 long, 2 long long, 3 size_t; h/hh read as int */
    char conv;
} Spec;

static void pad(BsatnW *w, int n, char c)
{
    while (n-- > 0)
        bsatn_w_u8(w, (uint8_t)c);
}

/* Text of n bytes, padded to the field width. */
static void put_field(BsatnW *w, const Spec *sp, const char *s, uint32_t n)
{
    int fill = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        pad(w, fill, ' ');
    bsatn_w_bytes(w, s, n);
    if (sp->left)
        pad(w, fill, ' ');
}

static void put_number(BsatnW *w, const Spec *sp, uint64_t v, bool neg)
{
    char tmp[24];
    int n = 0;
    unsigned base = (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : 10;
    const char *digits = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v != 0);
    if (sp->conv == 'p') {
        tmp[n++] = 'x';
        tmp[n++] = '0';
    }
    int len = n + (neg ? 1 : 0);
    int fill = sp->width > len ? sp->width - len : 0;
    if (!sp->left && !sp->zero)
        pad(w, fill, ' ');
    if (neg)
        bsatn_w_u8(w, '-');
    if (!sp->left && sp->zero)
        pad(w, fill, '0');
    while (n > 0)
        bsatn_w_u8(w, (uint8_t)tmp[--n]);
    if (sp->left)
        pad(w, fill, ' ');
}

static int64_t arg_signed(const Spec *sp, va_list *ap)
{
    switch (sp->longs) {
    case 1: return va_arg(*ap, long);
    case 2: return va_arg(*ap, long long);
    case 3: return (int64_t)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static uint64_t arg_unsigned(const Spec *sp, va_list *ap)
{
    switch (sp->longs) {
    case 1: return va_arg(*ap, unsigned long);
    case 2: return va_arg(*ap, unsigned long long);
    case 3: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned);
    }
}

/* Parse the conversion after '%'; returns the pointer just past it. */
static const char *parse_spec(const char *p, Spec *sp, va_list *ap)
{
    *sp = (Spec){ .prec = -1 };
    for (;; p++) {
        if (*p == '-') sp->left = true;
        else if (*p == '0') sp->zero = true;
        else break;
    }
    if (*p == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {     /* printf: a negative '*' width means '-' */
            sp->left = true;
            sp->width = -sp->width;
        }
        p++;
    }
    while (*p >= '0' && *p <= '9')
        sp->width = sp->width * 10 + (*p++ - '0');
    if (*p == '.') {
        sp->prec = 0;
        if (*++p == '*') {
            sp->prec = va_arg(*ap, int);
            p++;
        }
        while (*p >= '0' && *p <= '9')
            sp->prec = sp->prec * 10 + (*p++ - '0');
    }
    while (*p == 'h')
        p++;
    if (*p == 'z') {
        sp->longs = 3;
        p++;
    }
    while (*p == 'l' && sp->longs < 2) {
        sp->longs++;
        p++;
    }
    sp->conv = *p;
    return *p ? p + 1 : p;
}

static void put_conversion(BsatnW *w, const Spec *sp, va_list *ap)
{
    switch (sp->conv) {
    case 'd': case 'i': {
        int64_t v = arg_signed(sp, ap);
        put_number(w, sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
        break;
    }
    case 'u': case 'x': case 'X':
        put_number(w, sp, arg_unsigned(sp, ap), false);
        break;
    case 'p':
        put_number(w, sp, (uintptr_t)va_arg(*ap, void *), false);
        break;
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_field(w, sp, &c, 1);
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (s == NULL)
            s = "(null)";
        uint32_t n = 0;          /* strlen, stopping at the precision */
        while ((sp->prec < 0 || n < (uint32_t)sp->prec) && s[n])
            n++;
        put_field(w, sp, s, n);
        break;
    }
    case '%':
        bsatn_w_u8(w, '%');
        break;
    default:                     /* unknown: show it rather than guess */
        bsatn_w_u8(w, '%');
        if (sp->conv)
            bsatn_w_u8(w, (uint8_t)sp->conv);
    }
}

char *fmt_v(uint32_t *len_out, const char *fmt, va_list ap)
{
    BsatnW w;
    bsatn_w_init(&w, 64);
    va_list aq;
    va_copy(aq, ap);             /* passed on by address, which a plain va_list may not be */
    for (const char *p = fmt; *p;) {
        if (*p != '%') {
            bsatn_w_u8(&w, (uint8_t)*p++);
            continue;
        }
        Spec sp;
        p = parse_spec(p + 1, &sp, &aq);
        put_conversion(&w, &sp, &aq);
    }
    va_end(aq);
    if (len_out != NULL)
        *len_out = w.len;
    bsatn_w_u8(&w, 0);
    return (char *)w.p;
}

char *stdb_vfmt(const char *fmt, va_list ap)
{
    return fmt_v(NULL, fmt, ap);
}

char *stdb_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = fmt_v(NULL, fmt, ap);
    va_end(ap);
    return s;
}
