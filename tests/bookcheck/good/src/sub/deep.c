/* deep.c - files in subfolders of src/ are checked too.
 * Book: chapter 1, book/01-demo.md */
int deep(void);
