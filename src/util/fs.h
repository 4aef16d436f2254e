/*
 * fs.h - small file-system helpers shared by the test harness and the
 * tests.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_UTIL_FS_H
#define TINYSTDB_UTIL_FS_H

/* Remove path and, if it is a directory, everything below it (as
 * `rm -rf`).  Best effort: what cannot be removed stays, silently; only
 * for scratch directories a program made itself, never for user data. */
void fs_remove_tree(const char *path);

#endif
