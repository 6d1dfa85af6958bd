"""Sign-in form with labels and messages in plain words."""

from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "That username and password do not match. Check both and try again.",
        "inactive": "This account is switched off. Ask an administrator to switch it on.",
    }
