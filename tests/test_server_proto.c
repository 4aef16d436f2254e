/*
 * test_server_proto.c - scripted protocol tests: every tests/proto/NAME.jsonl
 * file is one test, run against a fresh server (tests/server_util.h).
 *
 * A script is what a person would type into `nc` and what they would
 * expect to read back, one line each:
 *
 *   # a comment (blank lines are ignored too)
 *   > {"Connect":{}}                  client "a" sends a line
 *   < {"IdentityToken":{...}}         the next line "a" receives must match
 *   bob> {...}    bob< {...}          the same for client "bob" (opened on first use)
 *   !close bob                        bob hangs up (the server runs client_disconnected)
 *   !closed bob                       the server must have closed bob
 *   !quiet bob                        bob must have nothing to read
 *   !restart                          stop and start the server on the same data dir
 *   !require PATH                     skip the script unless PATH exists
 *
 * Matching is structural (both sides are parsed as JSON; object members
 * must come in the same order, as the server writes them) with
 * placeholders in expected lines:
 *   "$_"                matches any value;
 *   "$name"             the first time, binds name to the actual value;
 *                       later, the actual value must be the same (so
 *                       "$alice" checks that two messages carry one identity);
 *   a string holding JSON ("{\"id\":1}", a row) is compared as JSON, so
 *                       placeholders work inside rows too.
 * In lines to send, "$name" is replaced by the bound value, "$base64:PATH"
 * by the base64 of the file at PATH (a module to publish), and "$shared"
 * at the start of a path by the shared directory ($TINYSTDB_SHARED or
 * ../shared).
 *
 * Book: chapter 22, book/22-server.md
 */
#include "server_util.h"

#include <ctype.h>

#define MAX_CLIENTS 8
#define MAX_VARS 32

typedef struct Script {
    const char *path;
    int lineno;
    char names[MAX_CLIENTS][16];
    TClient *clients[MAX_CLIENTS];
    char var_names[MAX_VARS][32];
    char *var_values[MAX_VARS];   /* compact JSON text */
    int nvars;
    Arena arena;
} Script;

static const char *shared_dir(void)
{
    const char *d = getenv("TINYSTDB_SHARED");
    return d && *d ? d : "../shared";
}

static TClient *client(Script *s, const char *name)
{
    int i = 0;
    for (; i < MAX_CLIENTS && s->names[i][0]; i++)
        if (strcmp(s->names[i], name) == 0)
            break;
    assert_true(i < MAX_CLIENTS);
    if (!s->names[i][0]) {
        snprintf(s->names[i], sizeof s->names[i], "%s", name);
        s->clients[i] = NULL;
    }
    if (!s->clients[i])
        s->clients[i] = tc_open();
    return s->clients[i];
}

static void drop_client(Script *s, const char *name)
{
    for (int i = 0; i < MAX_CLIENTS && s->names[i][0]; i++)
        if (strcmp(s->names[i], name) == 0 && s->clients[i]) {
            tc_free(s->clients[i]);
            s->clients[i] = NULL;
        }
}

static char *var_get(Script *s, const char *name, size_t len)
{
    for (int i = 0; i < s->nvars; i++)
        if (strlen(s->var_names[i]) == len && memcmp(s->var_names[i], name, len) == 0)
            return s->var_values[i];
    return NULL;
}

static bool is_var(const JsonValue *e)
{
    if (e->type != JSON_STRING || e->len < 2 || e->str[0] != '$')
        return false;
    for (size_t i = 1; i < e->len; i++)
        if (!isalnum((unsigned char)e->str[i]) && e->str[i] != '_')
            return false;
    return e->len < 32;
}

/* ---- matching ----------------------------------------------------------------------- */

static bool match(Script *s, const JsonValue *e, const JsonValue *a, char *why, size_t wl);

static bool match_var(Script *s, const JsonValue *e, const JsonValue *a, char *why, size_t wl)
{
    if (e->len == 2 && e->str[1] == '_')
        return true;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_write_value(&sb, a), ST_OK);
    char *bound = var_get(s, e->str + 1, e->len - 1);
    bool ok = true;
    if (bound) {
        ok = strcmp(bound, sb.data) == 0;
        if (!ok)
            snprintf(why, wl, "%s is %s, got %s", e->str, bound, sb.data);
        strbuf_fini(&sb);
    } else {
        assert_true(s->nvars < MAX_VARS);
        snprintf(s->var_names[s->nvars], 32, "%s", e->str + 1);
        s->var_values[s->nvars++] = sb.data;
    }
    return ok;
}

/* Strings equal, or both JSON text that matches. */
static bool match_string(Script *s, const JsonValue *e, const JsonValue *a, char *why, size_t wl)
{
    if (e->len == a->len && memcmp(e->str, a->str, e->len) == 0)
        return true;
    JsonValue *ej, *aj;
    JsonError err;
    if ((e->str[0] == '{' || e->str[0] == '[') &&
        json_parse(&s->arena, e->str, e->len, &ej, &err) == ST_OK &&
        json_parse(&s->arena, a->str, a->len, &aj, &err) == ST_OK)
        return match(s, ej, aj, why, wl);
    snprintf(why, wl, "expected \"%.100s\", got \"%.100s\"", e->str, a->str);
    return false;
}

static bool match(Script *s, const JsonValue *e, const JsonValue *a, char *why, size_t wl)
{
    if (is_var(e))
        return match_var(s, e, a, why, wl);
    if (e->type != a->type) {
        snprintf(why, wl, "expected a %s at offset %zu, got a %s", json_type_name(e->type),
                 e->offset, json_type_name(a->type));
        return false;
    }
    switch (e->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOL:
        if (e->boolean == a->boolean)
            return true;
        snprintf(why, wl, "a different boolean at offset %zu", e->offset);
        return false;
    case JSON_NUMBER:
        if (strcmp(e->str, a->str) == 0)
            return true;
        snprintf(why, wl, "expected %s, got %s", e->str, a->str);
        return false;
    case JSON_STRING:
        return match_string(s, e, a, why, wl);
    case JSON_ARRAY:
    case JSON_OBJECT:
        break;
    }
    if (e->len != a->len) {
        snprintf(why, wl, "expected %zu elements at offset %zu, got %zu", e->len, e->offset, a->len);
        return false;
    }
    for (size_t i = 0; i < e->len; i++) {
        if (e->type == JSON_OBJECT && strcmp(e->members[i].key, a->members[i].key) != 0) {
            snprintf(why, wl, "expected key %s, got %s", e->members[i].key, a->members[i].key);
            return false;
        }
        const JsonValue *ev = e->type == JSON_OBJECT ? &e->members[i].value : &e->items[i];
        const JsonValue *av = e->type == JSON_OBJECT ? &a->members[i].value : &a->items[i];
        if (!match(s, ev, av, why, wl))
            return false;
    }
    return true;
}

/* ---- sending ------------------------------------------------------------------------- */

/* text with "$name" and "$base64:PATH" strings replaced. */
static void expand(Script *s, const char *text, StrBuf *out)
{
    for (const char *p = text; *p;) {
        const char *q = p[0] == '"' && p[1] == '$' ? strchr(p + 1, '"') : NULL;
        if (!q) {
            assert_int_equal(strbuf_putc(out, *p++), ST_OK);
            continue;
        }
        const char *name = p + 2;
        size_t len = (size_t)(q - name);
        if (len > 7 && memcmp(name, "base64:", 7) == 0) {
            char path[1024];
            if (len > 14 && memcmp(name + 7, "$shared", 7) == 0)
                snprintf(path, sizeof path, "%s%.*s", shared_dir(), (int)(len - 14), name + 14);
            else
                snprintf(path, sizeof path, "%.*s", (int)(len - 7), name + 7);
            size_t n;
            char *bytes = file_read_all(path, &n);
            if (!bytes)
                fail_msg("%s:%d: cannot read %s", s->path, s->lineno, path);
            assert_int_equal(strbuf_putc(out, '"'), ST_OK);
            assert_int_equal(proto_base64_encode(out, (const uint8_t *)bytes, n), ST_OK);
            assert_int_equal(strbuf_putc(out, '"'), ST_OK);
            mem_free(bytes);
        } else {
            const char *v = var_get(s, name, len);
            if (!v)
                fail_msg("%s:%d: $%.*s is not bound", s->path, s->lineno, (int)len, name);
            assert_int_equal(strbuf_puts(out, v), ST_OK);
        }
        p = q + 1;
    }
}

static void expect(Script *s, TClient *c, const char *want)
{
    const char *got = tc_line(c);
    JsonValue *e, *a;
    JsonError err;
    arena_reset(&s->arena);
    if (json_parse(&s->arena, want, strlen(want), &e, &err) != ST_OK)
        fail_msg("%s:%d: the expected line is not JSON: %s", s->path, s->lineno, err.msg);
    if (json_parse(&s->arena, got, strlen(got), &a, &err) != ST_OK)
        fail_msg("%s:%d: the server sent non-JSON: %s", s->path, s->lineno, got);
    char why[512];
    if (!match(s, e, a, why, sizeof why))
        fail_msg("%s:%d: %s\n  expected: %s\n  got:      %.2000s", s->path, s->lineno, why, want,
                 got);
}

/* ---- the script ---------------------------------------------------------------------- */

/* "!word arg": false if the script must be skipped. */
static bool directive(Script *s, const char *line)
{
    char word[32] = "", arg[512] = "";
    sscanf(line, "!%31s %511s", word, arg);
    if (strcmp(word, "close") == 0) {
        drop_client(s, arg);
    } else if (strcmp(word, "closed") == 0) {
        tc_closed(client(s, arg));
    } else if (strcmp(word, "quiet") == 0) {
        const char *l = tc_line_within(client(s, arg), 20);
        if (l)
            fail_msg("%s:%d: %s got %s", s->path, s->lineno, arg, l);
    } else if (strcmp(word, "restart") == 0) {
        for (int i = 0; i < MAX_CLIENTS && s->names[i][0]; i++)
            drop_client(s, s->names[i]);
        ts_restart();
    } else if (strcmp(word, "require") == 0) {
        char path[1024];
        if (strncmp(arg, "$shared", 7) == 0)
            snprintf(path, sizeof path, "%s%s", shared_dir(), arg + 7);
        else
            snprintf(path, sizeof path, "%s", arg);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "SKIPPED %s: %s is missing\n", s->path, path);
            return false;
        }
    } else {
        fail_msg("%s:%d: unknown directive %s", s->path, s->lineno, word);
    }
    return true;
}

static void step(Script *s, char *line)
{
    char name[16] = "a";
    char *p = line;
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (n > 0 && n < sizeof name && (p[n] == '>' || p[n] == '<')) {
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        p += n;
    }
    if (*p != '>' && *p != '<')
        fail_msg("%s:%d: a line must start with >, <, NAME>, NAME<, ! or #", s->path, s->lineno);
    char dir = *p++;
    while (*p == ' ')
        p++;
    TClient *c = client(s, name);
    if (dir == '<') {
        expect(s, c, p);
        return;
    }
    StrBuf sb;
    strbuf_init(&sb);
    expand(s, p, &sb);
    tc_send(c, sb.data ? sb.data : "");
    strbuf_fini(&sb);
}

static void run_script(void **state)
{
    Script s = { .path = *state };
    arena_init(&s.arena);
    size_t len;
    char *text = file_read_all(s.path, &len);
    assert_non_null(text);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        s.lineno++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (line[0] == '!' ? !directive(&s, line) : (step(&s, line), false))
            break;
    }
    for (int i = 0; i < MAX_CLIENTS && s.names[i][0]; i++)
        drop_client(&s, s.names[i]);
    for (int i = 0; i < s.nvars; i++)
        mem_free(s.var_values[i]);
    mem_free(text);
    arena_fini(&s.arena);
}

int main(void)
{
    static char paths[64][300];
    struct CMUnitTest tests[64];
    size_t n = 0;
    DIR *d = opendir("tests/proto");
    if (!d) {
        fprintf(stderr, "tests/proto: run from the top of the tree\n");
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 6, ".jsonl") != 0)
            continue;
        snprintf(paths[n], sizeof paths[n], "tests/proto/%.280s", e->d_name);
        tests[n] = (struct CMUnitTest){ paths[n], run_script, ts_setup, ts_teardown, paths[n] };
        n++;
    }
    closedir(d);
    return _cmocka_run_group_tests("server_proto", tests, n, NULL, NULL);
}
