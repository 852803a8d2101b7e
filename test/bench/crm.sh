#!/usr/bin/env bash
# Benchmark of the CRM's vendor intake and the workflow engine, 8 clients.
# Vendor intake: leads per second through ingest_vendor_lead (key checked
# and counted, payload stored once per idempotency key, phone normalised,
# lead created with its timeline and history) against bare INSERTs of the
# same two rows into plain tables with the same keys.  Node runs: runs
# claimed and finished per second by 8 workers (claim_node_runs + 25
# finish_node_run, each moving its enrollment on) against a bare SKIP LOCKED
# loop over a plain table of the same columns (claim 25, mark them done).
# ROUNDS interleaved rounds; figures are medians of the rounds' ratios.
# Targets >= 0.5 both.  Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; CLIENTS="${CLIENTS:-8}"; LEADS="${LEADS:-24000}"; RUNS="${RUNS:-20000}"
db=mentor_bench_crm
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
CREATE SEQUENCE bench_seq;
-- The baselines: plain tables with the same columns, keys and indexes, no triggers.
CREATE TABLE bare_vendor_leads (LIKE mentor.vendor_leads INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE bare_vendor_leads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
CREATE TABLE bare_leads (LIKE mentor.raw_leads INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE bare_leads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
ALTER TABLE bare_vendor_leads ADD FOREIGN KEY (raw_lead_id) REFERENCES bare_leads ON DELETE SET NULL;
ALTER TABLE bare_vendor_leads ADD FOREIGN KEY (api_key_id) REFERENCES mentor.api_keys ON DELETE CASCADE;
CREATE TABLE bare_runs (LIKE mentor.workflow_node_runs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE bare_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
INSERT INTO mentor.workflows (name, definition) VALUES ('Bench flow', '{"nodes": [{"id": "s", "type": "start"},
  {"id": "call", "type": "task", "params": {"title": "Call"}}, {"id": "remind", "type": "notify", "params": {"notification_type": "x"}}],
  "edges": [{"from": "s", "to": "call"}, {"from": "call", "to": "remind"}]}');
SQL
key=$(q -c "SELECT api_key FROM mentor.create_api_key('Bench vendor', 'bench')")
keyid=$(q -c "SELECT id FROM mentor.api_keys")
wf=$(q -c "SELECT id FROM mentor.workflows")

tps() {   # tps SCRIPT-TEXT PGBENCH-ARGS...: transactions per second
    echo "$1" > "$w/script.sql"; shift
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 "$@" -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}
intake() {
    tps "SELECT outcome FROM mentor.ingest_vendor_lead('$key', jsonb_build_object('phone', '98' || lpad(nextval('bench_seq')::text, 8, '0'), 'name', 'Bench Lead', 'utm', 'bench'), 'k' || nextval('bench_seq'));" -t $((LEADS / CLIENTS))
}
intake_bare() {
    tps "BEGIN;
INSERT INTO bare_leads (session_year, name, phone, source, extra_data)
VALUES ('2026', 'Bench Lead', '+9198' || lpad(nextval('bench_seq')::text, 8, '0'), 'vendor', '{\"utm\": \"bench\"}')
RETURNING id AS l \\gset
INSERT INTO bare_vendor_leads (api_key_id, idempotency_key, payload, raw_lead_id)
VALUES ($keyid, 'k' || nextval('bench_seq'), jsonb_build_object('phone', '98' || lpad(currval('bench_seq')::text, 8, '0'), 'name', 'Bench Lead', 'utm', 'bench'), :l);
COMMIT;" -t $((LEADS / CLIENTS))
}
# Node runs per second: RUNS runs in full batches of 25 (the queue holds more than RUNS
# ready runs when the round starts, and each check below makes sure every claim was full).
runs_ours() {
    q -c "SELECT count(mentor.enroll($wf, 'lead', nextval('bench_seq'))) FROM generate_series(1, $RUNS)" >/dev/null
    q -c "VACUUM ANALYZE mentor.workflow_node_runs, mentor.workflow_enrollments" >/dev/null
    local before t after
    before=$(q -c "SELECT count(*) FROM mentor.workflow_node_runs WHERE status = 'done'")
    t=$(tps "SELECT count(*) FROM mentor.finish_node_runs(ARRAY(SELECT id FROM mentor.claim_node_runs('w' || :client_id, 25)), 'w' || :client_id);" -t $((RUNS / CLIENTS / 25)))
    after=$(q -c "SELECT count(*) FROM mentor.workflow_node_runs WHERE status = 'done'")
    [ $((after - before)) = $((RUNS / CLIENTS / 25 * CLIENTS * 25)) ] || { echo "node runs: $((after - before)) done, not full batches" >&2; exit 1; }
    echo $((t * 25))
}
runs_bare() {
    q -c "INSERT INTO bare_runs (enrollment_id, node_id, node_type) SELECT g, 'call', 'task' FROM generate_series(nextval('bench_seq'), currval('bench_seq') + $RUNS - 1) g" >/dev/null
    q -c "VACUUM ANALYZE bare_runs" >/dev/null
    local before t after
    before=$(q -c "SELECT count(*) FROM bare_runs WHERE status = 'done'")
    t=$(tps "BEGIN;
UPDATE bare_runs q SET status = 'running', lease_owner = 'w' || :client_id, lease_until = now() + interval '5 minutes', attempts = q.attempts + 1
 WHERE q.id IN (SELECT id FROM bare_runs WHERE status = 'ready' AND available_at <= now() ORDER BY available_at, id LIMIT 25 FOR UPDATE SKIP LOCKED);
UPDATE bare_runs q SET status = 'done', finished_at = now(), outcome = 'ok', lease_owner = NULL, lease_until = NULL
 WHERE q.status = 'running' AND q.lease_owner = 'w' || :client_id;
COMMIT;" -t $((RUNS / CLIENTS / 25)))
    after=$(q -c "SELECT count(*) FROM bare_runs WHERE status = 'done'")
    [ $((after - before)) = $((RUNS / CLIENTS / 25 * CLIENTS * 25)) ] || { echo "bare runs: $((after - before)) done, not full batches" >&2; exit 1; }
    echo $((t * 25))
}
declare -a io=() ib=() ro=() rb=()
for round in $(seq 1 "$ROUNDS"); do
    q -c "VACUUM ANALYZE" >/dev/null
    if [ $((round % 2)) = 1 ]; then io+=("$(intake)"); ib+=("$(intake_bare)"); ro+=("$(runs_ours)"); rb+=("$(runs_bare)")
    else ib+=("$(intake_bare)"); io+=("$(intake)"); rb+=("$(runs_bare)"); ro+=("$(runs_ours)"); fi
    echo "# round $round: intake ${io[-1]}/s vs ${ib[-1]}/s, node runs ${ro[-1]}/s vs ${rb[-1]}/s" >&2
done
leads=$(q -c "SELECT count(*) FROM mentor.raw_leads")
[ "$leads" = $((ROUNDS * (LEADS / CLIENTS) * CLIENTS)) ] || { echo "only $leads leads promoted" >&2; exit 1; }
dup=$(q -c "SELECT count(*) FROM (SELECT enrollment_id, node_id FROM mentor.workflow_node_runs GROUP BY 1, 2 HAVING count(*) > 1) d")
[ "$dup" = 0 ] || { echo "$dup nodes ran twice" >&2; exit 1; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratios() { local -n a=$1 b=$2; for i in "${!a[@]}"; do awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN {printf "%.2f\n", x / y}'; done; }
echo "crm benchmark: $ROUNDS rounds, $CLIENTS clients; vendor leads/s ${io[*]} vs bare ${ib[*]} (ratios $(ratios io ib | tr '\n' ' ')); node runs/s ${ro[*]} vs bare ${rb[*]} (ratios $(ratios ro rb | tr '\n' ' '))"
printf '%-62s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-62s %10s %10s %8s %s\n' "vendor intake (ingest_vendor_lead)/s vs bare inserts" "$(median "${io[@]}")" "$(median "${ib[@]}")" "$(median $(ratios io ib))" ">= 0.5"
printf '%-62s %10s %10s %8s %s\n' "node runs claimed and finished/s vs a bare SKIP LOCKED loop" "$(median "${ro[@]}")" "$(median "${rb[@]}")" "$(median $(ratios ro rb))" ">= 0.5"
