#!/bin/sh
# Grade one coursework exercise, or list them all.
# Usage: exercise.sh BUILD_DIR [N | list]
#
# For exercise N it rebuilds BUILD_DIR/libtinystdb.a (so the student's
# changes are in it; EXERCISE_NO_MAKE=1 skips that, for the self-test),
# compiles tests/exercises/exNN_*.c against it with cmocka, runs it, and
# ends with "exercise N: passed" (status 0) or "exercise N: not done yet
# (M of T checks failing)" (status 1).  The header comes from the
# "Exercise:", "Title:", "Change:" and "Book:" lines of the test file.
# Book: chapter 31, book/31-coursework.md
BUILD=${1:-build}
N=${2:-list}
DIR=tests/exercises

field() {   # field FILE NAME: the text after " * NAME: " in FILE's opening comment
    sed -n "s/^ \* $2: //p" "$1" | head -n 1
}

if [ "$N" = list ]; then
    printf '%-3s %-8s %-40s %s\n' N chapter title "what to change"
    for f in "$DIR"/ex[0-9][0-9]_*.c; do
        [ -f "$f" ] || continue
        n=$(field "$f" Exercise)
        ch=$(field "$f" Book | sed 's/^chapter \([0-9]*\),.*/\1/')
        printf '%-3s %-8s %-40s %s\n' "$n" "$ch" "$(field "$f" Title)" "$(field "$f" Change)"
    done
    echo "run one with: make exercise N"
    exit 0
fi

case $N in
    ''|*[!0-9]*) echo "exercise.sh: N must be a number (or 'list'), not '$N'" >&2; exit 2 ;;
esac
N=$(echo "$N" | sed 's/^0*\(.\)/\1/')   # 08 is 8, not an octal mistake
NN=$(printf '%02d' "$N")
FILE=$(ls "$DIR"/ex"$NN"_*.c 2>/dev/null | head -n 1)
if [ -z "$FILE" ]; then
    echo "exercise.sh: there is no exercise $N (see 'make exercises')" >&2
    exit 2
fi
echo "== exercise $N: $(field "$FILE" Title)"
echo "   book:    $(field "$FILE" Book)"
echo "   change:  $(field "$FILE" Change)"
echo "   test:    $FILE"

LIB=$BUILD/libtinystdb.a
# A library built by `make check` (BUILD=build/san) is rebuilt, and the
# test linked, with the same sanitizer flags.
SAN=
if nm "$LIB" 2>/dev/null | grep -q __asan_; then
    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
fi
if [ -z "$EXERCISE_NO_MAKE" ]; then
    if [ -n "$SAN" ]; then
        ${MAKE:-make} -s BUILD="$BUILD" OPT="-O1 -g" SAN="$SAN" "$LIB"
    else
        ${MAKE:-make} -s BUILD="$BUILD" "$LIB"
    fi || { echo "exercise $N: not done yet (the library does not build)"; exit 1; }
fi
[ -f "$LIB" ] || { echo "exercise.sh: no $LIB; run make first" >&2; exit 2; }
mkdir -p "$BUILD/exercises"
BIN=$BUILD/exercises/$(basename "$FILE" .c)
OUT=$BUILD/exercises/$(basename "$FILE" .c).out
# shellcheck disable=SC2086
if ! ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O1 -g $SAN \
        -Isrc -Itests -I"$DIR" "$FILE" "$LIB" -o "$BIN" -lcmocka -lm; then
    echo "exercise $N: not done yet (the test does not compile against your code)"
    exit 1
fi
"$BIN" >"$OUT" 2>&1
rc=$?
cat "$OUT"
total=$(sed -n 's/^\[==========\] Running \([0-9]*\) test.*/\1/p' "$OUT" | head -n 1)
failing=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$OUT" | head -n 1)
if [ "$rc" = 0 ] && [ -n "$total" ] && [ -z "$failing" ]; then
    echo "exercise $N: passed ($total of $total checks)"
    exit 0
fi
if [ -n "$failing" ]; then
    echo "exercise $N: not done yet ($failing of $total checks failing)"
else
    echo "exercise $N: not done yet (the test stopped with status $rc before finishing: a crash?)"
fi
exit 1
