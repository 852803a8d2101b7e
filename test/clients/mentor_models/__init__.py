"""Django models of mentor's core tables, as a backend maps them (test/clients/django_client.py)."""
