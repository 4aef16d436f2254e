/* e.c - a Book: line without the chapter file.
 * Book: chapter 3 */
int e;
