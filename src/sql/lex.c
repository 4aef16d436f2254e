/*
 * lex.c - the SQL tokenizer.
 *
 * Splits the text into tokens (sql_int.h) on demand, one at a time; the
 * parser keeps one token of lookahead.  Rules, as PostgreSQL's (the
 * dialect SpacetimeDB parses with):
 *
 *   identifier   letter or _ then letters, digits, _   (keywords too)
 *   "quoted"     any text, "" for a quote; case kept, never a keyword
 *   'string'     '' for a quote
 *   number       digits [. digits] [e [+-] digits], or . digits ...
 *   hex          0xABCD or X'ABCD'
 *   parameter    :name (only :sender means anything)
 *   symbols      * , . ( ) ; = <> != < <= > >= + -
 *
 * Signs are separate tokens; the parser glues a sign to the number that
 * follows it.  The lexer never allocates: tokens are slices of the text.
 *
 * Book: chapter 25, book/25-sql.md
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sql_int.h"

static bool ident_start(int c) { return isalpha(c) || c == '_'; }
static bool ident_char(int c) { return isalnum(c) || c == '_'; }

/* A quoted run ending at the first lone `q`; doubled quotes stay doubled
 * in the slice (parse.c undoubles them). */
static Status quoted(Lexer *lx, Token *t, char q, SqlError *err)
{
    size_t i = lx->pos + 1;
    for (;;) {
        if (i >= lx->len)
            return sql_error(err, ST_MALFORMED, t->pos,
                             "sql parser error: Unterminated %s at position %zu",
                             q == '"' ? "quoted identifier" : "string literal", t->pos);
        if (lx->src[i] == q) {
            if (i + 1 < lx->len && lx->src[i + 1] == q) {
                i += 2;
                continue;
            }
            break;
        }
        i++;
    }
    t->body = t->pos + 1;
    t->blen = i - t->body;
    lx->pos = i + 1;
    return ST_OK;
}

/* digits [. digits] [e [+-] digits]; at least one digit somewhere. */
static void number(Lexer *lx)
{
    const char *s = lx->src;
    size_t i = lx->pos;
    while (i < lx->len && isdigit((unsigned char)s[i]))
        i++;
    if (i < lx->len && s[i] == '.')
        for (i++; i < lx->len && isdigit((unsigned char)s[i]);)
            i++;
    if (i < lx->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < lx->len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < lx->len && isdigit((unsigned char)s[j])) {
            while (j < lx->len && isdigit((unsigned char)s[j]))
                j++;
            i = j;
        }
    }
    lx->pos = i;
}

/* One- and two-character symbols. */
static TokKind symbol(Lexer *lx)
{
    const char *s = lx->src + lx->pos;
    char c1 = lx->pos + 1 < lx->len ? s[1] : 0;
    static const struct { const char *text; TokKind kind; } two[] = {
        { "<>", TOK_NE }, { "!=", TOK_NE }, { "<=", TOK_LE }, { ">=", TOK_GE },
    };
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
        if (s[0] == two[i].text[0] && c1 == two[i].text[1]) {
            lx->pos += 2;
            return two[i].kind;
        }
    lx->pos++;
    switch (s[0]) {
    case '*': return TOK_STAR;
    case ',': return TOK_COMMA;
    case '.': return TOK_DOT;
    case '(': return TOK_LPAREN;
    case ')': return TOK_RPAREN;
    case ';': return TOK_SEMI;
    case '=': return TOK_EQ;
    case '<': return TOK_LT;
    case '>': return TOK_GT;
    case '+': return TOK_PLUS;
    case '-': return TOK_MINUS;
    default: return TOK_OTHER;
    }
}

Status lex_next(Lexer *lx, Token *t, SqlError *err)
{
    const char *s = lx->src;
    while (lx->pos < lx->len && isspace((unsigned char)s[lx->pos]))
        lx->pos++;
    memset(t, 0, sizeof *t);
    t->pos = lx->pos;
    if (lx->pos >= lx->len) {
        t->kind = TOK_EOF;
        return ST_OK;
    }
    int c = (unsigned char)s[lx->pos];
    int c1 = lx->pos + 1 < lx->len ? (unsigned char)s[lx->pos + 1] : 0;
    Status st = ST_OK;
    if ((c == 'x' || c == 'X') && c1 == '\'') {
        lx->pos++;
        t->kind = TOK_HEX;
        st = quoted(lx, t, '\'', err);
        t->pos--;
    } else if (c == '0' && (c1 == 'x' || c1 == 'X')) {
        size_t i = lx->pos + 2;
        while (i < lx->len && isxdigit((unsigned char)s[i]))
            i++;
        t->kind = TOK_HEX;
        t->body = lx->pos + 2;
        t->blen = i - t->body;
        lx->pos = i;
    } else if (ident_start(c)) {
        while (lx->pos < lx->len && ident_char((unsigned char)s[lx->pos]))
            lx->pos++;
        t->kind = TOK_IDENT;
    } else if (isdigit(c) || (c == '.' && isdigit(c1))) {
        number(lx);
        t->kind = TOK_NUM;
    } else if (c == '\'' || c == '"') {
        t->kind = c == '\'' ? TOK_STR : TOK_QIDENT;
        st = quoted(lx, t, (char)c, err);
    } else if (c == ':' && ident_start(c1)) {
        for (lx->pos++; lx->pos < lx->len && ident_char((unsigned char)s[lx->pos]);)
            lx->pos++;
        t->kind = TOK_PARAM;
        t->body = t->pos + 1;
        t->blen = lx->pos - t->body;
    } else {
        t->kind = symbol(lx);
    }
    t->len = lx->pos - t->pos;
    return st;
}

void lex_describe(const Lexer *lx, const Token *t, char *buf, size_t n)
{
    if (t->kind == TOK_EOF)
        snprintf(buf, n, "EOF");
    else
        snprintf(buf, n, "%.*s", (int)(t->len > 60 ? 60 : t->len), lx->src + t->pos);
}
