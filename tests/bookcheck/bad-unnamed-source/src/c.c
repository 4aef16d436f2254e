/* c.c - names chapter 1, which does not list it.
 * Book: chapter 1, book/01-a.md */
int c;
