#!/bin/sh
# make bench: time the interpreter, then compare it with wabt's wasm-interp.
# Usage: tests/bench/run.sh BUILD_DIR   (run from anywhere; paths are repo-relative)
# Prints "bench NAME: VALUE UNIT" lines; exits non-zero if any program gave
# a wrong result or could not run.
# Book: chapter 8, book/08-cli.md
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
status=0
echo "# tinystdb interpreter, in process (best of 5 calls; lower is better)"
"$BUILD/wasmbench" --dir tests/bench || status=1
if command -v wasm-interp >/dev/null 2>&1; then
    echo "# against $(command -v wasm-interp) $(wasm-interp --version 2>/dev/null) (higher is better)"
    "$BUILD/wasmbench" --dir tests/bench --vs wasm-interp --tinystdb "$BUILD/tinystdb" || status=1
else
    echo "bench wasm_vs_wasm_interp: skipped, wasm-interp (wabt) is not installed"
fi
echo "# storage engine, in process (1M rows)"
"$BUILD/dbbench" || status=1
echo "# module host, in process"
"$BUILD/hostbench" || status=1
echo "# commit log, in process"
"$BUILD/logbench" || status=1
echo "# timer wheel, in process (1M timers)"
"$BUILD/timerbench" || status=1
echo "# network layer: echo round trips, 50 connections"
"$BUILD/loopbench" || status=1
echo "# whole server over loopback: 50 connections calling a trivial insert reducer"
data=$(mktemp -d)
"$BUILD/tinystdb" start --listen 127.0.0.1:0 --data-dir "$data" > "$data/start.out" 2>&1 &
server=$!
addr=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    addr=$(sed -n 's/^tinystdb: listening on \([^,]*\),.*/\1/p' "$data/start.out")
    [ -n "$addr" ] && break
    sleep 0.1
done
if [ -n "$addr" ] && HOME="$data" XDG_CONFIG_HOME="$data" "$BUILD/tinystdb" publish bench --server "$addr" \
        --wasm examples/bench-insert/bench_insert.wasm > /dev/null; then
    "$BUILD/loadgen" --server "$addr" --db bench --reducer insert --args '[1]' -c 50 -n 200000 \
        | sed -n 's/^calls\/s: /bench server_calls: /p; s/^p50_ms: /bench server_p50: /p;
                  s/^p99_ms: /bench server_p99: /p; s/^failed: /bench server_failed_calls: /p' \
        | sed 's/^\(bench server_calls: .*\)$/\1 calls\/s/; s/^\(bench server_p[59][09]: .*\)$/\1 ms/' \
        || status=1
else
    echo "bench server_calls: skipped, the server did not start"; status=1
fi
kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
rm -rf "$data"
exit $status
