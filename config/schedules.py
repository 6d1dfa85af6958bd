"""The nightly jobs, declared in code and stored by django-celery-beat so admins can change when they run.

Created once after migrate; an admin's later edits (time, enabled) are never overwritten.
"""

NIGHTLY_JOBS = [
    # (name shown to admins, task, hour, minute)
    ("Judge promises and arrangements", "collections_app.tasks.plans_nightly", 1, 0),
    # After the promises are judged, so that yesterday's kept and broken promises are counted.
    ("Roll up the KPIs", "kpis.tasks.rollup_nightly", 2, 0),
    # Dunning: after the promises are judged (a broken promise resumes reminders). Emails and texts
    # chosen at night wait for each debtor's own hours; the dispatcher below sends them then.
    ("Dunning run", "collections_app.tasks.dunning_nightly", 3, 0),
    ("Send due dunning reminders", "collections_app.tasks.dunning_dispatch", "*", "*/10"),
    # Jobs started while Redis was down wait in the database; this hands them out once it is back.
    ("Requeue waiting imports", "collections_app.tasks.requeue_stale", "*", "*/5"),
    # Retention: audit events past their legal keeping period, and week-old Idempotency-Key answers.
    ("Purge expired audit events", "compliance.tasks.audit_retention_nightly", 4, 0),
    ("Forget old idempotency keys", "accounts.tasks.idempotency_purge", 4, 30),
]
DUNNING_NIGHTLY_TASK = "collections_app.tasks.dunning_nightly"


def periodic_tasks_ensure(**kwargs):
    from django.conf import settings
    from django.db import connections
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[kwargs.get("using", "default")].introspection.table_names():
        return  # a migrate of one app, before django_celery_beat's tables exist: the full migrate comes back here
    for name, task, hour, minute in NIGHTLY_JOBS:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=str(minute),
            hour=str(hour),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=schedule)
