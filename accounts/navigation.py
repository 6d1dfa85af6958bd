"""The left navigation, by role. Each entry names a URL and the roles that see it."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[Role, ...]
    section: str = ""


NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "home", (Role.COLLECTOR, Role.MANAGER, Role.ADMIN)),
    NavItem("My queue", "queue", (Role.COLLECTOR,)),
    NavItem("Accounts", "account_list", (Role.COLLECTOR, Role.MANAGER, Role.ADMIN)),
    NavItem("My figures", "kpis:overview", (Role.COLLECTOR,)),
    NavItem("Desk", "desk:home", (Role.MANAGER, Role.ADMIN)),
    NavItem("Dashboards", "kpis:overview", (Role.MANAGER, Role.ADMIN)),
    NavItem("Compliance", "compliance:overview", (Role.MANAGER, Role.ADMIN)),
    NavItem("Dunning", "dunning:home", (Role.ADMIN,), "Administration"),
    NavItem("Contact rules", "admin:compliance_contactpolicy_changelist", (Role.ADMIN,), "Administration"),
    NavItem("Imports", "import_list", (Role.ADMIN,), "Administration"),
    NavItem("Users", "admin:accounts_user_changelist", (Role.ADMIN,), "Administration"),
    NavItem("Teams", "admin:accounts_team_changelist", (Role.ADMIN,), "Administration"),
    NavItem("API tokens", "admin:accounts_apitoken_changelist", (Role.ADMIN,), "Administration"),
    NavItem("API docs", "api-docs", (Role.ADMIN,), "Administration"),
    NavItem("Schedules", "admin:django_celery_beat_periodictask_changelist", (Role.ADMIN,), "Administration"),
    NavItem("Django admin", "admin:index", (Role.ADMIN,), "Administration"),
]


def nav_for(user, current_path: str) -> list[dict]:
    """The entries this user sees, grouped by section, with the current one marked."""
    role = Role.ADMIN if user.is_superuser else user.role
    sections: dict[str, list[dict]] = {}
    for item in NAV_ITEMS:
        if role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # an app that is not installed in this deployment
            continue
        active = current_path == url or (url != "/" and current_path.startswith(url))
        sections.setdefault(item.section, []).append({"label": item.label, "url": url, "active": active})
    return [{"title": title, "items": items} for title, items in sections.items()]
