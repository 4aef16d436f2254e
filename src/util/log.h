/*
 * log.h - leveled diagnostic logging to stderr (or a chosen FILE).
 *
 * The server's own log, not module logs (those are kept per database by
 * the host).  Messages below the current level are dropped cheaply.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_LOG_H
#define TINYSTDB_LOG_H

#include <stdio.h>

typedef enum LogLevel {
    LOG_ERROR = 0,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
    LOG_TRACE,
} LogLevel;

void log_set_level(LogLevel level);
LogLevel log_get_level(void);
void log_set_output(FILE *out);   /* NULL restores stderr */
const char *log_level_name(LogLevel level);
void log_msg(LogLevel level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
