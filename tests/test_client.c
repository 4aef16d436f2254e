/*
 * test_client.c - the client commands without a server: argument parsing,
 * the JSON array built from `call` arguments, finding the .wasm to
 * publish, the token file under a temporary HOME, server addresses, line
 * framing over a socketpair, and the text printed for logs and schemas.
 * (test_client_e2e.c drives the same commands against a real server.)
 *
 * Every test that touches the environment or files runs in a fresh
 * mkdtemp directory, with HOME, XDG_CONFIG_HOME and TINYSTDB_SERVER
 * restored by the teardown, even when an assertion fails half-way.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/cmd_client.h"
#include "util/alloc.h"
#include "util/fs.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/tinystdb-client-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    setenv("HOME", tmpdir, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("TINYSTDB_SERVER");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fs_remove_tree(tmpdir);
    return 0;
}

/* ---- argument parsing ------------------------------------------------------- */

static Status parse(ClientCmd cmd, ClientArgs *a, ClientError *err, int argc, ...)
{
    static char *argv[32];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    return cmd_client_parse(cmd, argc, argv, a, err);
}

static void test_parse_publish(void **state)
{
    (void)state;
    ClientArgs a;
    ClientError err = {{0}};
    assert_int_equal(parse(CLIENT_CMD_PUBLISH, &a, &err, 5, "publish", "--wasm", "m.wasm",
                           "bank", "-c"), ST_OK);
    assert_string_equal(a.name, "bank");
    assert_string_equal(a.wasm, "m.wasm");
    assert_true(a.delete_data);
    assert_null(a.server);
    cmd_client_args_fini(&a);

    assert_int_equal(parse(CLIENT_CMD_PUBLISH, &a, &err, 4, "publish", "chat", "--server",
                           "10.0.0.1:4000"), ST_OK);
    assert_string_equal(a.server, "10.0.0.1:4000");
    assert_null(a.wasm);
    assert_false(a.delete_data);
    cmd_client_args_fini(&a);
}

static void test_parse_errors(void **state)
{
    (void)state;
    ClientArgs a;
    ClientError err = {{0}};
    assert_int_equal(parse(CLIENT_CMD_PUBLISH, &a, &err, 1, "publish"), ST_ARG);
    assert_string_equal(err.msg, "missing the database NAME");
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_DELETE, &a, &err, 2, "delete", "Bank"), ST_ARG);
    assert_non_null(strstr(err.msg, "bad database name \"Bank\""));
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_DELETE, &a, &err, 3, "delete", "a", "b"), ST_ARG);
    assert_string_equal(err.msg, "unexpected argument \"b\"");
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_LOGS, &a, &err, 3, "logs", "a", "--json"), ST_ARG);
    assert_string_equal(err.msg, "unknown option \"--json\"");
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_LOGS, &a, &err, 4, "logs", "a", "-n", "ten"), ST_ARG);
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_CALL, &a, &err, 3, "call", "a", "--server"), ST_ARG);
    assert_string_equal(err.msg, "--server needs a value");
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_CALL, &a, &err, 2, "call", "a"), ST_ARG);
    assert_string_equal(err.msg, "missing REDUCER");
    cmd_client_args_fini(&a);
    /* --help wins over missing words */
    assert_int_equal(parse(CLIENT_CMD_CALL, &a, &err, 2, "call", "--help"), ST_OK);
    assert_true(a.help);
    cmd_client_args_fini(&a);
}

static void test_parse_call_logs_describe(void **state)
{
    (void)state;
    ClientArgs a;
    ClientError err = {{0}};
    assert_int_equal(parse(CLIENT_CMD_CALL, &a, &err, 9, "call", "bank", "transfer", "alice",
                           "-5", "--server", "h:1", "--", "--x"), ST_OK);
    assert_string_equal(a.reducer, "transfer");
    assert_int_equal(a.nargs, 3);
    assert_string_equal(a.args[0], "alice");
    assert_string_equal(a.args[1], "-5");      /* a number, not an option */
    assert_string_equal(a.args[2], "--x");     /* after "--" */
    assert_string_equal(a.server, "h:1");
    cmd_client_args_fini(&a);

    assert_int_equal(parse(CLIENT_CMD_LOGS, &a, &err, 5, "logs", "-f", "bank", "-n", "5"), ST_OK);
    assert_true(a.follow);
    assert_int_equal(a.num_lines, 5);
    assert_false(a.json);
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_LOGS, &a, &err, 4, "logs", "b", "--format", "json"),
                     ST_OK);
    assert_true(a.json);
    assert_int_equal(a.num_lines, -1);
    cmd_client_args_fini(&a);

    assert_int_equal(parse(CLIENT_CMD_DESCRIBE, &a, &err, 3, "describe", "bank", "--json"),
                     ST_OK);
    assert_true(a.json);
    cmd_client_args_fini(&a);
    assert_int_equal(parse(CLIENT_CMD_DELETE, &a, &err, 3, "delete", "-y", "bank"), ST_OK);
    assert_string_equal(a.name, "bank");
    cmd_client_args_fini(&a);
}

/* ---- call's JSON array ----------------------------------------------------------- */

static void expect_args(const char *want, int n, ...)
{
    char *args[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        args[i] = va_arg(ap, char *);
    va_end(ap);
    StrBuf sb;
    strbuf_init(&sb);
    ClientError err = {{0}};
    assert_int_equal(cmd_client_args_json(args, n, &sb, &err), ST_OK);
    assert_string_equal(sb.data, want);
    strbuf_fini(&sb);
}

static void test_args_json(void **state)
{
    (void)state;
    expect_args("[]", 0);
    expect_args("[\"alice\",100]", 2, "alice", "100");
    expect_args("[\"true\",true,null]", 3, "\"true\"", "true", "null");
    expect_args("[[1,2],{\"a\":-1.5e3}]", 2, " [1, 2] ", "{\"a\": -1.5e3}");
    expect_args("[\"hello world\",\"say \\\"hi\\\"\",\"\"]", 3, "hello world", "say \"hi\"", "");
    expect_args("[18446744073709551615]", 1, "18446744073709551615");   /* text kept */

    char bad[] = "\xff";
    char *args[] = {bad};
    StrBuf sb;
    strbuf_init(&sb);
    ClientError err = {{0}};
    assert_int_equal(cmd_client_args_json(args, 1, &sb, &err), ST_INVALID);
    assert_string_equal(err.msg, "argument 1 is not valid UTF-8");
    strbuf_fini(&sb);
}

/* ---- files: the module to publish, the token ------------------------------------- */

static void touch(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
}

static void test_find_wasm(void **state)
{
    (void)state;
    StrBuf out;
    strbuf_init(&out);
    ClientError err = {{0}};
    touch("notes.txt");
    assert_int_equal(cmd_client_find_wasm(tmpdir, &out, &err), ST_NOT_FOUND);
    assert_non_null(strstr(err.msg, "--wasm FILE"));
    touch("bank.wasm");
    assert_int_equal(cmd_client_find_wasm(tmpdir, &out, &err), ST_OK);
    char want[256];
    snprintf(want, sizeof want, "%s/bank.wasm", tmpdir);
    assert_string_equal(out.data, want);
    strbuf_clear(&out);
    touch("chat.wasm");
    assert_int_equal(cmd_client_find_wasm(tmpdir, &out, &err), ST_ARG);
    assert_non_null(strstr(err.msg, "2 .wasm files"));
    assert_int_equal(out.len, 0);
    strbuf_fini(&out);
}

static void test_token_path(void **state)
{
    (void)state;
    StrBuf p;
    strbuf_init(&p);
    char want[256];
    assert_int_equal(client_token_path("127.0.0.1:3000", &p, NULL), ST_OK);
    snprintf(want, sizeof want, "%s/.config/tinystdb/token-127.0.0.1_3000", tmpdir);
    assert_string_equal(p.data, want);
    strbuf_clear(&p);
    setenv("XDG_CONFIG_HOME", "/etc/xdg-test", 1);
    assert_int_equal(client_token_path("[::1]:80", &p, NULL), ST_OK);
    assert_string_equal(p.data, "/etc/xdg-test/tinystdb/token-___1__80");
    strbuf_clear(&p);
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);   /* ignored, as the XDG spec says */
    assert_int_equal(client_token_path("h:1", &p, NULL), ST_OK);
    snprintf(want, sizeof want, "%s/.config/tinystdb/token-h_1", tmpdir);
    assert_string_equal(p.data, want);
    strbuf_clear(&p);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    ClientError err = {{0}};
    assert_int_equal(client_token_path("h:1", &p, &err), ST_NOT_FOUND);
    setenv("HOME", tmpdir, 1);
    strbuf_fini(&p);
}

static const char TOKEN[] = "tstdb_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void test_token_save_load(void **state)
{
    (void)state;
    char tok[IDENTITY_TOKEN_LEN + 1];
    bool found = true;
    ClientError err = {{0}};
    assert_int_equal(client_token_load("h:1", tok, &found, &err), ST_OK);
    assert_false(found);
    assert_int_equal(client_token_save("h:1", TOKEN, &err), ST_OK);
    assert_int_equal(client_token_load("h:1", tok, &found, &err), ST_OK);
    assert_true(found);
    assert_string_equal(tok, TOKEN);
    assert_int_equal(client_token_load("h:2", tok, &found, &err), ST_OK);
    assert_false(found);   /* one file per server */

    char p[256];
    struct stat sb;
    snprintf(p, sizeof p, "%s/.config/tinystdb", tmpdir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(p, sizeof p, "%s/.config/tinystdb/token-h_1", tmpdir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, (off_t)sizeof TOKEN);   /* the token and '\n' */

    FILE *f = fopen(p, "w");   /* damage it */
    fputs("not a token\n", f);
    fclose(f);
    assert_int_equal(client_token_load("h:1", tok, &found, &err), ST_MALFORMED);
    assert_non_null(strstr(err.msg, "remove it"));
}

/* ---- addresses and line framing ---------------------------------------------------- */

static void test_addresses(void **state)
{
    (void)state;
    char host[CLIENT_MAX_HOST];
    uint16_t port = 0;
    ClientError err = {{0}};
    assert_int_equal(client_parse_address("localhost:3000", host, &port, &err), ST_OK);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 3000);
    assert_int_equal(client_parse_address("[::1]:65535", host, &port, &err), ST_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);
    assert_int_equal(client_parse_address("localhost", host, &port, &err), ST_ARG);
    assert_int_equal(client_parse_address(":3000", host, &port, &err), ST_ARG);
    assert_int_equal(client_parse_address("h:0", host, &port, &err), ST_ARG);
    assert_int_equal(client_parse_address("h:65536", host, &port, &err), ST_ARG);
    assert_int_equal(client_parse_address("h:30x", host, &port, &err), ST_ARG);

    assert_string_equal(client_server_address(NULL), CLIENT_DEFAULT_SERVER);
    setenv("TINYSTDB_SERVER", "10.1.1.1:9", 1);
    assert_string_equal(client_server_address(NULL), "10.1.1.1:9");
    assert_string_equal(client_server_address("a:1"), "a:1");
    unsetenv("TINYSTDB_SERVER");
}

static void test_connect_refused(void **state)
{
    (void)state;
    /* Port 1 (tcpmux): nobody listens there on a test machine. */
    Client c;
    ClientError err = {{0}};
    assert_int_equal(client_connect(&c, "127.0.0.1:1", 2000, &err), ST_IO);
    assert_non_null(strstr(err.msg, "cannot connect to 127.0.0.1:1"));
    assert_non_null(strstr(err.msg, "tinystdb start"));
    client_close(&c);
    assert_int_equal(client_connect(&c, "no-such-host.invalid:1", 2000, &err), ST_NOT_FOUND);
    client_close(&c);
}

static void test_read_lines(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    Client c = {.fd = sv[0]};
    strbuf_init(&c.in);
    arena_init(&c.arena);
    snprintf(c.addr, sizeof c.addr, "test");
    const char *line;
    size_t len;
    ClientError err = {{0}};
    assert_int_equal(write(sv[1], "one\ntw", 6), 6);
    assert_int_equal(client_read_line(&c, &line, &len, 1000, &err), ST_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(line, "one", 3);
    assert_int_equal(client_read_line(&c, &line, &len, 50, &err), ST_IO);   /* half a line */
    assert_non_null(strstr(err.msg, "timed out"));
    assert_int_equal(write(sv[1], "o\n{\"error\":\"no\"}\n", 17), 17);
    assert_int_equal(client_read_line(&c, &line, &len, 1000, &err), ST_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(line, "two", 3);
    ProtoReply rep;
    assert_int_equal(client_read_reply(&c, &rep, 1000, &err), ST_OK);
    assert_int_equal(rep.kind, PROTO_REPLY_ERROR);
    assert_string_equal(rep.error.s, "no");
    close(sv[1]);
    assert_int_equal(client_read_line(&c, &line, &len, 1000, &err), ST_IO);
    assert_string_equal(err.msg, "test closed the connection");
    client_close(&c);
    assert_int_equal(c.fd, -1);
}

/* ---- what is printed ---------------------------------------------------------------- */

static void expect_log(const char *json, const char *want)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(cmd_client_format_log(json, strlen(json), &sb), ST_OK);
    assert_string_equal(sb.data, want);
    strbuf_fini(&sb);
}

static void test_format_log(void **state)
{
    (void)state;
    expect_log("{\"level\":\"Info\",\"ts\":1749556800123456,\"filename\":\"src/lib.rs\","
               "\"line_number\":22,\"function\":\"say_hello\",\"message\":\"Hello, World!\"}",
               "2025-06-10T12:00:00.123456Z  INFO: say_hello src/lib.rs:22: Hello, World!\n");
    expect_log("{\"level\":\"Error\",\"ts\":1749556801000200,\"function\":\"fail\","
               "\"message\":\"oopsie :(\"}",
               "2025-06-10T12:00:01.000200Z ERROR: fail: oopsie :(\n");
    expect_log("{\"level\":\"Debug\",\"ts\":0,\"message\":\"quiet\"}",
               "1970-01-01T00:00:00.000000Z DEBUG: quiet\n");
    expect_log("not json", "not json\n");   /* shown, not lost */
}

static void expect_pretty(const char *json, const char *want)
{
    Arena a;
    arena_init(&a);
    JsonValue *v = NULL;
    assert_int_equal(json_parse(&a, json, strlen(json), &v, NULL), ST_OK);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(cmd_client_pretty_json(v, &sb), ST_OK);
    assert_string_equal(sb.data, want);
    strbuf_fini(&sb);
    arena_fini(&a);
}

static void test_pretty_json(void **state)
{
    (void)state;
    expect_pretty("7", "7\n");
    expect_pretty("{\"a\":[1,{\"b\":null}],\"e\":[],\"o\":{},\"s\":\"x\\ny\"}",
                  "{\n"
                  "  \"a\": [\n"
                  "    1,\n"
                  "    {\n"
                  "      \"b\": null\n"
                  "    }\n"
                  "  ],\n"
                  "  \"e\": [],\n"
                  "  \"o\": {},\n"
                  "  \"s\": \"x\\ny\"\n"
                  "}\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_call_logs_describe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_wasm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_save_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pretty_json, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
