/*
 * main.c - the tinystdb command (placeholder until the CLI lands).
 *
 * Book: chapter 6, book/06-cli.md
 */
#include <stdio.h>

int main(void)
{
    puts("tinystdb");
    return 0;
}
