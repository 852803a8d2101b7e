#!/usr/bin/env bash
# Interview registrations under concurrency: 30 students register for one
# interview task at the same moment (released together by an advisory-lock
# barrier) onto three interviewers with 8, 7 and 5 places: exactly 20 are
# assigned, each interviewer to capacity and its count equal to its
# assignments, and the other 10 are registered and waiting.  Runs inside
# pg_virtualenv; TAP.
set -uo pipefail
db=mentor_interview_registrations
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
q "INSERT INTO mentor.users (email, username, full_name, role)
   SELECT format('ir%s@example.com', g), format('ir%s', g), 'Student', 'user'::mentor.platform_role FROM generate_series(1, 30) g
   UNION ALL SELECT format('irm%s@example.com', g), format('irm%s', g), 'Interviewer', 'mentor' FROM generate_series(1, 3) g;
   INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Interviews', 'ir', '2026-01-01', '2030-12-31');
   INSERT INTO mentor.students (course_id, user_id) SELECT c.id, u.id FROM mentor.courses c, mentor.users u WHERE u.username ~ '^ir[0-9]';
   INSERT INTO mentor.course_mentors (course_id, user_id) SELECT c.id, u.id FROM mentor.courses c, mentor.users u WHERE u.username LIKE 'irm%';
   INSERT INTO mentor.tasks (name, type) VALUES ('Race interview', 'interview');
   INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
   SELECT c.id, t.id, now() - interval '1 day', now() + interval '1 day', 'mentor' FROM mentor.courses c, mentor.tasks t;
   INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id, capacity)
   SELECT ct.id, ct.course_id, m.id, CASE u.username WHEN 'irm1' THEN 8 WHEN 'irm2' THEN 7 ELSE 5 END
     FROM mentor.course_tasks ct, mentor.course_mentors m JOIN mentor.users u ON u.id = m.user_id;" >/dev/null
task=$(q "SELECT id FROM mentor.course_tasks")

psql -X -q -d $db -c "SELECT pg_advisory_lock(4245)" -c "SELECT pg_sleep(2)" >/dev/null 2>&1 &
sleep 0.5
for i in $(seq 1 30); do
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' \
         -c 'DO $$BEGIN PERFORM pg_advisory_lock_shared(4245); PERFORM pg_advisory_unlock_shared(4245); END$$' \
         -c "BEGIN" -c "SELECT mentor.set_actor(id) FROM mentor.users WHERE username = 'ir$i'" \
         -c "SELECT (mentor.register_for_interview($task)).interviewer_id IS NOT NULL" -c "COMMIT" > "$w/out.$i" 2>&1 &
done
wait
echo "1..4"
regs=$(q "SELECT count(*) || '/' || count(interviewer_id) FROM mentor.task_interview_students")
if [ "$regs" = "30/20" ]; then echo "ok 1 - 30 racing registrations onto 20 places: 30 registered, exactly 20 assigned"
else echo "not ok 1 - 30 racing registrations onto 20 places: 30/20 (got $regs)"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
counts=$(q "SELECT string_agg(i.capacity || ':' || i.assigned_count || ':' || (SELECT count(*) FROM mentor.task_interview_students r WHERE r.interviewer_id = i.id), ' ' ORDER BY i.capacity DESC) FROM mentor.task_interviewers i")
if [ "$counts" = "8:8:8 7:7:7 5:5:5" ]; then echo "ok 2 - each interviewer is at capacity and counts its assignments (8, 7, 5)"
else echo "not ok 2 - each interviewer at capacity, counted (got $counts)"; fi
told=$(cat "$w"/out.* | grep -c "^t$" || true)
if [ "$told" = 20 ]; then echo "ok 3 - the 20 assigned were told so, the 10 waiting too"
else echo "not ok 3 - 20 sessions were told they have an interviewer (got $told)"; fi
errors=$(cat "$w"/out.* | grep -vc "^[tf]$\|^$\|^BEGIN$\|^COMMIT$\|^[0-9]*$" || true)
if [ "$errors" = 0 ]; then echo "ok 4 - no registration failed"
else echo "not ok 4 - no registration failed (got $errors lines)"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
