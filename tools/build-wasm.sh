#!/bin/sh
# Rebuild every committed .wasm from its C source (run by `make wasm`).
#
# Sources: tests/bench/*.c (the benchmark programs) and examples/wasm/*.c (the
# demo's examples).  Each X.c becomes X.wasm beside it.  They are
# freestanding: no libc, no entry point, exports named in the source with
# __attribute__((export_name("..."))).  clang 14's default target CPU uses
# only WebAssembly MVP features, which every engine runs.
#
# Needs clang with the wasm32 target and wasm-ld (Debian: clang, lld).
# Book: chapter 8, book/08-cli.md
set -e
CLANG=${CLANG:-clang}
cd "$(dirname "$0")/.."
if ! command -v "$CLANG" >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
    echo "build-wasm: needs $CLANG and wasm-ld (apt-get install clang lld); the committed .wasm files are unchanged" >&2
    exit 1
fi
for src in tests/bench/*.c examples/wasm/*.c; do
    case $src in tests/bench/wasmbench.c) continue ;; esac   # the native driver
    out=${src%.c}.wasm
    # The benchmarks are built for speed; the examples for small code
    # (no unrolled loops) since the demo prints their trees.
    case $src in tests/bench/*) opt=-O2 ;; *) opt=-Os ;; esac
    echo "  WASM  $out"
    "$CLANG" --target=wasm32 $opt -std=c11 -Wall -Wextra -Werror \
        -ffreestanding -nostdlib -Wl,--no-entry -o "$out" "$src"
    chmod -x "$out"   # wasm-ld marks its output executable; it is data
done
