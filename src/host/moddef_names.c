/*
 * moddef_names.c - identifiers, and the names the host makes up.
 *
 * A 1.x Rust module never names its indexes, constraints, sequences or
 * schedules: it sends `name = None` and leaves it to the host, which
 * generates them during validation (module-abi.md §5.2):
 *
 *   index              {table}_{cols}_idx_{btree|hash|direct}
 *   unique constraint  {table}_{cols}_key
 *   sequence           {table}_{col}_seq
 *   schedule           {table}_sched
 *
 * where {cols} is the column names joined by '_'.  The index name is not
 * cosmetic: the module's macro computed the very same string at compile
 * time and passes it to index_id_from_name (the real Rust module asks for
 * "player_identity_idx_btree").  A host that spells it differently cannot
 * run the module at all.
 *
 * Identifiers (§5.3): SpacetimeDB requires Unicode XID_Start/XID_Continue
 * and NFC.  We carry no Unicode tables: ASCII follows the rule exactly
 * (a letter or '_' first, then letters, digits, '_'), and any non-ASCII
 * code point is accepted as a letter.  The bytes are already known to be
 * valid UTF-8 (moddef_read_string checked).
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include "moddef_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool moddef_is_identifier(const char *s)
{
    if (!s || !*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
        bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && p != (const unsigned char *)s))
            return false;
    }
    return true;
}

const char *moddef_strf(ModuleDef *def, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = arena_alloc(&def->arena, (size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* "identity" or "a_b_c": the columns' names joined by '_', in the arena. */
static const char *join_cols(ModuleDef *def, const ModTable *t, ModCols cols)
{
    size_t len = 0;
    for (uint16_t i = 0; i < cols.n; i++)
        len += strlen(t->cols[cols.cols[i]].name) + 1;
    char *s = arena_alloc(&def->arena, len + 1);
    if (!s)
        return NULL;
    size_t at = 0;
    for (uint16_t i = 0; i < cols.n; i++) {
        const char *name = t->cols[cols.cols[i]].name;
        size_t n = strlen(name);
        if (i > 0)
            s[at++] = '_';
        memcpy(s + at, name, n);
        at += n;
    }
    s[at] = '\0';
    return s;
}

const char *moddef_index_name(ModuleDef *def, const ModTable *t, IndexAlgo algo, ModCols cols)
{
    const char *joined = join_cols(def, t, cols);
    return joined ? moddef_strf(def, "%s_%s_idx_%s", t->name, joined, moddef_algo_name(algo))
                  : NULL;
}

const char *moddef_unique_name(ModuleDef *def, const ModTable *t, ModCols cols)
{
    const char *joined = join_cols(def, t, cols);
    return joined ? moddef_strf(def, "%s_%s_key", t->name, joined) : NULL;
}

const char *moddef_sequence_name(ModuleDef *def, const ModTable *t, uint16_t col)
{
    return moddef_strf(def, "%s_%s_seq", t->name, t->cols[col].name);
}

const char *moddef_schedule_name(ModuleDef *def, const ModTable *t)
{
    return moddef_strf(def, "%s_sched", t->name);
}
