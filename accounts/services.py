"""Writes for users and teams, and the role groups that carry Django permissions."""

import datetime

from django.contrib.auth.models import Group, Permission
from django.db import connections, router, transaction
from django.utils import timezone

from collections_app.errors import DomainError
from compliance.audit import audit_record

from .models import IdempotencyRecord, Role, Team, User

# The most calls a limit may allow in a day: a typo guard (a floor's busiest dialler makes a few hundred).
MAX_DAILY_CALLS = 1000
# A client retries a lost answer within minutes or hours; a week covers any sane retry policy, and
# the stored first answers (payment bodies) should not pile up for ever.
IDEMPOTENCY_KEEP_DAYS = 7

# Which model permissions each role's group carries (used by the Django admin and the API).
ROLE_PERMISSION_APPS = {
    Role.COLLECTOR: {"collections_app": ("view", "add"), "compliance": ("view",)},
    Role.MANAGER: {
        "collections_app": ("view", "add", "change"),
        "compliance": ("view", "add", "change"),
        "kpis": ("view",),
        "accounts": ("view",),
    },
    Role.ADMIN: {
        "collections_app": ("view", "add", "change", "delete"),
        "compliance": ("view", "add", "change"),
        "kpis": ("view", "add", "change", "delete"),
        "accounts": ("view", "add", "change", "delete"),
        "django_celery_beat": ("view", "add", "change", "delete"),
        # Sign-in lockouts: an admin reads them and unlocks by deleting the attempt.
        "axes": ("view", "delete"),
    },
}


def role_groups_sync(**kwargs):
    """Create one group per role with its permissions (runs after every migrate)."""
    for role, apps in ROLE_PERMISSION_APPS.items():
        group, _ = Group.objects.get_or_create(name=role.label)
        wanted = Permission.objects.none()
        for app_label, actions in apps.items():
            wanted |= Permission.objects.filter(
                content_type__app_label=app_label,
                codename__regex=rf"^({'|'.join(actions)})_",
            )
        group.permissions.set(wanted)


def user_role_group_sync(sender, instance: User, **kwargs):
    """Keep a user in exactly the group of their role."""
    group = Group.objects.filter(name=Role(instance.role).label).first()
    if group is not None:
        instance.groups.set([group])


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    team: Team | None = None,
) -> User:
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        team=team,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def team_create(*, name: str, managers: list[User] = ()) -> Team:
    team = Team(name=name)
    team.full_clean()
    team.save()
    team.managers.set(managers)
    return team


def may_manage_collector(by: User, collector: User) -> bool:
    """An admin manages every collector; a manager those of the teams they lead."""
    if by.is_superuser or by.role == Role.ADMIN:
        return True
    return (
        by.role == Role.MANAGER and collector.team_id is not None and collector.team.managers.filter(pk=by.pk).exists()
    )


@transaction.atomic
def collector_limits_set(*, user: User, daily_call_limit: int, daily_target: int, by: User) -> User:
    """Set a collector's daily call limit and target (accounts worked a day). Audited."""
    if user.role != Role.COLLECTOR:
        raise DomainError(f"{user.username} is not a collector.", code="not_a_collector")
    if not may_manage_collector(by, user):
        raise DomainError("You can only set the limits of collectors in a team you manage.", code="forbidden")
    for value, label, field in (
        (daily_call_limit, "The daily call limit", "daily_call_limit"),
        (daily_target, "The daily target", "daily_target"),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DAILY_CALLS:
            raise DomainError(
                f"{label} must be a whole number from 0 to {MAX_DAILY_CALLS}.", code="invalid", field=field
            )
    if daily_target > daily_call_limit:
        raise DomainError(
            f"A target of {daily_target} accounts cannot be met with {daily_call_limit} calls a day.",
            code="target_above_limit",
            field="daily_target",
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {"daily_call_limit": user.daily_call_limit, "daily_target": user.daily_target}
    after = {"daily_call_limit": daily_call_limit, "daily_target": daily_target}
    if before == after:
        return user
    user.daily_call_limit, user.daily_target = daily_call_limit, daily_target
    user.save(update_fields=["daily_call_limit", "daily_target"])
    audit_record(action="user.limits_set", actor=by, obj=user, before=before, after=after, detail=user.username)
    return user


def idempotency_records_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget Idempotency-Key answers older than IDEMPOTENCY_KEEP_DAYS; the key may then run again."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=IDEMPOTENCY_KEEP_DAYS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class IdempotencyKeyTaken(Exception):
    """Another request used this key first: reread its record and replay it."""


def idempotency_key_claim(*, user, key: str, method: str, path: str, body_hash: str, token=None) -> IdempotencyRecord:
    """Record the first use of `key`, inside the caller's transaction so it commits or rolls back with the action.

    One INSERT … ON CONFLICT DO NOTHING (no savepoint, no prior read): two requests racing with one
    key cannot both insert; the second waits on the unique index until the first ends, then gets
    IdempotencyKeyTaken (or, if the first rolled back, the key).
    """
    record = IdempotencyRecord(
        user_id=user.pk, token=token, key=key, method=method, path=path[:255], body_hash=body_hash
    )
    opts = IdempotencyRecord._meta
    connection = connections[router.db_for_write(IdempotencyRecord)]
    fields = [field for field in opts.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    unique = f"{quote(opts.get_field('user').column)}, {quote(opts.get_field('key').column)}"
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608 - names come from the model
        f"ON CONFLICT ({unique}) DO NOTHING RETURNING {quote(opts.pk.column)}"
    )
    # Each value prepared as save() prepares it (created_at stamped, JSON null as SQL NULL).
    values = [field.get_db_prep_save(field.pre_save(record, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        raise IdempotencyKeyTaken
    record.pk = row[0]
    record._state.adding = False
    record._state.db = connection.alias
    return record
