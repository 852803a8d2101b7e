#!/usr/bin/env bash
# Benchmark of the community module, against baselines in the same run:
#  1. send_message (the acting user set, membership checked, the message
#     written, the conversation's last_message_at and the sender's read marker
#     moved, the other member notified) with 8 clients over CONVERSATIONS
#     direct conversations, against a bare INSERT of the same row into a plain
#     table with the same columns and index.  ROUNDS interleaved rounds; the
#     figure is the median of the rounds' ratios.  Target >= 0.6.
#  2. unread_counts() for a user in 1,000 conversations with unread messages:
#     median of 50 calls.  Target < 5 ms.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; CONVERSATIONS="${CONVERSATIONS:-100000}"; SENDS="${SENDS:-40000}"; CLIENTS="${CLIENTS:-8}"
db=mentor_bench_community
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

# Fixtures, written with triggers off: 2 x CONVERSATIONS users, one direct conversation per pair.
q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
SET session_replication_role = replica;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('cm%s@example.com', g), format('cm%s', g), 'Bench' FROM generate_series(1, 2 * $CONVERSATIONS) g;
INSERT INTO mentor.conversations (kind, direct_low, direct_high)
SELECT 'direct', u.id, u.id + 1 FROM mentor.users u WHERE u.id % 2 = 1 AND u.id < 2 * $CONVERSATIONS;
INSERT INTO mentor.conversation_members (conversation_id, user_id)
SELECT c.id, x FROM mentor.conversations c, LATERAL (VALUES (c.direct_low), (c.direct_high)) v(x);
RESET session_replication_role;
CREATE TABLE bench_pairs AS SELECT row_number() OVER (ORDER BY id) AS n, id AS conversation, direct_low AS sender FROM mentor.conversations;
CREATE UNIQUE INDEX ON bench_pairs (n);
CREATE TABLE bare_messages (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, conversation_id bigint NOT NULL,
                            sender_id bigint, body text NOT NULL, sent_at timestamptz NOT NULL DEFAULT now(), edited_at timestamptz);
CREATE INDEX ON bare_messages (conversation_id, id);
VACUUM ANALYZE;
SQL
run() {   # run SCRIPT-TEXT: transactions per second of CLIENTS x SENDS/CLIENTS transactions
    echo "$1" > "$w/script.sql"
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t $((SENDS / CLIENTS)) -D n="$CONVERSATIONS" -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}
ours() {
    run '\set k random(1, :n)
BEGIN;
SELECT mentor.set_actor(sender) FROM bench_pairs WHERE n = :k;
SELECT mentor.send_message(conversation, '"'"'See you on Monday at ten?'"'"') FROM bench_pairs WHERE n = :k;
COMMIT;'
}
bare() {
    run '\set k random(1, :n)
INSERT INTO bare_messages (conversation_id, sender_id, body) SELECT conversation, sender, '"'"'See you on Monday at ten?'"'"' FROM bench_pairs WHERE n = :k;'
}
declare -a o=() b=()
for round in $(seq 1 "$ROUNDS"); do
    q -c "VACUUM ANALYZE" >/dev/null
    if [ $((round % 2)) = 1 ]; then o+=("$(ours)"); b+=("$(bare)"); else b+=("$(bare)"); o+=("$(ours)"); fi
    echo "# round $round: send_message ${o[-1]}/s, bare insert ${b[-1]}/s" >&2
done
sent=$(q -c "SELECT count(*) FROM mentor.messages")
[ "$sent" = $((ROUNDS * (SENDS / CLIENTS) * CLIENTS)) ] || { echo "only $sent messages sent" >&2; exit 1; }

# Unread counts: one user in 1,000 group conversations, each with 3 messages from others.
reader=$(q -c "SELECT min(id) FROM mentor.users")
q >/dev/null <<SQL
SET session_replication_role = replica;
WITH g AS (INSERT INTO mentor.conversations (kind, title) SELECT 'group', 'g' || x FROM generate_series(1, 1000) x RETURNING id)
INSERT INTO mentor.conversation_members (conversation_id, user_id) SELECT id, u FROM g, (VALUES ($reader), ($reader + 2)) v(u);
INSERT INTO mentor.messages (conversation_id, sender_id, body)
SELECT c.id, $reader + 2, 'm' || x FROM mentor.conversations c, generate_series(1, 3) x WHERE c.kind = 'group';
RESET session_replication_role;
VACUUM ANALYZE;
SQL
q >/dev/null <<'SQL'
CREATE FUNCTION bench_unread_ms(reader bigint) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t timestamptz; d float8[] := '{}'; n bigint;
BEGIN
    PERFORM mentor.set_actor(reader);
    FOR i IN 1..50 LOOP
        t := clock_timestamp();
        SELECT count(*) INTO n FROM mentor.unread_counts();
        d := d || extract(epoch FROM clock_timestamp() - t) * 1000;
    END LOOP;
    IF n < 1000 THEN RAISE EXCEPTION 'only % conversations with unread messages', n; END IF;
    RETURN (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 2) FROM unnest(d) x);
END $$;
SQL
ms=$(q -c "BEGIN" -c "SELECT bench_unread_ms($reader)" -c "COMMIT")
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratios() { for i in "${!o[@]}"; do awk -v a="${o[$i]}" -v b="${b[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done; }
echo "community benchmark: $ROUNDS rounds, $CLIENTS clients, $CONVERSATIONS conversations; send_message/s ${o[*]}, bare insert/s ${b[*]}; ratios $(ratios | tr '\n' ' ')"
printf '%-62s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-62s %10s %10s %8s %s\n' "send_message/s vs a bare INSERT of the row" "$(median "${o[@]}")" "$(median "${b[@]}")" "$(median $(ratios))" ">= 0.6"
printf '%-62s %10s %10s %8s %s\n' "unread_counts() of a user in 1,000 conversations, median ms" "$ms" "" "" "< 5 ms"

