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
echo "# network layer: echo round trips, 50 connections"
"$BUILD/loopbench" || status=1
exit $status
