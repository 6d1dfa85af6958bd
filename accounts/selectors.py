"""Reads of users and teams."""

from django.db.models import Count

from .models import Team


def teams_led_by(*, user):
    """The teams a manager leads, each with its member count (one query)."""
    return Team.objects.filter(managers=user).annotate(member_count=Count("members")).order_by("name")
