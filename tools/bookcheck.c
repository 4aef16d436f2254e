/*
 * bookcheck.c - keeps the book and the code from drifting apart.
 *
 * The book (book/NN-slug.md) quotes the code verbatim and links to it.
 * Quotes rot silently when the code changes, so this tool re-derives every
 * quote from the current source and fails `make test` when one differs.
 * Run as `bookcheck [--fix] ROOT`.  From ROOT it checks:
 *
 *   1. front matter: every chapter book/NN-*.md starts with
 *          ---
 *          chapter: N            (N must equal NN)
 *          title: ...
 *          sources:
 *            - src/x/y.c         (each must exist)
 *          ---
 *   2. the chapter <-> file link, both ways: every .c/.h file under src/
 *      has a line "Book: chapter N, book/NN-slug.md" naming a chapter that
 *      lists it in sources:, and every file a chapter lists (inside src/
 *      or not) names that chapter.
 *   3. excerpts: a fenced block whose info string is "c PATH:SYMBOL" must
 *      be exactly the definition of SYMBOL in PATH (see find_symbol()).
 *   4. links: [`sym()`](../PATH) needs PATH to contain the word sym; any
 *      other relative link must name an existing file.
 *
 * Output: one "FILE:LINE: problem" line per problem, then the summary
 * "bookcheck: N chapters, M excerpts, K problems"; exit status 1 when
 * K > 0, 2 on a usage or I/O error.  With --fix, differing excerpts are
 * rewritten from the source instead of being reported.
 *
 * This is a standalone tool, not library code: it calls malloc directly
 * and exits when memory runs out, which nothing under src/ may do.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- utilities ------------------------------------------------------ */

static int nproblems, nexcerpts;
static bool fix_mode;

__attribute__((format(printf, 3, 4)))
static void problem(const char *file, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s:%zu: ", file, line);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    nproblems++;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "bookcheck: out of memory\n");
        exit(2);
    }
    return p;
}

static bool is_ident(int c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Last non-blank character of s, or '\0'. */
static char last_char(const char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return n ? s[n - 1] : '\0';
}

/* Strings, each with the line number it came from: the lines of a file,
 * the sources of a chapter, the names in a directory. */
typedef struct List {
    char **s;
    size_t *at;
    size_t n, cap;
} List;

static void list_add(List *l, const char *s, size_t at)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->s = xrealloc(l->s, l->cap * sizeof *l->s);
        l->at = xrealloc(l->at, l->cap * sizeof *l->at);
    }
    l->s[l->n] = strcpy(xrealloc(NULL, strlen(s) + 1), s);
    l->at[l->n++] = at;
}

static void list_free(List *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    free(l->at);
    *l = (List){0};
}

static bool list_has(const List *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->s[i], s) == 0)
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory (without . and ..), sorted so that the output
 * is the same on every machine.  False when it cannot be read. */
static bool list_dir(const char *dir, List *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            list_add(out, e->d_name, 0);
    closedir(d);
    if (out->n)
        qsort(out->s, out->n, sizeof *out->s, cmp_str);
    return true;
}

/* The lines of a file, without their '\n'.  False when the file cannot be
 * read (missing, a directory, ...). */
static bool load_lines(const char *path, List *out)
{
    *out = (List){0};
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        list_add(out, line, out->n + 1);
    }
    bool ok = !ferror(f);
    free(line);
    fclose(f);
    if (!ok)
        list_free(out);
    return ok;
}

/* ---- chapters and their front matter -------------------------------- */

typedef struct Chapter {
    char path[PATH_MAX];  /* "book/02-foundations.md" */
    int num;              /* NN from the file name */
    List sources;         /* the sources: list, with front-matter lines */
} Chapter;

static Chapter *chapters;
static size_t nchapters;

static Chapter *chapter_by_path(const char *path)
{
    for (size_t i = 0; i < nchapters; i++)
        if (strcmp(chapters[i].path, path) == 0)
            return &chapters[i];
    return NULL;
}

/* "  - path" -> "path"; NULL when the line is not a list item. */
static const char *list_item(const char *l)
{
    l += strspn(l, " \t");
    if (l[0] != '-' || l[1] != ' ')
        return NULL;
    l += 1 + strspn(l + 1, " ");
    return *l ? l : NULL;
}

/* Reads the block between the first two "---" lines of a chapter. */
static void parse_front_matter(Chapter *c, const List *t)
{
    if (t->n == 0 || strcmp(t->s[0], "---") != 0) {
        problem(c->path, 1, "no front matter (the first line must be \"---\")");
        return;
    }
    bool chapter = false, title = false, sources = false, in_list = false;
    size_t i;
    for (i = 1; i < t->n && strcmp(t->s[i], "---") != 0; i++) {
        const char *l = t->s[i], *item = list_item(l);
        if (in_list && item) {
            list_add(&c->sources, item, i + 1);
            continue;
        }
        in_list = false;
        if (starts_with(l, "chapter:")) {
            char *end;
            long n = strtol(l + 8, &end, 10);
            chapter = true;
            if (end == l + 8 || last_char(end) != '\0' || n != c->num)
                problem(c->path, i + 1, "chapter: must be %d, as in the file name", c->num);
        } else if (starts_with(l, "title:")) {
            title = last_char(l + 6) != '\0';
        } else if (starts_with(l, "sources:")) {
            const char *rest = l + 8 + strspn(l + 8, " ");
            sources = in_list = true;
            if (*rest && strcmp(rest, "[]") != 0)
                problem(c->path, i + 1, "sources: must be followed by \"  - path\" lines");
        }
    }
    const char *missing = i == t->n ? "closing \"---\" line" : !chapter ? "chapter:"
                          : !title ? "title:" : !sources ? "sources:" : NULL;
    if (missing)
        problem(c->path, 1, "front matter has no %s", missing);
}

/* Finds every book/NN-*.md, parses its front matter and checks that each
 * listed source exists. */
static void load_chapters(const List *book)
{
    for (size_t i = 0; i < book->n; i++) {
        const char *name = book->s[i];
        if (!isdigit((unsigned char)name[0]) || !isdigit((unsigned char)name[1])
            || name[2] != '-' || !ends_with(name, ".md"))
            continue;
        chapters = xrealloc(chapters, (nchapters + 1) * sizeof *chapters);
        Chapter *c = &chapters[nchapters++];
        *c = (Chapter){.num = (name[0] - '0') * 10 + name[1] - '0'};
        snprintf(c->path, sizeof c->path, "book/%s", name);
        List t;
        if (!load_lines(c->path, &t)) {
            problem(c->path, 1, "cannot read the file");
            continue;
        }
        parse_front_matter(c, &t);
        list_free(&t);
        struct stat st;
        for (size_t k = 0; k < c->sources.n; k++)
            if (stat(c->sources.s[k], &st) != 0 || !S_ISREG(st.st_mode))
                problem(c->path, c->sources.at[k], "no such file %s", c->sources.s[k]);
    }
}

/* ---- the chapter <-> source link ------------------------------------ */

/* Finds the "Book: chapter N, book/NN-slug.md" line of a file.  Returns
 * its line number (0: none, or no such file) and sets *num to N, or to -1
 * when the line is malformed; path receives "book/NN-slug.md". */
static size_t book_line(const char *file, int *num, char path[PATH_MAX])
{
    List t;
    size_t at = 0;
    load_lines(file, &t);
    for (size_t i = 0; i < t.n && !at; i++) {
        const char *p = strstr(t.s[i], "Book: chapter ");
        if (!p)
            continue;
        char *end;
        size_t n = 0;
        *num = (int)strtol(p + 14, &end, 10);
        if (end > p + 14 && starts_with(end, ", book/"))
            for (end += 2; end[n] && !isspace((unsigned char)end[n]); n++)
                ;
        if (n < 9 || n >= PATH_MAX || strncmp(end + n - 3, ".md", 3) != 0)
            *num = -1;
        else
            snprintf(path, PATH_MAX, "%.*s", (int)n, end);
        at = i + 1;
    }
    list_free(&t);
    return at;
}

/* A file under src/ must name a chapter that lists it. */
static void check_names_chapter(const char *file)
{
    int num = -1;
    char target[PATH_MAX];
    size_t at = book_line(file, &num, target);
    Chapter *c = at && num >= 0 ? chapter_by_path(target) : NULL;
    if (!at)
        problem(file, 1, "no \"Book: chapter N, book/NN-slug.md\" line");
    else if (num < 0)
        problem(file, at, "malformed Book: line (want \"Book: chapter N, book/NN-slug.md\")");
    else if (!c)
        problem(file, at, "names %s, which is not a chapter", target);
    else if (c->num != num)
        problem(file, at, "says chapter %d, but %s is chapter %d", num, target, c->num);
    else if (!list_has(&c->sources, file))
        problem(file, at, "%s does not list %s in sources:", target, file);
}

static void check_src_tree(const char *dir)
{
    List names = {0};
    if (!list_dir(dir, &names))
        return;
    for (size_t i = 0; i < names.n; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names.s[i]);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            check_src_tree(path);
        else if (ends_with(path, ".c") || ends_with(path, ".h"))
            check_names_chapter(path);
    }
    list_free(&names);
}

/* The other direction: every file a chapter lists names that chapter. */
static void check_listed_sources(void)
{
    for (size_t i = 0; i < nchapters; i++) {
        Chapter *c = &chapters[i];
        for (size_t k = 0; k < c->sources.n; k++) {
            int num = -1;
            char target[PATH_MAX];
            const char *file = c->sources.s[k];
            if (access(file, R_OK) != 0)
                continue;   /* already reported as "no such file" */
            if (!book_line(file, &num, target) || num != c->num || strcmp(target, c->path) != 0)
                problem(c->path, c->sources.at[k],
                        "%s does not name this chapter (needs \"Book: chapter %d, %s\")",
                        file, c->num, c->path);
        }
    }
}

/* ---- finding a symbol's definition ---------------------------------- */

/* Is `word` in `line` as a whole word, followed by `next` when next != 0? */
static bool has_word(const char *line, const char *word, char next)
{
    size_t n = strlen(word);
    for (const char *p = strstr(line, word); p; p = strstr(p + 1, word))
        if ((p == line || !is_ident(p[-1])) && !is_ident(p[n]) && (!next || p[n] == next))
            return true;
    return false;
}

/* Carries the "inside a block comment" state across one line of C. */
static bool comment_after(const char *l, bool in)
{
    for (; *l; l++) {
        if (in) {
            if (l[0] == '*' && l[1] == '/')
                in = false, l++;
        } else if (l[0] == '/' && l[1] == '*') {
            in = true, l++;
        } else if (l[0] == '/' && l[1] == '/') {
            break;
        } else if (*l == '"' || *l == '\'') {   /* skip a literal */
            char q = *l;
            for (l++; *l && *l != q; l++)
                if (*l == '\\' && l[1])
                    l++;
            if (!*l)
                break;
        }
    }
    return in;
}

/* "[typedef ](struct|union|enum) SYMBOL {" at column 0. */
static bool is_type_head(const char *l, const char *sym)
{
    if (starts_with(l, "typedef "))
        l += 8;
    if (starts_with(l, "struct ") || starts_with(l, "union "))
        l += 6;
    else if (starts_with(l, "enum "))
        l += 5;
    else
        return false;
    l += strspn(l, " ");
    size_t n = strlen(sym);
    if (strncmp(l, sym, n) != 0 || is_ident(l[n]))
        return false;
    return l[n + strspn(l + n, " ")] == '{';
}

static bool is_macro_head(const char *l, const char *sym)
{
    if (!starts_with(l, "#define "))
        return false;
    l += 8 + strspn(l + 8, " \t");
    size_t n = strlen(sym);
    return strncmp(l, sym, n) == 0 && !is_ident(l[n]);
}

/* A column-0 line with "SYMBOL(" not ending in ';'.  A prototype can span
 * lines, so it must also reach a '{' before any line ending in ';'. */
static bool is_func_head(const List *t, size_t i, const char *sym)
{
    const char *l = t->s[i];
    if (!*l || strchr(" \t#/*}", *l) || !has_word(l, sym, '(') || last_char(l) == ';')
        return false;
    for (size_t j = i; j < t->n; j++) {
        if (j > i && last_char(t->s[j]) == ';')
            return false;
        if (strchr(t->s[j], '{'))
            return true;
    }
    return false;
}

/* Lines [*first, *end) of t hold the definition of sym:
 *   region    the lines between the comments BOOK: sym and BOOK-END: sym
 *   macro     "#define sym" and its backslash-continued lines
 *   type      "struct sym {" (also typedef/enum/union) to the first line
 *             starting with '}'
 *   function  the first column-0 line outside a comment containing "sym("
 *             (not a prototype) to the first line that is exactly "}"
 * A type or function whose first line already closes its brace is one line.
 * A region wins; otherwise the first line matching any rule decides. */
static bool find_symbol(const List *t, const char *sym, size_t *first, size_t *end)
{
    char open[256], close[256];
    snprintf(open, sizeof open, "/* BOOK: %s */", sym);
    snprintf(close, sizeof close, "/* BOOK-END: %s */", sym);
    for (size_t i = 0; i < t->n; i++)
        if (strstr(t->s[i], open))
            for (size_t j = i + 1; j < t->n; j++)
                if (strstr(t->s[j], close))
                    return *first = i + 1, *end = j, true;
    bool in_comment = false;
    for (size_t i = 0; i < t->n; i++) {
        const char *l = t->s[i];
        bool was_in = in_comment, one_line = false;
        size_t j = i + 1;
        in_comment = comment_after(l, in_comment);
        if (was_in) {
            continue;
        } else if (is_macro_head(l, sym)) {
            while (j < t->n && last_char(t->s[j - 1]) == '\\')
                j++;
            return *first = i, *end = j, true;
        } else if (is_type_head(l, sym)) {
            for (one_line = strchr(l, '}'); !one_line && j < t->n && t->s[j][0] != '}';)
                j++;
        } else if (is_func_head(t, i, sym)) {
            for (one_line = last_char(l) == '}'; !one_line && j < t->n && strcmp(t->s[j], "}");)
                j++;
        } else {
            continue;
        }
        *first = i, *end = one_line ? j : j + 1;
        return *end <= t->n;   /* false: never closed */
    }
    return false;
}

/* ---- markdown: excerpts and links ----------------------------------- */

/* Length of the ``` or ~~~ fence that starts l (0: not a fence).  As in
 * CommonMark, a backtick fence's info string has no backticks: a line
 * like "```` ```c x ````" is inline code, not a fence. */
static size_t fence_len(const char *l)
{
    size_t n = 0;
    while ((l[n] == '`' || l[n] == '~') && l[n] == l[0])
        n++;
    return n >= 3 && !(l[0] == '`' && strchr(l + n, '`')) ? n : 0;
}

/* Does l close a block opened by `len` characters `c`? */
static bool is_close_fence(const char *l, char c, size_t len)
{
    l += strspn(l, " ");
    size_t n = fence_len(l);
    return n >= len && l[0] == c && last_char(l + n) == '\0';
}

/* Info string "c src/x.c:sym" -> file "src/x.c", sym "sym". */
static bool parse_info(const char *info, char file[PATH_MAX], char sym[200])
{
    size_t lang = strcspn(info, " \t");
    snprintf(file, PATH_MAX, "%s", info + lang + strspn(info + lang, " "));
    for (size_t n = strlen(file); n && file[n - 1] == ' ';)
        file[--n] = '\0';
    char *colon = strrchr(file, ':');
    if (!lang || !colon || colon == file || !colon[1] || strchr(file, ' ')
        || strlen(colon + 1) >= 200)
        return false;
    strcpy(sym, colon + 1);
    *colon = '\0';
    return true;
}

/* Compares an excerpt, the lines strictly between `open` and `close` of
 * md, with the source, and copies it to out: from the source when --fix
 * repaired it (then returns true), from the book otherwise. */
static bool check_excerpt(const char *mdpath, const List *md, size_t open, size_t close,
                          const char *file, const char *sym, List *out)
{
    List src;
    size_t first, end, nb = close - open - 1;
    bool fixed = false;
    if (!load_lines(file, &src))
        problem(mdpath, open + 1, "no such file %s", file);
    else if (!find_symbol(&src, sym, &first, &end))
        problem(mdpath, open + 1, "symbol %s not found in %s", sym, file);
    else {
        size_t k = 0, ns = end - first;
        while (k < nb && k < ns && strcmp(md->s[open + 1 + k], src.s[first + k]) == 0)
            k++;
        if ((k < nb || k < ns) && fix_mode) {
            printf("%s:%zu: fixed excerpt %s:%s\n", mdpath, open + 1, file, sym);
            for (size_t i = first; i < end; i++)
                list_add(out, src.s[i], 0);
            fixed = true;
        } else if (k < nb || k < ns) {
            problem(mdpath, open + 2 + k, "excerpt differs from %s:%s: book has \"%s\", source has \"%s\"",
                    file, sym, k < nb ? md->s[open + 1 + k] : "(end of excerpt)",
                    k < ns ? src.s[first + k] : "(end of definition)");
        }
    }
    for (size_t i = open + 1; !fixed && i < close; i++)
        list_add(out, md->s[i], 0);
    list_free(&src);
    return fixed;
}

/* The identifier a link text `name` or `name(...)` refers to, if any. */
static bool link_symbol(const char *text, size_t len, char sym[128])
{
    if (len < 3 || text[0] != '`' || text[len - 1] != '`' || isdigit((unsigned char)text[1]))
        return false;
    size_t n = 0;
    while (n < len - 2 && is_ident(text[1 + n]))
        n++;
    if (n == 0 || n >= 128 || (n < len - 2 && (text[1 + n] != '(' || text[len - 2] != ')')))
        return false;
    return snprintf(sym, 128, "%.*s", (int)n, text + 1), true;
}

/* Links are relative to book/, where every markdown file we check lives. */
static void check_link(const char *md, size_t lineno, const char *text, size_t tlen,
                       const char *target, size_t len)
{
    char file[PATH_MAX], path[PATH_MAX + 8], sym[128];
    snprintf(file, sizeof file, "%.*s", (int)len, target);
    file[strcspn(file, " #")] = '\0';   /* drop a "title" or a #fragment */
    if (!file[0] || strstr(file, "://") || starts_with(file, "mailto:"))
        return;
    snprintf(path, sizeof path, "book/%s", file);
    struct stat st;
    if (stat(path, &st) != 0) {
        problem(md, lineno, "link to missing file %s", file);
        return;
    }
    if (!link_symbol(text, tlen, sym))
        return;
    List f;
    bool found = false;
    if (S_ISREG(st.st_mode) && load_lines(path, &f)) {
        for (size_t i = 0; i < f.n && !found; i++)
            found = has_word(f.s[i], sym, 0);
        list_free(&f);
    }
    if (!found)
        problem(md, lineno, "%s does not contain %s", file, sym);
}

static void check_links(const char *md, size_t lineno, const char *l)
{
    for (const char *p = strchr(l, '['); p; p = strchr(p + 1, '[')) {
        const char *close = strchr(p, ']'), *end;
        if (close && close[1] == '(' && (end = strchr(close + 2, ')')))
            check_link(md, lineno, p + 1, (size_t)(close - p - 1), close + 2,
                       (size_t)(end - close - 2));
    }
}

/* Writes through a temporary file, so a failure never leaves half a chapter. */
static void write_lines(const char *path, const List *l)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    for (size_t i = 0; f && i < l->n; i++)
        fprintf(f, "%s\n", l->s[i]);
    if (!f || (ferror(f) | fclose(f)) || rename(tmp, path) != 0) {
        fprintf(stderr, "bookcheck: cannot rewrite %s\n", path);
        exit(2);
    }
}

/* Walks one markdown file: links outside code blocks, excerpts inside.
 * `out` collects the file as it should be, for --fix. */
static void check_markdown(const char *path)
{
    List t, out = {0};
    bool fixed = false;
    if (!load_lines(path, &t)) {
        problem(path, 1, "cannot read the file");
        return;
    }
    for (size_t i = 0; i < t.n; i++) {
        const char *l = t.s[i], *trim = l + strspn(l, " ");
        size_t fence = fence_len(trim), close = i + 1;
        char file[PATH_MAX], sym[200];
        list_add(&out, l, 0);
        if (!fence) {
            check_links(path, i + 1, l);
            continue;
        }
        while (close < t.n && !is_close_fence(t.s[close], trim[0], fence))
            close++;
        bool excerpt = parse_info(trim + fence, file, sym);
        if (close == t.n)
            problem(path, i + 1, "code block is never closed");
        else if (excerpt && trim != l)
            problem(path, i + 1, "an excerpt's fence must start in column 0");
        if (close < t.n && excerpt && trim == l) {
            nexcerpts++;
            fixed |= check_excerpt(path, &t, i, close, file, sym, &out);
        } else {
            for (size_t k = i + 1; k < close; k++)
                list_add(&out, t.s[k], 0);
        }
        if (close < t.n)
            list_add(&out, t.s[close], 0);
        i = close;
    }
    if (fixed)
        write_lines(path, &out);
    list_free(&out);
    list_free(&t);
}

int main(int argc, char **argv)
{
    int a = 1;
    if (a < argc && strcmp(argv[a], "--fix") == 0)
        fix_mode = true, a++;
    if (a != argc - 1) {
        fprintf(stderr, "usage: bookcheck [--fix] ROOT\n");
        return 2;
    }
    List book = {0};
    if (chdir(argv[a]) != 0 || !list_dir("book", &book)) {
        fprintf(stderr, "bookcheck: cannot read %s/book\n", argv[a]);
        return 2;
    }
    load_chapters(&book);
    check_src_tree("src");
    check_listed_sources();
    for (size_t i = 0; i < book.n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "book/%s", book.s[i]);
        if (ends_with(path, ".md"))
            check_markdown(path);
    }
    printf("bookcheck: %zu chapters, %d excerpts, %d problems\n", nchapters, nexcerpts, nproblems);
    for (size_t i = 0; i < nchapters; i++)   /* tidy, for leak checkers */
        list_free(&chapters[i].sources);
    free(chapters);
    list_free(&book);
    return nproblems ? 1 : 0;
}
