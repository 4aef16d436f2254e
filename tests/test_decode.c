/*
 * test_decode.c - the binary decoder (src/wasm/decode.c,
 * decode_sections.c) on hand-written modules: the header, section framing
 * and order, every section, custom and name sections, truncation at every
 * byte, hostile counts, and allocation failure at every allocation.
 * Instructions are in test_decode_code.c, LEB128 in test_reader.c.
 *
 * Each test runs between setup/teardown (decode_util.h) that compare
 * mem_live(), so any leak, on success or on an error path, fails the test.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "decode_util.h"

/* ---- the example of book chapter 3 ---------------------------------------- */

/* (module (func (export "add") (param i32 i32) (result i32)
 *   local.get 0  local.get 1  i32.add)) */
static void test_book_example(void **state)
{
    (void)state;
    WasmModule *m = decode_ok(BYTES(0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
                                    0x01, 0x07, 0x01, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F,
                                    0x03, 0x02, 0x01, 0x00,
                                    0x07, 0x07, 0x01, 0x03, 'a', 'd', 'd', 0x00, 0x00,
                                    0x0A, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01,
                                    0x6A, 0x0B));
    assert_int_equal(m->ntypes, 1);
    assert_int_equal(m->nfuncs, 1);
    assert_string_equal(m->exports[0].name.s, "add");
    const WasmExpr *body = &m->codes[0].body;
    assert_int_equal(body->count, 4);
    const uint16_t ops[4] = {OP_LOCAL_GET, OP_LOCAL_GET, OP_I32_ADD, OP_END};
    const uint32_t pos[4] = {35, 37, 39, 40};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(body->insns[i].op, ops[i]);
        assert_int_equal(body->insns[i].pos, pos[i]);
    }
    assert_int_equal(body->insns[1].a, 1);
    wasm_module_free(m);
}

/* ---- header and section framing ------------------------------------------- */

static void test_header(void **state)
{
    (void)state;
    WasmModule *m = decode_ok(BYTES(HEADER));
    assert_int_equal(m->nfuncs, 0);
    assert_int_equal(m->binary_len, 8);
    wasm_module_free(m);
    expect_error(NULL, 0, ST_MALFORMED, "unexpected end", 0);
    expect_error(BYTES(0x00, 0x61, 0x73), ST_MALFORMED, "unexpected end", -1);
    expect_error(BYTES(0x00, 0x61, 0x73, 0x6D, 0x01), ST_MALFORMED, "unexpected end", -1);
    expect_error(BYTES(0x00, 0x41, 0x53, 0x4D, 0x01, 0x00, 0x00, 0x00), ST_MALFORMED,
                 "magic header not detected", 0);
    expect_error(BYTES(0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00), ST_MALFORMED,
                 "unknown binary version", 4);
}

static void test_section_framing(void **state)
{
    (void)state;
    expect_error(BYTES(HEADER, 0x0D, 0x00), ST_MALFORMED, "malformed section id", 8);
    /* Repeated and out-of-order sections. */
    expect_error(BYTES(HEADER, 0x05, 0x01, 0x00, 0x05, 0x01, 0x00), ST_MALFORMED,
                 "unexpected content after last section", 11);
    expect_error(BYTES(HEADER, 0x05, 0x01, 0x00, 0x04, 0x01, 0x00), ST_MALFORMED,
                 "unexpected content after last section", 11);
    /* Data count (12) goes between element (9) and code (10). */
    WasmModule *m = decode_ok(BYTES(HEADER, 0x09, 0x01, 0x00, 0x0C, 0x01, 0x00, 0x0A, 0x01, 0x00));
    assert_true(m->has_datacount);
    wasm_module_free(m);
    expect_error(BYTES(HEADER, 0x0A, 0x01, 0x00, 0x0C, 0x01, 0x00), ST_MALFORMED,
                 "unexpected content after last section", 11);
    /* A section whose contents end before its declared size... */
    expect_error(BYTES(HEADER, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00), ST_MALFORMED,
                 "section size mismatch", 10);
    /* ...or after it (the next byte is read as part of it). */
    expect_error(BYTES(HEADER, 0x01, 0x03, 0x01, 0x60, 0x00, 0x00), ST_MALFORMED,
                 "section size mismatch", 10);
    /* A size beyond the end of the binary. */
    expect_error(BYTES(HEADER, 0x01, 0x09, 0x01, 0x60, 0x00, 0x00), ST_MALFORMED,
                 "length out of bounds", 9);
    /* Custom sections go anywhere, any number of times. */
    m = decode_ok(BYTES(HEADER, 0x00, 0x02, 0x01, 'a', TYPE_VOID, 0x00, 0x03, 0x01, 'b', 0x7F,
                        0x00, 0x01, 0x00));
    assert_int_equal(m->ncustoms, 3);
    assert_string_equal(m->customs[0].name.s, "a");
    assert_int_equal(m->customs[0].len, 0);
    assert_int_equal(m->customs[1].len, 1);
    assert_int_equal(m->customs[1].bytes[0], 0x7F);
    assert_int_equal(m->customs[2].name.len, 0);
    wasm_module_free(m);
}

/* ---- the sections ---------------------------------------------------------- */

static void test_type_section(void **state)
{
    (void)state;
    WasmModule *m = decode_ok(BYTES(HEADER, 0x01, 0x0C, 0x02,
                                    0x60, 0x02, 0x7F, 0x7E, 0x01, 0x7D,
                                    0x60, 0x00, 0x02, 0x7C, 0x6F));
    assert_int_equal(m->ntypes, 2);
    assert_int_equal(m->types[0].nparams, 2);
    assert_int_equal(m->types[0].nresults, 1);
    assert_int_equal(WASM_PARAMS(&m->types[0])[1], WASM_I64);
    assert_int_equal(WASM_RESULTS(&m->types[0])[0], WASM_F32);
    assert_int_equal(m->types[1].nparams, 0);
    assert_int_equal(WASM_RESULTS(&m->types[1])[1], WASM_EXTERNREF);
    wasm_module_free(m);
    expect_error(BYTES(HEADER, 0x01, 0x04, 0x01, 0x61, 0x00, 0x00), ST_MALFORMED,
                 "malformed function type", 11);
    expect_error(BYTES(HEADER, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7A, 0x00), ST_MALFORMED,
                 "malformed value type", 13);
    expect_error(BYTES(HEADER, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7B, 0x00), ST_UNSUPPORTED,
                 "unsupported value type", 13);
    /* A type code with a continuation bit is an over-long s7. */
    expect_error(BYTES(HEADER, 0x01, 0x05, 0x01, 0xE0, 0x7F, 0x00, 0x00), ST_MALFORMED,
                 "integer representation too long", -1);
}

static void test_imports_and_index_spaces(void **state)
{
    (void)state;
    Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID));
    SECTION(&b, 2, 0x04,
            0x01, 'm', 0x01, 'f', 0x00, 0x00,                    /* func, type 0 */
            0x01, 'm', 0x01, 't', 0x01, 0x70, 0x01, 0x01, 0x02,  /* table 1..2 */
            0x01, 'm', 0x01, 'g', 0x03, 0x7E, 0x01,              /* global mut i64 */
            0x01, 'm', 0x00, 0x02, 0x00, 0x03);                  /* memory 3.. */
    put(&b, BYTES(ONE_FUNC));
    SECTION(&b, 4, 0x01, 0x6F, 0x00, 0x05);
    SECTION(&b, 5, 0x01, 0x01, 0x01, 0x02);
    SECTION(&b, 6, 0x01, 0x7F, 0x00, 0x41, 0x2A, 0x0B);
    SECTION(&b, 10, 0x01, 0x02, 0x00, 0x0B);
    WasmModule *m = decode_ok(b.b, b.n);
    assert_int_equal(m->nimports, 4);
    assert_string_equal(m->imports[1].name.s, "t");
    assert_int_equal(m->imports[3].kind, WASM_EXTERN_MEMORY);
    assert_int_equal(m->imports[3].name.len, 0);
    assert_int_equal(m->nfuncs, 2);
    assert_int_equal(m->nimported_funcs, 1);
    assert_int_equal(m->ntables, 2);
    assert_int_equal(m->tables[0].elem_type, WASM_FUNCREF);
    assert_true(m->tables[0].limits.has_max);
    assert_int_equal(m->tables[0].limits.max, 2);
    assert_int_equal(m->tables[1].elem_type, WASM_EXTERNREF);
    assert_int_equal(m->tables[1].limits.min, 5);
    assert_int_equal(m->nmems, 2);
    assert_false(m->mems[0].has_max);
    assert_int_equal(m->mems[0].min, 3);
    assert_int_equal(m->mems[1].max, 2);
    assert_int_equal(m->nglobals, 2);
    assert_true(m->globals[0].type.mutable_);
    assert_int_equal(m->globals[0].init.count, 0);
    assert_int_equal(m->globals[1].init.count, 2);
    assert_int_equal(m->globals[1].init.insns[0].op, OP_I32_CONST);
    assert_int_equal(m->globals[1].init.insns[0].c, 42);
    assert_int_equal(m->ncodes, 1);
    wasm_module_free(m);
}

static void test_import_errors(void **state)
{
    (void)state;
    expect_error(BYTES(HEADER, 0x02, 0x04, 0x01, 0x00, 0x00, 0x04), ST_MALFORMED,
                 "malformed import kind", 13);
    expect_error(BYTES(HEADER, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7F, 0x02), ST_MALFORMED,
                 "malformed mutability", 15);
    expect_error(BYTES(HEADER, 0x02, 0x06, 0x01, 0x00, 0x00, 0x02, 0x02, 0x00), ST_MALFORMED,
                 "integer too large", 14);   /* limits flag is a 1-bit LEB */
    expect_error(BYTES(HEADER, 0x02, 0x07, 0x01, 0x00, 0x00, 0x01, 0x7F, 0x00, 0x00),
                 ST_MALFORMED, "malformed reference type", 14);
    expect_error(BYTES(HEADER, 0x02, 0x05, 0x01, 0x01, 0xFF, 0x00, 0x00), ST_MALFORMED,
                 "malformed UTF-8 encoding", 11);
    /* Memory limits beyond 4 GiB decode; the validator refuses them. */
    WasmModule *m = decode_ok(BYTES(HEADER, 0x05, 0x0C, 0x01, 0x01,
                                    0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F));
    assert_int_equal(m->mems[0].min, UINT32_MAX);
    wasm_module_free(m);
}

static void test_exports_and_start(void **state)
{
    (void)state;
    Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC));
    SECTION(&b, 7, 0x02, 0x03, 'r', 'u', 'n', 0x00, 0x00, 0x01, 'm', 0x02, 0x00);
    SECTION(&b, 8, 0x80, 0x00);   /* start: function 0, padded */
    SECTION(&b, 10, 0x01, 0x02, 0x00, 0x0B);
    WasmModule *m = decode_ok(b.b, b.n);
    assert_int_equal(m->nexports, 2);
    assert_string_equal(m->exports[0].name.s, "run");
    assert_int_equal(m->exports[1].kind, WASM_EXTERN_MEMORY);
    assert_true(m->has_start);
    assert_int_equal(m->start, 0);
    wasm_module_free(m);
    expect_error(BYTES(HEADER, 0x07, 0x04, 0x01, 0x00, 0x04, 0x00), ST_MALFORMED,
                 "malformed export kind", 12);
}

static void test_element_segments(void **state)
{
    (void)state;
    Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC));
    SECTION(&b, 4, 0x01, 0x70, 0x00, 0x01);
    SECTION(&b, 9, 0x08,
            0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,                    /* 0: active t0, funcs */
            0x01, 0x00, 0x02, 0x00, 0x00,                          /* 1: passive, funcs */
            0x02, 0x00, 0x41, 0x01, 0x0B, 0x00, 0x01, 0x00,        /* 2: active t0, kind */
            0x03, 0x00, 0x01, 0x00,                                /* 3: declarative */
            0x04, 0x41, 0x00, 0x0B, 0x01, 0xD2, 0x00, 0x0B,        /* 4: active, exprs */
            0x05, 0x6F, 0x01, 0xD0, 0x6F, 0x0B,                    /* 5: passive exprs */
            0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x00,              /* 6: active, 0 exprs */
            0x07, 0x70, 0x01, 0xD2, 0x00, 0x0B);                   /* 7: declarative */
    SECTION(&b, 10, 0x01, 0x02, 0x00, 0x0B);
    WasmModule *m = decode_ok(b.b, b.n);
    assert_int_equal(m->nelems, 8);
    const uint8_t modes[8] = {WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_ACTIVE,
                              WASM_SEG_DECLARATIVE, WASM_SEG_ACTIVE, WASM_SEG_PASSIVE,
                              WASM_SEG_ACTIVE, WASM_SEG_DECLARATIVE};
    const uint32_t counts[8] = {1, 2, 1, 1, 1, 1, 0, 1};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(m->elems[i].mode, modes[i]);
        assert_int_equal(m->elems[i].count, counts[i]);
    }
    /* Function indices become `ref.func x; end`. */
    assert_int_equal(m->elems[0].inits[0].count, 2);
    assert_int_equal(m->elems[0].inits[0].insns[0].op, OP_REF_FUNC);
    assert_int_equal(m->elems[0].inits[0].insns[1].op, OP_END);
    assert_int_equal(m->elems[2].offset.insns[0].c, 1);
    assert_int_equal(m->elems[5].elem_type, WASM_EXTERNREF);
    assert_int_equal(m->elems[5].inits[0].insns[0].op, OP_REF_NULL);
    assert_int_equal(m->elems[5].inits[0].insns[0].a, WASM_EXTERNREF);
    wasm_module_free(m);
    expect_error(BYTES(HEADER, 0x09, 0x02, 0x01, 0x08), ST_MALFORMED,
                 "malformed elements segment kind", 11);
    expect_error(BYTES(HEADER, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00), ST_MALFORMED,
                 "malformed element kind", 12);
}

static void test_data_segments(void **state)
{
    (void)state;
    WasmModule *m = decode_ok(BYTES(HEADER, 0x05, 0x03, 0x01, 0x00, 0x01,
                                    0x0C, 0x01, 0x03,
                                    0x0B, 0x11, 0x03,
                                    0x00, 0x41, 0x08, 0x0B, 0x02, 'h', 'i',
                                    0x01, 0x01, '!',
                                    0x02, 0x00, 0x41, 0x00, 0x0B, 0x00));
    assert_int_equal(m->ndatas, 3);
    assert_true(m->has_datacount);
    assert_int_equal(m->datacount, 3);
    assert_int_equal(m->datas[0].mode, WASM_SEG_ACTIVE);
    assert_int_equal(m->datas[0].len, 2);
    assert_memory_equal(m->datas[0].bytes, "hi", 2);
    assert_int_equal(m->datas[0].offset.insns[0].c, 8);
    assert_int_equal(m->datas[1].mode, WASM_SEG_PASSIVE);
    assert_int_equal(m->datas[1].bytes[0], '!');
    assert_int_equal(m->datas[2].len, 0);
    wasm_module_free(m);
    expect_error(BYTES(HEADER, 0x0B, 0x02, 0x01, 0x03), ST_MALFORMED,
                 "malformed data segment kind", 11);
    expect_error(BYTES(HEADER, 0x0C, 0x01, 0x02, 0x0B, 0x03, 0x01, 0x01, 0x00), ST_MALFORMED,
                 "data count and data section have inconsistent lengths", -1);
    expect_error(BYTES(HEADER, 0x0C, 0x01, 0x01), ST_MALFORMED,
                 "data count and data section have inconsistent lengths", -1);
    /* memory.init without a data count section, while data segments exist. */
    expect_error(BYTES(HEADER, TYPE_VOID, ONE_FUNC, 0x05, 0x03, 0x01, 0x00, 0x00,
                       0x0A, 0x0E, 0x01, 0x0C, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00,
                       0xFC, 0x08, 0x00, 0x00, 0x0B,
                       0x0B, 0x03, 0x01, 0x01, 0x00),
                 ST_MALFORMED, "data count section required", -1);
}

/* ---- custom and name sections --------------------------------------------- */

static void test_name_section(void **state)
{
    (void)state;
    Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, 0x03, 0x03, 0x02, 0x00, 0x00));
    SECTION(&b, 10, 0x02, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B);
    SECTION(&b, 0, 0x04, 'n', 'a', 'm', 'e',
            0x00, 0x02, 0x01, 'M',                               /* module name */
            0x01, 0x0C, 0x03, 0x01, 0x03, 'r', 'u', 'n',          /* function names */
            0x09, 0x01, 'x', 0x00, 0x01, 'y',                     /* 9: out of range */
            0x02, 0x01, 0x00);                                   /* local names */
    WasmModule *m = decode_ok(b.b, b.n);
    assert_non_null(m->func_names);
    assert_string_equal(m->func_names[0], "y");
    assert_string_equal(m->func_names[1], "run");
    wasm_module_free(m);
    /* A broken name section is ignored: the module still decodes. */
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC));
    SECTION(&b, 10, 0x01, 0x02, 0x00, 0x0B);
    SECTION(&b, 0, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x05, 0x01, 0x00, 0x02, 0xC0, 0x80);
    m = decode_ok(b.b, b.n);
    assert_null(m->func_names);
    wasm_module_free(m);
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC));
    SECTION(&b, 10, 0x01, 0x02, 0x00, 0x0B);
    SECTION(&b, 0, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x7F, 0x05);
    m = decode_ok(b.b, b.n);
    assert_null(m->func_names);
    wasm_module_free(m);
    /* But a custom section's own name must be UTF-8. */
    expect_error(BYTES(HEADER, 0x00, 0x02, 0x01, 0xFF), ST_MALFORMED,
                 "malformed UTF-8 encoding", 10);
    /* And must fit in the section. */
    expect_error(BYTES(HEADER, 0x00, 0x01, 0x03, 'a', 'b', 'c'), ST_MALFORMED,
                 "unexpected end", 10);
}

/* ---- robustness ---------------------------------------------------------------- */

/* A module exercising most sections, for the truncation and failure tests. */
static void build_rich_module(Buf *b)
{
    start_module(b);
    put(b, BYTES(TYPE_VOID));
    SECTION(b, 2, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7F, 0x00);
    SECTION(b, 3, 0x02, 0x00, 0x00);
    SECTION(b, 4, 0x01, 0x70, 0x00, 0x02);
    SECTION(b, 5, 0x01, 0x00, 0x01);
    SECTION(b, 6, 0x01, 0x7E, 0x01, 0x42, 0x07, 0x0B);
    SECTION(b, 7, 0x01, 0x01, 'f', 0x00, 0x01);
    SECTION(b, 9, 0x02, 0x00, 0x41, 0x00, 0x0B, 0x02, 0x00, 0x01, 0x05, 0x70, 0x01, 0xD2, 0x00, 0x0B);
    SECTION(b, 12, 0x02);
    SECTION(b, 10, 0x02,
            0x04, 0x01, 0x01, 0x7F, 0x0B,
            0x15, 0x00, 0x02, 0x40, 0x41, 0x00, 0x0E, 0x01, 0x00, 0x00, 0x0B,
            0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08, 0x01, 0x00, 0x0B);
    SECTION(b, 11, 0x02, 0x00, 0x41, 0x00, 0x0B, 0x01, 'x', 0x01, 0x02, 'y', 'z');
    SECTION(b, 0, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x01, 0x01, 'f');
}

static void test_rich_module(void **state)
{
    (void)state;
    Buf b;
    build_rich_module(&b);
    WasmModule *m = decode_ok(b.b, b.n);
    assert_int_equal(m->nfuncs, 2);
    assert_int_equal(m->nglobals, 2);
    assert_int_equal(m->nelems, 2);
    assert_int_equal(m->ndatas, 2);
    assert_string_equal(m->func_names[1], "f");
    wasm_module_free(m);
}

/* Every proper prefix of a valid module either fails cleanly or (when it
 * ends exactly between sections) decodes; none crashes or leaks. */
static void test_truncation_every_byte(void **state)
{
    (void)state;
    Buf b;
    build_rich_module(&b);
    size_t failures = 0;
    for (size_t n = 0; n < b.n; n++) {
        WasmModule *m = NULL;
        WasmError err = {0};
        Status st = wasm_module_decode(b.b, n, &m, &err);
        if (st == ST_OK) {
            assert_int_equal(decode_module_check(m), ST_OK);
            wasm_module_free(m);
            continue;
        }
        failures++;
        assert_null(m);
        assert_true(err.msg[0] != '\0');
        assert_true(!err.has_pos || err.pos <= n);
    }
    assert_true(failures > b.n / 2);
}

static void test_hostile_counts(void **state)
{
    (void)state;
    /* Counts far beyond the bytes present are refused before allocating. */
    expect_error(BYTES(HEADER, 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F), ST_MALFORMED,
                 "length out of bounds", 10);
    expect_error(BYTES(HEADER, 0x0B, 0x06, 0x01, 0x01, 0xFF, 0xFF, 0xFF, 0x0F), ST_MALFORMED,
                 "length out of bounds", 12);
    expect_body_error(BYTES(0x00, 0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x0B),
                      "length out of bounds");
    expect_body_error(BYTES(0x00, 0x1C, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B),
                      "length out of bounds");
    /* Deep nesting costs no C stack: 3000 nested blocks decode. */
    static Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC, 0x0A, 0xAD, 0x46, 0x01, 0xAA, 0x46, 0x00));
    for (int i = 0; i < 3000; i++)
        put(&b, BYTES(0x02, 0x40));
    for (int i = 0; i <= 3000; i++)
        put(&b, BYTES(0x0B));
    WasmModule *m = decode_ok(b.b, b.n);
    assert_int_equal(m->codes[0].body.count, 6001);
    wasm_module_free(m);
}

/* Make every allocation fail in turn: each must give ST_NOMEM and free
 * everything, until enough succeed for the whole decode. */
static void test_allocation_failures(void **state)
{
    (void)state;
    Buf b;
    build_rich_module(&b);
    long n;
    for (n = 0; n < 1000; n++) {
        mem_fail_after(n);
        WasmModule *m = NULL;
        WasmError err = {0};
        Status st = wasm_module_decode(b.b, b.n, &m, &err);
        mem_fail_after(-1);
        if (st == ST_OK) {
            /* The name section is best effort, so a late failure may only
             * drop the names; everything else must be there. */
            assert_int_equal(decode_module_check(m), ST_OK);
            bool named = m->func_names != NULL;
            wasm_module_free(m);
            if (named)
                break;
            continue;
        }
        assert_int_equal(st, ST_NOMEM);
        assert_null(m);
    }
    assert_true(n > 10 && n < 1000);
}

static void test_module_check_detects_damage(void **state)
{
    (void)state;
    WasmModule *m = decode_body(BYTES(0x00, 0x01, 0x0B));
    assert_int_equal(decode_module_check(m), ST_OK);
    m->codes[0].body.insns[1].op = OP_NOP;   /* no final end */
    assert_int_equal(decode_module_check(m), ST_INVALID);
    m->codes[0].body.insns[1].op = OP_END;
    m->ncodes = 0;   /* bodies no longer match functions */
    assert_int_equal(decode_module_check(m), ST_INVALID);
    m->ncodes = 1;
    wasm_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_book_example),
        T(test_header),
        T(test_section_framing),
        T(test_type_section),
        T(test_imports_and_index_spaces),
        T(test_import_errors),
        T(test_exports_and_start),
        T(test_element_segments),
        T(test_data_segments),
        T(test_name_section),
        T(test_rich_module),
        T(test_truncation_every_byte),
        T(test_hostile_counts),
        T(test_allocation_failures),
        T(test_module_check_detects_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
