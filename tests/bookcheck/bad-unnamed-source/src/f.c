/* f.c - its Book: line gives the wrong number for the chapter file.
 * Book: chapter 2, book/01-a.md */
int f;
