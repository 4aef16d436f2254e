/*
 * logs.h - a database's module log: what its reducers printed, kept in a
 * ring buffer in memory and appended to a file, ready for `tinystdb logs`.
 *
 * A module logs through the console_log import (module-abi.md §1.9) with
 * a level, an optional target (Rust's module path), an optional file and
 * line, and a message; the host adds the time and the name of the reducer
 * that was running ("function").  The host writes records of its own
 * too: a reducer's Err message, a trap, a call of an unknown reducer.
 *
 *   console_log ──> host fills a LogRecord ──> logs_append
 *                                                ├─> ring[(start+count) % cap]  (newest N)
 *                                                └─> file: one JSON object per line
 *
 * The file format is SpacetimeDB's (client-protocol.md, "Log record"):
 *
 *   {"level":"Info","ts":1735689600000000,"target":"game","filename":"src/lib.rs",
 *    "line_number":42,"function":"init","message":"hello"}
 *
 * with absent fields left out and levels Error|Warn|Info|Debug|Trace|Panic.
 * logs_format_text prints the one-line text form of `spacetime logs`:
 *
 *   2025-01-01T00:00:00.000000Z  INFO: init src/lib.rs:42: hello
 *
 * Invariants (logs_check): count <= cap, start < cap (when cap > 0),
 * every kept record owns its strings, total counts every record ever
 * appended.  Messages longer than LOGS_MAX_FIELD bytes are cut there (a
 * module cannot make the host keep unbounded text).
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#ifndef TINYSTDB_HOST_LOGS_H
#define TINYSTDB_HOST_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/arena.h"
#include "../util/status.h"
#include "../util/vec.h"

/* console_log's levels (the low byte of its first argument). */
typedef enum ModLogLevel {
    MODLOG_ERROR = 0,
    MODLOG_WARN = 1,
    MODLOG_INFO = 2,
    MODLOG_DEBUG = 3,
    MODLOG_TRACE = 4,
    MODLOG_PANIC = 101,
} ModLogLevel;

#define LOGS_NO_LINE UINT32_MAX
#define LOGS_MAX_FIELD 65536
#define LOGS_DEFAULT_CAP 1024

typedef struct LogRecord {
    int64_t ts;                 /* micros since the Unix epoch */
    ModLogLevel level;
    const char *target;         /* NULL: absent */
    const char *filename;       /* NULL: absent */
    uint32_t line;              /* LOGS_NO_LINE: absent */
    const char *function;       /* the reducer running, NULL: absent */
    const char *message;        /* never NULL */
} LogRecord;

typedef struct ModuleLogs ModuleLogs;

/* A log keeping the newest `cap` records in memory (0: LOGS_DEFAULT_CAP)
 * and appending every record to the file at `path` (NULL: memory only).
 * ST_IO with errno's text in msg when the file cannot be opened. */
Status logs_open(const char *path, size_t cap, ModuleLogs **out, char *msg, size_t msglen);
void logs_close(ModuleLogs *l);

/* Copy r into the ring (dropping the oldest when full) and append its
 * JSON line to the file.  The level is mapped as console_log says: any
 * value other than 0-4 and 101 is Debug.  A failed file write is
 * remembered (logs_file_error) but does not fail the call: logging must
 * never stop a reducer. */
Status logs_append(ModuleLogs *l, const LogRecord *r);

/* Records kept in memory: i = 0 is the oldest. */
size_t logs_count(const ModuleLogs *l);
const LogRecord *logs_get(const ModuleLogs *l, size_t i);
/* Every record ever appended (also those that left the ring). */
uint64_t logs_total(const ModuleLogs *l);
/* Did a write to the file fail since logs_open? */
bool logs_file_error(const ModuleLogs *l);

/* "Error", "Warn", "Info", "Debug", "Trace", "Panic". */
const char *logs_level_name(ModLogLevel level);
/* The JSON line of r (without the newline), appended to out. */
Status logs_format_json(const LogRecord *r, StrBuf *out);
/* The text line of r (without the newline), appended to out. */
Status logs_format_text(const LogRecord *r, StrBuf *out);
/* One JSON line of a log file back into a record whose strings live in
 * the arena (what `tinystdb logs` needs to print text).  ST_MALFORMED
 * for a line that is not such a record. */
Status logs_parse_line(const char *line, size_t len, Arena *a, LogRecord *out);
/* The last n lines of a log file (n == 0: all of it), appended to out
 * as they are in the file.  ST_IO when it cannot be read. */
Status logs_tail_file(const char *path, size_t n, StrBuf *out);

/* Append p[0..n) as UTF-8, each invalid sequence replaced by U+FFFD
 * ("lossy" decoding, module-abi.md §1.9). */
Status logs_lossy_utf8(StrBuf *out, const uint8_t *p, size_t n);

/* The invariants above: ST_OK, or ST_INVALID and a message. */
Status logs_check(const ModuleLogs *l, char *msg, size_t msglen);

#endif
