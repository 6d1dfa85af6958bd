"""What each user may reach through the API, derived from the one account scoping.

Everything hangs off `accounts_visible_to(user)`: a debtor is visible through a visible account,
a creditor likewise; an admin sees every row (including debtors not yet given an account).
"""

from django.db.models import Exists, OuterRef

from accounts.models import Role, User
from collections_app.models import Account, ContactPoint, Creditor, Debtor
from collections_app.selectors import accounts_visible_to
from config.api.permissions import is_admin


def debtors_visible_to(user):
    if is_admin(user):
        return Debtor.objects.all()
    return Debtor.objects.filter(Exists(accounts_visible_to(user).filter(debtor_id=OuterRef("pk"))))


def creditors_visible_to(user):
    if is_admin(user):
        return Creditor.objects.all()
    return Creditor.objects.filter(Exists(accounts_visible_to(user).filter(creditor_id=OuterRef("pk"))))


def contact_points_visible_to(user):
    if is_admin(user):
        return ContactPoint.objects.all()
    return ContactPoint.objects.filter(Exists(accounts_visible_to(user).filter(debtor_id=OuterRef("debtor_id"))))


def collectors_assignable_by(user):
    """Collectors a user may give accounts to: an admin any, a manager those of the teams they lead."""
    collectors = User.objects.filter(role=Role.COLLECTOR, is_active=True)
    if is_admin(user):
        return collectors
    if user.is_authenticated and user.role == Role.MANAGER:
        return collectors.filter(team__managers=user).distinct()
    return collectors.none()


def accounts_for(user):
    return accounts_visible_to(user) if user.is_authenticated else Account.objects.none()
