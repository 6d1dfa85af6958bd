"""Writes for users and teams, and the role groups that carry Django permissions."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import Role, Team, User

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
