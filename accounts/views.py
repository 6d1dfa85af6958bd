"""Sign-in, sign-out, password change and each role's home page."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .forms import SignInForm
from .selectors import teams_led_by


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


def locked_out(request, original_response=None, credentials=None):
    """django-axes refused a sign-in: the sign-in page again, saying why and what to do, as a 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # Unbound, so that rendering it does not try the password again.
    form = SignInForm(request, initial={"username": (credentials or {}).get("username", "")})
    message = (
        f"Too many failed sign-ins for this username from this computer. Try again in {minutes} minutes, "
        "or ask an administrator to unlock it."
    )
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": message, "next": request.POST.get("next", "")},
        status=429,
    )


def client_address(request) -> str:
    """The address sign-in lockouts count by: the one our nearest trusted proxy saw, else REMOTE_ADDR.

    Only the last TRUSTED_PROXY_COUNT entries of X-Forwarded-For were written by our proxies; anything
    to their left was sent by the client and could be forged to dodge the lockout.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


@login_required
def home(request):
    """Each role lands on its own start page."""
    user = request.user
    role = "admin" if user.is_admin_role else user.role
    context = {"role": role}
    if role == "manager":
        context["teams"] = teams_led_by(user=user)
    if role == "collector":
        # A collector's start page is their queue (see collections_app.views.queue).
        from collections_app.views.queue import queue_context

        context.update(queue_context(request))
    return render(request, f"accounts/home_{role}.html", context)
