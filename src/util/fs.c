/*
 * fs.c - fs_remove_tree: `rm -rf` for scratch directories.
 *
 * `tinystdb test` (chapter 30) and the tests that start servers make a
 * temporary data directory and remove it at the end.  The server itself
 * never uses this: it deletes a database by naming the files it wrote
 * (server_db.c), so a wrong path can never take anything else with it.
 * Paths longer than about 1,000 bytes are cut, which is fine for the
 * mkdtemp() names this is used on.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include "fs.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void fs_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[1536];
        snprintf(sub, sizeof sub, "%.1000s/%.255s", path, e->d_name);
        fs_remove_tree(sub);
    }
    closedir(d);
    rmdir(path);
}
