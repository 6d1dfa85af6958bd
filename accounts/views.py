"""Sign-in, sign-out, password change and each role's home page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .forms import SignInForm
from .selectors import teams_led_by


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


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
