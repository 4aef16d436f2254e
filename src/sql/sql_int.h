/*
 * sql_int.h - what the SQL files share and nobody else needs: the tokens
 * lex.c produces for parse.c.
 *
 * A token is a slice of the query text plus its kind; the lexer never
 * copies.  Keywords are not a token kind: SQL keywords are ordinary
 * identifiers until the parser asks "is this the word SELECT?"
 * (case-insensitively, and never for a "quoted" identifier).
 *
 * Book: chapter 25, book/25-sql.md
 */
#ifndef TINYSTDB_SQL_SQL_INT_H
#define TINYSTDB_SQL_SQL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sql.h"

typedef enum TokKind {
    TOK_EOF, TOK_IDENT, TOK_QIDENT, TOK_NUM, TOK_STR, TOK_HEX, TOK_PARAM,
    TOK_STAR, TOK_COMMA, TOK_DOT, TOK_LPAREN, TOK_RPAREN, TOK_SEMI,
    TOK_EQ, TOK_NE, TOK_LT, TOK_LE, TOK_GT, TOK_GE, TOK_PLUS, TOK_MINUS, TOK_OTHER,
} TokKind;

typedef struct Token {
    TokKind kind;
    size_t pos, len;              /* the token's text: src[pos, pos+len) */
    size_t body, blen;            /* STR/QIDENT/HEX/PARAM: the part inside the quotes or
                                     after 0x / X' / ':' */
} Token;

typedef struct Lexer {
    const char *src;
    size_t len, pos;
} Lexer;

/* The next token; ST_MALFORMED + message for an unterminated string. */
Status lex_next(Lexer *lx, Token *t, SqlError *err);
/* How a token is named in "Expected ..., found: X" messages. */
void lex_describe(const Lexer *lx, const Token *t, char *buf, size_t n);

#endif
