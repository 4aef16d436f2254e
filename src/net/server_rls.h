/*
 * server_rls.h - row-level security: what a non-owner may see of a table
 * (client_visibility_filter, client-protocol.md section 6.6).
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#ifndef TINYSTDB_NET_SERVER_RLS_H
#define TINYSTDB_NET_SERVER_RLS_H

#include "../sql/sql.h"
#include "server_int.h"

/* Narrow q (a checked SELECT of a client of db) to the rows the client
 * may see: for every rel whose table has filters, q's WHERE becomes
 * `WHERE (old) AND (f1 OR f2 ...)`, the filters' predicates with :sender =
 * who.  Nothing changes for the owner or a module without filters.
 * Errors (a filter that does not compile) go into err. */
Status server_rls_apply(const Database *db, const Identity *who, SqlQuery *q, SqlError *err);

/* Has table_id any rule that applies to `who` (not the owner)?  The
 * update a caller without subscriptions receives leaves such tables out,
 * so rows the rules hide never reach it that way. */
bool server_rls_guarded(const Database *db, const Identity *who, uint32_t table_id);

#endif
