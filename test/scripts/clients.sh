#!/usr/bin/env bash
# Real client programs against the extension (test/clients/), each connecting
# as a login granted only mentor_app, with the search path the README
# recommends, and printing TAP.  A client whose library is missing fails
# with the package to install; it never passes silently.  Runs inside
# pg_virtualenv; TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
db=mentor_clients
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }

# The fixtures an application would find: a mentor with a profile and an open
# slot, a course with one cross-checked task per client (named after it) whose
# deadline has passed and five solutions, and a team distribution of pairs.
q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'client_app') THEN
        CREATE ROLE client_app LOGIN PASSWORD 'client-app';
    END IF;
END $$;
GRANT mentor_app TO client_app;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'client_admin') THEN
        CREATE ROLE client_admin LOGIN PASSWORD 'client-admin';
    END IF;
END $$;
GRANT mentor_admin TO client_admin;
ALTER ROLE client_admin SET search_path = public, mentor;
ALTER ROLE client_app SET search_path = public, mentor;
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('cl_mentor@example.com', 'cl_mentor', 'Client Mentor', 'mentor'),
    ('cl_other@example.com', 'cl_other', 'Client Other', 'user'),
    ('cl_admin@example.com', 'cl_admin', 'Client Admin', 'admin');
INSERT INTO mentor.mentor_profiles (user_id, headline, price_tokens, max_mentees)
SELECT id, 'Databases', 30, 8 FROM mentor.users WHERE username = 'cl_mentor';
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Client course', 'client-course', '2026-01-01', '2026-12-31');
INSERT INTO mentor.tasks (name) VALUES ('sqlalchemy'), ('typeorm'), ('drizzle'), ('prisma');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, pairs_count)
SELECT c.id, t.id, now() - interval '2 days', now() - interval '1 day', 'crosscheck', 2 FROM mentor.courses c, mentor.tasks t;
INSERT INTO mentor.users (email, username, full_name) SELECT format('cl_st%s@example.com', g), format('cl_st%s', g), 'Student' FROM generate_series(1, 5) g;
INSERT INTO mentor.students (course_id, user_id) SELECT c.id, u.id FROM mentor.courses c, mentor.users u WHERE u.username LIKE 'cl_st%';
INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
SELECT ct.id, s.id, 'https://example.com/' || s.id, now() - interval '36 hours' FROM mentor.course_tasks ct, mentor.students s;
INSERT INTO mentor.team_distributions (course_id, name, start_at, end_at, min_team_size, max_team_size, strict_team_size)
SELECT id, 'Client teams', now() - interval '1 day', now() + interval '1 day', 2, 2, 2 FROM mentor.courses;
INSERT INTO mentor.problems (slug, title, description, difficulty, published)
VALUES ('client-two-sum', 'Two Sum', 'Read two numbers, print their sum.', 'easy', true);
INSERT INTO mentor.learning_paths (title, category) VALUES ('Client path', 'technical');
INSERT INTO mentor.learning_path_modules (path_id, position, title)
SELECT p.id, g, 'Client module ' || g FROM mentor.learning_paths p, generate_series(1, 4) g WHERE p.title = 'Client path';
INSERT INTO mentor.tasks (name) VALUES ('client auto test');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, max_attempts)
SELECT c.id, t.id, now() - interval '1 day', now() + interval '1 day', 'auto_test', 2
  FROM mentor.courses c, mentor.tasks t WHERE c.alias = 'client-course' AND t.name = 'client auto test';
INSERT INTO mentor.batches (code, name, course_id, capacity)
SELECT 'CL-BATCH', 'Client batch', id, 1 FROM mentor.courses WHERE alias = 'client-course';
INSERT INTO mentor.course_modules (course_id, position, title) SELECT id, 1, 'Client LMS module' FROM mentor.courses WHERE alias = 'client-course';
INSERT INTO mentor.classes (module_id, course_id, title, starts_at)
SELECT m.id, m.course_id, 'Client class', now() - interval '1 hour' FROM mentor.course_modules m WHERE m.title = 'Client LMS module';
INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id)
SELECT d.id, d.course_id, s.id FROM mentor.team_distributions d JOIN mentor.students s ON s.course_id = d.course_id;
-- A candidate quiz from the (staff's) question bank.
INSERT INTO mentor.questions (kind, prompt, correct) VALUES ('text', 'Client: the keyword that ends a transaction', '["commit"]');
INSERT INTO mentor.quiz_templates (name, pass_percent) VALUES ('Client screening quiz', 50);
INSERT INTO mentor.quiz_template_questions (template_id, question_id)
SELECT t.id, q.id FROM mentor.quiz_templates t, mentor.questions q WHERE t.name = 'Client screening quiz' AND q.prompt LIKE 'Client:%';
INSERT INTO mentor.hr_platforms (code, name) VALUES ('client_board', 'Client board');
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('cl_sales@example.com', 'cl_sales', 'Client Sales', 'sales');
SQL
# A secret key for the clients' integration tokens (a file the server writes into its data directory).
keyfile=$(q -c "SELECT current_setting('data_directory')")/mentor_clients.key
q -c "COPY (SELECT 'clients-key-' || md5(random()::text)) TO '$keyfile'" >/dev/null
psql -X -q -d $db -c "LOAD 'mentor'" -c "ALTER SYSTEM SET mentor.secret_key_file = '$keyfile'" -c "SELECT pg_reload_conf()" >/dev/null
trap 'psql -X -q -d postgres -c "LOAD '"'"'mentor'"'"'" -c "ALTER SYSTEM RESET mentor.secret_key_file" -c "SELECT pg_reload_conf()" >/dev/null 2>&1' EXIT
sleep 0.3

# The JS clients' packages, pinned by package-lock.json, from the npm registry
# (installed again only when the lockfile changed).  Without node or the
# registry each JS client fails, saying which.
js=test/clients/js
js_ready=""
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    js_ready="node and npm are installed (apt-get install nodejs npm)"
elif ! cmp -s "$js/package-lock.json" "$js/node_modules/.mentor-lockfile" 2>/dev/null; then
    if npm_out=$(cd "$js" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error 2>&1); then
        cp "$js/package-lock.json" "$js/node_modules/.mentor-lockfile"
    else
        js_ready="npm ci of $js reaches the npm registry ($(grep -m 2 'npm error' <<<"$npm_out" | tr '\n' ' '))"
    fi
fi

n=0
for client in test/clients/*.py $js/*_client.mjs; do
    [ -e "$client" ] || continue
    name=$(basename "${client%.*}")
    if [ "${client##*.}" = mjs ] && [ -n "$js_ready" ]; then
        n=$((n + 1)); echo "not ok $n - $name: $js_ready"; continue
    fi
    case "$client" in
        *.py) run=(/usr/bin/python3 "$client");;
        *) run=(node "$client");;
    esac
    out=$(PGDATABASE=$db PGUSER=client_app PGPASSWORD=client-app CLIENT_ADMIN_USER=client_admin \
          CLIENT_ADMIN_PASSWORD=client-admin "${run[@]}" 2>&1)
    rc=$?
    # Renumber the client's TAP into this script's sequence.
    while IFS= read -r line; do
        case "$line" in
            "ok "*|"not ok "*)
                n=$((n + 1))
                status=${line%% [0-9]*}
                echo "$status $n - $name: ${line#* - }";;
            "#"*) echo "$line";;
            "") ;;
            *) echo "# $line";;
        esac
    done <<<"$out"
    if [ $rc -ne 0 ] && ! grep -q "^not ok" <<<"$out"; then
        n=$((n + 1)); echo "not ok $n - $name exited with $rc"
    fi
done
echo "1..$n"
[ -n "${KEEP:-}" ] || dropdb $db
