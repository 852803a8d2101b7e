--------------------------------------------------------------------------------
-- Module learning, cohorts (seed 001 Batch, Application, Enrollment, Class,
-- Attendance, Announcement, Assignment): a program runs in batches; people
-- apply, are reviewed, pay the fee through the ledger and are allocated a
-- seat within the batch's capacity; an enrollment is the `students` row of the
-- batch's course (one course concept for the course school and the LMS);
-- classes belong to a course's modules and the class's staff mark attendance;
-- announcements go to a course or a batch; assignments are course tasks
-- linked to a module.
--------------------------------------------------------------------------------

CREATE TYPE batch_status AS ENUM ('upcoming', 'active', 'completed', 'cancelled');
COMMENT ON TYPE batch_status IS 'A batch''s status (lifecycle "batch")';
CREATE TYPE program_application_status AS ENUM ('draft', 'submitted', 'under_review', 'approved', 'rejected',
                                                 'payment_received', 'paid', 'batch_allocated', 'enrolled', 'deboarded');
COMMENT ON TYPE program_application_status IS 'A program application''s status (lifecycle "program_application")';
CREATE TYPE enrollment_status AS ENUM ('not_started', 'in_progress', 'completed');
COMMENT ON TYPE enrollment_status IS 'An enrollment''s status (lifecycle "enrollment")';
CREATE TYPE attendance_status AS ENUM ('present', 'late', 'absent', 'excused');
COMMENT ON TYPE attendance_status IS 'How a student attended a class; present and late count as attended';

CREATE TABLE batches (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           citext NOT NULL CONSTRAINT batches_code_unique UNIQUE
                   CONSTRAINT batches_code_shape CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    name           text NOT NULL CONSTRAINT batches_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    course_id      bigint REFERENCES courses ON DELETE SET NULL,
    status         @extschema@.batch_status NOT NULL DEFAULT 'upcoming',
    starts_on      date,
    ends_on        date,
    capacity       integer CONSTRAINT batches_capacity_nonneg CHECK (capacity >= 0),
    seats_taken    integer NOT NULL DEFAULT 0,
    enrollment_fee bigint NOT NULL DEFAULT 0 CONSTRAINT batches_fee_nonneg CHECK (enrollment_fee >= 0),
    fee_asset      text NOT NULL DEFAULT 'INR'
                   CONSTRAINT batches_fee_asset CHECK (fee_asset ~ '^[A-Z][A-Z0-9_]{0,15}$' AND fee_asset <> 'TOKEN'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT batches_dates_ordered CHECK (ends_on >= starts_on),
    -- The seat trigger says MN004 first; this catches a capacity lowered below the seats taken.
    CONSTRAINT batches_within_capacity CHECK (seats_taken <= capacity)
);
COMMENT ON TABLE batches IS
    'Cohorts of a program (seed 001 Batch): code, dates, capacity and enrollment fee; the course its enrollments join. '
    'Written by staff (mentor_admin), read by everyone';
COMMENT ON COLUMN batches.code IS 'The batch''s code, unique in any case (e.g. MAS101-2027-01)';
COMMENT ON COLUMN batches.course_id IS 'The course an enrolled applicant becomes a student of (NULL: none yet)';
COMMENT ON COLUMN batches.status IS 'Lifecycle batch: upcoming, active, then completed; upcoming or active may be cancelled';
COMMENT ON COLUMN batches.capacity IS 'Seats (NULL: no limit); an allocation past it is MN004';
COMMENT ON COLUMN batches.seats_taken IS 'Applications allocated or enrolled (kept by trigger, exact under concurrency)';
COMMENT ON COLUMN batches.enrollment_fee IS 'The fee in minor units of fee_asset (paise for INR); 0 is free';
COMMENT ON COLUMN batches.fee_asset IS 'The ledger asset of the fee, a currency code (tokens are spent with spend_tokens)';
CREATE INDEX batches_course_idx ON batches (course_id);
CREATE TRIGGER batches_touch_updated_at BEFORE UPDATE ON batches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER batches_owned_columns BEFORE INSERT OR UPDATE OF seats_taken ON batches
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('seats_taken follows the allocated applications; leave it out.',
                                                      'seats_taken');
SELECT attach_lifecycle('batches', 'status', 'batch');

CREATE TABLE program_applications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    batch_id        bigint NOT NULL REFERENCES batches ON DELETE RESTRICT,
    status          @extschema@.program_application_status NOT NULL DEFAULT 'draft',
    answers         jsonb NOT NULL DEFAULT '{}'
                    CONSTRAINT program_applications_answers_object CHECK (jsonb_typeof(answers) = 'object'),
    review_note     text CONSTRAINT program_applications_review_note_length CHECK (length(review_note) <= 5000),
    reviewed_by     bigint REFERENCES users ON DELETE SET NULL,
    fee_amount      bigint,
    fee_asset       text,
    fee_transfer_id uuid CONSTRAINT program_applications_fee_transfer_once UNIQUE,
    payment_ref     text,
    student_id      bigint REFERENCES students ON DELETE SET NULL,
    submitted_at    timestamptz,
    allocated_at    timestamptz,
    enrolled_at     timestamptz,
    deboarded_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE program_applications IS
    'Applications to a program batch (seed 001 Application): the applicant writes a draft, then it moves through '
    'submit_application, review_application, pay_application_fee, confirm_application_payment, allocate_application, '
    'enroll_application and deboard_application';
COMMENT ON COLUMN program_applications.status IS
    'Lifecycle program_application: draft, submitted, under_review, approved or rejected, payment_received, paid, '
    'batch_allocated, enrolled, deboarded';
COMMENT ON COLUMN program_applications.answers IS 'The application form, a JSON object (the applicant''s while a draft)';
COMMENT ON COLUMN program_applications.fee_transfer_id IS 'The ledger hold of the fee (posted when the payment is confirmed)';
COMMENT ON COLUMN program_applications.student_id IS 'The enrollment (students row in the batch''s course) it became';
-- One live application per person and batch; after a rejection or deboarding one may apply again.
CREATE UNIQUE INDEX program_applications_open_once ON program_applications (user_id, batch_id)
    WHERE status NOT IN ('rejected', 'deboarded');
CREATE INDEX program_applications_batch_idx ON program_applications (batch_id, status);
CREATE TRIGGER program_applications_touch_updated_at BEFORE UPDATE ON program_applications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER program_applications_owned_columns
    BEFORE INSERT OR UPDATE OF status, review_note, reviewed_by, fee_amount, fee_asset, fee_transfer_id, payment_ref,
                               student_id, submitted_at, allocated_at, enrolled_at, deboarded_at
    ON program_applications FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('An application moves through mentor.submit_application(), review_application(), '
                                         'pay_application_fee(), confirm_application_payment(), allocate_application(), '
                                         'enroll_application() and deboard_application().',
                                         'status', 'review_note', 'reviewed_by', 'fee_amount', 'fee_asset', 'fee_transfer_id',
                                         'payment_ref', 'student_id', 'submitted_at', 'allocated_at', 'enrolled_at',
                                         'deboarded_at');
SELECT attach_lifecycle('program_applications', 'status', 'program_application');

CREATE FUNCTION _holds_seat(status program_application_status) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT status IN ('batch_allocated', 'enrolled') $$;
COMMENT ON FUNCTION _holds_seat(program_application_status) IS 'Internal: an application in this status takes a seat of its batch';

-- Why a counter under the batch row's lock: racing allocations would each
-- count the same seats and all fit; the lock makes them count in turn.
CREATE FUNCTION _program_applications_seats() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    b       batches;
    takes   boolean := TG_OP <> 'DELETE' AND _holds_seat(NEW.status);
    gives   boolean := TG_OP <> 'INSERT' AND _holds_seat(OLD.status);
    moved   boolean := TG_OP = 'UPDATE' AND NEW.batch_id <> OLD.batch_id;
BEGIN
    IF gives AND (NOT takes OR moved) THEN
        UPDATE batches x SET seats_taken = x.seats_taken - 1 WHERE x.id = OLD.batch_id;
    END IF;
    IF takes AND (NOT gives OR moved) THEN
        SELECT * INTO b FROM batches x WHERE x.id = NEW.batch_id FOR UPDATE;
        IF b.status NOT IN ('upcoming', 'active') THEN
            RAISE EXCEPTION 'batch % is %', b.code, b.status USING ERRCODE = 'MN006',
                DETAIL = format('Application %s cannot take a seat in it.', NEW.id),
                HINT = 'Allocate to an upcoming or active batch.';
        END IF;
        IF b.capacity IS NOT NULL AND b.seats_taken >= b.capacity THEN
            RAISE EXCEPTION 'batch % is full', b.code USING ERRCODE = 'MN004',
                DETAIL = format('It has %s of %s seats taken; application %s gets none.', b.seats_taken, b.capacity, NEW.id),
                HINT = 'Raise batches.capacity or allocate the application to another batch.';
        END IF;
        UPDATE batches x SET seats_taken = x.seats_taken + 1 WHERE x.id = NEW.batch_id;
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION _program_applications_seats() IS
    'Internal: an application entering batch_allocated or enrolled takes a seat of its batch within capacity (MN004), '
    'one leaving gives it back, under the batch row''s lock';
CREATE TRIGGER program_applications_seats BEFORE INSERT OR UPDATE OF status, batch_id ON program_applications
    FOR EACH ROW EXECUTE FUNCTION _program_applications_seats();
CREATE TRIGGER program_applications_seats_freed AFTER DELETE ON program_applications
    FOR EACH ROW EXECUTE FUNCTION _program_applications_seats();

-- Enrollments are the students rows: the course school and the LMS share one course concept.
ALTER TABLE students
    ADD COLUMN batch_id bigint REFERENCES batches ON DELETE SET NULL,
    ADD COLUMN enrollment_status @extschema@.enrollment_status NOT NULL DEFAULT 'not_started';
COMMENT ON COLUMN students.batch_id IS 'The batch the student came through (program applications), if any';
COMMENT ON COLUMN students.enrollment_status IS
    'Lifecycle enrollment: not_started, in_progress (set by the first class attended, or by staff), completed; '
    'is_completed mirrors it';
CREATE INDEX students_batch_idx ON students (batch_id) WHERE batch_id IS NOT NULL;
-- A database updated from 0.1 may hold completed students: their enrollments are completed.
UPDATE students SET enrollment_status = 'completed' WHERE is_completed;
SELECT attach_lifecycle('students', 'enrollment_status', 'enrollment');

CREATE FUNCTION _students_enrollment_completed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.is_completed IS DISTINCT FROM OLD.is_completed
       AND NEW.enrollment_status IS NOT DISTINCT FROM OLD.enrollment_status
       AND NEW.is_completed <> (NEW.enrollment_status = 'completed') THEN
        RAISE EXCEPTION 'is_completed follows enrollment_status' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Student %s is %s.', NEW.id, NEW.enrollment_status),
            HINT = 'Set enrollment_status to completed instead.';
    END IF;
    NEW.is_completed := NEW.enrollment_status = 'completed';
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _students_enrollment_completed() IS
    'Internal: students.is_completed is true exactly when the enrollment is completed (22023 when written against it)';
CREATE TRIGGER students_enrollment_completed BEFORE INSERT OR UPDATE OF is_completed, enrollment_status ON students
    FOR EACH ROW EXECUTE FUNCTION _students_enrollment_completed();

CREATE VIEW enrollments WITH (security_invoker) AS
SELECT s.id, s.user_id, s.course_id, s.batch_id, s.enrollment_status AS status, s.created_at AS enrolled_at, s.updated_at
  FROM students s;
COMMENT ON VIEW enrollments IS
    'Seed 001''s Enrollment (one per user and course, lifecycle enrollment) as the students rows it is: enroll by '
    'inserting into students, move the status on students.enrollment_status';

-- Assignments are course tasks of a module (seed 001 Assignment): same deadlines, scores and checkers.
ALTER TABLE course_tasks
    ADD COLUMN module_id bigint,
    ADD CONSTRAINT course_tasks_module_same_course FOREIGN KEY (module_id, course_id)
        REFERENCES course_modules (id, course_id) ON DELETE SET NULL (module_id);
COMMENT ON COLUMN course_tasks.module_id IS 'The course module the task is an assignment of (same course), if any';
CREATE INDEX course_tasks_module_idx ON course_tasks (module_id) WHERE module_id IS NOT NULL;

CREATE VIEW assignments WITH (security_invoker) AS
SELECT ct.id, ct.module_id, ct.course_id, ct.task_id, t.name AS title, t.description, t.description_url,
       ct.student_start_at AS opens_at, ct.student_end_at AS due_at, ct.max_score, ct.checker, ct.disabled
  FROM course_tasks ct JOIN tasks t ON t.id = ct.task_id
 WHERE ct.module_id IS NOT NULL;
COMMENT ON VIEW assignments IS
    'Seed 001''s Assignment: the course tasks linked to a module, with the task''s title; results are task_results';

CREATE TABLE classes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_id     bigint NOT NULL REFERENCES course_modules ON DELETE CASCADE,
    course_id     bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    batch_id      bigint REFERENCES batches ON DELETE CASCADE,
    title         text NOT NULL CONSTRAINT classes_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description   text CONSTRAINT classes_description_length CHECK (length(description) <= 20000),
    starts_at     timestamptz NOT NULL,
    duration      interval NOT NULL DEFAULT '1 hour'
                  CONSTRAINT classes_duration_range CHECK (duration > '0' AND duration <= '24 hours'),
    meeting_url   text CONSTRAINT classes_meeting_url_http CHECK (meeting_url ~ '^https?://'),
    recording_url text CONSTRAINT classes_recording_url_http CHECK (recording_url ~ '^https?://'),
    instructor_id bigint REFERENCES users ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT classes_id_course UNIQUE (id, course_id)
);
COMMENT ON TABLE classes IS
    'Lectures of a course module (seed 001 Class): when, how long, where to join and the recording; written by the '
    'course''s staff, read by everyone';
COMMENT ON COLUMN classes.course_id IS 'The module''s course (set from module_id by trigger)';
COMMENT ON COLUMN classes.batch_id IS 'The batch the class is held for (NULL: every student of the course)';
COMMENT ON COLUMN classes.instructor_id IS 'Who teaches it; marks attendance as the course''s staff do';
CREATE INDEX classes_module_idx ON classes (module_id);
CREATE INDEX classes_course_idx ON classes (course_id, starts_at);
CREATE TRIGGER classes_touch_updated_at BEFORE UPDATE ON classes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _classes_course() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- A missing module gives course 0, and a foreign key says what is missing.
    NEW.course_id := coalesce((SELECT m.course_id FROM course_modules m WHERE m.id = NEW.module_id), 0);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _classes_course() IS 'Internal: a class belongs to its module''s course';
CREATE TRIGGER classes_course BEFORE INSERT OR UPDATE OF module_id, course_id ON classes
    FOR EACH ROW EXECUTE FUNCTION _classes_course();

CREATE TABLE attendance (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    class_id   bigint NOT NULL,
    course_id  bigint NOT NULL,
    student_id bigint NOT NULL,
    status     @extschema@.attendance_status NOT NULL,
    note       text CONSTRAINT attendance_note_length CHECK (length(note) <= 2000),
    marked_by  bigint REFERENCES users ON DELETE SET NULL,
    marked_at  timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendance_once UNIQUE (class_id, student_id),
    CONSTRAINT attendance_class FOREIGN KEY (class_id, course_id) REFERENCES classes (id, course_id) ON DELETE CASCADE,
    -- A student of the class's own course only.
    CONSTRAINT attendance_student_of_course FOREIGN KEY (student_id, course_id) REFERENCES students (id, course_id)
        ON DELETE CASCADE
);
COMMENT ON TABLE attendance IS
    'Who attended a class (seed 001 Attendance), one row per class and student; marked by the class''s instructor or '
    'the course''s staff, read by them and the student';
COMMENT ON COLUMN attendance.course_id IS 'The class''s course (set by trigger); the student must be of it';
COMMENT ON COLUMN attendance.marked_by IS 'Who marked it last (the acting user, set by trigger)';
CREATE INDEX attendance_student_idx ON attendance (student_id);
CREATE TRIGGER attendance_touch_updated_at BEFORE UPDATE ON attendance
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _attendance_mark() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_WHEN = 'BEFORE' THEN
        -- A missing class gives course 0, so that the foreign key names the class.
        NEW.course_id := coalesce((SELECT c.course_id FROM classes c WHERE c.id = NEW.class_id), 0);
        NEW.marked_by := coalesce(current_actor(), NEW.marked_by);
        NEW.marked_at := now();
        RETURN NEW;
    END IF;
    -- The first class attended starts the enrollment.
    IF NEW.status IN ('present', 'late') THEN
        UPDATE students s SET enrollment_status = 'in_progress'
         WHERE s.id = NEW.student_id AND s.enrollment_status = 'not_started';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _attendance_mark() IS
    'Internal: attendance takes its class''s course and who marked it; the first class attended moves the enrollment '
    'to in_progress';
CREATE TRIGGER attendance_mark BEFORE INSERT OR UPDATE ON attendance
    FOR EACH ROW EXECUTE FUNCTION _attendance_mark();
CREATE TRIGGER attendance_starts_enrollment AFTER INSERT OR UPDATE OF status ON attendance
    FOR EACH ROW EXECUTE FUNCTION _attendance_mark();

CREATE FUNCTION _class_staff(class_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM classes c
                WHERE c.id = _class_staff.class_id
                  AND (c.instructor_id = current_actor() OR _is_course_staff(c.course_id, current_actor())))
$$;
COMMENT ON FUNCTION _class_staff(bigint) IS
    'Internal: the acting user teaches the class or is its course''s staff (for row-level security)';

-- Classes held so far count; one not marked counts as absent, an excused one not at all.
CREATE VIEW attendance_rates WITH (security_invoker) AS
SELECT s.id AS student_id, s.user_id, s.course_id,
       count(c.id) AS classes_held,
       count(a.id) FILTER (WHERE a.status = 'present') AS present,
       count(a.id) FILTER (WHERE a.status = 'late') AS late,
       count(a.id) FILTER (WHERE a.status = 'excused') AS excused,
       count(c.id) - count(a.id) FILTER (WHERE a.status IN ('present', 'late', 'excused')) AS absent,
       round(100.0 * count(a.id) FILTER (WHERE a.status IN ('present', 'late'))
             / nullif(count(c.id) - count(a.id) FILTER (WHERE a.status = 'excused'), 0))::@extschema@.percent AS rate
  FROM students s
  LEFT JOIN classes c ON c.course_id = s.course_id AND c.starts_at <= now()
                     AND (c.batch_id IS NULL OR c.batch_id IS NOT DISTINCT FROM s.batch_id)
  LEFT JOIN attendance a ON a.class_id = c.id AND a.student_id = s.id
 GROUP BY s.id, s.user_id, s.course_id;
COMMENT ON VIEW attendance_rates IS
    'Attendance per student and course: classes held so far (of the course, or of the student''s batch), present, '
    'late, excused, absent (unmarked counts as absent) and rate = (present + late) / (held - excused), a whole percent '
    '(NULL before any class)';

CREATE TABLE announcements (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id    bigint REFERENCES courses ON DELETE CASCADE,
    batch_id     bigint REFERENCES batches ON DELETE CASCADE,
    author_id    bigint REFERENCES users ON DELETE SET NULL,
    title        text NOT NULL CONSTRAINT announcements_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    body         text NOT NULL CONSTRAINT announcements_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 20000),
    pinned       boolean NOT NULL DEFAULT false,
    published_at timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT announcements_one_scope CHECK (num_nonnulls(course_id, batch_id) = 1)
);
COMMENT ON TABLE announcements IS
    'Announcements to a course or a batch (seed 001 Announcement): written by the course''s staff (a batch''s: platform '
    'staff), read by those it is addressed to';
COMMENT ON COLUMN announcements.published_at IS 'From when the audience sees it (a later time schedules it)';
CREATE INDEX announcements_course_idx ON announcements (course_id, published_at) WHERE course_id IS NOT NULL;
CREATE INDEX announcements_batch_idx ON announcements (batch_id, published_at) WHERE batch_id IS NOT NULL;
CREATE TRIGGER announcements_touch_updated_at BEFORE UPDATE ON announcements
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _may_announce(course_id bigint, batch_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT CASE WHEN _may_announce.course_id IS NOT NULL THEN _is_course_staff(_may_announce.course_id, current_actor())
            ELSE _actor_is_staff() END
$$;
COMMENT ON FUNCTION _may_announce(bigint, bigint) IS
    'Internal: the acting user may announce to the course (its staff) or the batch (platform staff)';

CREATE FUNCTION _announcement_audience(course_id bigint, batch_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM students s
                WHERE s.user_id = current_actor() AND NOT s.is_expelled
                  AND (s.course_id = _announcement_audience.course_id OR s.batch_id = _announcement_audience.batch_id))
    OR EXISTS (SELECT 1 FROM program_applications p
                WHERE p.user_id = current_actor() AND p.batch_id = _announcement_audience.batch_id
                  AND _holds_seat(p.status))
$$;
COMMENT ON FUNCTION _announcement_audience(bigint, bigint) IS
    'Internal: the acting user is addressed by an announcement to the course or batch (a student not expelled, or an '
    'allocated or enrolled applicant)';

-- Program applications: each move is one function, for the person whose move it is.
CREATE FUNCTION _application(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications;
BEGIN
    SELECT * INTO p FROM program_applications x WHERE x.id = application_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'program application % does not exist', coalesce(application_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION _application(bigint) IS 'Internal: the application, locked for its move (P0002 when there is none)';

CREATE FUNCTION _application_in(p program_applications, action text, VARIADIC allowed program_application_status[])
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT p.status = ANY (allowed) THEN
        RAISE EXCEPTION 'program application % is %, it cannot be %', p.id, p.status, action USING ERRCODE = 'MN006',
            HINT = format('Only an application that is %s can be %s.', array_to_string(allowed, ' or '), action);
    END IF;
END
$$;
COMMENT ON FUNCTION _application_in(program_applications, text, program_application_status[]) IS
    'Internal: MN006 unless the application is in one of the statuses the move starts from';

CREATE FUNCTION submit_application(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications := _application(application_id);
BEGIN
    IF p.user_id IS DISTINCT FROM current_actor() THEN
        RAISE EXCEPTION 'only the applicant submits program application %', p.id USING ERRCODE = 'insufficient_privilege',
            HINT = 'Call mentor.set_actor() with the applicant''s id first.';
    END IF;
    PERFORM _application_in(p, 'submitted', 'draft');
    UPDATE program_applications x SET status = 'submitted', submitted_at = now() WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION submit_application(bigint) IS 'The applicant (the acting user) submits a draft; MN006 once submitted';

CREATE FUNCTION review_application(application_id bigint, approve boolean DEFAULT NULL, note text DEFAULT NULL)
RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('review program applications');
    p  program_applications := _application(application_id);
BEGIN
    PERFORM _application_in(p, CASE WHEN approve THEN 'approved' WHEN NOT approve THEN 'rejected' ELSE 'reviewed' END,
                            'submitted', 'under_review');
    IF p.status = 'submitted' THEN
        UPDATE program_applications x SET status = 'under_review', reviewed_by = me WHERE x.id = p.id RETURNING * INTO p;
    END IF;
    IF approve IS NOT NULL THEN
        UPDATE program_applications x
           SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END::program_application_status,
               reviewed_by = me, review_note = note
         WHERE x.id = p.id RETURNING * INTO p;
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION review_application(bigint, boolean, text) IS
    'Staff review a submitted application: NULL starts the review (under_review), true approves, false rejects, with '
    'an optional note; MN006 from any other status';

-- Discount requests (seed 001 DiscountRequest): a lower fee for an application, asked by its
-- applicant or staff and decided by another member of staff before the fee is paid.
CREATE TABLE discount_requests (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES program_applications ON DELETE CASCADE,
    requested_by   bigint REFERENCES users ON DELETE SET NULL,
    amount         bigint NOT NULL CONSTRAINT discount_requests_amount_positive CHECK (amount > 0),
    reason         text NOT NULL CONSTRAINT discount_requests_reason_length CHECK (length(btrim(reason)) BETWEEN 1 AND 5000),
    status         text NOT NULL DEFAULT 'pending'
                   CONSTRAINT discount_requests_status CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    decided_by     bigint REFERENCES users ON DELETE SET NULL,
    decision_note  text CONSTRAINT discount_requests_note_length CHECK (length(decision_note) <= 5000),
    decided_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE discount_requests IS
    'Requests to lower a program application''s fee (seed 001 DiscountRequest): amount in minor units of the batch''s '
    'fee asset; pending (one at a time per application), then approved or rejected by staff other than the requester '
    '(decide_discount) or cancelled (cancel_discount); approved amounts come off the fee that pay_application_fee and '
    'the pay-after-placement upfront payment charge. Written only by those functions';
CREATE UNIQUE INDEX discount_requests_pending_once ON discount_requests (application_id) WHERE status = 'pending';
CREATE TRIGGER discount_requests_touch_updated_at BEFORE UPDATE ON discount_requests
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _application_fee(application_id bigint) RETURNS bigint
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
    SELECT greatest(b.enrollment_fee - coalesce((SELECT sum(d.amount) FROM discount_requests d
                                                 WHERE d.application_id = p.id AND d.status = 'approved'), 0), 0)::bigint
      FROM program_applications p JOIN batches b ON b.id = p.batch_id
     WHERE p.id = _application_fee.application_id
$$;
COMMENT ON FUNCTION _application_fee(bigint) IS
    'Internal: the fee an application pays: its batch''s enrollment_fee less its approved discounts (never below 0)';

CREATE FUNCTION _discount_open(p program_applications) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF p.status IN ('rejected', 'deboarded') THEN
        RAISE EXCEPTION 'program application % is %', p.id, p.status USING ERRCODE = 'MN006',
            HINT = 'Discounts are for live applications.';
    END IF;
    IF p.fee_transfer_id IS NOT NULL OR p.status IN ('payment_received', 'paid', 'batch_allocated', 'enrolled')
       OR EXISTS (SELECT 1 FROM pap_workflows w WHERE w.application_id = p.id AND w.payment_transfer_id IS NOT NULL) THEN
        RAISE EXCEPTION 'the fee of program application % is paid', p.id USING ERRCODE = 'MN006',
            HINT = 'Discounts are requested and decided before the fee is paid.';
    END IF;
END
$$;
COMMENT ON FUNCTION _discount_open(program_applications) IS
    'Internal: MN006 once an application''s fee is paid (or the application rejected): no discount changes it then';

CREATE FUNCTION request_discount(application_id bigint, amount bigint, reason text) RETURNS discount_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := current_actor();
    p  program_applications := _application(application_id);
    d  discount_requests;
BEGIN
    IF me IS DISTINCT FROM p.user_id AND NOT _actor_is_staff() THEN
        RAISE EXCEPTION 'only the applicant or staff request a discount on program application %', p.id
            USING ERRCODE = 'MN005', DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    PERFORM _discount_open(p);
    IF amount IS NULL OR amount <= 0 OR amount > _application_fee(p.id) THEN
        RAISE EXCEPTION 'a discount of % is not between 1 and the fee left, %', coalesce(amount::text, 'NULL'),
            _application_fee(p.id) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One pending request per application: a second is 23505 naming discount_requests_pending_once.
    INSERT INTO discount_requests AS x (application_id, requested_by, amount, reason)
    VALUES (p.id, me, amount, reason) RETURNING x.* INTO d;
    RETURN d;
END
$$;
COMMENT ON FUNCTION request_discount(bigint, bigint, text) IS
    'The applicant or staff (MN005 for anyone else) ask for a discount on an application''s fee, with a reason: pending '
    'until decided; 22023 for an amount above the fee left, MN006 once the fee is paid, 23505 while another is pending';

CREATE FUNCTION decide_discount(request_id bigint, approve boolean, note text DEFAULT NULL) RETURNS discount_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('decide discount requests');
    d  discount_requests;
    p  program_applications;
BEGIN
    SELECT * INTO d FROM discount_requests x WHERE x.id = decide_discount.request_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'discount request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    p := _application(d.application_id);   -- the application's lock first, as pay_application_fee takes it
    SELECT * INTO d FROM discount_requests x WHERE x.id = d.id FOR UPDATE;
    IF d.status <> 'pending' THEN
        RAISE EXCEPTION 'discount request % is %', d.id, d.status USING ERRCODE = 'MN006';
    END IF;
    IF d.requested_by = me THEN
        RAISE EXCEPTION 'discount request % is decided by staff other than its requester', d.id USING ERRCODE = 'MN005',
            HINT = 'Another member of staff decides it.';
    END IF;
    IF approve IS NULL THEN
        RAISE EXCEPTION 'a discount is approved (true) or rejected (false)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM _discount_open(p);
    IF approve AND d.amount > _application_fee(p.id) THEN
        RAISE EXCEPTION 'a discount of % is more than the fee left, %', d.amount, _application_fee(p.id)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Reject it; the applicant may ask for less.';
    END IF;
    UPDATE discount_requests x SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END,
           decided_by = me, decision_note = note, decided_at = now()
     WHERE x.id = d.id RETURNING x.* INTO d;
    RETURN d;
END
$$;
COMMENT ON FUNCTION decide_discount(bigint, boolean, text) IS
    'Staff other than the requester (MN005) approve or reject a pending discount request, with a note; MN006 when it '
    'is not pending or the fee is paid';

CREATE FUNCTION cancel_discount(request_id bigint) RETURNS discount_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    d discount_requests;
BEGIN
    SELECT * INTO d FROM discount_requests x WHERE x.id = cancel_discount.request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'discount request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF d.requested_by IS DISTINCT FROM current_actor() THEN
        RAISE EXCEPTION 'only its requester cancels discount request %', d.id USING ERRCODE = 'MN005';
    END IF;
    IF d.status <> 'pending' THEN
        RAISE EXCEPTION 'discount request % is %', d.id, d.status USING ERRCODE = 'MN006';
    END IF;
    UPDATE discount_requests x SET status = 'cancelled', decided_at = now() WHERE x.id = d.id RETURNING x.* INTO d;
    RETURN d;
END
$$;
COMMENT ON FUNCTION cancel_discount(bigint) IS 'Its requester withdraws a pending discount request (MN005 for anyone else)';

CREATE FUNCTION pay_application_fee(application_id bigint, payment_ref text, id uuid) RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications := _application(application_id);
    b batches;
    fee bigint;
BEGIN
    IF p.user_id IS DISTINCT FROM current_actor() AND NOT _actor_is_staff() THEN
        RAISE EXCEPTION 'only the applicant or staff record the fee of program application %', p.id
            USING ERRCODE = 'insufficient_privilege', HINT = 'Call mentor.set_actor() with the applicant''s id first.';
    END IF;
    IF p.fee_transfer_id IS NOT NULL OR p.status IN ('payment_received', 'paid', 'batch_allocated', 'enrolled', 'deboarded') THEN
        IF p.fee_transfer_id IS NOT DISTINCT FROM pay_application_fee.id
           AND p.payment_ref IS NOT DISTINCT FROM pay_application_fee.payment_ref THEN
            RETURN id;   -- a retry of the same payment
        END IF;
        RAISE EXCEPTION 'the fee of program application % is recorded already', p.id USING ERRCODE = 'MN003',
            DETAIL = format('Recorded: transfer %s, payment %s.', p.fee_transfer_id, p.payment_ref),
            HINT = 'Retry with the same id and payment reference, or leave it.';
    END IF;
    PERFORM _application_in(p, 'paid', 'approved');
    IF id IS NULL OR payment_ref IS NULL OR btrim(payment_ref) = '' THEN
        RAISE EXCEPTION 'a fee payment needs an id and the payment reference' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass the payment provider''s reference and a new uuid (the idempotency key).';
    END IF;
    SELECT * INTO b FROM batches x WHERE x.id = p.batch_id;
    fee := _application_fee(p.id);
    IF fee > 0 THEN
        -- Money comes in from outside: held from external towards revenue until the provider confirms it.
        PERFORM transfer(id, system_account('external', b.fee_asset), system_account('revenue', b.fee_asset),
                         fee, 'fee', payment_ref, pending => true);
    END IF;
    UPDATE program_applications x
       SET status = 'payment_received', fee_amount = fee, fee_asset = b.fee_asset,
           fee_transfer_id = pay_application_fee.id, payment_ref = pay_application_fee.payment_ref
     WHERE x.id = p.id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION pay_application_fee(bigint, text, uuid) IS
    'Records the payment of an approved application''s fee (the batch fee less approved discounts; by the applicant or '
    'staff): a ledger hold of it '
    'in the batch''s asset from external to revenue, id being its idempotency key; payment_received until '
    'confirm_application_payment. A retry with the same id and reference returns id; another is MN003';

CREATE FUNCTION confirm_application_payment(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications := _application(application_id);
BEGIN
    IF p.status IN ('paid', 'batch_allocated', 'enrolled', 'deboarded') AND p.fee_transfer_id IS NOT NULL THEN
        RETURN p;   -- confirmed already
    END IF;
    PERFORM _application_in(p, 'confirmed paid', 'payment_received');
    IF p.fee_amount > 0 THEN
        PERFORM post_pending(p.fee_transfer_id, _derived_id(p.fee_transfer_id, 'paid'));
    END IF;
    UPDATE program_applications x SET status = 'paid' WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION confirm_application_payment(bigint) IS
    'The payment provider confirmed the fee: the hold is posted (revenue) and the application is paid (idempotent)';

CREATE FUNCTION allocate_application(application_id bigint, batch_id bigint DEFAULT NULL) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('allocate batch seats');
    p  program_applications := _application(application_id);
BEGIN
    PERFORM _application_in(p, 'allocated', 'paid');
    UPDATE program_applications x
       SET status = 'batch_allocated', batch_id = coalesce(allocate_application.batch_id, x.batch_id), allocated_at = now()
     WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION allocate_application(bigint, bigint) IS
    'Staff allocate a paid application a seat in its batch (or the batch given): MN004 when the batch is full, exact '
    'under concurrent allocations; MN006 unless paid or when the batch is completed or cancelled';

CREATE FUNCTION enroll_application(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := _staff_actor('enroll applicants');
    p       program_applications := _application(application_id);
    course  bigint;
    student bigint;
BEGIN
    PERFORM _application_in(p, 'enrolled', 'batch_allocated');
    SELECT b.course_id INTO course FROM batches b WHERE b.id = p.batch_id;
    IF course IS NOT NULL THEN
        INSERT INTO students (course_id, user_id, batch_id) VALUES (course, p.user_id, p.batch_id)
        ON CONFLICT (course_id, user_id) DO UPDATE SET batch_id = EXCLUDED.batch_id, is_expelled = false, expelling_reason = NULL
        RETURNING id INTO student;
    END IF;
    UPDATE program_applications x SET status = 'enrolled', enrolled_at = now(), student_id = student
     WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION enroll_application(bigint) IS
    'Staff enroll an allocated applicant: they become a student (the enrollment) of the batch''s course, keeping the seat';

CREATE FUNCTION deboard_application(application_id bigint, reason text) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('deboard students');
    p  program_applications := _application(application_id);
BEGIN
    PERFORM _application_in(p, 'deboarded', 'enrolled');
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'deboarding needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE students s SET is_expelled = true, expelling_reason = reason WHERE s.id = p.student_id;
    UPDATE program_applications x SET status = 'deboarded', deboarded_at = now(), review_note = reason
     WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION deboard_application(bigint, text) IS
    'Staff deboard an enrolled student with a reason: the seat is freed and the student row is expelled (kept, with '
    'its results)';

ALTER TABLE program_applications ENABLE ROW LEVEL SECURITY;
CREATE POLICY program_applications_select ON program_applications FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY program_applications_insert ON program_applications FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY program_applications_update ON program_applications FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor() AND status = 'draft')
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY program_applications_delete ON program_applications FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() AND status = 'draft');
ALTER TABLE discount_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY discount_requests_select ON discount_requests FOR SELECT TO mentor_app
    USING (@extschema@._actor_is_staff()
           OR EXISTS (SELECT 1 FROM @extschema@.program_applications p
                       WHERE p.id = application_id AND p.user_id = @extschema@.current_actor()));
CREATE POLICY discount_requests_insert ON discount_requests FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY discount_requests_update ON discount_requests FOR UPDATE TO mentor_app USING (false);
CREATE POLICY discount_requests_delete ON discount_requests FOR DELETE TO mentor_app USING (false);
ALTER TABLE classes ENABLE ROW LEVEL SECURITY;
CREATE POLICY classes_select ON classes FOR SELECT TO mentor_app USING (true);
CREATE POLICY classes_insert ON classes FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY classes_update ON classes FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY classes_delete ON classes FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE attendance ENABLE ROW LEVEL SECURITY;
CREATE POLICY attendance_select ON attendance FOR SELECT TO mentor_app
    USING (@extschema@._class_staff(class_id)
           OR EXISTS (SELECT 1 FROM @extschema@.students s WHERE s.id = student_id AND s.user_id = @extschema@.current_actor()));
CREATE POLICY attendance_insert ON attendance FOR INSERT TO mentor_app WITH CHECK (@extschema@._class_staff(class_id));
CREATE POLICY attendance_update ON attendance FOR UPDATE TO mentor_app
    USING (@extschema@._class_staff(class_id)) WITH CHECK (@extschema@._class_staff(class_id));
CREATE POLICY attendance_delete ON attendance FOR DELETE TO mentor_app USING (@extschema@._class_staff(class_id));
ALTER TABLE announcements ENABLE ROW LEVEL SECURITY;
CREATE POLICY announcements_select ON announcements FOR SELECT TO mentor_app
    USING (author_id = @extschema@.current_actor()
           OR (published_at <= now() AND @extschema@._announcement_audience(course_id, batch_id))
           OR @extschema@._may_announce(course_id, batch_id));
CREATE POLICY announcements_insert ON announcements FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._may_announce(course_id, batch_id));
CREATE POLICY announcements_update ON announcements FOR UPDATE TO mentor_app
    USING (@extschema@._may_announce(course_id, batch_id))
    WITH CHECK (@extschema@._may_announce(course_id, batch_id));
CREATE POLICY announcements_delete ON announcements FOR DELETE TO mentor_app
    USING (@extschema@._may_announce(course_id, batch_id));
