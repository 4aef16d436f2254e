#!/bin/sh
# Run every test tier and print one closing line "N passed, M failed".
# Usage: run-tests.sh BUILD_DIR SHARED_DIR
# Book: chapter 2, book/02-foundations.md
BUILD=$1
SHARED=$2
passed=0
failed=0
failures=""
run() {   # run NAME COMMAND...
    name=$1; shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures="$failures $name"; fi
}
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run "$(basename "$t")" "$t"
done
if [ -d "$SHARED/spectest" ]; then
    run spectest-1.0 "$BUILD/spectest" --suite 1.0 "$SHARED/spectest/json-1.0"
    run spectest-2.0 "$BUILD/spectest" --suite 2.0 "$SHARED/spectest/json-2.0"
else
    echo "== spectest: SKIPPED, no spec suite at $SHARED/spectest (set TINYSTDB_SHARED)"
fi
run check-book "$BUILD/bookcheck" .
[ -n "$failures" ] && echo "failed:$failures"
echo "make test: $passed passed, $failed failed"
[ "$failed" = 0 ]
