/*
 * demo.h - a tiny module for the book checker's fixtures.
 *
 * Book: chapter 1, book/01-demo.md
 */
#ifndef DEMO_H
#define DEMO_H

#define DEMO_MAX(a, b)                                                       \
    ((a) > (b) ? (a) : (b))

typedef struct Pair {
    int a, b;
} Pair;

/* A prototype that spans lines must not be taken for the definition. */
int demo_add(int a,
             int b)
    __attribute__((const));

#endif
