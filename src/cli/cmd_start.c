/*
 * cmd_start.c - `tinystdb start [--listen HOST:PORT] [--data-dir DIR]
 * [--fsync never|batch|always] [--snapshot-every N]`: run the server in
 * the foreground until Ctrl-C (SIGINT) or SIGTERM.
 *
 * Durability (chapter 27): --fsync batch (the default) is group commit,
 * one fsync per turn of the loop before the replies go out; always
 * fsyncs every commit; never leaves it to the kernel (a crash may lose
 * acknowledged commits).  --snapshot-every N (default 10000; 0 = never)
 * snapshots a database every N commits.
 *
 * Defaults: --listen 127.0.0.1:3000 (SpacetimeDB's port, loopback only:
 * exposing a database to a network is a decision, not a default), and
 * --data-dir $TINYSTDB_DATA_DIR, else $XDG_DATA_HOME/tinystdb, else
 * $HOME/.local/share/tinystdb, else ./tinystdb-data (the XDG base
 * directory rule for "data files a program writes").
 *
 * The first line on stdout says where the server listens, with the real
 * port, so that scripts can start it with --listen 127.0.0.1:0 and read
 * the port back:   tinystdb: listening on 127.0.0.1:41234, data in DIR
 *
 * Stopping: the signal handler only calls server_stop (loop_stop writes
 * one byte into the loop's self-pipe, chapter 19), so the loop returns
 * from poll(); server_free then closes every client (running its
 * client_disconnected), unloads the databases and saves the token store.
 *
 * Book: chapter 22, book/22-server.md
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../net/server.h"

static Server *running;   /* for the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        server_stop(running);
}

static void default_data_dir(char *out, size_t len)
{
    const char *v;
    if ((v = getenv("TINYSTDB_DATA_DIR")) && *v) {
        snprintf(out, len, "%s", v);
    } else if ((v = getenv("XDG_DATA_HOME")) && *v) {
        snprintf(out, len, "%s/tinystdb", v);
    } else if ((v = getenv("HOME")) && *v) {
        snprintf(out, len, "%s/.local", v);
        mkdir(out, 0700);
        snprintf(out, len, "%s/.local/share", v);
        mkdir(out, 0700);
        snprintf(out, len, "%s/.local/share/tinystdb", v);
    } else {
        snprintf(out, len, "./tinystdb-data");
    }
}

/* A decimal count that fits in 32 bits. */
static bool parse_count(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static int usage(void)
{
    fprintf(stderr, "usage: tinystdb start [--listen HOST:PORT] [--data-dir DIR]\n"
                    "                      [--fsync never|batch|always] [--snapshot-every N]\n");
    return CLI_EXIT_ERROR;
}

static int serve(ServerConfig *cfg)
{
    char err[SERVER_ERR_LEN];
    Server *s;
    if (server_new(cfg, &s, err) != ST_OK) {
        fprintf(stderr, "tinystdb start: %s\n", err);
        return CLI_EXIT_ERROR;
    }
    running = s;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    const char *host = cfg->listen;
    const char *colon = strrchr(host, ':');
    printf("tinystdb: listening on %.*s:%d, data in %s\n", (int)(colon ? colon - host : 0), host,
           server_port(s), cfg->data_dir);
    fflush(stdout);
    Status st = server_run(s);
    running = NULL;
    server_free(s);
    printf("tinystdb: stopped\n");
    return st == ST_OK ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

int cmd_start(int argc, char **argv)
{
    ServerConfig cfg;
    server_config_default(&cfg);
    char dir[4096];
    default_data_dir(dir, sizeof dir);
    cfg.data_dir = dir;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            cfg.listen = argv[++i];
        else if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
            cfg.data_dir = argv[++i];
        else if (strncmp(argv[i], "--fsync=", 8) == 0 && commitlog_sync_parse(argv[i] + 8, &cfg.fsync))
            continue;
        else if (strcmp(argv[i], "--fsync") == 0 && i + 1 < argc &&
                 commitlog_sync_parse(argv[i + 1], &cfg.fsync))
            i++;
        else if (strcmp(argv[i], "--snapshot-every") == 0 && i + 1 < argc &&
                 parse_count(argv[i + 1], &cfg.snapshot_every))
            i++;
        else
            return usage();
    }
    return serve(&cfg);
}
