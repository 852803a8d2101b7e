#!/usr/bin/env bash
# Counting helpers for the test scripts: each stage appends "name passed failed"
# to $RESULTS; summary prints them and the closing total line.

record() { echo "$1 $2 $3" >> "$RESULTS"; }

# tap_record NAME FILE EXIT_STATUS: counts "ok"/"not ok" lines; a runner that
# failed without a failing assertion (crash, bad plan) counts as one failure.
tap_record() {
    local p f
    p=$(grep -cE '^[[:space:]]*ok [0-9]+' "$2")
    f=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$2")
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ]; then grep -E -B1 -A4 '^[[:space:]]*not ok' "$2" | head -n 60; fi
    record "$1" "$p" "$f"
}

# regress_record NAME FILE EXIT_STATUS: counts pg_regress / isolation "... ok" and "... FAILED" lines.
regress_record() {
    local p f
    p=$(grep -cE '\.\.\. ok' "$2")
    f=$(grep -cE '\.\.\. (FAILED|failed)' "$2")
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    record "$1" "$p" "$f"
}

summary() {
    local tp=0 tf=0 name p f
    echo "== summary"
    while read -r name p f; do
        printf '   %-22s %5d passed, %d failed\n' "$name" "$p" "$f"
        tp=$((tp + p)); tf=$((tf + f))
    done < "$RESULTS"
    echo "$tp passed, $tf failed"
    [ "$tf" -eq 0 ] && [ "$tp" -gt 0 ]
}
