/*
 * log.c - one line per message: "LEVEL message".
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include "log.h"

#include <stdarg.h>

static LogLevel current_level = LOG_INFO;
static FILE *log_out;

void log_set_level(LogLevel level)
{
    current_level = level;
}

LogLevel log_get_level(void)
{
    return current_level;
}

void log_set_output(FILE *out)
{
    log_out = out;
}

const char *log_level_name(LogLevel level)
{
    static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    if ((unsigned)level > LOG_TRACE)
        return "?";
    return names[level];
}

void log_msg(LogLevel level, const char *fmt, ...)
{
    if (level > current_level)
        return;
    FILE *out = log_out ? log_out : stderr;
    va_list ap;
    va_start(ap, fmt);
    fprintf(out, "%-5s ", log_level_name(level));
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    va_end(ap);
}
