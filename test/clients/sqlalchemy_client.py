"""SQLAlchemy 1.4 + psycopg2 (Debian's python3-sqlalchemy, python3-psycopg2)
against mentor, as a backend would use it: declarative models of the core
tables, the ORM's own saves, the extension's functions through text(), and
the SQLSTATE and detail of each refusal read from the driver's error.
Connects as a login granted mentor_app only (libpq environment variables).
Prints TAP."""
import os
import sys
import uuid

n = 0


def ok(cond, what, diag=None):
    global n
    n += 1
    print(("ok" if cond else "not ok") + f" {n} - {what}")
    if not cond and diag is not None:
        print(f"# {diag}")
    return cond


try:
    import psycopg2  # noqa: F401
    from sqlalchemy import (BigInteger, Boolean, Column, DateTime, FetchedValue, Integer, Numeric, Text, create_engine,
                            func, select, text)
    from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE
    from sqlalchemy.exc import DBAPIError, IntegrityError
    from sqlalchemy.orm import Session, declarative_base
except ImportError as e:
    ok(False, "SQLAlchemy and psycopg2 are installed (apt-get install python3-sqlalchemy python3-psycopg2)", e)
    sys.exit(1)

Base = declarative_base()
M = {"schema": "mentor"}


class User(Base):
    __tablename__ = "users"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    email = Column(Text, nullable=False)
    username = Column(Text)
    full_name = Column(Text)
    # Columns the database fills when the insert leaves them out are declared so, or the ORM sends NULL.
    role = Column(Text, server_default=FetchedValue())
    active = Column(Boolean, server_default=FetchedValue())


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = M
    user_id = Column(BigInteger, primary_key=True)
    headline = Column(Text)
    years_of_experience_text = Column(Text)
    years_of_experience = Column(Integer)


class MentorProfile(Base):
    __tablename__ = "mentor_profiles"
    __table_args__ = M
    user_id = Column(BigInteger, primary_key=True)
    headline = Column(Text)
    price_tokens = Column(BigInteger)
    max_mentees = Column(Integer)
    active_mentees = Column(Integer)
    availability = Column(Text)     # the availability type, read and written as its text form
    updated_at = Column(DateTime(timezone=True), onupdate=func.now())


class MentorSession(Base):
    __tablename__ = "sessions"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    mentor_id = Column(BigInteger)
    mentee_id = Column(BigInteger)
    during = Column(TSTZRANGE)
    status = Column(Text)
    title = Column(Text)
    description = Column(Text)
    updated_at = Column(DateTime(timezone=True), onupdate=func.now())


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    owner_id = Column(BigInteger)
    kind = Column(Text)
    posted = Column(BigInteger)


class CourseTask(Base):
    __tablename__ = "course_tasks"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    crosscheck_status = Column(Text)


class Note(Base):
    __tablename__ = "mentorship_notes"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    mentorship_id = Column(BigInteger)
    author_id = Column(BigInteger)
    body = Column(Text, nullable=False)
    shared = Column(Boolean, server_default=FetchedValue())


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    user_id = Column(BigInteger)
    type_code = Column(Text)
    channel_code = Column(Text)
    status = Column(Text)
    read_at = Column(DateTime(timezone=True))


class NotificationSetting(Base):
    __tablename__ = "notification_user_settings"
    __table_args__ = M
    user_id = Column(BigInteger, primary_key=True)
    type_code = Column(Text, primary_key=True)
    channel_code = Column(Text, primary_key=True)
    enabled = Column(Boolean, nullable=False)


class IntegrationToken(Base):
    __tablename__ = "integration_tokens"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    user_id = Column(BigInteger)
    provider = Column(Text)
    scopes = Column(Text)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    conversation_id = Column(BigInteger)
    sender_id = Column(BigInteger)
    body = Column(Text)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    problem_id = Column(BigInteger, nullable=False)
    user_id = Column(BigInteger, nullable=False)
    language_code = Column(Text, nullable=False)
    code = Column(Text, nullable=False)
    # Kept by the judge's functions: the ORM leaves them to the database.
    status = Column(Text, server_default=FetchedValue())
    verdict = Column(Text, server_default=FetchedValue())
    score = Column(Numeric, server_default=FetchedValue())


class UserStats(Base):
    __tablename__ = "user_stats"
    __table_args__ = M
    user_id = Column(BigInteger, primary_key=True)
    problems_solved = Column(Integer, server_default=FetchedValue())
    attempts = Column(Integer, server_default=FetchedValue())
    acceptance_rate = Column(Numeric, server_default=FetchedValue())
    study_plan = Column(JSONB)


class ForumPost(Base):
    __tablename__ = "forum_posts"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    author_id = Column(BigInteger, nullable=False)
    title = Column(Text, nullable=False)
    content = Column(Text, nullable=False)
    comment_count = Column(Integer, server_default=FetchedValue())


class ForumComment(Base):
    __tablename__ = "forum_comments"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    post_id = Column(BigInteger, nullable=False)
    author_id = Column(BigInteger, nullable=False)
    content = Column(Text, nullable=False)


class Resource(Base):
    __tablename__ = "resources"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    title = Column(Text, nullable=False)
    type = Column(Text, nullable=False)
    uploaded_by = Column(BigInteger)
    url = Column(Text)
    file_path = Column(Text)
    published = Column(Boolean, server_default=FetchedValue())
    tags = Column(ARRAY(Text), server_default=FetchedValue())


class SupportTicket(Base):
    __tablename__ = "support_tickets"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    reporter_id = Column(BigInteger, nullable=False)
    title = Column(Text, nullable=False)
    description = Column(Text, nullable=False)
    # Moved by assign_ticket / set_ticket_status: the ORM leaves them to the database.
    status = Column(Text, server_default=FetchedValue())
    assignee_id = Column(BigInteger, server_default=FetchedValue())
    resolved_at = Column(DateTime(timezone=True), server_default=FetchedValue())


class TicketMessage(Base):
    __tablename__ = "ticket_messages"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    ticket_id = Column(BigInteger, nullable=False)
    author_id = Column(BigInteger)
    body = Column(Text, nullable=False)


class ProxyRequest(Base):
    __tablename__ = "proxy_requests"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    mother_id = Column(BigInteger, nullable=False)
    proxy_id = Column(BigInteger, nullable=False)
    start_date = Column(DateTime(timezone=True), nullable=False)
    expected_end_date = Column(DateTime(timezone=True), nullable=False)
    status = Column(Text, server_default=FetchedValue())
    leave = Column(TSTZRANGE, server_default=FetchedValue())


class SupportChat(Base):
    __tablename__ = "support_chats"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    user_id = Column(BigInteger, nullable=False)
    message = Column(Text, nullable=False)
    is_from_user = Column(Boolean, nullable=False)


class LearningProgress(Base):
    __tablename__ = "learning_progress"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    user_id = Column(BigInteger, nullable=False)
    path_id = Column(BigInteger, nullable=False)
    # Kept by the completions' trigger: the ORM leaves them to the database.
    completed_count = Column(Integer, server_default=FetchedValue())
    progress = Column(Integer, server_default=FetchedValue())
    completed_at = Column(DateTime(timezone=True), server_default=FetchedValue())


class ModuleCompletion(Base):
    __tablename__ = "learning_module_completions"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    user_id = Column(BigInteger, nullable=False)
    module_id = Column(BigInteger, nullable=False)


class ProgramApplication(Base):
    __tablename__ = "program_applications"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    user_id = Column(BigInteger, nullable=False)
    batch_id = Column(BigInteger, nullable=False)
    answers = Column(JSONB, server_default=FetchedValue())
    # Moved by the functions: the ORM reads them back.
    status = Column(Text, server_default=FetchedValue())
    student_id = Column(BigInteger, server_default=FetchedValue())


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    class_id = Column(BigInteger, nullable=False)
    course_id = Column(BigInteger, nullable=False)   # the trigger sets the class's
    student_id = Column(BigInteger, nullable=False)
    status = Column(Text, nullable=False)
    marked_by = Column(BigInteger, server_default=FetchedValue())


class TaskVerification(Base):
    __tablename__ = "task_verifications"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    course_task_id = Column(BigInteger, nullable=False)
    course_id = Column(BigInteger, nullable=False)   # the trigger sets the task's
    student_id = Column(BigInteger, nullable=False)
    status = Column(Text, nullable=False)
    score = Column(Integer)
    answers = Column(JSONB)
    attempt_no = Column(Integer, server_default=FetchedValue())   # numbered by the extension


class Resume(Base):
    __tablename__ = "resumes"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    user_id = Column(BigInteger, nullable=False)
    name = Column(Text)
    desired_position = Column(Text)
    sections = Column(JSONB, server_default=FetchedValue())
    visibility = Column(Text, server_default=FetchedValue())
    public_id = Column(Text, server_default=FetchedValue())


class Gratitude(Base):
    __tablename__ = "gratitudes"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    from_user_id = Column(BigInteger, nullable=False)
    to_user_id = Column(BigInteger, nullable=False)
    badge = Column(Text, nullable=False)
    comment = Column(Text)


class JobTemplate(Base):
    __tablename__ = "job_templates"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    owner_id = Column(BigInteger)
    name = Column(Text, nullable=False)
    title = Column(Text, nullable=False)
    skills = Column(ARRAY(Text), server_default=FetchedValue())
    salary_min = Column(Numeric)
    salary_max = Column(Numeric)


class VoiceInterviewMessage(Base):
    __tablename__ = "voice_interview_messages"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    interview_id = Column(BigInteger, nullable=False)
    turn = Column(Integer, nullable=False)
    speaker = Column(Text, nullable=False)
    body = Column(Text, nullable=False)


class RawLead(Base):
    __tablename__ = "raw_leads"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    session_year = Column(Text, nullable=False)
    name = Column(Text)
    phone = Column(Text, nullable=False)
    email = Column(Text)
    source = Column(Text, server_default=FetchedValue())
    interest_level = Column(Text, server_default=FetchedValue())
    extra_data = Column(JSONB, server_default=FetchedValue())
    assigned_to = Column(BigInteger)
    status = Column(Text, server_default=FetchedValue())


class LeadCallLog(Base):
    __tablename__ = "lead_call_logs"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    lead_id = Column(BigInteger, nullable=False)
    user_id = Column(BigInteger)
    outcome = Column(Text, nullable=False)
    source = Column(Text, server_default=FetchedValue())
    provider_ref = Column(Text)
    duration_seconds = Column(Integer)


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = M
    id = Column(BigInteger, primary_key=True)
    name = Column(Text, nullable=False)
    definition = Column(JSONB, nullable=False)
    start_node = Column(Text, server_default=FetchedValue())
    active = Column(Boolean, server_default=FetchedValue())


def sqlstate(exc):
    orig = getattr(exc, "orig", None)
    return getattr(orig, "pgcode", None)


def detail(exc):
    orig = getattr(exc, "orig", None)
    return getattr(getattr(orig, "diag", None), "message_detail", None)


def call(session, sql, **params):
    return session.execute(text(sql), params).scalar()


def refused(session, sql, **params):
    """The error a statement raises, inside a savepoint so the transaction goes on."""
    try:
        with session.begin_nested():
            session.execute(text(sql), params)
    except DBAPIError as e:
        return e
    return None


engine = create_engine("postgresql+psycopg2://", future=True)

with Session(engine, future=True) as s, s.begin():
    mentor = s.execute(select(User).where(User.username == "cl_mentor")).scalar_one()
    ok(mentor.role == "mentor", "the models map: a user read through the ORM (citext email, enum role as text)")
    # Sign a user up through the ORM: the id comes back, the extension creates the profile and wallet.
    mia = User(email="Mia.Client@Example.com", username="mia_client", full_name="Mia Client", role="mentee")
    s.add(mia)
    s.flush()
    ok(mia.id is not None, "an ORM insert signs a user up and reads the generated id back")
    ok(s.get(Profile, mia.id) is not None, "the profile created at signup is there")
    found = s.execute(select(User).where(User.email == "mia.client@example.com")).scalar_one_or_none()
    ok(found is not None and found.id == mia.id, "the email matches in any case (citext, search_path public, mentor)")
    wallet = s.execute(select(LedgerAccount).where(LedgerAccount.owner_id == mia.id,
                                                   LedgerAccount.kind == "wallet")).scalar_one()
    ok(wallet.posted == 0, "the ledger accounts map read-only: the new wallet holds 0")
    mia_id, mentor_id, wallet_id = mia.id, mentor.id, wallet.id   # the objects expire with their session

with Session(engine, future=True) as s, s.begin():
    # The ORM's save of a changed profile and mentor profile (with an updated_at it sets itself).
    p = s.get(Profile, mia_id)
    p.headline = "Backend engineer"
    p.years_of_experience_text = "5+"
    mp = s.get(MentorProfile, mentor_id)
    mp.headline = "Databases and careers"
    s.flush()
    s.refresh(p)
    ok(p.years_of_experience == 5, "a profile saved through the ORM; the typed experience gives its number")
    ok(s.get(MentorProfile, mentor_id).headline == "Databases and careers",
       "a mentor profile saved through the ORM, updated_at included")
    mp.availability = "Mon-Fri 09:00-17:00 @ Europe/Berlin"
    s.flush()
    s.refresh(mp)
    ok(mp.availability is not None and "09:00-17:00" in mp.availability and "Europe/Berlin" in mp.availability,
       "availability written and read back as text by a driver that does not know the type", mp.availability)
    e = refused(s, "UPDATE mentor.mentor_profiles SET availability = :a WHERE user_id = :u", a="Mon 25:00-26:00", u=mentor_id)
    ok(e is not None and sqlstate(e) is not None and sqlstate(e).startswith("22"),
       "a bad availability text is refused with a 22xxx SQLSTATE", e and str(e.orig))
    e = refused(s, "UPDATE mentor.mentor_profiles SET active_mentees = 7 WHERE user_id = :u", u=mentor_id)
    ok(e is not None and sqlstate(e) == "42501", "a counter the extension keeps is refused with 42501",
       e and str(e.orig))
    e = refused(s, "UPDATE mentor.ledger_accounts SET posted = 1000 WHERE id = :a", a=wallet_id)
    ok(e is not None and sqlstate(e) == "42501", "the ledger is read-only to the application (42501)")

with Session(engine, future=True) as s, s.begin():
    # Tokens: a purchase confirmed by the platform, a spend retried with the same id.
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    slot = call(s, "SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '2 days', "
                   "date_trunc('hour', now()) + interval '2 days 1 hour'))", m=mentor_id)
    e = refused(s, "SELECT mentor.book_session(:s, :u, :id)", s=slot, u=mia_id, id=str(uuid.uuid4()))
    ok(e is not None and sqlstate(e) == "MN002" and "available" in str(e.orig),
       "booking without tokens: the error's SQLSTATE is MN002 and its message names the balance", e and str(e.orig))

# The platform (an administrator) credits the wallet; the application then books and spends.
with Session(create_engine("postgresql+psycopg2://", future=True,
                           connect_args={"user": os.environ["CLIENT_ADMIN_USER"],
                                         "password": os.environ["CLIENT_ADMIN_PASSWORD"]}), future=True) as admin, \
        admin.begin():
    call(admin, "SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(:u), "
                "100, 'purchase') IS NOT NULL", u=mia_id)

with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    booking = str(uuid.uuid4())
    ok(call(s, "SELECT mentor.book_session(:s, :u, :id)", s=slot, u=mia_id, id=booking) == slot,
       "book_session through text() returns the session")
    ok(call(s, "SELECT mentor.book_session(:s, :u, :id)", s=slot, u=mia_id, id=booking) == slot,
       "the same booking retried returns it again, paid once")
    session_row = s.get(MentorSession, slot)
    ok(session_row.status == "confirmed" and session_row.during.lower is not None,
       "the session maps, its tstzrange as a Range with bounds")
    session_row.title = "Indexing deep dive"
    session_row.description = "B-tree and GIN"
    s.flush()
    ok(s.get(MentorSession, slot).title == "Indexing deep dive", "a session's title saved through the ORM")
    e = refused(s, "UPDATE mentor.sessions SET status = 'completed' WHERE id = :s", s=slot)
    ok(e is not None and sqlstate(e) == "42501", "its status is the functions' (42501 for an UPDATE)")
    e = refused(s, "SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '2 days', "
                   "date_trunc('hour', now()) + interval '2 days 1 hour'))", m=mentor_id)
    ok(isinstance(e, IntegrityError) and sqlstate(e) == "23P01" and "overlaps" in (detail(e) or ""),
       "a double booking is an IntegrityError with 23P01, its detail naming the session in the way", e and detail(e))
    e = refused(s, "SELECT mentor.complete_session(:s)", s=slot)
    ok(e is not None and sqlstate(e) == "MN006", "completing a session that has not started: MN006")
    spend = str(uuid.uuid4())
    first = call(s, "SELECT count(*) FROM mentor.spend_tokens(:u, 5, mentor.system_account('revenue'), :id)",
                 u=mia_id, id=spend)
    again = call(s, "SELECT count(*) FROM mentor.spend_tokens(:u, 5, mentor.system_account('revenue'), :id)",
                 u=mia_id, id=spend)
    left = call(s, "SELECT (mentor.balance(mentor.wallet(:u))).available", u=mia_id)
    ok(first == again and left == 65, "a spend retried with its id moves the tokens once (100 - 30 held - 5 = 65)",
       f"available {left}")

with Session(engine, future=True) as s, s.begin():
    # A lifecycle refusal, with the allowed next states in the detail.
    call(s, "SELECT mentor.set_actor(:u)", u=mentor_id)
    ms = call(s, "INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (:m, :u) RETURNING id",
              m=mentor_id, u=mia_id)
    e = refused(s, "SELECT mentor.complete_mentorship(:ms)", ms=ms)
    ok(e is not None and sqlstate(e) == "MN001" and "may move" in (detail(e) or ""),
       "completing a pending mentorship: MN001, the detail listing the allowed moves", e and detail(e))
    ok(call(s, "SELECT mentor.activate_mentorship(:ms)", ms=ms) == ms, "the mentor activates it")
    s.add(Note(mentorship_id=ms, author_id=mentor_id, body="private: Mia wants to lead", shared=False))
    s.flush()
    ok(s.execute(select(func.count()).select_from(Note).where(Note.mentorship_id == ms)).scalar() == 1,
       "the author reads her private note through the ORM")

with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    ok(s.execute(select(func.count()).select_from(Note).where(Note.mentorship_id == ms)).scalar() == 0,
       "the mentee does not see the mentor's private note (row-level security)")

with Session(engine, future=True) as s, s.begin():
    task = s.get(CourseTask, call(s, "SELECT ct.id FROM mentor.course_tasks ct JOIN mentor.tasks t ON t.id = ct.task_id "
                                     "WHERE t.name = 'sqlalchemy'"))
    pairs = call(s, "SELECT mentor.crosscheck_distribute(:t, seed => 1)", t=task.id)
    s.refresh(task)
    ok(pairs == 10 and task.crosscheck_status == "distributed",
       "a cross-check distributed through text(): 5 solutions x 2 reviewers", f"{pairs} pairs, {task.crosscheck_status}")
    report = s.execute(text("SELECT * FROM mentor.crosscheck_report(:t)"), {"t": task.id}).mappings().one()
    ok(report["pairs"] == 10 and report["min_reviewers"] == 2 and report["max_reviewers"] == 2,
       "what the distribution made comes back as a row (crosscheck_report), not only as NOTICEs", dict(report))

with Session(engine, future=True) as s, s.begin():
    dist = call(s, "SELECT id FROM mentor.team_distributions WHERE name = 'Client teams'")
    placed = call(s, "SELECT mentor.distribute_teams(:d, seed => 1)", d=dist)
    report = s.execute(text("SELECT * FROM mentor.team_distribution_report(:d)"), {"d": dist}).mappings().one()
    ok(placed == 4 and report["placed"] == 4 and report["waiting"] == 1 and report["teams"] == 2,
       "five students in pairs: four placed, and the one left waiting comes back as a row (team_distribution_report)",
       dict(report))

# Notifications: the booking above told Mia (in-app and email); she reads only her own inbox
# through the ORM, chooses her settings, and a worker claims and reports the email outbox.
with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    inbox = s.execute(select(Notification)).scalars().all()
    ok(len(inbox) >= 1 and all(n.user_id == mia_id and n.channel_code == "in_app" for n in inbox),
       "the ORM reads the acting user's own in-app notifications only (row-level security)", [(n.user_id, n.channel_code) for n in inbox])
    ok(call(s, "SELECT mentor.unread_notifications()") == len(inbox), "unread_notifications() counts them")
    s.add(NotificationSetting(user_id=mia_id, type_code="session", channel_code="email", enabled=False))
    s.flush()
    ok(s.get(NotificationSetting, (mia_id, "session", "email")).enabled is False, "an ORM insert of her own setting")
    e = refused(s, "INSERT INTO mentor.notification_user_settings (user_id, type_code, channel_code, enabled) "
                   "VALUES (:u, 'session', 'email', false)", u=mentor_id)
    ok(e is not None and sqlstate(e) == "42501", "another user's setting is refused (42501)")
    ok(call(s, "SELECT mentor.mark_notifications_read()") == len(inbox) and call(s, "SELECT mentor.unread_notifications()") == 0,
       "mark_notifications_read() marks them")

with Session(engine, future=True) as s, s.begin():
    claimed = s.execute(text("SELECT id, user_id, address FROM mentor.claim_notifications('email', 'sqlalchemy-worker', 50)")).mappings().all()
    ok(len(claimed) >= 1 and all(r["address"] for r in claimed), "a worker claims the email outbox with addresses", len(claimed))
    first = claimed[0]["id"]
    ok(call(s, "SELECT (mentor.mark_sent(:i, 'sqlalchemy-worker', 'ref-1')).status::text", i=first) == "sent", "mark_sent reports one sent")
    e = refused(s, "SELECT mentor.mark_sent(:i, 'sqlalchemy-worker')", i=first)
    ok(e is not None and sqlstate(e) == "MN006", "a second report of it is MN006")
    e = refused(s, "SELECT mentor.mark_sent(:i, 'another-worker')", i=claimed[-1]["id"]) if len(claimed) > 1 else None
    ok(len(claimed) == 1 or (e is not None and sqlstate(e) == "MN005"), "a worker that does not hold a row cannot report it (MN005)")

# Secrets: Mia stores a token and reads it back; the ciphertext is not selectable; a one-time token works once.
with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    tid = call(s, "SELECT mentor.store_token(:u, 'google', 'ya29.sqlalchemy', 'refresh-sqlalchemy', now() + interval '1 hour', 'calendar')", u=mia_id)
    row = s.execute(text("SELECT access_token, refresh_token FROM mentor.read_token(:t)"), {"t": tid}).mappings().one()
    ok(row["access_token"] == "ya29.sqlalchemy" and row["refresh_token"] == "refresh-sqlalchemy", "store_token and read_token round-trip")
    ok(s.get(IntegrationToken, tid).scopes == "calendar", "the ORM reads the token's descriptive columns")
    e = refused(s, "SELECT access_token FROM mentor.integration_tokens")
    ok(e is not None and sqlstate(e) == "42501", "the ciphertext column is not selectable (42501)")
    tok = call(s, "SELECT mentor.issue_token('email_verification', :u)", u=mia_id)
    ok(call(s, "SELECT user_id FROM mentor.consume_token('email_verification', :t)", t=tok) == mia_id, "a one-time token is consumed")
    e = refused(s, "SELECT * FROM mentor.consume_token('email_verification', :t)", t=tok)
    ok(e is not None and sqlstate(e) == "MN006", "and a second use is MN006")

# Community: Mia and the mentor talk in a direct conversation; the ORM reads it as a member only.
with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    conv = call(s, "SELECT mentor.start_direct(:m)", m=mentor_id)
    mid = call(s, "SELECT mentor.send_message(:c, 'Thanks for the session!')", c=conv)
    ok(s.get(Message, mid).body == "Thanks for the session!", "a member reads her message through the ORM")
    e = refused(s, "SELECT mentor.send_message(:c, '')", c=conv)
    ok(e is not None and sqlstate(e) == "22023", "an empty message is 22023")

with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mentor_id)
    ok(call(s, "SELECT mentor.start_direct(:m)", m=mia_id) == conv, "the mentor starting it gets the same conversation")
    ok(call(s, "SELECT unread FROM mentor.unread_counts() WHERE conversation_id = :c", c=conv) == 1, "he has one unread message")
    other = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_other'")
    call(s, "SELECT mentor.set_actor(:u)", u=other)
    ok(s.execute(select(func.count()).select_from(Message)).scalar() == 0, "an outsider's ORM query finds no message")

# Coding practice: Mia submits through the ORM, a judge claims and reports it, her stats move;
# she writes her study plan and a forum post, and a comment counts on the post.
with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    problem = call(s, "SELECT id FROM mentor.problems WHERE slug = 'client-two-sum'")
    sub = Submission(problem_id=problem, user_id=mia_id, language_code="python", code="print(sum(map(int, input().split())))")
    s.add(sub)
    s.flush()
    ok(sub.id is not None and sub.status == "pending", "an ORM insert submits code, pending", sub.status)
    e = refused(s, "INSERT INTO mentor.submissions (problem_id, user_id, language_code, code) VALUES (:p, :u, 'python', 'x')",
                p=problem, u=mentor_id)
    ok(e is not None and sqlstate(e) == "42501", "a submission in another user's name is refused (42501)")
    sub_id = sub.id

with Session(engine, future=True) as s, s.begin():
    claimed = s.execute(text("SELECT id, status::text AS status FROM mentor.claim_submissions('sqlalchemy-judge', 10, interval '1 minute')")).mappings().all()
    ok([r["id"] for r in claimed] == [sub_id] and claimed[0]["status"] == "compiling", "a judge claims it (compiling)", claimed)
    e = refused(s, "SELECT mentor.report_submission(:i, 'other-judge', 'running')", i=sub_id)
    ok(e is not None and sqlstate(e) == "MN005", "another judge's report is MN005")
    call(s, "SELECT mentor.report_submission(:i, 'sqlalchemy-judge', 'running')", i=sub_id)
    ok(call(s, "SELECT (mentor.report_submission(:i, 'sqlalchemy-judge', 'completed', 'accepted', '3', 100, 12, 2048)).verdict::text",
            i=sub_id) == "accepted", "and its verdict: accepted")

with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    stats = s.get(UserStats, mia_id)
    ok(stats is not None and stats.problems_solved == 1 and stats.attempts == 1 and stats.acceptance_rate == 100,
       "the ORM reads the stats the trigger kept", stats and (stats.problems_solved, stats.attempts, stats.acceptance_rate))
    ok(s.get(Submission, sub_id).verdict == "accepted", "and her judged submission")
    stats.study_plan = {"next": ["graphs"], "why": "all easy problems solved"}
    s.flush()
    ok(call(s, "SELECT study_plan ->> 'why' FROM mentor.user_stats WHERE user_id = :u", u=mia_id) == "all easy problems solved",
       "an ORM update of study_plan")
    e = refused(s, "UPDATE mentor.user_stats SET problems_solved = 99 WHERE user_id = :u", u=mia_id)
    ok(e is not None and sqlstate(e) == "42501", "the counters themselves are refused (42501)")
    ok(call(s, "SELECT mentor.user_rank(:u)", u=mia_id) == 1, "user_rank(): she leads")
    post = ForumPost(author_id=mia_id, title="Two Sum in one pass", content="A hash map of complements does it.")
    s.add(post)
    s.flush()
    s.add(ForumComment(post_id=post.id, author_id=mia_id, content="Edit: watch out for duplicates."))
    s.flush()
    s.refresh(post)
    ok(post.comment_count == 1, "an ORM post and comment; the comment counts on the post", post.comment_count)
    post_id = post.id

with Session(engine, future=True) as s, s.begin():
    other = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_other'")
    call(s, "SELECT mentor.set_actor(:u)", u=other)
    theirs = s.get(ForumPost, post_id)
    theirs.title = "Vandalised"
    try:
        with s.begin_nested():
            s.flush()
        changed = call(s, "SELECT title FROM mentor.forum_posts WHERE id = :p", p=post_id) == "Vandalised"
    except Exception:  # noqa: BLE001 - the ORM raises StaleDataError: its UPDATE matched no row
        changed = False
    ok(not changed, "another user's ORM edit of the post changes nothing (row-level security)")

# Community support: resources, tickets and their threads, proxy cover and support chats,
# written through the ORM under row-level security, moved through the functions.
import datetime  # noqa: E402

with Session(engine, future=True) as s, s.begin():
    other = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_other'")
    staff = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_admin'")
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    res = Resource(title="Draft: returning to work", type="guidebook", uploaded_by=mia_id, file_path="up/return.pdf",
                   tags=["career", "planning"])
    s.add(res)
    s.flush()
    s.refresh(res)
    ok(res.published is False and res.tags == ["career", "planning"], "an ORM resource with its tags (text[] as a list)", res.tags)
    ok(call(s, "SELECT count(*) FROM mentor.resources WHERE search @@ websearch_to_tsquery('english', 'planning') AND id = :r",
            r=res.id) == 1, "found by its tags through the full-text column")
    e = refused(s, "INSERT INTO mentor.resources (title, type, uploaded_by) VALUES ('No link', 'story', :u)", u=mia_id)
    ok(isinstance(e, IntegrityError) and sqlstate(e) == "23514", "a resource without URL or file is an IntegrityError (23514)")
    ticket = SupportTicket(reporter_id=mia_id, title="Upload fails", description="At 90 percent.")
    s.add(ticket)
    s.flush()
    s.refresh(ticket)
    ok(ticket.status == "open" and ticket.assignee_id is None, "an ORM ticket opens (status from the database)", ticket.status)
    s.add(TicketMessage(ticket_id=ticket.id, author_id=mia_id, body="On my phone."))
    s.flush()
    e = refused(s, "UPDATE mentor.support_tickets SET status = 'resolved' WHERE id = :t", t=ticket.id)
    ok(e is not None and sqlstate(e) == "42501", "an UPDATE of its status is refused (42501): it moves through set_ticket_status")
    proxy = ProxyRequest(mother_id=mia_id, proxy_id=other, start_date=datetime.datetime(2027, 3, 1, tzinfo=datetime.timezone.utc),
                         expected_end_date=datetime.datetime(2027, 6, 1, tzinfo=datetime.timezone.utc))
    s.add(proxy)
    s.flush()
    s.refresh(proxy)
    ok(proxy.status == "pending" and proxy.leave.lower == proxy.start_date and proxy.leave.upper == proxy.expected_end_date,
       "an ORM proxy request; its leave reads back as a range", proxy.leave)
    e = refused(s, "SELECT mentor.respond_proxy_request(:p, true)", p=proxy.id)
    ok(e is not None and sqlstate(e) == "MN005", "the mother does not answer her own request (MN005)")
    s.add(SupportChat(user_id=mia_id, message="I feel nervous about Monday.", is_from_user=True))
    s.flush()
    ticket_id, proxy_id, res_id = ticket.id, proxy.id, res.id

with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=staff)
    e = refused(s, "SELECT mentor.assign_ticket(:t, :a)", t=ticket_id, a=other)
    ok(e is not None and sqlstate(e) == "22023", "staff cannot assign the ticket to a non-staff user (22023)")
    call(s, "SELECT mentor.assign_ticket(:t, :a)", t=ticket_id, a=staff)
    call(s, "SELECT mentor.set_ticket_status(:t, 'resolved')", t=ticket_id)
    t = s.get(SupportTicket, ticket_id)
    ok(t.assignee_id == staff and t.status == "resolved" and t.resolved_at is not None,
       "staff assign to themselves and resolve; the ORM reads resolved_at stamped")
    ok(s.get(Resource, res_id) is not None, "staff read the unpublished resource")
    ok(s.execute(select(func.count()).select_from(SupportChat)).scalar() == 0, "but not the user's support chat")

with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=other)
    ok(s.get(Resource, res_id) is None and s.get(SupportTicket, ticket_id) is None
       and s.execute(select(func.count()).select_from(TicketMessage)).scalar() == 0,
       "another user reads neither the draft resource nor the ticket or its thread")
    ok(call(s, "SELECT mentor.respond_proxy_request(:p, true)::text", p=proxy_id) == "accepted", "the proxy accepts")
    ok(s.get(ProxyRequest, proxy_id).status == "accepted", "and the ORM reads it accepted")

# Learning paths: completions through the ORM; the progress it reads back is the trigger's.
with Session(engine, future=True) as s, s.begin():
    path = call(s, "SELECT id FROM mentor.learning_paths WHERE title = 'Client path'")
    modules = [r[0] for r in s.execute(text("SELECT id FROM mentor.learning_path_modules WHERE path_id = :p ORDER BY position"), {"p": path})]
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    s.add(ModuleCompletion(user_id=mia_id, module_id=modules[0]))
    s.flush()
    prog = s.execute(select(LearningProgress).where(LearningProgress.user_id == mia_id, LearningProgress.path_id == path)).scalar_one()
    ok(prog.completed_count == 1 and prog.progress == 25 and prog.completed_at is None,
       "an ORM completion starts the path: 1 of 4 = 25%", (prog.completed_count, prog.progress))
    s.add_all([ModuleCompletion(user_id=mia_id, module_id=m) for m in modules[1:]])
    s.flush()
    s.refresh(prog)
    ok(prog.progress == 100 and prog.completed_at is not None, "all four: 100%, completed_at stamped", prog.progress)
    e = refused(s, "UPDATE mentor.learning_progress SET progress = 10 WHERE id = :i", i=prog.id)
    ok(e is not None and sqlstate(e) == "42501", "progress written by hand is refused (42501)")
    ok(call(s, "SELECT jsonb_array_length(completed_modules) FROM mentor.user_learning_progress WHERE path_id = :p", p=path) == 4,
       "user_learning_progress shows the four as seed 004's JSON array")

# Cohorts: an application written through the ORM, moved by the functions (staff review,
# allocate and enroll); the seat is the only one; staff mark attendance through the ORM.
with Session(engine, future=True) as s, s.begin():
    batch = call(s, "SELECT id FROM mentor.batches WHERE code = 'CL-BATCH'")
    staff = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_admin'")
    other = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_other'")
    apps = {}
    for who in (mia_id, other):
        call(s, "SELECT mentor.set_actor(:u)", u=who)
        app = ProgramApplication(user_id=who, batch_id=batch, answers={"why": "client test"})
        s.add(app)
        s.flush()
        s.refresh(app)
        ok(app.status == "draft", "an ORM insert makes a draft application", app.status)
        call(s, "SELECT mentor.submit_application(:a)", a=app.id)
        apps[who] = app.id
    call(s, "SELECT mentor.set_actor(:u)", u=staff)
    for a in apps.values():
        call(s, "SELECT mentor.review_application(:a, true)", a=a)
        call(s, "SELECT mentor.pay_application_fee(:a, 'free', :id)", a=a, id=str(uuid.uuid4()))
        call(s, "SELECT mentor.confirm_application_payment(:a)", a=a)
    call(s, "SELECT mentor.allocate_application(:a)", a=apps[mia_id])
    e = refused(s, "SELECT mentor.allocate_application(:a)", a=apps[other])
    ok(e is not None and sqlstate(e) == "MN004", "the batch's one seat is taken: the next allocation is MN004", e and str(e.orig))
    call(s, "SELECT mentor.enroll_application(:a)", a=apps[mia_id])
    app = s.get(ProgramApplication, apps[mia_id])
    s.refresh(app)
    ok(app.status == "enrolled" and app.student_id is not None, "the ORM reads the application enrolled, with its enrollment", app.status)
    ok(call(s, "SELECT status::text FROM mentor.enrollments WHERE id = :i", i=app.student_id) == "not_started",
       "the enrollment (a students row) has not started")
    klass = call(s, "SELECT id FROM mentor.classes WHERE title = 'Client class'")
    mark = Attendance(class_id=klass, course_id=0, student_id=app.student_id, status="present")
    s.add(mark)
    s.flush()
    s.refresh(mark)
    ok(mark.marked_by == staff and mark.course_id == call(s, "SELECT course_id FROM mentor.classes WHERE id = :c", c=klass),
       "staff mark attendance through the ORM; the class's course and the marker are filled in")
    ok(call(s, "SELECT status::text FROM mentor.enrollments WHERE id = :i", i=app.student_id) == "in_progress",
       "the first class attended starts the enrollment")
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    ok(call(s, "SELECT rate FROM mentor.attendance_rates WHERE student_id = :i", i=app.student_id) == 100,
       "attendance_rates: one class held, attended, 100%")
    e = refused(s, "UPDATE mentor.attendance SET status = 'excused' WHERE id = :i", i=mark.id)
    ok(e is None and s.get(Attendance, mark.id) is not None, "the student reads her mark")
    ok(call(s, "SELECT status::text FROM mentor.attendance WHERE id = :i", i=mark.id) == "present",
       "but her UPDATE changes nothing (row-level security: the class's staff mark)")

# Auto-checked tasks: a student posts attempts through the ORM; the best is her task result.
with Session(engine, future=True) as s, s.begin():
    task = call(s, "SELECT ct.id FROM mentor.course_tasks ct JOIN mentor.tasks t ON t.id = ct.task_id WHERE t.name = 'client auto test'")
    student, student_user = s.execute(text("SELECT s.id, s.user_id FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id "
                                           "WHERE u.username = 'cl_st1'")).one()
    call(s, "SELECT mentor.set_actor(:u)", u=student_user)
    first = TaskVerification(course_task_id=task, course_id=0, student_id=student, status="completed", score=70, answers={"q1": "a"})
    second = TaskVerification(course_task_id=task, course_id=0, student_id=student, status="completed", score=40)
    s.add(first)
    s.flush()
    s.add(second)
    s.flush()
    s.refresh(first)
    s.refresh(second)
    ok((first.attempt_no, second.attempt_no) == (1, 2), "ORM inserts are numbered attempts 1 and 2", (first.attempt_no, second.attempt_no))
    ok(call(s, "SELECT score FROM mentor.task_results WHERE course_task_id = :t AND student_id = :s", t=task, s=student) == 70,
       "the best attempt is the task result")
    e = refused(s, "INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score) VALUES (:t, 0, :s, 'completed', 90)",
                t=task, s=student)
    ok(e is not None and sqlstate(e) == "MN006", "a third attempt past max_attempts is MN006", e and str(e.orig))

# Course school people: thanks and a resume through the ORM; the resume is read as its visibility says.
with Session(engine, future=True) as s, s.begin():
    other = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_other'")
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    thanks = Gratitude(from_user_id=mia_id, to_user_id=mentor_id, badge="helping_hand", comment="Great session")
    cv = Resume(user_id=mia_id, name="Mia Client", desired_position="Backend developer",
                sections={"skills": ["Python", "PostgreSQL"], "about": "Career changer"})
    s.add_all([thanks, cv])
    s.flush()
    s.refresh(cv)
    ok(thanks.id is not None and cv.visibility == "hidden" and cv.public_id is not None,
       "the ORM writes a gratitude and a resume (hidden by default, with its public link id)", cv.visibility)
    call(s, "SELECT mentor.set_actor(:u)", u=other)
    ok(s.execute(select(func.count()).select_from(Resume)).scalar() == 0, "another user does not read the hidden resume")
    call(s, "SELECT mentor.set_actor(:u)", u=mia_id)
    cv.visibility = "public"
    s.flush()
    call(s, "SELECT mentor.set_actor(:u)", u=other)
    found = s.execute(text("SELECT name FROM mentor.resumes WHERE search @@ websearch_to_tsquery('simple', 'postgresql backend')")).scalar()
    ok(found == "Mia Client", "once public, others find it by full-text search", found)
    ok(call(s, "SELECT (mentor.resume_by_public_id(:p)).name", p=str(cv.public_id)) == "Mia Client", "and by its public link")

# Interviews: a student registers through the function, the ORM reads the assignment.
with Session(engine, future=True) as s, s.begin():
    course = call(s, "SELECT id FROM mentor.courses WHERE alias = 'client-course'")
    staff = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_admin'")
    s.execute(text("INSERT INTO mentor.course_mentors (course_id, user_id) VALUES (:c, :m) ON CONFLICT DO NOTHING"),
              {"c": course, "m": mentor_id})
    cm = call(s, "SELECT id FROM mentor.course_mentors WHERE course_id = :c AND user_id = :m", c=course, m=mentor_id)
    task = call(s, "INSERT INTO mentor.tasks (name, type) VALUES ('client interview', 'interview') RETURNING id")
    ct = call(s, "INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker) "
                 "VALUES (:c, :t, now() - interval '1 day', now() + interval '1 day', 'mentor') RETURNING id", c=course, t=task)
    call(s, "SELECT mentor.set_actor(:u)", u=staff)
    call(s, "INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id, capacity) VALUES (:t, :c, :m, 1) RETURNING id",
         t=ct, c=course, m=cm)
    student_user = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_st2'")
    call(s, "SELECT mentor.set_actor(:u)", u=student_user)
    reg = s.execute(text("SELECT id, interviewer_user_id FROM mentor.register_for_interview(:t)"), {"t": ct}).one()
    ok(reg.interviewer_user_id == mentor_id, "register_for_interview assigns the interviewer with room", reg)
    e = refused(s, "SELECT mentor.submit_interview_result(:r, 10)", r=reg.id)
    ok(e is not None and sqlstate(e) == "MN005", "the student does not score her own interview (MN005)", e and str(e.orig))
    call(s, "SELECT mentor.set_actor(:u)", u=mentor_id)
    ok(call(s, "SELECT (mentor.submit_interview_result(:r, 90)).score", r=reg.id) == 90, "the interviewer scores it")

# Hiring: an application through SQL from the ORM session, its analysis, and the screening verdict.
with Session(engine, future=True) as s, s.begin():
    job = call(s, "INSERT INTO mentor.job_posts (title, salary_min, salary_max) VALUES ('Client job', 10, 20) RETURNING id")
    app = call(s, "INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (:j, 'Cand@Example.com') RETURNING id", j=job)
    e = refused(s, "INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (:j, 'cand@example.com')", j=job)
    ok(e is not None and sqlstate(e) == "23505", "a second application with the email in other case is an IntegrityError (23505)",
       e and str(e.orig))
    e = refused(s, "SELECT mentor.record_screening(:a, 90)", a=app)
    ok(e is not None and sqlstate(e) == "MN001", "screening before the resume is parsed is MN001", e and str(e.orig))
    s.execute(text("INSERT INTO mentor.resume_analyses (application_id, skills) VALUES (:a, '{python}')"), {"a": app})
    ok(call(s, "SELECT verdict::text FROM mentor.record_screening(:a, 90)", a=app) == "shortlisted"
       and call(s, "SELECT status::text FROM mentor.job_applications WHERE id = :a", a=app) == "shortlisted",
       "record_screening shortlists it above the threshold")

# The hiring pipeline: a template saved by the ORM becomes a post, published through an HR
# account; a candidate is invited to a quiz, graded, interviewed (the transcript saved by the ORM,
# never changed) and screened.
with Session(engine, future=True) as s, s.begin():
    call(s, "SELECT mentor.set_actor(:u)", u=mentor_id)
    tpl = JobTemplate(owner_id=mentor_id, name="Client backend", title="Backend engineer", skills=["python"],
                      salary_min=10, salary_max=20)
    s.add(tpl)
    s.flush()
    bad = JobTemplate(owner_id=mentor_id, name="Client upside down", title="x", salary_min=20, salary_max=10)
    try:
        with s.begin_nested():
            s.add(bad)
            s.flush()
        ok(False, "a template with min > max is refused")
    except IntegrityError as e:
        ok(sqlstate(e) == "23514", "a template with min > max is an IntegrityError (23514)", str(e.orig))
    job = call(s, "SELECT id FROM mentor.job_post_from_template(:t)", t=tpl.id)
    s.execute(text("UPDATE mentor.job_posts SET status = 'active' WHERE id = :j"), {"j": job})
    acct = call(s, "INSERT INTO mentor.hr_platform_accounts (user_id, platform_id, account_ref) "
                   "SELECT :u, id, 'client-hr' FROM mentor.hr_platforms WHERE code = 'client_board' RETURNING id", u=mentor_id)
    posting = call(s, "SELECT id FROM mentor.post_job(:j, :a)", j=job, a=acct)
    ok(call(s, "SELECT status FROM mentor.record_job_posting(:p, 'cb-1', 'https://board.example/cb-1')", p=posting) == "posted",
       "the post is published through the HR account and recorded posted")
    app = call(s, "INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (:j, 'quiz@example.com') RETURNING id", j=job)
    s.execute(text("INSERT INTO mentor.resume_analyses (application_id, skills) VALUES (:a, '{python}')"), {"a": app})
    qt = call(s, "SELECT id FROM mentor.quiz_templates WHERE name = 'Client screening quiz'")
    resp = call(s, "SELECT id FROM mentor.invite_candidate_quiz(:a, :t)", a=app, t=qt)
    call(s, "SELECT mentor.start_candidate_quiz(:r)", r=resp)
    q = call(s, "SELECT question_id FROM mentor.quiz_template_questions WHERE template_id = :t", t=qt)
    graded = s.execute(text("SELECT score, passed FROM mentor.submit_candidate_quiz(:r, CAST(:ans AS jsonb))"),
                       {"r": resp, "ans": '{"%d": "Commit"}' % q}).one()
    ok(graded.passed and graded.score == 1, "the candidate quiz is graded in the database", graded)
    call_id = call(s, "SELECT id FROM mentor.schedule_voice_interview(:a, now())", a=app)
    call(s, "SELECT mentor.start_voice_interview(:v)", v=call_id)
    s.add_all([VoiceInterviewMessage(interview_id=call_id, turn=1, speaker="agent", body="Why PostgreSQL?"),
               VoiceInterviewMessage(interview_id=call_id, turn=2, speaker="candidate", body="Transactions.")])
    s.flush()
    e = refused(s, "UPDATE mentor.voice_interview_messages SET body = 'edited' WHERE interview_id = :v", v=call_id)
    ok(e is not None and sqlstate(e) == "42501", "a transcript turn saved by the ORM is never changed (42501)", e and str(e.orig))
    call(s, "SELECT mentor.complete_voice_interview(:v, 80, 'Good')", v=call_id)
    e = refused(s, "INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES (:v, 3, 'agent', 'late')", v=call_id)
    ok(e is not None and sqlstate(e) == "MN006", "after the call its transcript is closed (MN006)", e and str(e.orig))
    ok(call(s, "SELECT verdict::text FROM mentor.record_screening(:a, 85)", a=app) == "shortlisted",
       "after the interview, record_screening shortlists the candidate")

# Sales CRM: a lead saved by the ORM with a phone as typed reads back in E.164; the same phone
# again is an IntegrityError; assignment goes through assign_lead (the column is not the ORM's);
# a call saved by the ORM lands on the timeline; a vendor's lead comes in once per key.
with Session(engine, future=True) as s, s.begin():
    sales = call(s, "SELECT id FROM mentor.users WHERE username = 'cl_sales'")
    lead = RawLead(session_year="2026-27", name="Client Lead", phone="098765-01234", email="Lead@Example.com")
    s.add(lead)
    s.flush()
    s.refresh(lead)
    ok(lead.phone == "+919876501234" and lead.status == "active", "a lead saved by the ORM stores its phone as E.164", lead.phone)
    try:
        with s.begin_nested():
            s.add(RawLead(session_year="2026-27", phone="+91 98765 01234"))
            s.flush()
        ok(False, "the same phone in the same session year is refused")
    except IntegrityError as e:
        ok(sqlstate(e) == "23505" and "raw_leads_phone_once" in str(e.orig), "the same phone again is an IntegrityError (23505)", str(e.orig))
    try:
        with s.begin_nested():
            lead.assigned_to = sales
            s.flush()
        ok(False, "the ORM does not assign a lead")
    except DBAPIError as e:
        ok(sqlstate(e) == "42501", "assigned_to set by the ORM is refused (42501)", str(e.orig))
    s.expire_all()
    ok(s.execute(text("SELECT outcome FROM mentor.assign_lead(:l, :u)"), {"l": lead.id, "u": sales}).scalar() == "assigned",
       "assign_lead assigns it")
    s.refresh(lead)
    ok(lead.assigned_to == sales, "the ORM reads the assignee back")
    s.add(LeadCallLog(lead_id=lead.id, user_id=sales, outcome="connected", source="exotel", provider_ref="cl-call-1", duration_seconds=90))
    s.flush()
    kinds = s.execute(text("SELECT array_agg(kind ORDER BY id) FROM mentor.lead_activity WHERE lead_id = :l"), {"l": lead.id}).scalar()
    ok(kinds == ["created", "assigned", "call"], "the timeline has its creation, assignment and the ORM's call", kinds)
    e = refused(s, "UPDATE mentor.lead_activity SET kind = 'x' WHERE lead_id = :l", l=lead.id)
    ok(e is not None and sqlstate(e) == "42501", "the timeline is append-only (42501)", e and str(e.orig))
    e = refused(s, "SELECT mentor.normalize_phone('not a number')")
    ok(e is not None and sqlstate(e) == "22023" and "not a number" in str(e.orig), "an unreadable phone is 22023 naming it", e and str(e.orig))
    fu = call(s, "SELECT id FROM mentor.schedule_follow_up(:l, now() - interval '1 minute', 'Client follow-up')", l=lead.id)
    claimed = s.execute(text("SELECT id FROM mentor.claim_follow_ups('cl-phone', 5, interval '5 minutes', :u)"), {"u": sales}).scalars().all()
    ok(claimed == [fu], "the salesperson claims the due follow-up", claimed)
    ok(call(s, "SELECT status::text FROM mentor.complete_follow_up(:f, 'cl-phone', 'called back')", f=fu) == "done", "and completes it once")
    lead_id = lead.id

with Session(create_engine("postgresql+psycopg2://",
                           connect_args={"user": os.environ["CLIENT_ADMIN_USER"],
                                         "password": os.environ["CLIENT_ADMIN_PASSWORD"]}), future=True) as admin, admin.begin():
    vendor_key = admin.execute(text("SELECT api_key FROM mentor.create_api_key('Client vendor', 'clvendor')")).scalar()
with Session(engine, future=True) as s, s.begin():
    first = s.execute(text("SELECT vendor_lead_id, lead_id, outcome FROM mentor.ingest_vendor_lead(:k, CAST(:p AS jsonb), 'cl-v-1')"),
                      {"k": vendor_key, "p": '{"phone": "+919876501234", "utm": "client", "session_year": "2026-27"}'}).one()
    ok(first.outcome == "merged" and first.lead_id == lead_id, "a vendor's lead with a known phone merges into that lead", first)
    again = s.execute(text("SELECT vendor_lead_id, outcome FROM mentor.ingest_vendor_lead(:k, CAST(:p AS jsonb), 'cl-v-1')"),
                      {"k": vendor_key, "p": '{"phone": "+919876501234", "utm": "client", "session_year": "2026-27"}'}).one()
    ok(again.outcome == "duplicate" and again.vendor_lead_id == first.vendor_lead_id, "a retry with the same key is the first answer", again)
    e = refused(s, "SELECT mentor.ingest_vendor_lead(:k, '{\"phone\": \"98765 01299\"}', 'cl-v-1')", k=vendor_key)
    ok(e is not None and sqlstate(e) == "MN003", "the key reused for another lead is MN003", e and str(e.orig))
    e = refused(s, "SELECT mentor.ingest_vendor_lead(:k, '{\"phone\": \"98765 01299\"}', 'cl-v-2')", k="mk_000000000000." + "A" * 43)
    ok(e is not None and sqlstate(e) == "28000", "an unknown key is 28000 (the API answers 401)", e and str(e.orig))

# Workflows: a definition saved by the ORM is validated (a cycle is an error naming it); a lead
# is enrolled and a worker runs its nodes, once each.
with Session(engine, future=True) as s, s.begin():
    try:
        with s.begin_nested():
            s.add(Workflow(name="Client loop", definition={
                "nodes": [{"id": "s", "type": "start"}, {"id": "a", "type": "task", "params": {"title": "a"}},
                          {"id": "b", "type": "branch", "params": {"condition": "again?"}}],
                "edges": [{"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "a", "when": "yes"}]}))
            s.flush()
        ok(False, "a workflow with a cycle is refused")
    except DBAPIError as e:
        ok(sqlstate(e) == "22023" and "a -> b -> a" in (detail(e) or ""), "a workflow with a cycle is 22023 naming it", detail(e))
    wf = Workflow(name="Client nurture", definition={
        "nodes": [{"id": "start", "type": "start"}, {"id": "call", "type": "task", "params": {"title": "Call"}},
                  {"id": "answered", "type": "branch", "params": {"condition": "picked up?"}}, {"id": "won", "type": "end"},
                  {"id": "remind", "type": "notify", "params": {"notification_type": "lead_follow_up"}}],
        "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "answered"},
                  {"from": "answered", "to": "won", "when": "yes"}, {"from": "answered", "to": "remind"}]})
    s.add(wf)
    s.flush()
    s.refresh(wf)
    ok(wf.start_node == "start", "the ORM's workflow is saved with its start node")
    enrollment = call(s, "SELECT id FROM mentor.enroll(:w, 'lead', :l)", w=wf.id, l=lead_id)
    done = []
    for outcome in ("reached", "no answer", "sent"):
        run = s.execute(text("SELECT id, node_id FROM mentor.claim_node_runs('cl-worker', 1)")).one()
        call(s, "SELECT mentor.finish_node_run(:r, 'cl-worker', :o)", r=run.id, o=outcome)
        done.append(run.node_id)
    state = s.execute(text("SELECT status::text, current_node FROM mentor.workflow_enrollments WHERE id = :e"), {"e": enrollment}).one()
    ok(done == ["call", "answered", "remind"] and tuple(state) == ("completed", "remind"),
       "a worker runs call, the branch's default edge and remind; the enrollment completes", (done, tuple(state)))

# History as an administrator reads it: the ORM's insert of a user is logged as its key alone and
# shown whole, from a partition of the time-partitioned log.
with Session(create_engine("postgresql+psycopg2://", future=True,
                           connect_args={"user": os.environ["CLIENT_ADMIN_USER"],
                                         "password": os.environ["CLIENT_ADMIN_PASSWORD"]}), future=True) as admin:
    first = admin.execute(text("SELECT h.op::text AS op, h.new_row, l.changes IS NULL AS key_only "
                               "FROM mentor.row_history('mentor.users', jsonb_build_object('id', :u)) h "
                               "JOIN mentor.history_log l ON l.at = h.at AND l.row_id = h.key_id AND l.table_id = h.table_id "
                               "ORDER BY h.at LIMIT 1"), {"u": mia_id}).one()
    ok(first.op == "I" and first.key_only and first.new_row.get("username") == "mia_client",
       "history shows the ORM's insert of a user whole, though it logged only the key", (first.op, first.key_only))
    parts = admin.execute(text("SELECT count(*) FROM mentor.history_partitions WHERE now() >= from_at AND now() < to_at")).scalar()
    ok(parts == 1, "history_partitions lists the partition of this month")

# Schema tooling: automap reflects the schema and configures every mapper.
import warnings  # noqa: E402

from sqlalchemy.ext.automap import automap_base  # noqa: E402
from sqlalchemy.orm import configure_mappers  # noqa: E402

Auto = automap_base()
try:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Auto.prepare(autoload_with=engine, schema="mentor")
        configure_mappers()
    unknown = sorted({str(w.message).split("'")[1] for w in caught if "Did not recognize type" in str(w.message)})
    ok(len(Auto.classes.keys()) >= 40, f"automap maps the schema ({len(Auto.classes.keys())} classes) and configures its mappers")
    ok(set(unknown) <= {"citext", "availability", "mentor.availability", "xid8"},
       "the only types automap does not know are citext, availability and xid8 (reflected as NullType)", unknown)
    with Session(engine, future=True) as s:
        ok(s.query(Auto.classes.users).count() >= 1, "an automapped class queries")
except Exception as e:  # noqa: BLE001
    ok(False, "automap maps the schema and configures its mappers", repr(e))

print(f"1..{n}")
