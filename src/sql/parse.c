/*
 * parse.c - recursive-descent parser for SpacetimeDB's SQL dialect.
 *
 * Grammar (client-protocol.md 6.1-6.5; keywords case-insensitive):
 *
 *   stmt    := select | insert | update | delete          [;]
 *   select  := SELECT proj FROM rel [[INNER] JOIN rel [ON pred]]
 *              [WHERE pred] [LIMIT integer]
 *   proj    := * | item {, item}
 *   item    := name.* | [name.]name [[AS] alias] | COUNT(*) [AS] alias
 *   rel     := name [[AS] alias]
 *   insert  := INSERT INTO name (name {, name}) VALUES row {, row}
 *   row     := ( literal {, literal} )
 *   update  := UPDATE name SET name = literal {, ...} [WHERE pred]
 *   delete  := DELETE FROM name [WHERE pred]
 *   pred    := conj {OR conj}        conj := neg {AND neg}
 *   neg     := NOT neg | cmp         cmp  := operand [op operand]
 *   operand := ( pred ) | literal | [name.]name | :sender
 *   literal := [+|-] number | 'string' | 0xHEX | X'HEX' | TRUE | FALSE
 *
 * The parser builds the AST of sql.h in an Arena and knows nothing of
 * tables or types; check.c gives names and literals their meaning.
 * Everything recognisably SQL but outside the dialect gets SpacetimeDB's
 * "Unsupported ..." wording, anything else sqlparser's "Expected X,
 * found: Y".  Depth is bounded by SQL_MAX_DEPTH so a hostile
 * "((((((..." cannot exhaust the stack.
 *
 * Book: chapter 25, book/25-sql.md
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../util/alloc.h"
#include "sql_int.h"

typedef struct Parser {
    Lexer lx;
    Token tok;                    /* the current (lookahead) token */
    Arena *a;
    SqlError *err;
    unsigned depth;
} Parser;

/* Words that end an item or a relation instead of naming an alias. */
static const char *const reserved[] = {
    "SELECT", "FROM", "WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS",
    "ON", "AND", "OR", "NOT", "LIMIT", "ORDER", "GROUP", "AS", "UNION", "EXCEPT",
    "INTERSECT", "HAVING", "OFFSET", "SET", "VALUES", "IS", "IN", "LIKE", "BETWEEN", NULL,
};

static bool is_kw(const Parser *p, const char *kw)
{
    return p->tok.kind == TOK_IDENT && p->tok.len == strlen(kw) &&
           strncasecmp(p->lx.src + p->tok.pos, kw, p->tok.len) == 0;
}

static bool is_reserved(const Parser *p)
{
    for (int i = 0; reserved[i]; i++)
        if (is_kw(p, reserved[i]))
            return true;
    return false;
}

static Status advance(Parser *p)
{
    return lex_next(&p->lx, &p->tok, p->err);
}

/* sqlparser's "Expected X, found: Y" at the current token. */
static Status expected(Parser *p, const char *what)
{
    char found[64];
    lex_describe(&p->lx, &p->tok, found, sizeof found);
    return sql_error(p->err, ST_MALFORMED, p->tok.pos, "sql parser error: Expected %s, found: %s",
                     what, found);
}

static Status unsupported(Parser *p, size_t pos, const char *what)
{
    return sql_error(p->err, ST_UNSUPPORTED, pos, "%s", what);
}

static Status expect_kw(Parser *p, const char *kw)
{
    return is_kw(p, kw) ? advance(p) : expected(p, kw);
}

static Status expect(Parser *p, TokKind k, const char *what)
{
    return p->tok.kind == k ? advance(p) : expected(p, what);
}

/* Copy src[from, from+n) into the arena, undoubling quote q (0: none). */
static char *copy_text(Parser *p, size_t from, size_t n, char q)
{
    char *s = arena_alloc(p->a, n + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        s[k++] = p->lx.src[from + i];
        if (q && p->lx.src[from + i] == q)
            i++;
    }
    s[k] = 0;
    return s;
}

/* An identifier (plain or "quoted"), copied; advances. */
static Status name(Parser *p, const char **out, const char *what)
{
    if (p->tok.kind == TOK_QIDENT)
        *out = copy_text(p, p->tok.body, p->tok.blen, '"');
    else if (p->tok.kind == TOK_IDENT && !is_reserved(p))
        *out = copy_text(p, p->tok.pos, p->tok.len, 0);
    else
        return expected(p, what);
    return *out ? advance(p) : sql_error(p->err, ST_NOMEM, p->tok.pos, "out of memory");
}

/* [[AS] alias]: *out stays NULL without one. */
static Status opt_alias(Parser *p, const char **out)
{
    if (is_kw(p, "AS")) {
        Status st = advance(p);
        return st == ST_OK ? name(p, out, "an identifier") : st;
    }
    if (p->tok.kind == TOK_QIDENT || (p->tok.kind == TOK_IDENT && !is_reserved(p)))
        return name(p, out, "an identifier");
    return ST_OK;
}

static SqlExpr *new_expr(Parser *p, SqlExprKind k, size_t pos)
{
    SqlExpr *e = arena_calloc(p->a, 1, sizeof *e);
    if (e) {
        e->kind = k;
        e->pos = pos;
        e->end = pos;
        e->rel = -1;
    }
    return e;
}

static Status pred(Parser *p, SqlExpr **out);

/* ---- operands ---- */

/* A literal whose text is src[from, from+n) (undoubling q). */
static Status literal(Parser *p, SqlLitKind k, size_t from, size_t n, char q, SqlExpr **out)
{
    SqlExpr *e = new_expr(p, SQL_EXPR_LIT, p->tok.pos);
    char *text = copy_text(p, from, n, q);
    if (!e || !text)
        return sql_error(p->err, ST_NOMEM, p->tok.pos, "out of memory");
    e->lit = k;
    e->text = text;
    e->len = strlen(text);
    e->end = p->tok.pos + p->tok.len;
    *out = e;
    return advance(p);
}

/* [+|-] number: the sign becomes part of the text. */
static Status signed_number(Parser *p, SqlExpr **out)
{
    size_t start = p->tok.pos;
    Status st = advance(p);
    if (st != ST_OK)
        return st;
    if (p->tok.kind != TOK_NUM)
        return unsupported(p, start, "Unsupported expression: unary operator");
    size_t end = p->tok.pos + p->tok.len;
    char *text = arena_alloc(p->a, p->tok.len + 2);
    SqlExpr *e = new_expr(p, SQL_EXPR_LIT, start);
    if (!text || !e)
        return sql_error(p->err, ST_NOMEM, start, "out of memory");
    text[0] = p->lx.src[start];
    memcpy(text + 1, p->lx.src + p->tok.pos, p->tok.len);
    text[p->tok.len + 1] = 0;
    e->lit = SQL_LIT_NUM;
    e->text = text;
    e->len = p->tok.len + 1;
    e->end = end;
    *out = e;
    return advance(p);
}

/* [qual.]name, or TRUE / FALSE / NULL. */
static Status column_or_word(Parser *p, SqlExpr **out)
{
    size_t pos = p->tok.pos;
    if (is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
        Status st = literal(p, SQL_LIT_BOOL, p->tok.pos, p->tok.len, 0, out);
        if (st == ST_OK)
            (*out)->b = (*out)->len == 4;
        return st;
    }
    if (is_kw(p, "NULL"))
        return unsupported(p, pos, "Unsupported literal expression: NULL");
    SqlExpr *e = new_expr(p, SQL_EXPR_COL, pos);
    if (!e)
        return sql_error(p->err, ST_NOMEM, pos, "out of memory");
    size_t end = p->tok.pos + p->tok.len;
    Status st = name(p, &e->name, "an expression");
    if (st == ST_OK && p->tok.kind == TOK_DOT) {
        e->qual = e->name;
        if ((st = advance(p)) == ST_OK) {
            end = p->tok.pos + p->tok.len;
            st = name(p, &e->name, "an identifier");
        }
    }
    if (st == ST_OK && p->tok.kind == TOK_LPAREN)
        return unsupported(p, pos, "Unsupported expression: function call");
    e->end = end;
    *out = e;
    return st;
}

static Status operand(Parser *p, SqlExpr **out)
{
    Token t = p->tok;
    switch (t.kind) {
    case TOK_LPAREN: {
        Status st = advance(p);
        if (st == ST_OK)
            st = pred(p, out);
        if (st == ST_OK)
            (*out)->pos = t.pos;
        if (st == ST_OK && p->tok.kind == TOK_RPAREN)
            (*out)->end = p->tok.pos + 1;
        return st == ST_OK ? expect(p, TOK_RPAREN, ")") : st;
    }
    case TOK_NUM: return literal(p, SQL_LIT_NUM, t.pos, t.len, 0, out);
    case TOK_PLUS:
    case TOK_MINUS: return signed_number(p, out);
    case TOK_STR: return literal(p, SQL_LIT_STR, t.body, t.blen, '\'', out);
    case TOK_HEX: return literal(p, SQL_LIT_HEX, t.body, t.blen, 0, out);
    case TOK_PARAM:
        if (t.blen != 6 || strncmp(p->lx.src + t.body, "sender", 6) != 0)
            return unsupported(p, t.pos, "Unsupported literal expression: parameter");
        if (!(*out = new_expr(p, SQL_EXPR_SENDER, t.pos)))
            return sql_error(p->err, ST_NOMEM, t.pos, "out of memory");
        (*out)->end = t.pos + t.len;
        return advance(p);
    case TOK_IDENT:
    case TOK_QIDENT: return column_or_word(p, out);
    default: return expected(p, "an expression");
    }
}

/* ---- predicates ---- */

static bool cmp_op(TokKind k, SqlCmpOp *op)
{
    switch (k) {
    case TOK_EQ: *op = SQL_EQ; return true;
    case TOK_NE: *op = SQL_NE; return true;
    case TOK_LT: *op = SQL_LT; return true;
    case TOK_LE: *op = SQL_LE; return true;
    case TOK_GT: *op = SQL_GT; return true;
    case TOK_GE: *op = SQL_GE; return true;
    default: return false;
    }
}

static Status comparison(Parser *p, SqlExpr **out)
{
    Status st = operand(p, out);
    if (st != ST_OK)
        return st;
    SqlCmpOp op;
    if (is_kw(p, "IS") || is_kw(p, "IN") || is_kw(p, "LIKE") || is_kw(p, "BETWEEN") ||
        (is_kw(p, "NOT") && p->depth > 0))
        return unsupported(p, p->tok.pos, "Unsupported expression: IS/IN/LIKE/BETWEEN");
    if (p->tok.kind == TOK_PLUS || p->tok.kind == TOK_MINUS || p->tok.kind == TOK_STAR ||
        (p->tok.kind == TOK_OTHER && strchr("/%|&^", p->lx.src[p->tok.pos])))
        return sql_error(p->err, ST_UNSUPPORTED, p->tok.pos, "Unsupported binary operator: %.*s",
                         (int)p->tok.len, p->lx.src + p->tok.pos);
    if (!cmp_op(p->tok.kind, &op))
        return ST_OK;
    SqlExpr *e = new_expr(p, SQL_EXPR_CMP, (*out)->pos);
    if (!e)
        return sql_error(p->err, ST_NOMEM, p->tok.pos, "out of memory");
    e->op = op;
    e->l = *out;
    if ((st = advance(p)) != ST_OK || (st = operand(p, &e->r)) != ST_OK)
        return st;
    e->end = e->r->end;
    *out = e;
    return ST_OK;
}

static Status negation(Parser *p, SqlExpr **out)
{
    if (!is_kw(p, "NOT"))
        return comparison(p, out);
    SqlExpr *e = new_expr(p, SQL_EXPR_NOT, p->tok.pos);
    if (!e)
        return sql_error(p->err, ST_NOMEM, p->tok.pos, "out of memory");
    if (++p->depth > SQL_MAX_DEPTH)
        return sql_error(p->err, ST_LIMIT, p->tok.pos, "SQL expression nested too deeply");
    Status st = advance(p);
    if (st == ST_OK)
        st = negation(p, &e->l);
    p->depth--;
    if (st == ST_OK)
        e->end = e->l->end;
    *out = e;
    return st;
}

/* conj {AND conj} or neg {OR neg}, left-associative. */
static Status chain(Parser *p, SqlExpr **out, bool is_or)
{
    Status st = is_or ? chain(p, out, false) : negation(p, out);
    while (st == ST_OK && is_kw(p, is_or ? "OR" : "AND")) {
        SqlExpr *e = new_expr(p, is_or ? SQL_EXPR_OR : SQL_EXPR_AND, (*out)->pos);
        if (!e)
            return sql_error(p->err, ST_NOMEM, p->tok.pos, "out of memory");
        e->l = *out;
        if ((st = advance(p)) == ST_OK)
            st = is_or ? chain(p, &e->r, false) : negation(p, &e->r);
        if (st == ST_OK)
            e->end = e->r->end;
        *out = e;
    }
    return st;
}

static Status pred(Parser *p, SqlExpr **out)
{
    if (++p->depth > SQL_MAX_DEPTH)
        return sql_error(p->err, ST_LIMIT, p->tok.pos, "SQL expression nested too deeply");
    Status st = chain(p, out, true);
    p->depth--;
    return st;
}

/* ---- SELECT ---- */

typedef VEC(SqlProj) ProjVec;
typedef VEC(void *) PtrVec;

static Status proj_item(Parser *p, ProjVec *items, SqlStmt *s)
{
    SqlProj it = { .pos = p->tok.pos };
    Status st;
    if (is_kw(p, "COUNT")) {
        if ((st = advance(p)) != ST_OK || (st = expect(p, TOK_LPAREN, "(")) != ST_OK ||
            (st = expect(p, TOK_STAR, "*")) != ST_OK || (st = expect(p, TOK_RPAREN, ")")) != ST_OK)
            return st;
        if ((st = opt_alias(p, &s->count_alias)) != ST_OK)
            return st;
        if (!s->count_alias)
            return unsupported(p, it.pos, "Aggregate expressions must have column aliases");
        s->count = true;
        return ST_OK;
    }
    if ((st = name(p, &it.name, "an expression")) != ST_OK)
        return st;
    if (p->tok.kind == TOK_LPAREN)
        return sql_error(p->err, ST_UNSUPPORTED, it.pos, "Unsupported aggregate function: %s",
                         it.name);
    if (p->tok.kind == TOK_DOT) {
        it.qual = it.name;
        it.name = NULL;
        if ((st = advance(p)) != ST_OK)
            return st;
        if (p->tok.kind == TOK_STAR) {
            it.star = true;
            if ((st = advance(p)) != ST_OK)
                return st;
        } else if ((st = name(p, &it.name, "an identifier")) != ST_OK) {
            return st;
        }
    }
    if (!it.star && (st = opt_alias(p, &it.alias)) != ST_OK)
        return st;
    return vec_push(items, it) == ST_OK ? ST_OK
                                        : sql_error(p->err, ST_NOMEM, it.pos, "out of memory");
}

static Status projection(Parser *p, SqlStmt *s)
{
    ProjVec items = { 0 };
    Status st = ST_OK;
    if (is_kw(p, "DISTINCT"))
        return unsupported(p, p->tok.pos, "Unsupported SELECT: DISTINCT");
    if (p->tok.kind == TOK_STAR) {
        SqlProj star = { .star = true, .pos = p->tok.pos };
        st = vec_push(&items, star);
        if (st == ST_OK)
            st = advance(p);
    } else {
        do {
            if (items.len + s->count > 0 && (st = advance(p)) != ST_OK)
                break;
            st = proj_item(p, &items, s);
        } while (st == ST_OK && p->tok.kind == TOK_COMMA);
    }
    if (st == ST_OK && s->count && items.len > 0)
        st = unsupported(p, items.items[0].pos, "Mixed wildcard projections are not supported");
    for (size_t i = 0; st == ST_OK && i < items.len; i++)
        if (items.items[i].star && items.len > 1)
            st = unsupported(p, items.items[i].pos,
                             "Mixed wildcard projections are not supported");
    if (st == ST_OK && items.len > 0) {
        s->proj = arena_alloc(p->a, items.len * sizeof *s->proj);
        if (!s->proj)
            st = sql_error(p->err, ST_NOMEM, 0, "out of memory");
        else
            memcpy(s->proj, items.items, items.len * sizeof *s->proj);
        s->nproj = (uint32_t)items.len;
    }
    vec_fini(&items);
    return st;
}

/* name [[AS] alias], refusing schema.table and subqueries. */
static Status relation(Parser *p, SqlFrom *f)
{
    f->pos = p->tok.pos;
    if (p->tok.kind == TOK_LPAREN)
        return unsupported(p, f->pos, "Unsupported FROM expression: subquery");
    Status st = name(p, &f->table, "identifier");
    if (st == ST_OK && p->tok.kind == TOK_DOT) {
        const char *t2 = NULL;
        if ((st = advance(p)) == ST_OK && (st = name(p, &t2, "identifier")) == ST_OK)
            return sql_error(p->err, ST_UNSUPPORTED, f->pos,
                             "Multi-part names are not supported: %s.%s", f->table, t2);
        return st;
    }
    return st == ST_OK ? opt_alias(p, &f->alias) : st;
}

static Status join(Parser *p, SqlStmt *s)
{
    size_t pos = p->tok.pos;
    Status st;
    if (p->tok.kind == TOK_COMMA)
        return unsupported(p, pos, "Implicit joins are not supported");
    if (is_kw(p, "LEFT") || is_kw(p, "RIGHT") || is_kw(p, "FULL") || is_kw(p, "OUTER"))
        return unsupported(p, pos, "Non-inner joins are not supported");
    if ((is_kw(p, "INNER") || is_kw(p, "CROSS")) && (st = advance(p)) != ST_OK)
        return st;
    if ((st = expect_kw(p, "JOIN")) != ST_OK)
        return st;
    if (s->nfrom == 2)
        return unsupported(p, pos, "Joins of more than 2 tables are not supported");
    if ((st = relation(p, &s->from[s->nfrom++])) != ST_OK)
        return st;
    if (!is_kw(p, "ON"))
        return ST_OK;
    if ((st = advance(p)) != ST_OK || (st = pred(p, &s->on)) != ST_OK)
        return st;
    if (s->on->kind != SQL_EXPR_CMP || s->on->op != SQL_EQ || s->on->l->kind != SQL_EXPR_COL ||
        s->on->r->kind != SQL_EXPR_COL)
        return unsupported(p, s->on->pos, "Unsupported: ON must be an equality of two columns");
    return ST_OK;
}

static Status limit(Parser *p, SqlStmt *s)
{
    size_t pos = p->tok.pos;
    Status st = advance(p);
    if (st != ST_OK)
        return st;
    const char *t = p->lx.src + p->tok.pos;
    if (p->tok.kind != TOK_NUM || strspn(t, "0123456789") != p->tok.len || p->tok.len > 19)
        return sql_error(p->err, ST_UNSUPPORTED, pos, "Unsupported: LIMIT must be an integer literal");
    s->has_limit = true;
    for (size_t i = 0; i < p->tok.len; i++)
        s->limit = s->limit * 10 + (uint64_t)(t[i] - '0');
    return advance(p);
}

static Status select_stmt(Parser *p, SqlStmt *s)
{
    s->kind = SQL_SELECT;
    Status st = advance(p);
    if (st != ST_OK || (st = projection(p, s)) != ST_OK)
        return st;
    if (!is_kw(p, "FROM"))
        return p->tok.kind == TOK_EOF ? unsupported(p, p->tok.pos, "A FROM clause is required")
                                      : expected(p, "FROM");
    if ((st = advance(p)) != ST_OK || (st = relation(p, &s->from[s->nfrom++])) != ST_OK)
        return st;
    while (st == ST_OK && (p->tok.kind == TOK_COMMA || is_kw(p, "JOIN") || is_kw(p, "INNER") ||
                           is_kw(p, "CROSS") || is_kw(p, "LEFT") || is_kw(p, "RIGHT") ||
                           is_kw(p, "FULL")))
        st = join(p, s);
    if (st == ST_OK && is_kw(p, "WHERE") && (st = advance(p)) == ST_OK)
        st = pred(p, &s->where);
    if (st == ST_OK && (is_kw(p, "ORDER") || is_kw(p, "GROUP") || is_kw(p, "HAVING")))
        return sql_error(p->err, ST_UNSUPPORTED, p->tok.pos, "Unsupported: %s", p->lx.src);
    if (st == ST_OK && is_kw(p, "LIMIT"))
        st = limit(p, s);
    return st;
}

/* ---- DML ---- */

static Status literal_only(Parser *p, SqlExpr **out)
{
    Status st = operand(p, out);
    if (st == ST_OK && (*out)->kind != SQL_EXPR_LIT && (*out)->kind != SQL_EXPR_SENDER)
        return unsupported(p, (*out)->pos, "Unsupported: only literals are allowed here");
    return st;
}

/* (a, b, c) of names or literals, into a vector of pointers. */
static Status paren_list(Parser *p, PtrVec *v, bool names)
{
    Status st = expect(p, TOK_LPAREN, "(");
    while (st == ST_OK) {
        void *x = NULL;
        st = names ? name(p, (const char **)&x, "identifier") : literal_only(p, (SqlExpr **)&x);
        if (st == ST_OK && vec_push(v, x) != ST_OK)
            st = sql_error(p->err, ST_NOMEM, p->tok.pos, "out of memory");
        if (st != ST_OK || p->tok.kind != TOK_COMMA)
            break;
        st = advance(p);
    }
    return st == ST_OK ? expect(p, TOK_RPAREN, ", or )") : st;
}

static Status insert_stmt(Parser *p, SqlStmt *s)
{
    PtrVec cols = { 0 }, vals = { 0 };
    s->kind = SQL_INSERT;
    s->nfrom = 1;
    Status st = advance(p);
    if (st == ST_OK)
        st = expect_kw(p, "INTO");
    if (st == ST_OK)
        st = name(p, &s->from[0].table, "identifier");
    if (st == ST_OK)
        st = paren_list(p, &cols, true);
    if (st == ST_OK)
        st = expect_kw(p, "VALUES");
    while (st == ST_OK) {
        size_t before = vals.len, pos = p->tok.pos;
        if ((st = paren_list(p, &vals, false)) != ST_OK)
            break;
        if (vals.len - before != cols.len)
            st = sql_error(p->err, ST_INVALID, pos,
                           "Inserting a row with %zu values into `%s` which has %zu fields",
                           vals.len - before, s->from[0].table, cols.len);
        s->nrows++;
        if (st != ST_OK || p->tok.kind != TOK_COMMA)
            break;
        st = advance(p);
    }
    s->cols = (const char **)cols.items;   /* moved into the arena below */
    s->ncols = (uint32_t)cols.len;
    s->values = (SqlExpr **)vals.items;
    const char **c2 = arena_alloc(p->a, cols.len * sizeof *c2 + 1);
    SqlExpr **v2 = arena_alloc(p->a, vals.len * sizeof *v2 + 1);
    if (st == ST_OK && (!c2 || !v2))
        st = sql_error(p->err, ST_NOMEM, 0, "out of memory");
    if (st == ST_OK) {
        memcpy(c2, cols.items, cols.len * sizeof *c2);
        memcpy(v2, vals.items, vals.len * sizeof *v2);
        s->cols = c2;
        s->values = v2;
    } else {
        s->cols = NULL;
        s->values = NULL;
    }
    vec_fini(&cols);
    vec_fini(&vals);
    return st;
}

static Status update_stmt(Parser *p, SqlStmt *s)
{
    VEC(SqlSet) sets = { 0 };
    s->kind = SQL_UPDATE;
    s->nfrom = 1;
    Status st = advance(p);
    if (st == ST_OK)
        st = relation(p, &s->from[0]);
    if (st == ST_OK)
        st = expect_kw(p, "SET");
    while (st == ST_OK) {
        SqlSet set = { .pos = p->tok.pos };
        if ((st = name(p, &set.name, "identifier")) != ST_OK ||
            (st = expect(p, TOK_EQ, "=")) != ST_OK || (st = literal_only(p, &set.value)) != ST_OK)
            break;
        if (vec_push(&sets, set) != ST_OK)
            st = sql_error(p->err, ST_NOMEM, set.pos, "out of memory");
        if (st != ST_OK || p->tok.kind != TOK_COMMA)
            break;
        st = advance(p);
    }
    if (st == ST_OK && is_kw(p, "WHERE") && (st = advance(p)) == ST_OK)
        st = pred(p, &s->where);
    if (st == ST_OK && !(s->sets = arena_alloc(p->a, sets.len * sizeof *s->sets + 1)))
        st = sql_error(p->err, ST_NOMEM, 0, "out of memory");
    if (st == ST_OK) {
        memcpy(s->sets, sets.items, sets.len * sizeof *s->sets);
        s->nsets = (uint32_t)sets.len;
    }
    vec_fini(&sets);
    return st;
}

static Status delete_stmt(Parser *p, SqlStmt *s)
{
    s->kind = SQL_DELETE;
    s->nfrom = 1;
    Status st = advance(p);
    if (st == ST_OK)
        st = expect_kw(p, "FROM");
    if (st == ST_OK)
        st = relation(p, &s->from[0]);
    if (st == ST_OK && is_kw(p, "WHERE") && (st = advance(p)) == ST_OK)
        st = pred(p, &s->where);
    return st;
}

/* After the statement: optional `;`, then nothing. */
static Status finish(Parser *p)
{
    bool semi = p->tok.kind == TOK_SEMI;
    Status st = semi ? advance(p) : ST_OK;
    if (st != ST_OK || p->tok.kind == TOK_EOF)
        return st;
    if (semi)
        return unsupported(p, p->tok.pos, "Multiple SQL statements are not supported");
    return expected(p, "end of statement");
}

Status sql_parse(Arena *a, const char *text, size_t len, SqlStmt **out, SqlError *err)
{
    if (len > SQL_MAX_LEN)
        return sql_error(err, ST_LIMIT, 0, "SQL query exceeds maximum allowed length: \"%.40s…\"",
                         text);
    Parser p = { .lx = { .src = text, .len = len }, .a = a, .err = err };
    SqlStmt *s = arena_calloc(a, 1, sizeof *s);
    if (!s)
        return sql_error(err, ST_NOMEM, 0, "out of memory");
    Status st = advance(&p);
    if (st == ST_OK && p.tok.kind == TOK_EOF)
        return sql_error(err, ST_INVALID, 0, "Empty SQL query");
    if (st != ST_OK)
        return st;
    if (is_kw(&p, "SELECT"))
        st = select_stmt(&p, s);
    else if (is_kw(&p, "INSERT"))
        st = insert_stmt(&p, s);
    else if (is_kw(&p, "UPDATE"))
        st = update_stmt(&p, s);
    else if (is_kw(&p, "DELETE"))
        st = delete_stmt(&p, s);
    else if (p.tok.kind == TOK_IDENT)
        st = sql_error(err, ST_UNSUPPORTED, 0, "Unsupported: %.*s", (int)(len > 200 ? 200 : len),
                       text);
    else
        st = expected(&p, "an SQL statement");
    if (st == ST_OK)
        st = finish(&p);
    if (st == ST_OK)
        *out = s;
    return st;
}
