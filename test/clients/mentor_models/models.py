"""The extension owns its schema: every model is managed = False, with the
table's name found through search_path = public, mentor."""
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import models


class User(models.Model):
    id = models.BigAutoField(primary_key=True)
    email = models.TextField()
    username = models.TextField(null=True)
    full_name = models.TextField(null=True)
    role = models.TextField(default="user")
    active = models.BooleanField(default=True)

    class Meta:
        managed = False
        db_table = "users"


class Profile(models.Model):
    user = models.OneToOneField(User, primary_key=True, on_delete=models.DO_NOTHING, db_column="user_id")
    headline = models.TextField(null=True)
    years_of_experience_text = models.TextField(null=True)
    years_of_experience = models.SmallIntegerField(null=True)

    class Meta:
        managed = False
        db_table = "profiles"


class MentorProfile(models.Model):
    user = models.OneToOneField(User, primary_key=True, on_delete=models.DO_NOTHING, db_column="user_id")
    headline = models.TextField(null=True)
    price_tokens = models.BigIntegerField()
    max_mentees = models.IntegerField()
    active_mentees = models.IntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "mentor_profiles"


class Session(models.Model):
    id = models.BigAutoField(primary_key=True)
    mentor = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    mentee = models.ForeignKey(User, null=True, on_delete=models.DO_NOTHING, related_name="+")
    during = DateTimeRangeField()
    status = models.TextField()
    title = models.TextField(null=True)
    description = models.TextField(null=True)
    price_tokens = models.BigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "sessions"


class Note(models.Model):
    id = models.BigAutoField(primary_key=True)
    mentorship_id = models.BigIntegerField(null=True)
    author = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    body = models.TextField()
    shared = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "mentorship_notes"
