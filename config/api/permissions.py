"""Role checks for API views, the API's counterpart of accounts.permissions.role_required.

A view lists the roles of each action in `action_roles`; actions it does not list are open to
`default_roles` (every signed-in role unless the view says otherwise). The check runs before any object is looked up, so a refused role learns
nothing about whether the object exists; scoping (404 outside the user's accounts) is the
queryset's job.
"""

from rest_framework.permissions import BasePermission

from accounts.models import Role
from accounts.permissions import user_has_role

ALL_ROLES = (Role.COLLECTOR, Role.MANAGER, Role.ADMIN)
MANAGERS = (Role.MANAGER, Role.ADMIN)
ADMINS = (Role.ADMIN,)


class RolePermission(BasePermission):
    message = "Your role does not allow this action."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        default = getattr(view, "default_roles", ALL_ROLES)
        roles = getattr(view, "action_roles", {}).get(getattr(view, "action", None), default)
        return user_has_role(request.user, roles)


def is_admin(user) -> bool:
    return user_has_role(user, ADMINS)
