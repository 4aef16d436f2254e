/*
 * a.c - fixture.
 *
 * Book: chapter 1, book/01-a.md
 */
int add(int a, int b)
{
    return a + b;
}
