/* b.c - names no chapter. */
int b;
