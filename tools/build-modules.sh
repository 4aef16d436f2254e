#!/bin/sh
# Rebuild every example SpacetimeDB module from its C source.
#
# Each example directory below holds one NAME.c (a module written with the C SDK,
# src/sdk/spacetime.h) and its committed NAME.wasm.  Every module is the
# example plus all of src/sdk/*.c, compiled and linked in one clang call:
#
#   --target=wasm32      a WebAssembly module, MVP features only
#   -O2                  small and fast; wasm-ld's --gc-sections (its default)
#                        drops unused SDK functions, so a module imports only
#                        the host functions it really calls
#   -ffreestanding -nostdlib   no libc: src/sdk/libc.c provides memcpy & co.
#   -Wl,--no-entry       a library of exports, no _start
#   -Wl,--stack-first    the stack below the data, so an overflow traps
#                        instead of overwriting static data
#
# Exports (__describe_module__, __call_reducer__, memory) come from
# __attribute__((export_name)) in src/sdk/sdk.c; imports from
# __attribute__((import_module("spacetime_10.0"))) in src/sdk/sdk_int.h.
#
# (examples/wasm/ is not a SpacetimeDB module; tools/build-wasm.sh builds it.)
#
# Usage: tools/build-modules.sh [EXAMPLE_DIR...]   (default: all of them)
# Needs clang with the wasm32 target and wasm-ld (Debian: clang, lld).
# Book: chapter 17, book/17-c-sdk.md
set -e
CLANG=${CLANG:-clang}
cd "$(dirname "$0")/.."
if ! command -v "$CLANG" >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
    echo "build-modules: needs $CLANG and wasm-ld (apt-get install clang lld); the committed .wasm files are unchanged" >&2
    exit 1
fi
EXAMPLES="examples/quickstart-chat examples/players examples/bank examples/reminders
          examples/bench-insert tests/modules"
dirs=${*:-$EXAMPLES}
for dir in $dirs; do
    dir=${dir%/}
    for src in "$dir"/*.c; do
        [ -f "$src" ] || continue
        out=${src%.c}.wasm
        echo "  WASM  $out"
        "$CLANG" --target=wasm32 -O2 -std=c11 -Wall -Wextra -Werror \
            -ffreestanding -nostdlib -Isrc/sdk \
            -Wl,--no-entry -Wl,--stack-first \
            -o "$out" "$src" src/sdk/*.c
        chmod -x "$out"   # wasm-ld marks its output executable; it is data
    done
done
