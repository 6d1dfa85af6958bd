"""Template context shared by every page: the role-aware navigation."""

from .navigation import nav_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_sections": nav_for(user, request.path)}
