#!/bin/sh
# make demo: a short guided tour of tinystdb, printed to the terminal.
# Usage: examples/demo.sh BUILD_DIR   (needs only BUILD_DIR/tinystdb, which
# `make` builds with a C compiler; the .wasm files are committed.)
# Book: chapter 8, book/08-cli.md
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
T=$BUILD/tinystdb
W=examples/wasm/demo.wasm
if [ ! -x "$T" ]; then
    echo "demo: $T is missing; run 'make' first" >&2
    exit 1
fi

say() { printf '\n%s\n' "$*"; }
# Echo a command, run it, and show a non-zero exit status.
show() {
    printf '\n$ %s\n' "$*"
    "$@" 2>&1
    rc=$?
    [ "$rc" -ne 0 ] && echo "(exit status $rc)"
    return 0
}

cat <<'EOF'
tinystdb: a small, readable SpacetimeDB in C
============================================
SpacetimeDB is a database that runs an application's logic inside itself,
as WebAssembly modules.  tinystdb rebuilds it in C to be read: so far, its
WebAssembly engine (a decoder, a validator and a tree-walking interpreter).
The examples below are the little C functions of examples/wasm/demo.c,
compiled to examples/wasm/demo.wasm.
EOF

say "1. Is the module well formed and well typed?"
show "$T" wasm validate "$W"

say "2. What is inside: its sections (wasm dump, first lines; types, exports... follow)."
printf '\n$ %s | head -n 14\n' "$T wasm dump $W"
"$T" wasm dump "$W" | head -n 14

say "3. The tree the interpreter walks for fact(n), a loop that multiplies:"
show "$T" wasm dump "$W" --func fact

say "4. Calling exports.  Values are written TYPE:VALUE; floats show their bits."
show "$T" wasm run "$W" fact 20
show "$T" wasm run "$W" checksum 43
show "$T" wasm run "$W" hypot f64:3 f64:4

say "5. --trace prints each node of that tree as it runs, with its operands' values:"
show "$T" wasm run "$W" fact 3 --trace

say "6. A trap stops the code; tinystdb reports it and exits with status 2."
show "$T" wasm run "$W" divide 1 0

say "7. Fuel bounds the work a call may do (the database will rely on it):"
show "$T" wasm run "$W" collatz 27 --fuel 100

say "More: 'make test', 'make bench', and book/08-cli.md."
