/*
 * proto_sats.c - the composite field types: SATS-JSON's special types
 * (identity, connection id, timestamp, duration, energy, options) and the
 * shared building blocks of the server messages (client-protocol.md
 * §4.1: DatabaseUpdate, TableUpdate, QueryUpdate, UpdateStatus,
 * ReducerCallInfo, ...).
 *
 * Most are products, so they are tables of Fields read and written by the
 * generic proto_read_product / proto_write_product; SATS-JSON's special
 * types are one-field products with a reserved field name:
 *
 *   Identity      {"__identity__": "0xc200..."}       (u256, hex, no leading zeros)
 *   ConnectionId  {"__connection_id__": 9914...}      (u128, a bare decimal number)
 *   Timestamp     {"__timestamp_micros_since_unix_epoch__": 1718000000123456}
 *   TimeDuration  {"__time_duration_micros__": 95}
 *   EnergyQuanta  {"quanta": 1207}
 *   QueryId       {"id": 1}
 *
 * The sums (UpdateStatus, ProcedureStatus, Option) are read with
 * proto_read_variant and written by hand.  A ProtoStatus whose kind
 * belongs to the other status sum is written as this sum's failure
 * (Failed / InternalError) with its text; proto_reply_check reports it.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#include "proto_int.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A FieldType `var` for a product of `fields` over the C type `ctype`;
 * storage is `static` or empty (exported through proto_int.h). */
#define PRODUCT_TYPE(storage, var, what, ctype, fields)                            \
    static const Product var##_product = {fields, COUNT(fields), sizeof(ctype)};   \
    storage const FieldType var = {what, sizeof(ctype), proto_read_product,        \
                                   proto_write_product, NULL, &var##_product, NULL}

#define LIST_TYPE(var, what, ltype, item)                                          \
    static const FieldType var = {what, sizeof(ltype), proto_read_list, proto_write_list, \
                                  NULL, NULL, item}

/* ---- u256 and u128, the payloads of identities and connection ids ------- */

static Status read_u256(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    IdError e;
    if (v->type != JSON_STRING)
        return proto_type_error(c, v, t->what);
    if (identity_parse_u256(v->str, v->len, dst, &e) != ST_OK)
        return proto_fail(c, ST_INVALID, "%s", e.msg);
    return ST_OK;
}

static Status write_u256(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    char text[IDENTITY_U256_LEN + 1];
    identity_format_u256(src, text);
    Status st = strbuf_putc(sb, '"');
    if (st == ST_OK)
        st = strbuf_puts(sb, text);
    return st == ST_OK ? strbuf_putc(sb, '"') : st;
}

static Status read_u128(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    IdError e;
    if (v->type != JSON_NUMBER || strspn(v->str, "0123456789") != v->len)
        return proto_type_error(c, v, t->what);   /* -1, 1.5, 1e3 */
    if (identity_conn_parse_decimal(v->str, v->len, dst, &e) != ST_OK)
        return proto_fail(c, ST_INVALID, "%s", e.msg);
    return ST_OK;
}

static Status write_u128(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    char text[CONNID_DECIMAL_LEN + 1];
    identity_conn_format_decimal(src, text);
    return strbuf_puts(sb, text);
}

static const FieldType t_u256 = {"u256 string \"0x...\"", sizeof(Identity), read_u256,
                                 write_u256, NULL, NULL, NULL};
static const FieldType t_u128 = {"u128", sizeof(ConnectionId), read_u128, write_u128,
                                 NULL, NULL, NULL};

/* ---- the special one-field products ---------------------------------------- */

static const Field identity_fields[] = {{"__identity__", 0, &t_u256, false}};
static const Field connection_id_fields[] = {{"__connection_id__", 0, &t_u128, false}};
static const Field timestamp_fields[] = {
    {"__timestamp_micros_since_unix_epoch__", 0, &proto_t_i64, false}};
static const Field duration_fields[] = {{"__time_duration_micros__", 0, &proto_t_u64, false}};
static const Field energy_fields[] = {{"quanta", 0, &proto_t_u64, false}};
static const Field query_id_fields[] = {{"id", 0, &proto_t_u32, false}};

PRODUCT_TYPE(, proto_t_identity, "{\"__identity__\": \"0x...\"}", Identity, identity_fields);
PRODUCT_TYPE(, proto_t_connection_id, "{\"__connection_id__\": u128}", ConnectionId,
             connection_id_fields);
PRODUCT_TYPE(, proto_t_timestamp, "{\"__timestamp_micros_since_unix_epoch__\": i64}", int64_t,
             timestamp_fields);
PRODUCT_TYPE(, proto_t_duration, "{\"__time_duration_micros__\": i64}", uint64_t,
             duration_fields);
PRODUCT_TYPE(, proto_t_energy, "{\"quanta\": u128}", uint64_t, energy_fields);
PRODUCT_TYPE(, proto_t_query_id, "{\"id\": u32}", uint32_t, query_id_fields);

/* ---- options: {"some": v}, {"none": []}, or null ---------------------------- */

static const char *const option_names[] = {"some", "none"};

/* The payload of a Some, or NULL for None. */
static Status read_option(ProtoCtx *c, const FieldType *t, const JsonValue *v,
                          const JsonValue **some)
{
    size_t i;
    const JsonValue *payload;
    *some = NULL;
    if (v->type == JSON_NULL)   /* SATS-JSON reads a bare null as none */
        return ST_OK;
    Status st = proto_read_variant(c, v, t->what, option_names, 2, &i, &payload);
    if (st != ST_OK)
        return st;
    if (i == 0) {
        *some = payload;
        return ST_OK;
    }
    size_t mark = proto_path_field(c, "none");
    st = proto_read_unit(c, payload);
    proto_path_pop(c, mark);
    return st;
}

static Status read_opt_u32(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    ProtoOptU32 *o = dst;
    const JsonValue *some;
    Status st = read_option(c, t, v, &some);
    if (st != ST_OK || !some)
        return st;
    size_t mark = proto_path_field(c, "some");
    st = proto_t_u32.read(c, &proto_t_u32, some, &o->value);
    proto_path_pop(c, mark);
    o->present = st == ST_OK;
    return st;
}

static Status write_opt_u32(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoOptU32 *o = src;
    if (!o->present)
        return proto_write_unit_variant(sb, "none");
    return strbuf_printf(sb, "{\"some\":%" PRIu32 "}", o->value);
}

static Status read_opt_string(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    const JsonValue *some;
    Status st = read_option(c, t, v, &some);
    if (st != ST_OK || !some)
        return st;
    size_t mark = proto_path_field(c, "some");
    st = proto_read_str(c, some, dst);
    proto_path_pop(c, mark);
    return st;
}

static Status write_opt_string(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoStr *s = src;
    if (!s->s)
        return proto_write_unit_variant(sb, "none");
    return proto_write_text_variant(sb, "some", *s);
}

const FieldType proto_t_sats_opt_u32 = {"{\"some\": u32} or {\"none\": []}", sizeof(ProtoOptU32),
                                        read_opt_u32, write_opt_u32, NULL, NULL, NULL};
const FieldType proto_t_sats_opt_string = {"{\"some\": string} or {\"none\": []}",
                                           sizeof(ProtoStr), read_opt_string, write_opt_string,
                                           NULL, NULL, NULL};

/* ---- QueryUpdate, TableUpdate, DatabaseUpdate (§4.1) ----------------------- */

static const Field query_update_fields[] = {
    {"deletes", offsetof(ProtoQueryUpdate, deletes), &proto_t_string_list, false},
    {"inserts", offsetof(ProtoQueryUpdate, inserts), &proto_t_string_list, false},
};
PRODUCT_TYPE(static, t_query_update, "QueryUpdate", ProtoQueryUpdate, query_update_fields);
LIST_TYPE(t_query_update_list, "array of QueryUpdate", ProtoQueryUpdateList, &t_query_update);

/* num_rows is derived: read (and checked to be a u64) but not kept; written
 * as deletes + inserts over every QueryUpdate.  Its member is the whole
 * ProtoTableUpdate (offset 0). */
static Status read_num_rows(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    (void)dst;
    uint64_t n;
    if (json_get_u64(v, &n) != ST_OK)
        return proto_type_error(c, v, t->what);
    return ST_OK;
}

static Status write_num_rows(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoTableUpdate *tu = src;
    uint64_t n = 0;
    for (size_t i = 0; i < tu->updates.len; i++)
        n += tu->updates.items[i].deletes.len + tu->updates.items[i].inserts.len;
    return json_write_u64(sb, n);
}

static const FieldType t_num_rows = {"u64", sizeof(ProtoTableUpdate), read_num_rows,
                                     write_num_rows, NULL, NULL, NULL};

static const Field table_update_fields[] = {
    {"table_id", offsetof(ProtoTableUpdate, table_id), &proto_t_u32, false},
    {"table_name", offsetof(ProtoTableUpdate, table_name), &proto_t_string, false},
    {"num_rows", 0, &t_num_rows, false},
    {"updates", offsetof(ProtoTableUpdate, updates), &t_query_update_list, false},
};
PRODUCT_TYPE(, proto_t_table_update, "TableUpdate", ProtoTableUpdate, table_update_fields);
LIST_TYPE(t_table_update_list, "array of TableUpdate", ProtoTableUpdateList,
          &proto_t_table_update);

static const Field database_update_fields[] = {
    {"tables", offsetof(ProtoDatabaseUpdate, tables), &t_table_update_list, false},
};
PRODUCT_TYPE(, proto_t_database_update, "DatabaseUpdate", ProtoDatabaseUpdate,
             database_update_fields);

/* SubscribeApplied.rows: {"table_id", "table_name", "table_rows": TableUpdate},
 * the id and name said twice; all three land in one ProtoTableUpdate. */
static const Field subscribe_rows_fields[] = {
    {"table_id", offsetof(ProtoTableUpdate, table_id), &proto_t_u32, false},
    {"table_name", offsetof(ProtoTableUpdate, table_name), &proto_t_string, false},
    {"table_rows", 0, &proto_t_table_update, false},
};
PRODUCT_TYPE(, proto_t_subscribe_rows, "SubscribeRows", ProtoTableUpdate, subscribe_rows_fields);

static const Field one_off_table_fields[] = {
    {"table_name", offsetof(ProtoOneOffTable, table_name), &proto_t_string, false},
    {"rows", offsetof(ProtoOneOffTable, rows), &proto_t_string_list, false},
};
PRODUCT_TYPE(static, t_one_off_table, "OneOffTable", ProtoOneOffTable, one_off_table_fields);
const FieldType proto_t_one_off_tables = {"array of OneOffTable", sizeof(ProtoOneOffTableList),
                                          proto_read_list, proto_write_list, NULL, NULL,
                                          &t_one_off_table};

static const Field reducer_call_fields[] = {
    {"reducer_name", offsetof(ProtoReducerCall, reducer_name), &proto_t_string, false},
    {"reducer_id", offsetof(ProtoReducerCall, reducer_id), &proto_t_u32, false},
    {"args", offsetof(ProtoReducerCall, args), &proto_t_string, false},
    {"request_id", offsetof(ProtoReducerCall, request_id), &proto_t_u32, false},
};
PRODUCT_TYPE(, proto_t_reducer_call, "ReducerCallInfo", ProtoReducerCall, reducer_call_fields);

/* ---- UpdateStatus and ProcedureStatus --------------------------------------- */

static const char *const update_names[] = {"Committed", "Failed", "OutOfEnergy"};
static const ProtoStatusKind update_kinds[] = {PROTO_STATUS_COMMITTED, PROTO_STATUS_FAILED,
                                               PROTO_STATUS_OUT_OF_ENERGY};
static const char *const procedure_names[] = {"Returned", "OutOfEnergy", "InternalError"};
static const ProtoStatusKind procedure_kinds[] = {PROTO_STATUS_RETURNED, PROTO_STATUS_OUT_OF_ENERGY,
                                                  PROTO_STATUS_INTERNAL_ERROR};

/* Either status sum: names[i] carries kinds[i]. */
static Status read_status(ProtoCtx *c, const FieldType *t, const JsonValue *v, ProtoStatus *s,
                          const char *const names[3], const ProtoStatusKind kinds[3])
{
    size_t i;
    const JsonValue *payload;
    Status st = proto_read_variant(c, v, t->what, names, 3, &i, &payload);
    if (st != ST_OK)
        return st;
    s->kind = kinds[i];
    size_t mark = proto_path_field(c, names[i]);
    switch (s->kind) {
    case PROTO_STATUS_COMMITTED:
        st = proto_read_product(c, &proto_t_database_update, payload, &s->committed);
        break;
    case PROTO_STATUS_OUT_OF_ENERGY:
        st = proto_read_unit(c, payload);
        break;
    default:   /* Failed, Returned, InternalError: a string */
        st = proto_read_str(c, payload, &s->text);
        break;
    }
    proto_path_pop(c, mark);
    return st;
}

static Status read_update_status(ProtoCtx *c, const FieldType *t, const JsonValue *v, void *dst)
{
    return read_status(c, t, v, dst, update_names, update_kinds);
}

static Status read_procedure_status(ProtoCtx *c, const FieldType *t, const JsonValue *v,
                                    void *dst)
{
    return read_status(c, t, v, dst, procedure_names, procedure_kinds);
}

static Status write_update_status(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoStatus *s = src;
    if (s->kind == PROTO_STATUS_OUT_OF_ENERGY)
        return proto_write_unit_variant(sb, "OutOfEnergy");
    if (s->kind != PROTO_STATUS_COMMITTED)
        return proto_write_text_variant(sb, "Failed", s->text);
    Status st = strbuf_puts(sb, "{\"Committed\":");
    if (st == ST_OK)
        st = proto_write_product(sb, &proto_t_database_update, &s->committed);
    return st == ST_OK ? strbuf_putc(sb, '}') : st;
}

static Status write_procedure_status(StrBuf *sb, const FieldType *t, const void *src)
{
    (void)t;
    const ProtoStatus *s = src;
    if (s->kind == PROTO_STATUS_OUT_OF_ENERGY)
        return proto_write_unit_variant(sb, "OutOfEnergy");
    if (s->kind == PROTO_STATUS_RETURNED)
        return proto_write_text_variant(sb, "Returned", s->text);
    return proto_write_text_variant(sb, "InternalError", s->text);
}

const FieldType proto_t_update_status = {"UpdateStatus", sizeof(ProtoStatus), read_update_status,
                                         write_update_status, NULL, NULL, NULL};
const FieldType proto_t_procedure_status = {"ProcedureStatus", sizeof(ProtoStatus),
                                            read_procedure_status, write_procedure_status, NULL,
                                            NULL, NULL};
