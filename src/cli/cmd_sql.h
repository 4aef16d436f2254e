/*
 * cmd_sql.h - `tinystdb sql` and `tinystdb subscribe`: SQL from the
 * command line, over the wire (OneOffQuery and the legacy Subscribe).
 *
 * A OneOffQueryResponse carries rows as JSON text and no column types,
 * while `spacetime sql` prints every value in a type-driven psql style
 * (strings quoted, bytes and identities as 0x..., timestamps in RFC 3339,
 * options as (some = v)) and prints the header even when there are no
 * rows.  So the command asks the server for the schema first
 * (Describe), works out the result's columns from the parsed statement
 * (sql_parse, no database needed), and formats each JSON value with the
 * type text of its column:
 *
 *   Describe ─► {"tables":[{"name","columns":[{"name","type":"u64"}...]}]}
 *   sql_parse(query) ─► SqlStmt ─► columns: names + type texts
 *   OneOffQuery ─► rows {"col": json} ─► cmd_sql_format_value ─► cells
 *   cells ─► sql_format_grid (src/sql/format.c: the layout of client-protocol.md section 10)
 *
 * Type texts are what alg_type_format writes: `u64`, `String`, `bool`,
 * `Identity`, `Option<String>`, `Array<u8>`, `(x: f32, y: f32)`,
 * `(Active: () | Banned: String)`.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#ifndef TINYSTDB_CLI_CMD_SQL_H
#define TINYSTDB_CLI_CMD_SQL_H

#include <stddef.h>

#include "../util/arena.h"
#include "../util/json.h"
#include "../util/status.h"
#include "../util/vec.h"

/* v (a value as the server writes rows) shown as `spacetime sql` shows a
 * value of the type spelled `type` (NULL or unknown: a best effort from
 * the JSON alone).  ST_INVALID when v does not have the type's shape. */
Status cmd_sql_format_value(Arena *a, const char *type, const JsonValue *v, StrBuf *out);


/* `tinystdb sql NAME "QUERY"` and `tinystdb subscribe NAME QUERY...`. */
int cmd_sql(int argc, char **argv);
int cmd_subscribe(int argc, char **argv);

#endif
