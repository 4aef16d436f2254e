#!/bin/sh
# make demo: a guided tour of tinystdb, printed to the terminal.
# Usage: examples/demo.sh BUILD_DIR   (needs only BUILD_DIR/tinystdb, which
# `make` builds with a C compiler; the .wasm files are committed.)
#
# Part 1 runs the WebAssembly engine alone.  Part 2 starts a server on a
# free port with a temporary data directory, publishes three example
# modules and uses them as two people, alice and bob, each with a HOME of
# their own (so each has their own token file, hence their own identity).
# Every step that should succeed is checked: if one fails, the demo stops
# with status 1.  The expected failures are checked too (they must fail).
# The server is stopped and the temporary files removed on every exit.
# Book: chapter 8, book/08-cli.md
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
TSTDB=$BUILD/tinystdb
if [ ! -x "$TSTDB" ]; then
    echo "demo: $TSTDB is missing; run 'make' first" >&2
    exit 1
fi

# ---- the machinery: cleanup, echoing, checking --------------------------------

TMP=
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    [ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

die() {
    echo "demo: $*" >&2
    exit 1
}

# The commands are echoed as `tinystdb ...`; this function runs the real one.
tinystdb() { "$TSTDB" "$@"; }

say() { printf '\n%s\n' "$*"; }

# Print one word so that it could be pasted back into a shell.
quote() {
    case $1 in
    '' | *[!A-Za-z0-9_./:=@%+,-]*)
        printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf '%s' "$1" ;;
    esac
}

# Echo a command after the prompt of whoever runs it (WHO), e.g. "alice$ ".
echo_cmd() {
    printf '%s$' "$WHO"
    for w; do
        printf ' '
        quote "$w"
    done
    printf '\n'
}

# run CMD...: a step that must succeed.
run() {
    echo_cmd "$@"
    "$@" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || die "that step failed (exit status $rc)"
}

# fails STATUS CMD...: a step that must fail with exit status STATUS.
fails() {
    want=$1
    shift
    echo_cmd "$@"
    "$@" 2>&1
    rc=$?
    echo "(exit status $rc)"
    [ "$rc" -eq "$want" ] || die "that step should have failed with status $want"
}

# as NAME: the following commands are NAME's, with NAME's own HOME.
as() {
    WHO=$1
    HOME=$TMP/$1
    XDG_CONFIG_HOME=$HOME/.config
    export HOME XDG_CONFIG_HOME
}

# ---- part 1: the WebAssembly engine --------------------------------------------

WHO=
W=examples/wasm/demo.wasm
cat <<'EOF'
tinystdb: a small, readable SpacetimeDB in C
============================================
SpacetimeDB is a database that runs an application's logic inside itself,
as WebAssembly modules.  First the engine alone, on the little C functions
of examples/wasm/demo.c compiled to WebAssembly.

1. Check a module, call one of its functions, and watch one trap:
EOF
run tinystdb wasm validate "$W"
run tinystdb wasm run "$W" fact 20
fails 2 tinystdb wasm run "$W" divide 1 0

# ---- part 2: the server ---------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tinystdb-demo.XXXXXX") || die "cannot make a temporary directory"
mkdir "$TMP/alice" "$TMP/bob" || die "cannot make the home directories"

say "2. Start a server on a free port (port 0: the kernel picks one), with
   a temporary data directory, and point the client commands at it."
echo_cmd tinystdb start --listen 127.0.0.1:0 --data-dir "$TMP/data" | sed 's/$/ \&/'
# The real program, not the function: $! must be the server's own pid.
"$TSTDB" start --listen 127.0.0.1:0 --data-dir "$TMP/data" >"$TMP/server.out" 2>&1 &
SERVER_PID=$!
ADDR=
tries=0
while [ -z "$ADDR" ]; do
    ADDR=$(sed -n 's/^tinystdb: listening on \([^,]*\), data in .*/\1/p' "$TMP/server.out")
    [ -n "$ADDR" ] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        cat "$TMP/server.out" >&2
        SERVER_PID=
        die "the server did not start"
    fi
    tries=$((tries + 1))
    [ "$tries" -le 500 ] || die "the server did not say where it listens"
    sleep 0.02 2>/dev/null || sleep 1
done
head -n 1 "$TMP/server.out"
echo_cmd export TINYSTDB_SERVER="$ADDR"
TINYSTDB_SERVER=$ADDR
export TINYSTDB_SERVER

say "3. Chat (examples/quickstart-chat).  alice publishes it, so she owns it.
   alice and bob each have their own HOME, so their own token file, so
   each is a different identity to the server.  A call that succeeds
   prints nothing, as \`spacetime call\` does."
as alice
run tinystdb publish chat --wasm examples/quickstart-chat/quickstart_chat.wasm
run ls "$HOME/.config/tinystdb"
run tinystdb call chat set_name Alice
run tinystdb call chat send_message "Hello, Bob"
as bob
run tinystdb call chat set_name Bob
run tinystdb call chat send_message "Hi Alice!"
say "   A reducer's Err rolls its transaction back and is the caller's error:"
fails 1 tinystdb call chat send_message '""'
say "   The module's log, with both identities; only the owner may read it:"
as alice
run tinystdb logs chat
as bob
fails 1 tinystdb logs chat

say "4. A bank (examples/bank): a transfer happens completely or not at all."
as alice
run tinystdb publish bank --wasm examples/bank/bank.wasm
run tinystdb call bank open_account alice 100
run tinystdb call bank open_account bob 50
run tinystdb call bank transfer alice bob 30
say "   transfer() records the transfer, then finds the money missing:"
fails 1 tinystdb call bank transfer alice bob 1000
say "   The Err rolled the whole call back, the record included.  close_account
   refuses an account that holds money, and says how much: 70 and 80 still."
fails 1 tinystdb call bank close_account alice
fails 1 tinystdb call bank close_account bob
run tinystdb call bank audit
run tinystdb logs bank

say "5. Players (examples/players): the everyday table patterns."
run tinystdb publish players --wasm examples/players/players.wasm
say "   Inserts: the auto_inc id is generated; the name column is unique."
run tinystdb call players add_player ann 1 5
run tinystdb call players add_player ben 1 12
run tinystdb call players add_player cat 2 8
run tinystdb call players add_player dan 2 3
run tinystdb call players add_player eve 1 9
fails 1 tinystdb call players add_player ann 2 1
run tinystdb logs players
say "   Find eve by her unique name and level her up (9 -> 10); 100 points to
   team 1 from level 10 up, a range on the (team, level) index; list
   levels 5 to 10, a range on the level index; delete every player below
   level 6, a range delete; then scan what is left.  The new log lines:"
run tinystdb call players level_up eve
run tinystdb call players promote_team 1 10
run tinystdb call players list_levels 5 10
run tinystdb call players delete_below_level 6
run tinystdb call players log_all
# 9 = promote_team 1 + list_levels 4 + delete_below_level 1 + log_all 3 lines
run tinystdb logs players -n 9

say "6. A database's schema, as the server describes it:"
run tinystdb describe players

say "7. Stop the server (SIGTERM) and remove the temporary directory."
WHO=
echo_cmd kill "$SERVER_PID"
kill "$SERVER_PID" || die "cannot stop the server"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
tail -n 1 "$TMP/server.out"
[ "$rc" -eq 0 ] || die "the server exited with status $rc"

say "8. Test a module without a server: 'tinystdb test' runs a scenario file
   in-process, on a manual clock, as several identities (book chapter 30).
   This one checks the reminders module: scheduled reducers fire in order
   as the clock advances, a restart re-arms them, private tables stay
   private:"
run tinystdb test examples/reminders/tests/reminders.scenario

say "More: book/23-cli-client.md (these commands), book/30-testing-modules.md
(scenarios), 'make test', 'make bench', 'make exercises' (coursework)."
