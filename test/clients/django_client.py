"""Django 3.2 (Debian's python3-django, psycopg2) against mentor, as a
backend would use it: unmanaged models of the core tables, the ORM's save()
(which writes every mapped column), the extension's functions through a
cursor, and the SQLSTATE and detail of each refusal read from the driver's
error.  Connects as a login granted mentor_app only.  Prints TAP."""
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
    import django
    from django.conf import settings
except ImportError as e:
    ok(False, "Django is installed (apt-get install python3-django)", e)
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PGDATABASE"],
                           "USER": os.environ["PGUSER"], "PASSWORD": os.environ.get("PGPASSWORD", ""),
                           "HOST": os.environ.get("PGHOST", ""), "PORT": os.environ.get("PGPORT", "")}},
    INSTALLED_APPS=["django.contrib.postgres", "mentor_models"],
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField", USE_TZ=True)
django.setup()

from django.db import DatabaseError, IntegrityError, connection, transaction  # noqa: E402
from mentor_models.models import MentorProfile, Note, Profile, Session, User  # noqa: E402


def pg(e):
    """The psycopg2 error behind Django's."""
    return e.__cause__


def scalar(sql, *params):
    with connection.cursor() as c:
        c.execute(sql, params)
        return c.fetchone()[0]


def refused(sql, *params):
    try:
        with transaction.atomic():
            scalar(sql, *params)
    except DatabaseError as e:
        return e
    return None


def act_as(user_id):
    scalar("SELECT mentor.set_actor(%s)", user_id)


mentor = User.objects.get(username="cl_mentor")
ok(mentor.role == "mentor", "the unmanaged models map: a user read through the ORM")
with transaction.atomic():
    noor = User.objects.create(email="Noor.Django@Example.com", username="noor_django", full_name="Noor Django",
                               role="new_mother")
ok(noor.id is not None, "User.objects.create() signs a user up and reads the generated id back")
ok(User.objects.filter(email="noor.django@example.com").count() == 1, "the email matches in any case (citext)")
ok(Profile.objects.filter(user_id=noor.id).exists(), "the profile created at signup is there")

with transaction.atomic():
    p = Profile.objects.get(user_id=noor.id)
    p.headline = "Returning to engineering"
    p.years_of_experience_text = "10-15"
    p.save()
    mp = MentorProfile.objects.get(user_id=mentor.id)
    mp.headline = "Databases, careers, returning to work"
    mp.save()                       # writes every mapped column, active_mentees unchanged
ok(Profile.objects.get(user_id=noor.id).years_of_experience == 10,
   "Profile.save() writes the row; the typed experience gives its number")
ok(MentorProfile.objects.get(user_id=mentor.id).headline.startswith("Databases, careers"),
   "MentorProfile.save() of every column works, the kept counter unchanged")
try:
    with transaction.atomic():
        mp = MentorProfile.objects.get(user_id=mentor.id)
        mp.active_mentees = 9
        mp.save()
    e = None
except DatabaseError as ex:
    e = ex
ok(e is not None and pg(e).pgcode == "42501", "a changed counter is refused with 42501, the hint saying why",
   e and pg(e).diag.message_hint)

e = refused("SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(%s), 50, "
            "'purchase')", noor.id)
ok(e is not None and pg(e).pgcode == "42501", "the application cannot mint tokens (42501)")

with transaction.atomic():
    act_as(noor.id)
    slot = scalar("SELECT mentor.publish_slot(%s, tstzrange(date_trunc('hour', now()) + interval '3 days', "
                  "date_trunc('hour', now()) + interval '3 days 1 hour'))", mentor.id)
    e = refused("SELECT mentor.book_session(%s, %s, %s)", slot, noor.id, str(uuid.uuid4()))
ok(e is not None and pg(e).pgcode == "MN002" and "needed" in str(pg(e)),
   "booking without tokens: MN002, read from the driver's error", e and str(pg(e)))

with transaction.atomic():
    s = Session.objects.get(id=slot)
    s.title = "Office hours"
    s.description = "Bring questions"
    s.save()                        # every mapped column, status and price unchanged
ok(Session.objects.get(id=slot).title == "Office hours" and s.during.lower is not None,
   "Session.save() of every column works; the tstzrange maps as a DateTimeTZRange")
try:
    with transaction.atomic():
        s = Session.objects.get(id=slot)
        s.price_tokens = 0
        s.save()
    e = None
except DatabaseError as ex:
    e = ex
ok(e is not None and pg(e).pgcode == "42501" and "book_session" in (pg(e).diag.message_hint or ""),
   "a session's price changed by save() is refused with 42501, the hint naming the functions", e and str(pg(e)))
e = refused("SELECT mentor.publish_slot(%s, tstzrange(date_trunc('hour', now()) + interval '3 days', "
            "date_trunc('hour', now()) + interval '3 days 1 hour'))", mentor.id)
ok(isinstance(e, IntegrityError) and pg(e).pgcode == "23P01" and "overlaps" in (pg(e).diag.message_detail or ""),
   "a double booking is an IntegrityError with 23P01, the detail naming the session in the way", e and str(e))

with transaction.atomic():
    act_as(mentor.id)
    ms = scalar("INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (%s, %s) RETURNING id", mentor.id, noor.id)
    e = refused("SELECT mentor.complete_mentorship(%s)", ms)
    ok(e is not None and pg(e).pgcode == "MN001" and "may move" in (pg(e).diag.message_detail or ""),
       "completing a pending mentorship: MN001, the detail listing the allowed moves", e and str(pg(e)))
    ok(scalar("SELECT mentor.activate_mentorship(%s)", ms) == ms, "the mentor activates it")
    Note.objects.create(mentorship_id=ms, author_id=mentor.id, body="private: wants part-time", shared=False)
    ok(Note.objects.filter(mentorship_id=ms).count() == 1, "the author reads her private note through the ORM")
with transaction.atomic():
    act_as(noor.id)
    ok(Note.objects.filter(mentorship_id=ms).count() == 0, "the mentee does not see it (row-level security)")
with transaction.atomic():
    e = None
    try:
        with transaction.atomic():
            Note.objects.create(mentorship_id=ms, author_id=mentor.id, body="forged", shared=True)
    except DatabaseError as ex:
        e = ex
    ok(e is not None and pg(e).pgcode == "42501", "a note in someone else's name is refused (42501)")


# Schema tooling: inspectdb of the schema on the recommended search path, the README's fixup
# (run as the README writes it), then Django's system checks and a query through the models.
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402


def readme_block(first_line):
    readme = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")).read()
    for lang, body in re.findall(r"```(\w+)\n(.*?)```", readme, re.S):
        if body.split("\n")[0].strip() == first_line:
            return body
    raise SystemExit(f"README.md has no code block starting with {first_line}")


work = tempfile.mkdtemp()
os.mkdir(os.path.join(work, "pulled"))
open(os.path.join(work, "pulled", "__init__.py"), "w").close()
setup = f"""
import sys, django
sys.path.insert(0, {work!r})
from django.conf import settings
settings.configure(DATABASES={settings.DATABASES!r}, INSTALLED_APPS=["django.contrib.postgres", "pulled"],
                   DEFAULT_AUTO_FIELD="django.db.models.BigAutoField", USE_TZ=True)
django.setup()
from django.core.management import call_command
"""


def django_run(code):
    r = subprocess.run([sys.executable, "-c", setup + code], cwd=work, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


rc, out = django_run("call_command('inspectdb', stdout=open('pulled/models.py', 'w'))")
models = open(os.path.join(work, "pulled", "models.py")).read() if rc == 0 else ""
classes = len(re.findall(r"^class ", models, re.M))
ok(rc == 0 and classes >= 40, f"inspectdb finds the schema on search_path public, mentor ({classes} models)", out[-800:])
rc, out = django_run("call_command('check')")
ok(rc != 0 and ("fields.E304" in out or "NameError: name 'django'" in out),
   "as written, Django 3.2's inspectdb output fails the checks (the range fields' import, reverse accessor clashes)",
   out[-300:])
fix = subprocess.run(["bash", "-c", readme_block("# django-inspectdb-fixup")], cwd=os.path.join(work, "pulled"),
                     capture_output=True, text=True)
rc, out = django_run("call_command('check')")
ok(fix.returncode == 0 and rc == 0 and "no issues" in out, "with the README's fixup the models pass manage.py check",
   fix.stderr + out[-1500:])
rc, out = django_run("from pulled.models import Users, Sessions\n"
                     "print(Users.objects.filter(username='cl_mentor').count(),"
                     " Sessions.objects.filter(mentor__username='cl_mentor').exclude(starts_at=None).count() > 0)")
ok(rc == 0 and out.split() == ["1", "True"], "the inspected models query, a join through a foreign key included", out[-800:])
shutil.rmtree(work)

print(f"1..{n}")
