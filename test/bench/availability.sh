#!/usr/bin/env bash
# Benchmark of the availability core (test/bench/bench_availability.c),
# built with -O2 and run on its own: parses per second, and parse plus
# occurrences over a year per second.  Needs no database.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/bench; mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -Isrc -o "$out/bench_availability" test/bench/bench_availability.c src/core/availability.c
"$out/bench_availability"
