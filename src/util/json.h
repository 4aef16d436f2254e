/*
 * json.h - strict JSON (RFC 8259) parsing into an arena, and writing.
 *
 * tinystdb speaks JSON in three places: the spectest runner reads the
 * suite's command files, the server protocol exchanges one JSON message
 * per line, and the module host converts JSON to and from BSATN.  All
 * three want the same thing: the whole document as a small tree (a DOM)
 * that lives exactly as long as the request, so the tree is allocated
 * from an Arena and freed with one arena_reset.
 *
 *   text --json_parse--> JsonValue tree (in the arena) --accessors--> C values
 *   C values --json_write_*--> StrBuf                     (json_write.c)
 *
 * Choices worth knowing:
 *   - Strict: exactly the RFC 8259 grammar.  No comments, no trailing
 *     commas, no leading zeros, no NaN/Infinity, no single quotes, no
 *     byte order mark (RFC 8259 8.1 lets a parser ignore one; we reject
 *     it so that "one message per line" has one meaning).  The text must
 *     be UTF-8, and a "\uD800" escape without its partner is rejected, so
 *     every decoded string is valid UTF-8.
 *   - A number keeps its source text next to a double, so a u64, an i128
 *     or the exact bits of a float survive (json_get_u64 reads the text).
 *   - Strings are decoded to UTF-8 with a length; they may contain NUL.
 *   - Objects keep their members in source order.  Duplicate names are
 *     kept (RFC 8259 4 allows them); json_object_get returns the first.
 *   - Bounded: nesting deeper than JSON_MAX_DEPTH fails with ST_LIMIT, so
 *     the parser's recursion is bounded too, and every allocation is
 *     proportional to the input length.
 *
 * Book: chapter 24, book/24-json.md
 */
#ifndef TINYSTDB_JSON_H
#define TINYSTDB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "status.h"
#include "vec.h"

#define JSON_MAX_DEPTH 128
/* The most values (of any kind) one document may hold.  A DOM costs about
 * 130 bytes per value while parsing (the JsonValue plus its scratch
 * entry), and a value can be as short as two input bytes ("0,"), so
 * without this bound a 64 MiB line could ask for gigabytes.  Big byte
 * strings travel as one hex or base64 string, which counts as one value. */
#define JSON_MAX_VALUES 1000000

typedef enum JsonType {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} JsonType;

typedef struct JsonValue JsonValue;
typedef struct JsonMember JsonMember;

struct JsonValue {
    JsonType type;
    bool boolean;          /* JSON_BOOL */
    double number;         /* JSON_NUMBER: nearest double (+-HUGE_VAL if too big) */
    const char *str;       /* JSON_STRING: decoded UTF-8; JSON_NUMBER: source
                              text.  NUL-terminated, but a string may itself
                              contain NULs: use len */
    size_t len;            /* bytes of str, or number of items / members */
    JsonValue *items;      /* JSON_ARRAY: len values (NULL when len is 0) */
    JsonMember *members;   /* JSON_OBJECT: len members in source order (ditto) */
    size_t offset;         /* byte offset of the value's first character */
};

struct JsonMember {
    const char *key;       /* decoded, NUL-terminated, may contain NULs */
    size_t key_len;
    JsonValue value;
};

typedef struct JsonError {
    size_t offset;         /* byte offset of the problem in the input */
    uint32_t line, col;    /* 1-based; col counts bytes */
    char msg[96];          /* "unexpected end", "invalid escape", ... */
} JsonError;

/* Parse text[0..len) into a tree allocated from `a`.  On success *out is
 * the root.  Errors: ST_MALFORMED (syntax, with err filled), ST_LIMIT
 * (nesting deeper than JSON_MAX_DEPTH), ST_NOMEM.  On failure *out is NULL
 * and the arena may hold partial work; reset it as usual.  err may be NULL. */
Status json_parse(Arena *a, const char *text, size_t len, JsonValue **out, JsonError *err);

/* "null", "bool", "number", "string", "array", "object". */
const char *json_type_name(JsonType t);

/* ---- reading the tree (all accept NULL and wrong types gracefully) ---- */

/* The value of the first member named key, or NULL (also when v is not an
 * object).  json_object_getn takes a name that may contain NULs. */
const JsonValue *json_object_get(const JsonValue *v, const char *key);
const JsonValue *json_object_getn(const JsonValue *v, const char *key, size_t key_len);
/* Number of array items (0 for non-arrays) and item i (NULL if out of range). */
size_t json_array_len(const JsonValue *v);
const JsonValue *json_array_get(const JsonValue *v, size_t i);
/* The string's bytes and length, or NULL when v is not a string. */
const char *json_get_string(const JsonValue *v, size_t *len);
/* True when v is a string equal to the C string s. */
bool json_string_is(const JsonValue *v, const char *s);

/* Exact integer reads from a number's source text.  ST_INVALID when v is
 * not a number written as an integer (no fraction, no exponent; u64 also
 * no minus sign), ST_LIMIT when it does not fit. */
Status json_get_u64(const JsonValue *v, uint64_t *out);
Status json_get_i64(const JsonValue *v, int64_t *out);
/* ST_INVALID when v is not a bool / number. */
Status json_get_bool(const JsonValue *v, bool *out);
Status json_get_double(const JsonValue *v, double *out);

/* The same integer rules for decimal text held elsewhere, e.g. inside a
 * JSON string ("4294967295"): digits only (and a leading '-' for i64). */
Status json_text_u64(const char *s, size_t len, uint64_t *out);
Status json_text_i64(const char *s, size_t len, int64_t *out);

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 when the bytes at
 * s are not valid UTF-8: a stray continuation byte, an overlong form, a
 * surrogate (U+D800..DFFF), a code point above U+10FFFF, or a sequence cut
 * short by `avail` (which must be >= 1). */
size_t json_utf8_len(const char *s, size_t avail);

/* ---- writing (json_write.c) -------------------------------------------- */

/* Append s[0..n) as a quoted JSON string: '"' and '\\' escaped, control
 * characters as \n, \t, ... or \u00XX, valid UTF-8 copied as is.
 * ST_INVALID (and sb unchanged) when s is not valid UTF-8. */
Status json_write_string(StrBuf *sb, const char *s, size_t n);
Status json_write_u64(StrBuf *sb, uint64_t v);
Status json_write_i64(StrBuf *sb, int64_t v);
/* Shortest text that reads back as the same double.  ST_INVALID for NaN
 * and infinities, which JSON cannot express. */
Status json_write_double(StrBuf *sb, double v);
/* The whole tree, compactly (no spaces); numbers as their source text. */
Status json_write_value(StrBuf *sb, const JsonValue *v);

#endif
