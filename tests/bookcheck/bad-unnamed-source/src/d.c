/* d.c - listed by chapter 1 but names another chapter.
 * Book: chapter 2, book/02-b.md */
int d;
