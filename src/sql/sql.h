/*
 * sql.h - SpacetimeDB's SQL dialect: parse, check, plan, run, print.
 *
 * A query goes through five steps, one file each:
 *
 *   text --lex.c/parse.c--> SqlStmt (AST, in an Arena)
 *        --check.c/lit.c--> names resolved against the Db's tables, every
 *                           literal turned into the BSATN of the column
 *                           type it is compared with
 *        --plan.c---------> an access path per table: index point, index
 *                           range or full scan (+ EXPLAIN text)
 *        --eval.c---------> result rows (BSATN products) or DML counts
 *        --format.c-------> the psql-style table `spacetime sql` prints
 *
 * and, for subscriptions, delta.c: how a committed transaction changed a
 * query's result, from the transaction's rows and index probes (book
 * chapter 28).
 *
 * The dialect is client-protocol.md section 6: `SELECT * | t.* | cols |
 * COUNT(*) AS n FROM t [[INNER] JOIN u ON t.a = u.b] [WHERE pred]
 * [LIMIT n]`, predicates built from comparisons with AND, OR and
 * (a tinystdb extension) NOT, and owner-only INSERT, UPDATE, DELETE.
 * Error texts follow SpacetimeDB's wording where it has one; every
 * error also carries the byte offset it refers to.
 *
 * Ownership: an SqlQuery owns its Arena, which holds the AST, the
 * checked literals and the plan.  Tables are borrowed from the Db, which
 * must outlive the query and must not change shape (no new tables)
 * while it lives.  An SqlResult owns its rows and column names.
 *
 * Book: chapter 25, book/25-sql.md
 */
#ifndef TINYSTDB_SQL_SQL_H
#define TINYSTDB_SQL_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../db/bsatn.h"
#include "../db/btree.h"
#include "../db/db.h"
#include "../db/rowlist.h"
#include "../db/table.h"
#include "../db/tx.h"
#include "../util/arena.h"
#include "../util/vec.h"

/* Longer input is refused (SpacetimeDB's limit). */
#define SQL_MAX_LEN 50000
/* Parentheses and NOT nest at most this deep (bounds the recursion). */
#define SQL_MAX_DEPTH 64

typedef struct SqlError {
    Status status;                /* ST_MALFORMED syntax, ST_INVALID typing/names,
                                     ST_UNSUPPORTED, ST_NOMEM, ST_EXISTS (DML) */
    size_t pos;                   /* byte offset in the query text */
    char msg[256];
} SqlError;

/* ---- the AST (parse.c) ---- */

typedef enum SqlCmpOp { SQL_EQ, SQL_NE, SQL_LT, SQL_LE, SQL_GT, SQL_GE } SqlCmpOp;
typedef enum SqlExprKind {
    SQL_EXPR_LIT, SQL_EXPR_COL, SQL_EXPR_SENDER, SQL_EXPR_CMP, SQL_EXPR_AND, SQL_EXPR_OR,
    SQL_EXPR_NOT,
} SqlExprKind;
typedef enum SqlLitKind { SQL_LIT_NUM, SQL_LIT_STR, SQL_LIT_HEX, SQL_LIT_BOOL } SqlLitKind;

typedef struct SqlExpr SqlExpr;
struct SqlExpr {
    SqlExprKind kind;
    size_t pos, end;              /* source text [pos, end) */
    /* SQL_EXPR_LIT: the number with its sign, the unquoted string, the
     * hex digits; b for bool. */
    SqlLitKind lit;
    const char *text;
    size_t len;
    bool b;
    /* SQL_EXPR_COL: [qual.]name (qual NULL when absent). */
    const char *qual, *name;
    /* SQL_EXPR_CMP, AND, OR (l, r); NOT (l). */
    SqlCmpOp op;
    SqlExpr *l, *r;
    /* Filled by check.c.  COL: rel, col, type.  LIT and SENDER: val[0..vlen)
     * is the BSATN of the value as the column type.  CMP: l is a COL, r a
     * COL or a literal; ts/type are l's column type. */
    int rel;
    uint16_t col;
    const Typespace *ts;
    const AlgType *type;
    uint8_t *val;
    size_t vlen;
};

typedef enum SqlStmtKind { SQL_SELECT, SQL_INSERT, SQL_UPDATE, SQL_DELETE } SqlStmtKind;

typedef struct SqlProj {          /* one item of the SELECT list */
    bool star;                    /* `*` (qual NULL) or `qual.*` */
    const char *qual, *name, *alias;
    size_t pos;
} SqlProj;

typedef struct SqlFrom {
    const char *table, *alias;    /* alias NULL when absent */
    size_t pos;
} SqlFrom;

typedef struct SqlSet { const char *name; SqlExpr *value; size_t pos; } SqlSet;

typedef struct SqlStmt {
    SqlStmtKind kind;
    SqlProj *proj;                /* SELECT list */
    uint32_t nproj;
    bool count;                   /* COUNT(*) AS count_alias */
    const char *count_alias;
    SqlFrom from[2];              /* SELECT: 1 or 2 tables; DML: from[0] */
    uint32_t nfrom;
    SqlExpr *on;                  /* JOIN ... ON col = col */
    SqlExpr *where;               /* NULL: every row */
    bool has_limit;
    uint64_t limit;
    const char **cols;            /* INSERT column list */
    uint32_t ncols;
    SqlExpr **values;             /* INSERT: nrows * ncols literals, row-major */
    uint32_t nrows;
    SqlSet *sets;                 /* UPDATE SET */
    uint32_t nsets;
} SqlStmt;

/* Parse one statement; the AST lives in a. */
Status sql_parse(Arena *a, const char *text, size_t len, SqlStmt **out, SqlError *err);

/* ---- checked queries and plans ---- */

typedef enum SqlMode {
    SQL_MODE_ADHOC,               /* `spacetime sql`, /sql: section 6.3 */
    SQL_MODE_SUBSCRIPTION,        /* subscriptions, one-off queries: section 6.1 */
} SqlMode;

typedef struct SqlCtx {
    Db *db;
    SqlMode mode;
    bool owner;                   /* the caller owns the database */
    uint8_t sender[32];           /* the caller's Identity (its BSATN: u256 LE) */
} SqlCtx;

typedef struct SqlRel {
    Table *table;
    uint32_t table_id;
    const char *name;             /* the alias, or the table name */
    uint32_t ncols;
} SqlRel;

typedef struct SqlColumn {        /* one output column */
    const char *name;             /* NULL: unnamed ("column N") */
    const Typespace *ts;
    const AlgType *type;
    int rel;                      /* source: rel/col; rel -1 for COUNT */
    uint16_t col;
} SqlColumn;

typedef enum SqlAccessKind { SQL_ACCESS_SCAN, SQL_ACCESS_POINT, SQL_ACCESS_RANGE } SqlAccessKind;

typedef struct SqlAccess {        /* how one table is read */
    SqlAccessKind kind;
    uint32_t index;               /* POINT, RANGE: position of the index */
    uint32_t neq;                 /* leading key columns fixed by `=` */
    int range_col;                /* RANGE: the key column bounded by <, >..., or -1 */
    const SqlExpr *lo_expr, *hi_expr;   /* the conjuncts giving the bounds */
    BTreeBound lo, hi;            /* RANGE: key bounds (arena bytes) */
    uint8_t *key;                 /* POINT: the whole key */
    size_t keylen;
} SqlAccess;

typedef struct SqlJoinIndex {     /* an index of a rel led by its join column */
    bool ok;                      /* false: none (the rel can only be scanned) */
    uint32_t index;
    bool point;                   /* the index is exactly the join column */
    uint16_t col;                 /* the join column */
} SqlJoinIndex;

typedef struct SqlPlan {
    int outer;                    /* rel read first */
    SqlAccess access;             /* its access path */
    int inner;                    /* the other rel of a join, or -1 */
    bool inner_indexed;           /* inner rows found by inner_index, else a scan */
    uint32_t inner_index;
    bool inner_point;             /* the index is exactly the join column */
    uint16_t outer_col, inner_col;   /* the join columns */
    SqlJoinIndex join[2];         /* joins: each rel's index on its join column */
} SqlPlan;

typedef struct SqlQuery {
    Arena arena;
    const char *text;             /* a copy of the statement text */
    SqlStmt *stmt;
    SqlCtx ctx;
    SqlRel rels[2];
    uint32_t nrels;
    int star_rel;                 /* `*` / `t.*`: that rel's rows; -1: cols */
    SqlColumn *cols;
    uint32_t ncols;
    uint16_t *set_cols;           /* UPDATE: column of each SET */
    SqlPlan plan;
} SqlQuery;

/* Parse, check and plan text into a new query. */
Status sql_query_new(const SqlCtx *ctx, const char *text, size_t len, SqlQuery **out,
                     SqlError *err);
void sql_query_free(SqlQuery *q);

/* check.c: resolve names and types of q->stmt (called by sql_query_new). */
Status sql_check(SqlQuery *q, SqlError *err);
/* lit.c: the BSATN of literal e as a value of type t, in q's arena. */
Status sql_lit_encode(SqlQuery *q, SqlExpr *e, const Typespace *ts, const AlgType *t,
                      SqlError *err);
/* "U8", "String", "Array<U8>", "(a: U32, b: Bool)": SpacetimeDB's names. */
Status sql_type_name(const Typespace *ts, const AlgType *t, StrBuf *out);
/* plan.c: choose access paths (called by sql_query_new). */
Status sql_plan(SqlQuery *q, SqlError *err);
/* The plan as text, one step per line (`tinystdb sql --explain`). */
Status sql_explain(const SqlQuery *q, StrBuf *out);

/* ---- evaluation (eval.c) ---- */

typedef struct SqlResult {
    Arena arena;                  /* column names */
    SqlColumn *cols;
    uint32_t ncols;
    RowList rows;                 /* each a BSATN product of the columns */
    uint64_t inserted, deleted, updated;   /* DML */
} SqlResult;

void sql_result_init(SqlResult *r);
void sql_result_fini(SqlResult *r);

/* The current row of each rel while a predicate is evaluated. */
typedef struct SqlRow {
    const uint8_t *bytes[2];
    const BsatnSpan *spans[2];
} SqlRow;

/* Does row satisfy e (a checked predicate; NULL is true)? */
bool sql_pred_eval(const SqlExpr *e, const SqlRow *row);
/* Run q (planned): SELECT fills rows, DML changes the tables and counts. */
Status sql_run(SqlQuery *q, SqlResult *res, SqlError *err);
/* The same result by full scans only, ignoring the plan: the reference
 * the planner is tested against. */
Status sql_run_naive(SqlQuery *q, SqlResult *res, SqlError *err);
/* Parse, check, plan and run in one call. */
Status sql_exec(const SqlCtx *ctx, const char *text, size_t len, SqlResult *res,
                SqlError *err);

/* Open c over the rows of q's rel whose join column equals val (the
 * BSATN of a value of that column's type), through q->plan.join[rel],
 * which must be ok.  key and khi hold the probe keys: they must outlive c. */
Status sql_join_cursor(const SqlQuery *q, int rel, const uint8_t *val, StrBuf *key,
                       StrBuf *khi, TableCursor *c, SqlError *err);

/* ---- incremental evaluation (delta.c, book chapter 28) ---- */

/* Does d change a table q reads? */
bool sql_delta_touches(const SqlQuery *q, const TxDelta *d);
/* How the committed transaction d changed q's result, computed from d and
 * the indexes of the tables as they are now (after d): the result is a
 * multiset of rows of q's starred table (a join gives a row once per
 * matching pair), and on return `inserts` holds result(after) minus
 * result(before) and `deletes` result(before) minus result(after), both
 * as multisets.  q: a `*` / `t.*` SELECT without COUNT or LIMIT, each of
 * its join columns indexed (a subscription query).  Rows are appended. */
Status sql_delta_eval(SqlQuery *q, const TxDelta *d, RowList *inserts, RowList *deletes,
                      SqlError *err);

/* ---- output (format.c) ---- */

/* Exactly what `spacetime sql` writes to stdout for this result. */
Status sql_format_table(const SqlResult *res, StrBuf *out);
/* The same layout for cells already in text: ncols headers, nrows rows of
 * ncols cells each (row-major).  No columns: a single empty line (what
 * DML prints).  `tinystdb sql` uses it for the rows it gets as JSON. */
Status sql_format_grid(const char *const *headers, size_t ncols, const char *const *cells,
                       size_t nrows, StrBuf *out);
/* One value as `spacetime sql` shows it in a cell. */
Status sql_format_value(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                        StrBuf *out);

/* Fill err, return st (printf-style message). */
Status sql_error(SqlError *err, Status st, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
