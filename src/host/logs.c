/*
 * logs.c - the module log: a ring of the newest records, and a file of
 * JSON lines with all of them (see logs.h for the formats).
 *
 * Each kept record owns one heap block holding its strings back to back,
 * so adding a record is one allocation and dropping the oldest is one
 * free.  Text is stored as valid UTF-8: logs_lossy_utf8 replaces every
 * invalid sequence by U+FFFD, as SpacetimeDB decodes module strings
 * "lossily", so the JSON writer never meets bytes it cannot encode.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include "logs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../db/bsatn.h"
#include "../util/alloc.h"
#include "../util/json.h"

typedef struct Slot {
    LogRecord r;
    char *block;                /* the record's strings */
} Slot;

struct ModuleLogs {
    Slot *ring;
    size_t cap, start, count;
    uint64_t total;
    FILE *file;
    bool file_error;
    StrBuf line;                /* scratch: the JSON line being written */
};

Status logs_open(const char *path, size_t cap, ModuleLogs **out, char *msg, size_t msglen)
{
    *out = NULL;
    ModuleLogs *l = mem_calloc(1, sizeof *l);
    if (!l)
        return ST_NOMEM;
    l->cap = cap ? cap : LOGS_DEFAULT_CAP;
    l->ring = mem_calloc(l->cap, sizeof *l->ring);
    strbuf_init(&l->line);
    if (!l->ring) {
        logs_close(l);
        return ST_NOMEM;
    }
    if (path && !(l->file = fopen(path, "a"))) {
        snprintf(msg, msglen, "cannot open the log file %s: %s", path, strerror(errno));
        logs_close(l);
        return ST_IO;
    }
    *out = l;
    return ST_OK;
}

void logs_close(ModuleLogs *l)
{
    if (!l)
        return;
    for (size_t i = 0; l->ring && i < l->count; i++)
        mem_free(l->ring[(l->start + i) % l->cap].block);
    mem_free(l->ring);
    if (l->file)
        fclose(l->file);
    strbuf_fini(&l->line);
    mem_free(l);
}

/* ---- text ------------------------------------------------------------------ */

/* Append p[0..n) with every invalid UTF-8 sequence replaced by U+FFFD. */
Status logs_lossy_utf8(StrBuf *out, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t ok = bsatn_utf8_prefix(p, n);
        if (strbuf_append(out, p, ok) != ST_OK)
            return ST_NOMEM;
        if (ok == n)
            return ST_OK;
        if (strbuf_append(out, "\xEF\xBF\xBD", 3) != ST_OK)
            return ST_NOMEM;
        /* Skip the bad lead byte and any continuation bytes after it. */
        size_t skip = 1;
        while (ok + skip < n && (p[ok + skip] & 0xC0) == 0x80 && skip < 4)
            skip++;
        p += ok + skip;
        n -= ok + skip;
    }
    return ST_OK;
}

static ModLogLevel normal_level(ModLogLevel level)
{
    return (level >= MODLOG_ERROR && level <= MODLOG_TRACE) || level == MODLOG_PANIC ? level
                                                                                   : MODLOG_DEBUG;
}

const char *logs_level_name(ModLogLevel level)
{
    static const char *const names[] = { "Error", "Warn", "Info", "Debug", "Trace" };
    level = normal_level(level);
    return level == MODLOG_PANIC ? "Panic" : names[level];
}

/* "2025-01-01T00:00:00.000000Z" */
static Status format_time(int64_t micros, StrBuf *out)
{
    int64_t secs = micros / 1000000, frac = micros % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return strbuf_printf(out, "@%lld", (long long)micros);
    return strbuf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

static Status json_field(StrBuf *out, const char *key, const char *value)
{
    if (!value)
        return ST_OK;
    Status st = strbuf_printf(out, ",\"%s\":", key);
    return st != ST_OK ? st : json_write_string(out, value, strlen(value));
}

Status logs_format_json(const LogRecord *r, StrBuf *out)
{
    Status st = strbuf_printf(out, "{\"level\":\"%s\",\"ts\":%lld", logs_level_name(r->level),
                              (long long)r->ts);
    if (st == ST_OK)
        st = json_field(out, "target", r->target);
    if (st == ST_OK)
        st = json_field(out, "filename", r->filename);
    if (st == ST_OK && r->line != LOGS_NO_LINE)
        st = strbuf_printf(out, ",\"line_number\":%u", r->line);
    if (st == ST_OK)
        st = json_field(out, "function", r->function);
    if (st == ST_OK)
        st = json_field(out, "message", r->message);
    return st == ST_OK ? strbuf_putc(out, '}') : st;
}

static bool shown(const char *s)
{
    return s && strcmp(s, "__spacetimedb__") != 0;
}

Status logs_format_text(const LogRecord *r, StrBuf *out)
{
    char level[8];
    snprintf(level, sizeof level, "%s", logs_level_name(r->level));
    for (char *c = level; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
    Status st = format_time(r->ts, out);
    if (st == ST_OK)
        st = strbuf_printf(out, " %5s: ", level);
    bool any = false;
    if (st == ST_OK && shown(r->function)) {
        st = strbuf_puts(out, r->function);
        any = true;
    }
    if (st == ST_OK && shown(r->filename)) {
        st = strbuf_printf(out, "%s%s", any ? " " : "", r->filename);
        if (st == ST_OK && r->line != LOGS_NO_LINE)
            st = strbuf_printf(out, ":%u", r->line);
        any = true;
    }
    if (st == ST_OK && any)
        st = strbuf_puts(out, ": ");
    return st == ST_OK ? strbuf_puts(out, r->message) : st;
}

/* ---- the ring and the file ---------------------------------------------------- */

/* Copy s (may be NULL) into the block at *at, cut at LOGS_MAX_FIELD. */
static const char *put(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    n = n > LOGS_MAX_FIELD ? bsatn_utf8_prefix((const uint8_t *)s, LOGS_MAX_FIELD) : n;
    char *dst = *at;
    memcpy(dst, s, n);
    dst[n] = '\0';
    *at += n + 1;
    return dst;
}

static size_t field_size(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return (n > LOGS_MAX_FIELD ? LOGS_MAX_FIELD : n) + 1;
}

static void write_file(ModuleLogs *l, const LogRecord *r)
{
    if (!l->file)
        return;
    strbuf_clear(&l->line);
    if (logs_format_json(r, &l->line) != ST_OK || strbuf_putc(&l->line, '\n') != ST_OK ||
        fwrite(l->line.data, 1, l->line.len, l->file) != l->line.len || fflush(l->file) != 0)
        l->file_error = true;
}

Status logs_append(ModuleLogs *l, const LogRecord *r)
{
    const char *fields[] = { r->target, r->filename, r->function, r->message ? r->message : "" };
    size_t size = 0;
    for (int i = 0; i < 4; i++)
        size += field_size(fields[i]);
    char *block = mem_alloc(size), *at = block;
    if (!block)
        return ST_NOMEM;
    Slot s = { .block = block };
    s.r = (LogRecord){ .ts = r->ts, .level = normal_level(r->level), .line = r->line };
    s.r.target = put(&at, fields[0]);
    s.r.filename = put(&at, fields[1]);
    s.r.function = put(&at, fields[2]);
    s.r.message = put(&at, fields[3]);
    if (l->count == l->cap) {          /* full: the oldest record goes */
        mem_free(l->ring[l->start].block);
        l->start = (l->start + 1) % l->cap;
        l->count--;
    }
    l->ring[(l->start + l->count) % l->cap] = s;
    l->count++;
    l->total++;
    write_file(l, &s.r);
    return ST_OK;
}

size_t logs_count(const ModuleLogs *l)
{
    return l->count;
}

const LogRecord *logs_get(const ModuleLogs *l, size_t i)
{
    return i < l->count ? &l->ring[(l->start + i) % l->cap].r : NULL;
}

uint64_t logs_total(const ModuleLogs *l)
{
    return l->total;
}

bool logs_file_error(const ModuleLogs *l)
{
    return l->file_error;
}

/* ---- reading a log file back ------------------------------------------------------ */

static ModLogLevel level_from_name(const JsonValue *v, bool *ok)
{
    static const char *const names[] = { "Error", "Warn", "Info", "Debug", "Trace", "Panic" };
    for (int i = 0; i < 6; i++)
        if (json_string_is(v, names[i]))
            return i == 5 ? MODLOG_PANIC : (ModLogLevel)i;
    *ok = false;
    return MODLOG_DEBUG;
}

/* The string member `key` (NULL when absent); *ok = false if not a string. */
static const char *string_member(const JsonValue *obj, const char *key, bool *ok)
{
    const JsonValue *v = json_object_get(obj, key);
    if (!v)
        return NULL;
    const char *s = json_get_string(v, NULL);
    *ok = *ok && s;
    return s;
}

Status logs_parse_line(const char *line, size_t len, Arena *a, LogRecord *out)
{
    JsonValue *v;
    if (json_parse(a, line, len, &v, NULL) != ST_OK || v->type != JSON_OBJECT)
        return ST_MALFORMED;
    bool ok = true;
    uint64_t n = LOGS_NO_LINE;
    const JsonValue *ln = json_object_get(v, "line_number");
    *out = (LogRecord){ .level = level_from_name(json_object_get(v, "level"), &ok) };
    ok = ok && json_get_i64(json_object_get(v, "ts"), &out->ts) == ST_OK;
    ok = ok && (!ln || (json_get_u64(ln, &n) == ST_OK && n <= UINT32_MAX));
    out->line = (uint32_t)n;
    out->target = string_member(v, "target", &ok);
    out->filename = string_member(v, "filename", &ok);
    out->function = string_member(v, "function", &ok);
    out->message = string_member(v, "message", &ok);
    return ok && out->message ? ST_OK : ST_MALFORMED;
}

/* Where the last n lines of f start (f is size bytes long). */
static long tail_start(FILE *f, long size, size_t n)
{
    char buf[4096];
    long pos = size;
    size_t newlines = 0;
    bool last = true;            /* the file's final newline ends the last line */
    while (pos > 0) {
        long chunk = pos < (long)sizeof buf ? pos : (long)sizeof buf;
        pos -= chunk;
        if (fseek(f, pos, SEEK_SET) != 0 || fread(buf, 1, (size_t)chunk, f) != (size_t)chunk)
            return -1;
        for (long i = chunk - 1; i >= 0; i--) {
            if (buf[i] != '\n')
                continue;
            if (last && pos + i == size - 1) {
                last = false;
                continue;
            }
            if (++newlines == n)
                return pos + i + 1;
        }
    }
    return 0;
}

Status logs_tail_file(const char *path, size_t n, StrBuf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ST_IO;
    Status st = ST_IO;
    long size, from;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
        goto done;
    from = n ? tail_start(f, size, n) : 0;
    if (from < 0 || fseek(f, from, SEEK_SET) != 0)
        goto done;
    char buf[4096];
    size_t got;
    st = ST_OK;
    while (st == ST_OK && (got = fread(buf, 1, sizeof buf, f)) > 0)
        st = strbuf_append(out, buf, got);
    if (st == ST_OK && ferror(f))
        st = ST_IO;
done:
    fclose(f);
    return st;
}

Status logs_check(const ModuleLogs *l, char *msg, size_t msglen)
{
    if (l->cap == 0 || l->count > l->cap || l->start >= l->cap || l->total < l->count) {
        snprintf(msg, msglen, "logs: cap %zu start %zu count %zu total %llu out of step", l->cap,
                 l->start, l->count, (unsigned long long)l->total);
        return ST_INVALID;
    }
    for (size_t i = 0; i < l->count; i++) {
        const Slot *s = &l->ring[(l->start + i) % l->cap];
        if (!s->block || !s->r.message || s->r.message < s->block) {
            snprintf(msg, msglen, "logs: record %zu does not own its strings", i);
            return ST_INVALID;
        }
    }
    return ST_OK;
}
