/*
 * demo.c - functions the fixture chapter quotes.
 *
 * Book: chapter 1, book/01-demo.md
 */
#include "demo.h"

static int helper(int x);

/*
helper(1) at column 0 inside a comment is not a definition.
*/
static int big_helper(int x)
{
	return x * 1000;   /* a tab-indented body: excerpts keep tabs */
}

static int helper(int x)
{
    return x + 1;
}

enum Colour { RED, GREEN };

int demo_add(int a, int b)
{
    int s = a + b;
    /* BOOK: add_core */
    s = helper(s) - 1;
    /* BOOK-END: add_core */
    return s + big_helper(0);
}
