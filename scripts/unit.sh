#!/usr/bin/env bash
# Builds and runs the C unit tests of src/core/ (with AddressSanitizer and
# UBSan when the compiler has them).  Output is TAP, one file per test.
set -euo pipefail
cd "$(dirname "$0")/.."
out=test/unit/bin
mkdir -p "$out"
CC="${CC:-cc}"
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
echo 'int main(void){return 0;}' > "$out/probe.c"
$CC $SAN -o "$out/probe" "$out/probe.c" 2>/dev/null && "$out/probe" 2>/dev/null || SAN=""
status=0
for src in test/unit/test_*.c; do
    name=$(basename "$src" .c)
    $CC -std=c11 -O1 -g -Wall -Wextra -Werror $SAN -Isrc -o "$out/$name" "$src" src/core/*.c -lm
    echo "# $name"
    "$out/$name" || status=1
done
exit $status
