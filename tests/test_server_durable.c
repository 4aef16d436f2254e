/*
 * test_server_durable.c - durability of the server (chapter 27): what a
 * server acknowledged is there after a restart, from the commit log and
 * the snapshots of each database (src/net/server_durable.c).
 *
 *   restart          calls acknowledged, server freed and re-created on
 *                    the same data dir: rows, sequences and schedule rows
 *                    are back, and a schedule row fires after the restart
 *   snapshots        --snapshot-every 3: snapshot files appear, old ones
 *                    are pruned, restart = snapshot + replay
 *   torn tail        garbage after the last commit is cut, rows intact
 *   corrupt middle   a flipped byte in an early commit: that database is
 *                    refused (and cannot be published over), the other
 *                    database is served
 *   write error      RLIMIT_FSIZE makes the log's write fail: the call is
 *                    not acknowledged (an error line says why), later
 *                    calls are refused, the restart has no trace of it
 *   crash            a real server process (cmd_start, forked) under a
 *                    load of 20 clients calling bank's transfer, kill -9
 *                    at a random moment, 20 rounds: after each restart
 *                    every acknowledged transfer is present, no transfer
 *                    is half there (balances agree with the transfer
 *                    rows) and db_check passes
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include "server_util.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "db/commitlog.h"
#include "db/db.h"
#include "db/rowlist.h"
#include "db/table.h"
#include "util/json.h"

#define REMINDERS "examples/reminders/reminders.wasm"

static int setup_snap3(void **state)
{
    (void)state;
    ServerConfig cfg;
    ts_config(&cfg);
    cfg.snapshot_every = 3;
    ts_start(&cfg);
    return 0;
}

/* Call and return the status kind of the TransactionUpdate. */
static ProtoStatusKind call(TClient *c, const char *reducer, const char *args_json)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_write_string(&sb, args_json, strlen(args_json)), ST_OK);
    tc_sendf(c, "{\"CallReducer\":{\"reducer\":\"%s\",\"args\":%s,\"request_id\":1,\"flags\":0}}",
             reducer, sb.data);
    strbuf_fini(&sb);
    ProtoReply r;
    tc_reply(c, &r);
    if (r.kind != PROTO_REPLY_TRANSACTION_UPDATE)
        fail_msg("%s: expected TransactionUpdate, got %s", reducer, c->line.data);
    return r.status.kind;
}

static uint64_t rows_of(const char *db, const char *table)
{
    HostModule *hm = server_database(srv, db);
    assert_non_null(hm);
    return table_row_count(db_table(module_db(hm), module_table_id(hm, table)));
}

static void db_ok(const char *db)
{
    char msg[256];
    HostModule *hm = server_database(srv, db);
    assert_non_null(hm);
    if (db_check(module_db(hm), msg, sizeof msg) != ST_OK)
        fail_msg("db_check %s: %s", db, msg);
}

/* Files in DATA/databases/DB/SUB whose names end in suffix; the last
 * one in name order (names sort like numbers) into last. */
static size_t files_in(const char *db, const char *sub, const char *suffix, char *last,
                       size_t lastlen)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/databases/%s/%s", srv_dir, db, sub);
    DIR *d = opendir(dir);
    size_t n = 0;
    if (last)
        last[0] = '\0';
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0)
            continue;
        n++;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (last && strcmp(path, last) > 0)
            snprintf(last, lastlen, "%s", path);
    }
    closedir(d);
    return n;
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static Status note_end(void *ctx, const CommitLogCommit *c, CommitLogError *err)
{
    (void)err;
    *(uint64_t *)ctx = c->byte_pos + COMMITLOG_COMMIT_HEADER + c->len + COMMITLOG_CRC_BYTES;
    return ST_OK;
}

/* Where the last commit of db's (one-segment) log ends. */
static uint64_t log_end(const char *db)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/databases/%s/log", srv_dir, db);
    uint64_t end = 0;
    assert_int_equal(commitlog_scan(dir, 0, note_end, &end, NULL, NULL), ST_OK);
    assert_true(end > 0);
    return end;
}

/* ---- restart ---------------------------------------------------------------- */

static void test_restart_brings_back_rows_sequences_schedules(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_publish(o, "rem", REMINDERS, false);
    TClient *c = tc_open();
    ProtoReply r;
    tc_hello(c, "rem", NULL, &r);
    for (int i = 0; i < 3; i++)
        assert_int_equal(call(c, "remind_me", "[\"tea\", 3600000000]"), PROTO_STATUS_COMMITTED);
    assert_int_equal(call(c, "remind_me", "[\"soon\", 400000]"), PROTO_STATUS_COMMITTED);
    uint64_t before = rows_of("rem", "reminder");
    assert_int_equal(before, 5);          /* init's heartbeat + 4 */
    tc_free(c), tc_free(o);

    ts_restart();                         /* a new server on the same data dir */
    assert_int_equal(rows_of("rem", "reminder"), before);
    db_ok("rem");
    assert_int_equal(ts_log_count("rem", "soon"), 0);
    /* init did not run again: a second heartbeat would be a sixth row */
    c = tc_open();
    tc_hello(c, "rem", NULL, &r);
    /* the sequence is back: a reset one would reuse id 1 and collide */
    assert_int_equal(call(c, "remind_me", "[\"tea\", 3600000000]"), PROTO_STATUS_COMMITTED);
    assert_int_equal(rows_of("rem", "reminder"), before + 1);
    /* the schedule row was re-armed: "soon" fires in the new server */
    int64_t deadline = ts_ms() + 5000;
    while (ts_log_count("rem", ": soon") == 0 && ts_ms() < deadline)
        ts_turn(20);
    assert_int_equal(ts_log_count("rem", ": soon"), 1);
    assert_int_equal(rows_of("rem", "reminder"), before);   /* the one-shot row is gone */
    tc_free(c);

    ts_restart();                         /* the firing and its deletion were logged */
    assert_int_equal(rows_of("rem", "reminder"), before);
    db_ok("rem");
}

static void test_snapshots_taken_pruned_and_loaded(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_publish(o, "rem", REMINDERS, false);
    TClient *c = tc_open();
    ProtoReply r;
    tc_hello(c, "rem", NULL, &r);     /* client_connected commits nothing here */
    for (int i = 0; i < 10; i++)
        assert_int_equal(call(c, "remind_me", "[\"tea\", 3600000000]"), PROTO_STATUS_COMMITTED);
    ts_turn(0);
    size_t n = files_in("rem", "snapshots", ".stdbsnap", NULL, 0);
    if (n != 2)
        fail_msg("%zu snapshots (2 kept expected)", n);
    uint64_t rows = rows_of("rem", "reminder");
    tc_free(c), tc_free(o);
    ts_restart();
    assert_int_equal(rows_of("rem", "reminder"), rows);
    db_ok("rem");
    c = tc_open();
    tc_hello(c, "rem", NULL, &r);
    assert_int_equal(call(c, "remind_me", "[\"tea\", 3600000000]"), PROTO_STATUS_COMMITTED);
    tc_free(c);
}

/* ---- damage ----------------------------------------------------------------- */

static void publish_and_call(const char *db, int ncalls)
{
    TClient *o = tc_open();
    tc_publish(o, db, REMINDERS, false);
    TClient *c = tc_open();
    ProtoReply r;
    tc_hello(c, db, NULL, &r);
    for (int i = 0; i < ncalls; i++)
        assert_int_equal(call(c, "remind_me", "[\"tea\", 3600000000]"), PROTO_STATUS_COMMITTED);
    tc_free(c), tc_free(o);
}

static void test_torn_tail_is_cut(void **state)
{
    (void)state;
    publish_and_call("rem", 5);
    uint64_t rows = rows_of("rem", "reminder");
    server_free(srv);
    char seg[1024];
    assert_int_equal(files_in("rem", "log", ".stdblog", seg, sizeof seg), 1);
    long size = file_size(seg);
    FILE *f = fopen(seg, "ab");           /* half a commit: a crash mid-write */
    assert_non_null(f);
    fwrite("CMIT\x05\x00\x00\x00garbage", 1, 15, f);
    fclose(f);
    ts_boot();
    assert_int_equal(rows_of("rem", "reminder"), rows);
    assert_int_equal(file_size(seg), size);   /* cut back to the last good commit */
    db_ok("rem");
}

static void test_corrupt_middle_refuses_that_database_only(void **state)
{
    (void)state;
    publish_and_call("bad", 5);
    publish_and_call("good", 2);
    server_free(srv);
    char seg[1024];
    assert_int_equal(files_in("bad", "log", ".stdblog", seg, sizeof seg), 1);
    int fd = open(seg, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;                            /* a byte of the first commit's payload */
    off_t at = COMMITLOG_SEGMENT_HEADER + COMMITLOG_COMMIT_HEADER + 3;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    long size = file_size(seg);
    ts_boot();
    assert_null(server_database(srv, "bad"));      /* refused ... */
    assert_int_equal(rows_of("good", "reminder"), 3);   /* ... the other one served */
    assert_int_equal(file_size(seg), size);         /* the evidence is untouched */
    TClient *o = tc_open();                         /* and nobody publishes over it */
    tc_send_publish(o, "bad", REMINDERS, false);
    tc_error(o, "exists on disk");
    tc_free(o);
}

static void test_write_error_makes_the_database_read_only(void **state)
{
    (void)state;
    publish_and_call("rem", 1);
    TClient *c = tc_open();
    ProtoReply r;
    tc_hello(c, "rem", NULL, &r);
    uint64_t rows = rows_of("rem", "reminder");
    char seg[1024];
    assert_int_equal(files_in("rem", "log", ".stdblog", seg, sizeof seg), 1);
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    /* the next commit does not fit; the limit counts from where the
     * commits end, not from the file's end (it is preallocated) */
    small.rlim_cur = (rlim_t)log_end("rem") + 20;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    tc_sendf(c, "{\"CallReducer\":{\"reducer\":\"remind_me\",\"args\":"
                "\"[\\\"lost\\\", 3600000000]\",\"request_id\":1,\"flags\":0}}");
    tc_error(c, "not acknowledged, not durable: database rem is read-only");
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    tc_sendf(c, "{\"CallReducer\":{\"reducer\":\"remind_me\",\"args\":"
                "\"[\\\"x\\\", 1]\",\"request_id\":2,\"flags\":0}}");
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_TRANSACTION_UPDATE);
    assert_int_equal(r.status.kind, PROTO_STATUS_FAILED);
    assert_non_null(strstr(r.status.text.s, "its commit log failed"));
    tc_free(c);
    ts_restart();                         /* the torn commit is cut, nothing else lost */
    assert_int_equal(rows_of("rem", "reminder"), rows);
    db_ok("rem");
}

/* ---- crash: a real server process, kill -9 ------------------------------------- */

/* The crash test: CRASH_CLIENTS clients call bank's transfer
 * against a server process (forked, running cmd_start with the default
 * --fsync=batch), kill -9 lands at a random moment, CRASH_ROUNDS rounds.
 * TINYSTDB_CRASH_CLIENTS / TINYSTDB_CRASH_ROUNDS override the size.
 *
 * Why bank: one transfer is a transaction of three changes in two
 * tables (a transfer row, two account updates).  Each call is told
 * apart by its amount (round * 1e6 + call number + 1) and sender, so
 * after each restart the test can check, from the tables alone:
 *   - every acknowledged transfer of every round so far has its row;
 *   - every account's balance is its deposit minus the transfers rows
 *     say it sent plus those it received: a transaction cut in half (a
 *     row without its updates, one update without the other) shows up
 *     as a wrong balance, acknowledged or not;
 *   - db_check passes (indexes, row store, sequences). */
#define BANK "examples/bank/bank.wasm"
#define CRASH_CLIENTS 20
#define CRASH_ROUNDS 20
#define CRASH_MAX 64          /* clients or rounds from the environment, at most */
#define CRASH_WINDOW 8        /* calls in flight per client */
#define DEPOSIT 1000000000000000ull
#define AMOUNT(round, m) ((uint64_t)(round) * 1000000u + (m) + 1)

typedef struct Load {
    int fd;
    StrBuf in;
    unsigned sent, acked;
} Load;

static unsigned crash_clients, crash_rounds;
static unsigned acked[CRASH_MAX][CRASH_MAX];   /* [round][client] */

/* $name as a count in [least, CRASH_MAX], dflt when unset. */
static unsigned env_count(const char *name, unsigned dflt, unsigned least)
{
    const char *v = getenv(name);
    unsigned n = v ? (unsigned)atoi(v) : dflt;
    return n < least ? least : n > CRASH_MAX ? CRASH_MAX : n;
}

/* Fork a server on srv_dir (cmd_start, as `tinystdb start` would run);
 * its port from the first stdout line. */
static pid_t spawn(int *port)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        char *argv[] = {"start", "--listen", "127.0.0.1:0", "--data-dir", srv_dir,
                        "--snapshot-every", "40", NULL};
        _exit(cmd_start(7, argv));
    }
    close(p[1]);
    char buf[512];
    size_t n = 0;
    while (n < sizeof buf - 1 && !memchr(buf, '\n', n)) {
        ssize_t r = read(p[0], buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            fail_msg("the server process printed no port");
        n += (size_t)r;
    }
    close(p[0]);
    buf[n] = '\0';
    const char *colon = strstr(buf, "127.0.0.1:");
    assert_non_null(colon);
    *port = atoi(colon + 10);
    return pid;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;               /* the server died: the test's point */
        s += w;
        n -= (size_t)w;
    }
}

/* The next whole line of l (blocking up to 10 s); NULL at EOF. */
static char *next_line(Load *l, char *out, size_t outlen)
{
    int64_t deadline = ts_ms() + WAIT_MS;
    for (;;) {
        char *nl = l->in.len ? memchr(l->in.data, '\n', l->in.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - l->in.data);
            snprintf(out, outlen, "%.*s", (int)n, l->in.data);
            memmove(l->in.data, nl + 1, l->in.len - n - 1);
            l->in.len -= n + 1;
            return out;
        }
        struct pollfd p = { .fd = l->fd, .events = POLLIN };
        if (ts_ms() > deadline || poll(&p, 1, 100) < 0)
            return NULL;
        char buf[65536];
        ssize_t r = p.revents ? recv(l->fd, buf, sizeof buf, 0) : 1;
        if (r <= 0)
            return NULL;
        if (p.revents)
            assert_int_equal(strbuf_append(&l->in, buf, (size_t)r), ST_OK);
    }
}

static void send_call(Load *l, unsigned round, unsigned client)
{
    char line[256];
    snprintf(line, sizeof line, "{\"CallReducer\":{\"reducer\":\"transfer\",\"args\":"
             "\"[\\\"c%u\\\", \\\"c%u\\\", %llu]\",\"request_id\":%u,\"flags\":0}}\n", client,
             (client + 1) % crash_clients, (unsigned long long)AMOUNT(round, l->sent),
             l->sent + 1);
    send_all(l->fd, line);
    l->sent++;
}

/* Read what line tells; count a Committed TransactionUpdate as acked. */
static void account(Load *l, const char *line)
{
    if (!strstr(line, "\"TransactionUpdate\""))
        fail_msg("unexpected line %s", line);
    if (!strstr(line, "\"Committed\""))
        fail_msg("a call failed: %s", line);
    l->acked++;
}

/* Drive the load for about ms milliseconds, then kill -9 the server and
 * read every reply that made it out before the kill. */
static void load_and_kill(pid_t pid, int port, unsigned round, Load *ls, int ms)
{
    char line[8192];
    unsigned n = crash_clients;
    for (unsigned i = 0; i < n; i++) {
        Load *l = &ls[i];
        memset(l, 0, sizeof *l);
        strbuf_init(&l->in);
        l->fd = dial(port);
        send_all(l->fd, "{\"Connect\":{\"database\":\"bank\"}}\n");
        assert_non_null(next_line(l, line, sizeof line));
        assert_non_null(strstr(line, "IdentityToken"));
    }
    int64_t end = ts_ms() + ms;
    while (ts_ms() < end) {
        struct pollfd p[CRASH_MAX];
        for (unsigned i = 0; i < n; i++) {
            while (ls[i].sent - ls[i].acked < CRASH_WINDOW)
                send_call(&ls[i], round, i);
            p[i] = (struct pollfd){ .fd = ls[i].fd, .events = POLLIN };
        }
        assert_true(poll(p, n, 20) >= 0);
        for (unsigned i = 0; i < n; i++) {
            char buf[65536];
            ssize_t r = p[i].revents ? recv(ls[i].fd, buf, sizeof buf, MSG_DONTWAIT) : 0;
            if (r > 0)
                assert_int_equal(strbuf_append(&ls[i].in, buf, (size_t)r), ST_OK);
            char *nl;
            while (ls[i].in.len && (nl = memchr(ls[i].in.data, '\n', ls[i].in.len)))
                account(&ls[i], next_line(&ls[i], line, sizeof line));
        }
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    for (unsigned i = 0; i < n; i++) {   /* replies already sent count */
        while (next_line(&ls[i], line, sizeof line))
            account(&ls[i], line);
        close(ls[i].fd);
        strbuf_fini(&ls[i].in);
        acked[round][i] = ls[i].acked;
    }
}

/* ---- reading bank's tables back (BSATN, chapter 9) ---- */

static uint64_t get_u64(const uint8_t **p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)(*p)[i] << 8 * i;
    *p += 8;
    return v;
}

/* A String column holding "cN": N; CRASH_MAX for any other name. */
static unsigned get_client(const uint8_t **p)
{
    uint32_t len = (uint32_t)(*p)[0] | (uint32_t)(*p)[1] << 8 | (uint32_t)(*p)[2] << 16 |
                   (uint32_t)(*p)[3] << 24;
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(len < 31 ? len : 31), (const char *)*p + 4);
    *p += 4 + len;
    unsigned k;
    return sscanf(name, "c%u", &k) == 1 && k < CRASH_MAX ? k : CRASH_MAX;
}

static void collect(const char *table, RowList *rows)
{
    HostModule *hm = server_database(srv, "bank");
    assert_non_null(hm);
    rowlist_init(rows);
    Table *t = db_table(module_db(hm), module_table_id(hm, table));
    assert_int_equal(table_collect_all(t, rows, NULL), ST_OK);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* transfer(id, sender, recipient, amount, at): one key per row,
 * sender << 40 | amount, sorted; net[] gets each client's net change. */
static uint64_t *transfer_keys(int64_t *net, size_t *nkeys)
{
    RowList rows;
    collect("transfer", &rows);
    uint64_t *keys = calloc(rows.count + 1, sizeof *keys);
    for (size_t r = 0; r < rows.count; r++) {
        size_t len;
        const uint8_t *p = rowlist_get(&rows, r, &len);
        get_u64(&p);
        unsigned from = get_client(&p), to = get_client(&p);
        uint64_t amount = get_u64(&p);
        assert_true(from < crash_clients && to < crash_clients);
        net[from] -= (int64_t)amount;
        net[to] += (int64_t)amount;
        keys[r] = (uint64_t)from << 40 | amount;
    }
    *nkeys = rows.count;
    rowlist_fini(&rows);
    qsort(keys, *nkeys, sizeof *keys, cmp_u64);
    return keys;
}

/* In-process restart of the data dir after round `round`: invariants,
 * no partial transaction, every acknowledged transfer present. */
static void verify(unsigned round, unsigned *total)
{
    ts_boot();
    db_ok("bank");
    int64_t net[CRASH_MAX] = {0};
    size_t nkeys;
    uint64_t *keys = transfer_keys(net, &nkeys);
    RowList rows;
    collect("account", &rows);
    assert_int_equal(rows.count, crash_clients + 1);   /* and the bank's own */
    for (size_t r = 0; r < rows.count; r++) {
        size_t len;
        const uint8_t *p = rowlist_get(&rows, r, &len);
        get_u64(&p);
        unsigned k = get_client(&p);
        uint64_t balance = get_u64(&p);
        if (k == CRASH_MAX)
            continue;             /* "bank": no transfer touches it */
        if (balance != DEPOSIT + (uint64_t)net[k])
            fail_msg("round %u: c%u holds %llu, its transfer rows say %llu: a partial "
                     "transaction is visible", round, k, (unsigned long long)balance,
                     (unsigned long long)(DEPOSIT + (uint64_t)net[k]));
    }
    rowlist_fini(&rows);
    *total = 0;
    for (unsigned r = 0; r <= round; r++)
        for (unsigned i = 0; i < crash_clients; i++)
            for (unsigned m = 0; m < acked[r][i]; m++) {
                uint64_t key = (uint64_t)i << 40 | AMOUNT(r, m);
                if (!bsearch(&key, keys, nkeys, sizeof *keys, cmp_u64))
                    fail_msg("after round %u: acknowledged transfer %u of c%u in round %u lost",
                             round, m, i, r);
                (*total)++;
            }
    free(keys);
    server_free(srv);
    srv = NULL;
}

static void test_kill_9_loses_nothing_acknowledged(void **state)
{
    (void)state;
    crash_clients = env_count("TINYSTDB_CRASH_CLIENTS", CRASH_CLIENTS, 2);   /* c0 pays c1 */
    crash_rounds = env_count("TINYSTDB_CRASH_ROUNDS", CRASH_ROUNDS, 1);
    TClient *o = tc_open(), *c = tc_open();
    tc_publish(o, "bank", BANK, false);
    ProtoReply r;
    tc_hello(c, "bank", NULL, &r);
    for (unsigned i = 0; i < crash_clients; i++) {
        char args[64];
        snprintf(args, sizeof args, "[\"c%u\", %llu]", i, DEPOSIT);
        assert_int_equal(call(c, "open_account", args), PROTO_STATUS_COMMITTED);
    }
    tc_free(c), tc_free(o);
    server_free(srv);
    srv = NULL;
    srand((unsigned)time(NULL));
    unsigned total = 0;
    for (unsigned round = 0; round < crash_rounds; round++) {
        int port;
        pid_t pid = spawn(&port);
        Load ls[CRASH_MAX];
        load_and_kill(pid, port, round, ls, 60 + rand() % 120);
        verify(round, &total);
    }
    if (total < 10 * crash_rounds)
        fail_msg("only %u calls acknowledged in %u rounds: no load", total, crash_rounds);
    print_message("crash test: %u clients, %u rounds, %u acknowledged transfers, all present, "
                  "no partial transaction\n", crash_clients, crash_rounds, total);
    ts_boot();                            /* for teardown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restart_brings_back_rows_sequences_schedules, ts_setup,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_snapshots_taken_pruned_and_loaded, setup_snap3,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_middle_refuses_that_database_only, ts_setup,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_write_error_makes_the_database_read_only, ts_setup,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_kill_9_loses_nothing_acknowledged, ts_setup,
                                        ts_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
