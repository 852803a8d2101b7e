#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of src/core/ (test/fuzz/) with
# AddressSanitizer and UBSan and runs each for FUZZ_SECONDS (default 60),
# starting from test/fuzz/corpus/<target>/.  Needs clang (installed through
# apt when missing and root).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${FUZZ_SECONDS:-60}"
if ! command -v clang >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq clang >/dev/null; else echo "fuzz: needs clang (sudo apt-get install clang)" >&2; exit 1; fi
fi
out=build/fuzz; mkdir -p "$out"
for src in test/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c); target=${name#fuzz_}
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -o "$out/$name" "$src" src/core/*.c
    mkdir -p "$out/corpus_$target"
    echo "== $name: ${SECS}s"
    "$out/$name" -max_total_time="$SECS" -max_len=4096 "$out/corpus_$target" "test/fuzz/corpus/$target" 2>&1 \
        | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|Done" | tail -n 2
done
