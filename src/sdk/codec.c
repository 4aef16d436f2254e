/*
 * codec.c - rows and reducer arguments: C structs <-> BSATN.
 *
 * A table's row is a C struct; its StdbColumn list says, for each field in
 * definition order, its type and its offsetof().  That is all a generic
 * encoder needs: BSATN of a product is the fields' encodings back to back
 * (module-abi.md §3), so encoding a row walks the column list, finds each
 * field at base + offset and appends its bytes.  Decoding walks the same
 * list and stores each field.  Reducer arguments are a product too, so the
 * same two functions decode them into the reducer's args struct.
 *
 *   struct Account { uint64_t id; StdbStr owner; uint64_t balance; }
 *      columns: id U64 @0, owner STRING @8, balance U64 @16
 *   BSATN: [id: 8 bytes LE][owner: u32 len + bytes][balance: 8 bytes LE]
 *
 * The C shapes are fixed by spacetime.h: integers and floats as themselves,
 * bool as bool (one byte 0/1 on the wire), String as StdbStr, Identity as
 * 32 bytes, Timestamp as int64 micros, ScheduleAt as tag + int64, and
 * Option<T> as { bool some; T value; } (on the wire Some is tag 0 + T and
 * None is tag 1, in that order).  Decoded strings are copied to the heap
 * and NUL-terminated.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#include "sdk_int.h"

/* Bytes of a fixed-size scalar (bool, integers, floats); 0 for the others. */
static uint32_t scalar_size(uint8_t base)
{
    switch (base) {
    case STDB_BOOL: case STDB_U8: case STDB_I8: return 1;
    case STDB_U16: case STDB_I16: return 2;
    case STDB_U32: case STDB_I32: case STDB_F32: return 4;
    case STDB_U64: case STDB_I64: case STDB_F64: return 8;
    default: return 0;
    }
}

/* The C alignment of a value of base type `base`: where an Option's value sits. */
static uint32_t codec_align(uint8_t base)
{
    switch (base) {
    case STDB_STRING: return _Alignof(StdbStr);
    case STDB_IDENTITY: return _Alignof(StdbIdentity);
    case STDB_CONNECTION_ID: return _Alignof(StdbConnectionId);
    case STDB_TIMESTAMP: return _Alignof(StdbTimestamp);
    case STDB_TIME_DURATION: return _Alignof(StdbDuration);
    case STDB_SCHEDULE_AT: return _Alignof(StdbScheduleAt);
    case STDB_ROW: return 8;   /* not known here; Option<row> is not supported */
    default: return scalar_size(base);
    }
}

/* Load an n-byte unsigned integer (or float bits) from C memory. */
static uint64_t load_uint(const void *p, uint32_t n)
{
    uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
    switch (n) {
    case 1: memcpy(&u8, p, 1); return u8;
    case 2: memcpy(&u16, p, 2); return u16;
    case 4: memcpy(&u32, p, 4); return u32;
    default: memcpy(&u64, p, 8); return u64;
    }
}

static void store_uint(void *p, uint64_t v, uint32_t n)
{
    uint8_t u8 = (uint8_t)v; uint16_t u16 = (uint16_t)v; uint32_t u32 = (uint32_t)v;
    switch (n) {
    case 1: memcpy(p, &u8, 1); break;
    case 2: memcpy(p, &u16, 2); break;
    case 4: memcpy(p, &u32, 4); break;
    default: memcpy(p, &v, 8); break;
    }
}

static void write_base(BsatnW *w, uint8_t base, const StdbTable *row, const void *value)
{
    switch (base) {
    case STDB_BOOL:
        bsatn_w_u8(w, *(const bool *)value ? 1 : 0);
        break;
    case STDB_STRING: {
        const StdbStr *s = value;
        bsatn_w_str(w, s->ptr, s->len);
        break;
    }
    case STDB_IDENTITY:       /* u256 and u128: already little-endian bytes */
    case STDB_CONNECTION_ID:
        bsatn_w_bytes(w, value, base == STDB_IDENTITY ? 32 : 16);
        break;
    case STDB_TIMESTAMP:
    case STDB_TIME_DURATION:
        bsatn_w_u64(w, (uint64_t)((const StdbTimestamp *)value)->micros);
        break;
    case STDB_SCHEDULE_AT: {
        const StdbScheduleAt *at = value;
        bsatn_w_u8(w, at->tag);
        bsatn_w_u64(w, (uint64_t)at->micros);
        break;
    }
    case STDB_ROW:
        codec_write_product(w, row->columns, row->ncolumns, value);
        break;
    default:
        bsatn_w_le(w, load_uint(value, scalar_size(base)), scalar_size(base));
    }
}

void codec_write(BsatnW *w, const StdbColumn *c, const void *value)
{
    uint8_t base = c->type & ~STDB_OPTION;
    if (c->type & STDB_OPTION) {
        if (!*(const bool *)value) {
            bsatn_w_u8(w, 1);             /* None */
            return;
        }
        bsatn_w_u8(w, 0);                 /* Some, then the value */
        value = (const uint8_t *)value + codec_align(base);
    }
    write_base(w, base, c->row, value);
}

static bool read_string(BsatnR *r, StdbStr *s)
{
    uint32_t len = bsatn_r_u32(r);
    if (!r->ok || len > r->len - r->pos)
        return r->ok = false;
    char *copy = stdb_alloc((size_t)len + 1);   /* zeroed, so NUL-terminated */
    bsatn_r_bytes(r, copy, len);
    *s = (StdbStr){ copy, len };
    return true;
}

static bool read_base(BsatnR *r, uint8_t base, const StdbTable *row, void *value)
{
    switch (base) {
    case STDB_BOOL: {
        uint8_t b = bsatn_r_u8(r);
        *(bool *)value = b == 1;
        return r->ok = r->ok && b <= 1;
    }
    case STDB_STRING:
        return read_string(r, value);
    case STDB_IDENTITY:
    case STDB_CONNECTION_ID:
        return bsatn_r_bytes(r, value, base == STDB_IDENTITY ? 32 : 16);
    case STDB_TIMESTAMP:
    case STDB_TIME_DURATION:
        ((StdbTimestamp *)value)->micros = (int64_t)bsatn_r_le(r, 8);
        return r->ok;
    case STDB_SCHEDULE_AT: {
        StdbScheduleAt *at = value;
        at->tag = bsatn_r_u8(r);
        at->micros = (int64_t)bsatn_r_le(r, 8);
        return r->ok = r->ok && at->tag <= STDB_AT_TIME;
    }
    case STDB_ROW:
        return codec_read_product(r, row->columns, row->ncolumns, value);
    default:
        store_uint(value, bsatn_r_le(r, scalar_size(base)), scalar_size(base));
        return r->ok;
    }
}

bool codec_read(BsatnR *r, const StdbColumn *c, void *value)
{
    uint8_t base = c->type & ~STDB_OPTION;
    if (c->type & STDB_OPTION) {
        uint8_t tag = bsatn_r_u8(r);
        *(bool *)value = tag == 0;
        if (tag != 0)                     /* None, or a bad tag */
            return r->ok = r->ok && tag == 1;
        value = (uint8_t *)value + codec_align(base);
    }
    return read_base(r, base, c->row, value);
}

void codec_write_product(BsatnW *w, const StdbColumn *cols, uint32_t n, const void *base)
{
    for (uint32_t i = 0; i < n; i++)
        codec_write(w, &cols[i], (const uint8_t *)base + cols[i].offset);
}

bool codec_read_product(BsatnR *r, const StdbColumn *cols, uint32_t n, void *base)
{
    for (uint32_t i = 0; i < n; i++)
        if (!codec_read(r, &cols[i], (uint8_t *)base + cols[i].offset))
            return false;
    return true;
}

bool codec_is_zero(const StdbColumn *c, const void *value)
{
    uint32_t n = scalar_size(c->type);
    return n != 0 && load_uint(value, n) == 0;
}
