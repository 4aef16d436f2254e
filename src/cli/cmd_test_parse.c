/*
 * cmd_test_parse.c - the scenario file format of `tinystdb test`: one
 * step per line, expectations after "=>", rows on "|" lines below.
 *
 *   # a comment                         blank lines and comments are skipped
 *   module ../bank.wasm                 relative to this file; ${SHARED} expands
 *   as alice                            the identity the next steps act as
 *   call open_account ["alice", 100]    => ok is the default expectation
 *   call transfer ["alice","bob",999] => fails "insufficient"
 *   sql SELECT owner FROM account       followed by the rows it must give
 *   | {"owner":"alice"}
 *   sql SELECT * FROM account => 2 rows
 *   advance 10s                         ms, s, m, h
 *   log "opened account"                a module log line, in order
 *
 * The parser checks only the shape of each line: an unknown command, a
 * missing argument, a bad expectation or a row that is not JSON is an
 * error naming FILE:LINE.  Argument JSON and rows may hold ${NAME}
 * placeholders for identities that exist only at run time, so rows are
 * kept as written and made canonical when they are compared (cmd_test_run.c).
 *
 * Invariants: every string of a TestScenario lives in its arena; a
 * step's rows are only on kinds that take rows (sql, subscribe, updates).
 *
 * Book: chapter 30, book/30-testing-modules.md
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"
#include "../util/json.h"
#include "cmd_test.h"

typedef struct StepName {
    const char *word;
    TestStepKind kind;
    bool needs_arg;          /* the rest of the line must not be empty */
    bool takes_expect;       /* "=> ..." allowed */
} StepName;

static const StepName step_names[] = {
    {"module", TSTEP_MODULE, true, false},     {"as", TSTEP_AS, true, false},
    {"connect", TSTEP_CONNECT, false, true},   {"disconnect", TSTEP_DISCONNECT, false, false},
    {"call", TSTEP_CALL, true, true},          {"sql", TSTEP_SQL, true, true},
    {"subscribe", TSTEP_SUBSCRIBE, true, true}, {"updates", TSTEP_UPDATES, false, true},
    {"advance", TSTEP_ADVANCE, true, false},   {"log", TSTEP_LOG, true, true},
    {"restart", TSTEP_RESTART, false, false},  {"publish", TSTEP_PUBLISH, true, true},
};

#define NSTEP_NAMES (sizeof step_names / sizeof step_names[0])

static Status fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static Status fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ST_INVALID;
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static char *trim_dup(Arena *a, const char *s, size_t n)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return arena_strndup(a, s, n);
}

/* A JSON string literal at s, decoded into the arena. */
static Status parse_quoted(Arena *a, const char *s, const char **out, char *err, size_t errlen)
{
    JsonValue *v;
    JsonError jerr;
    if (json_parse(a, s, strlen(s), &v, &jerr) != ST_OK || v->type != JSON_STRING)
        return fail(err, errlen, "expected a \"quoted string\" (JSON), got %s", s);
    *out = arena_strndup(a, v->str, v->len);
    return *out ? ST_OK : ST_NOMEM;
}

/* "ok", "fails \"SUB\"", "fails exactly \"TEXT\"", "N rows". */
static Status parse_expect(Arena *a, const char *s, TestStep *st, char *err, size_t errlen)
{
    char *end;
    if (strcmp(s, "ok") == 0) {
        st->expect = TEXPECT_OK;
        return ST_OK;
    }
    if (strncmp(s, "fails exactly ", 14) == 0) {
        st->expect = TEXPECT_FAIL_EXACT;
        return parse_quoted(a, skip_space(s + 14), &st->text, err, errlen);
    }
    if (strncmp(s, "fails ", 6) == 0) {
        st->expect = TEXPECT_FAIL;
        return parse_quoted(a, skip_space(s + 6), &st->text, err, errlen);
    }
    if (isdigit((unsigned char)*s) && st->kind != TSTEP_CALL &&
        st->kind != TSTEP_CONNECT && st->kind != TSTEP_PUBLISH) {
        errno = 0;
        st->count = strtoull(s, &end, 10);
        end = (char *)skip_space(end);
        if (errno == 0 && (strcmp(end, "rows") == 0 || strcmp(end, "row") == 0 ||
                           strcmp(end, "lines") == 0 || strcmp(end, "line") == 0)) {
            st->expect = TEXPECT_COUNT;
            return ST_OK;
        }
    }
    return fail(err, errlen, "bad expectation \"%s\" (ok, fails \"TEXT\", fails exactly "
                "\"TEXT\", N rows, N lines)", s);
}

/* "10s", "250ms", "2m", "1h" into milliseconds. */
static Status parse_duration(const char *s, uint64_t *ms, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    uint64_t n = strtoull(s, &end, 10);
    uint64_t unit = strcmp(end, "ms") == 0  ? 1
                    : strcmp(end, "s") == 0 ? 1000
                    : strcmp(end, "m") == 0 ? 60000
                    : strcmp(end, "h") == 0 ? 3600000 : 0;
    if (end == s || errno || unit == 0 || n > UINT64_C(1) << 40)
        return fail(err, errlen, "bad duration \"%s\" (e.g. 500ms, 10s, 2m, 1h)", s);
    *ms = n * unit;
    return ST_OK;
}

/* The argument part of a step: its kind decides what it must look like. */
static Status parse_arg(Arena *a, const char *rest, TestStep *st, char *err, size_t errlen)
{
    if (!*rest)
        return ST_OK;
    switch (st->kind) {
    case TSTEP_ADVANCE:
        return parse_duration(rest, &st->ms, err, errlen);
    case TSTEP_LOG:
        return parse_quoted(a, rest, &st->arg, err, errlen);
    case TSTEP_CALL: {
        size_t n = strcspn(rest, " \t");
        st->arg = arena_strndup(a, rest, n);
        const char *args = skip_space(rest + n);
        st->args = arena_strndup(a, *args ? args : "[]", strlen(*args ? args : "[]"));
        return st->arg && st->args ? ST_OK : ST_NOMEM;
    }
    case TSTEP_AS: case TSTEP_CONNECT: case TSTEP_DISCONNECT: case TSTEP_UPDATES:
        if (strlen(rest) > TEST_MAX_NAME || rest[strcspn(rest, " \t\"${}")])
            return fail(err, errlen, "bad identity name \"%s\" (one word, at most %d bytes)",
                        rest, TEST_MAX_NAME);
        /* fall through */
    default:
        st->arg = arena_strndup(a, rest, strlen(rest));
        return st->arg ? ST_OK : ST_NOMEM;
    }
}

Status test_parse_step(TestScenario *sc, const char *line, int lineno, TestStep *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->line = lineno;
    const char *s = skip_space(line);
    size_t wlen = strcspn(s, " \t");
    const StepName *sn = NULL;
    for (size_t i = 0; i < NSTEP_NAMES; i++)
        if (strlen(step_names[i].word) == wlen && strncmp(s, step_names[i].word, wlen) == 0)
            sn = &step_names[i];
    if (!sn)
        return fail(err, errlen, "unknown command \"%.*s\" (as, connect, disconnect, call, sql, "
                    "subscribe, updates, advance, log, restart, publish, module)", (int)wlen, s);
    out->kind = sn->kind;
    const char *rest = skip_space(s + wlen);
    const char *arrow = NULL;
    for (const char *p = strstr(rest, "=>"); p; p = strstr(p + 2, "=>"))
        arrow = p;                /* the last "=>": SQL and JSON may not hold one after it */
    char *arg = trim_dup(&sc->arena, rest, arrow ? (size_t)(arrow - rest) : strlen(rest));
    if (!arg)
        return ST_NOMEM;
    if (sn->needs_arg && !*arg)
        return fail(err, errlen, "%s needs an argument", sn->word);
    if (!sn->needs_arg && sn->kind != TSTEP_CONNECT && sn->kind != TSTEP_DISCONNECT &&
        sn->kind != TSTEP_UPDATES && *arg)
        return fail(err, errlen, "%s takes no argument", sn->word);
    Status st = parse_arg(&sc->arena, arg, out, err, errlen);
    if (st != ST_OK || !arrow)
        return st;
    if (!sn->takes_expect)
        return fail(err, errlen, "%s takes no \"=>\" expectation", sn->word);
    char *ex = trim_dup(&sc->arena, skip_space(arrow + 2), strlen(skip_space(arrow + 2)));
    return ex ? parse_expect(&sc->arena, ex, out, err, errlen) : ST_NOMEM;
}

Status test_canon_json(const char *text, size_t len, StrBuf *out, char *err, size_t errlen)
{
    Arena a;
    arena_init(&a);
    JsonValue *v;
    JsonError jerr;
    Status st = json_parse(&a, text, len, &v, &jerr);
    if (st != ST_OK)
        snprintf(err, errlen, "not JSON (%s at column %u): %.*s", jerr.msg, (unsigned)jerr.col,
                 (int)(len > 200 ? 200 : len), text);
    else
        st = json_write_value(out, v);
    arena_fini(&a);
    return st;
}

/* A "| ..." line below step: a row (sql, subscribe) or "+/- TABLE ROW". */
static Status add_row(TestScenario *sc, TestStep *step, const char *text, char *err,
                      size_t errlen)
{
    if (step->kind != TSTEP_SQL && step->kind != TSTEP_SUBSCRIBE && step->kind != TSTEP_UPDATES)
        return fail(err, errlen, "a \"|\" row must follow sql, subscribe or updates");
    if (step->expect != TEXPECT_OK)
        return fail(err, errlen, "rows and an \"=>\" expectation exclude each other");
    if (step->kind == TSTEP_UPDATES &&
        ((text[0] != '+' && text[0] != '-') || text[1] != ' ' || !strchr(text + 2, ' ')))
        return fail(err, errlen, "an update row is \"+ TABLE ROW\" or \"- TABLE ROW\"");
    char *row = trim_dup(&sc->arena, text, strlen(text));
    if (!row || vec_push(&step->rows, row) != ST_OK)
        return ST_NOMEM;
    return ST_OK;
}

static Status parse_line(TestScenario *sc, char *line, int lineno, char *err, size_t errlen)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    const char *s = skip_space(line);
    if (*s == '\0' || *s == '#')
        return ST_OK;
    if (*s == '|') {
        if (!sc->steps.len)
            return fail(err, errlen, "a \"|\" row before any step");
        return add_row(sc, &sc->steps.items[sc->steps.len - 1], skip_space(s + 1), err, errlen);
    }
    TestStep step;
    Status st = test_parse_step(sc, s, lineno, &step, err, errlen);
    if (st != ST_OK)
        return st;
    if (step.kind == TSTEP_MODULE) {
        if (sc->steps.len)
            return fail(err, errlen, "module must come before every other step");
        sc->module = test_resolve_path(sc, step.arg);
        return sc->module ? ST_OK : ST_NOMEM;
    }
    if (step.kind == TSTEP_PUBLISH && !(step.path = test_resolve_path(sc, step.arg)))
        return ST_NOMEM;
    return vec_push(&sc->steps, step);
}

Status test_parse_file(const char *path, const char *module, TestScenario *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    arena_init(&out->arena);
    out->path = arena_strndup(&out->arena, path, strlen(path));
    out->module = module;
    FILE *f = fopen(path, "r");
    if (!f)
        return snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno)), ST_IO;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int lineno = 0;
    Status st = ST_OK;
    char why[512];
    while (st == ST_OK && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (got > TEST_MAX_LINE)
            st = fail(why, sizeof why, "line longer than %d bytes", TEST_MAX_LINE);
        else
            st = parse_line(out, line, lineno, why, sizeof why);
    }
    free(line);                   /* getline's buffer comes from libc */
    fclose(f);
    if (st == ST_OK && !out->module)
        return snprintf(err, errlen, "%s: no module: name one on the command line or with "
                        "a `module PATH` line", path), ST_INVALID;
    if (st != ST_OK)
        snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
    return st;
}

void test_scenario_fini(TestScenario *sc)
{
    for (size_t i = 0; i < sc->steps.len; i++)
        vec_fini(&sc->steps.items[i].rows);
    vec_fini(&sc->steps);
    arena_fini(&sc->arena);
}

const char *test_resolve_path(TestScenario *sc, const char *path)
{
    StrBuf sb;
    strbuf_init(&sb);
    if (strncmp(path, "${SHARED}", 9) == 0) {
        const char *env = getenv("TINYSTDB_SHARED");
        strbuf_printf(&sb, "%s%s", env && *env ? env : "../shared", path + 9);
    } else if (path[0] == '/' || !strchr(sc->path, '/')) {
        strbuf_puts(&sb, path);
    } else {
        strbuf_printf(&sb, "%.*s/%s", (int)(strrchr(sc->path, '/') - sc->path), sc->path, path);
    }
    const char *r = sb.data ? arena_strndup(&sc->arena, sb.data, sb.len) : NULL;
    strbuf_fini(&sb);
    return r;
}

static void write_expect(FILE *out, const TestStep *st)
{
    StrBuf q;
    strbuf_init(&q);
    if (st->text)
        json_write_string(&q, st->text, strlen(st->text));
    switch (st->expect) {
    case TEXPECT_OK:
        break;
    case TEXPECT_FAIL:
        fprintf(out, " => fails %s", q.data ? q.data : "\"\"");
        break;
    case TEXPECT_FAIL_EXACT:
        fprintf(out, " => fails exactly %s", q.data ? q.data : "\"\"");
        break;
    case TEXPECT_COUNT:
        fprintf(out, " => %" PRIu64 " %s", st->count, st->kind == TSTEP_LOG ? "lines" : "rows");
        break;
    }
    strbuf_fini(&q);
}

void test_write_step(FILE *out, const TestStep *st)
{
    const char *word = "?";
    for (size_t i = 0; i < NSTEP_NAMES; i++)
        if (step_names[i].kind == st->kind)
            word = step_names[i].word;
    fputs(word, out);
    if (st->kind == TSTEP_ADVANCE) {
        bool secs = st->ms % 1000 == 0;   /* "10s", as people write it */
        fprintf(out, " %" PRIu64 "%s", secs ? st->ms / 1000 : st->ms, secs ? "s" : "ms");
    } else if (st->kind == TSTEP_LOG) {
        StrBuf q;
        strbuf_init(&q);
        json_write_string(&q, st->arg, strlen(st->arg));
        fprintf(out, " %s", q.data ? q.data : "\"\"");
        strbuf_fini(&q);
    } else if (st->arg) {
        fprintf(out, " %s", st->arg);
    }
    if (st->kind == TSTEP_CALL && strcmp(st->args, "[]") != 0)
        fprintf(out, " %s", st->args);
    write_expect(out, st);
    fputc('\n', out);
    for (size_t i = 0; i < st->rows.len; i++)
        fprintf(out, "| %s\n", st->rows.items[i]);
}
