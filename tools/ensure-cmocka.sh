#!/bin/sh
# Make sure cmocka's header and library are present; install them with
# apt-get when we are root (or have sudo), otherwise explain and stop.
# Book: chapter 2, book/02-foundations.md
have_cmocka() {
    printf '#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n#include <cmocka.h>\nint main(void){return 0;}\n' \
        | ${CC:-cc} -x c - -o /dev/null -lcmocka >/dev/null 2>&1
}
have_cmocka && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else
    echo "cmocka is missing: install it with 'apt-get install -y libcmocka-dev' (needs root)" >&2; exit 1
fi
echo "cmocka is missing; installing libcmocka-dev with apt-get" >&2
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    $SUDO apt-get update -q >&2 || { echo "apt-get update failed; cannot install cmocka" >&2; exit 1; }
fi
$SUDO apt-get install -y -q libcmocka-dev >&2 || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q libcmocka-dev >&2; } \
    || { echo "apt-get install libcmocka-dev failed; install cmocka by hand" >&2; exit 1; }
have_cmocka || { echo "cmocka installed but still not usable by ${CC:-cc}" >&2; exit 1; }
