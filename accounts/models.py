"""The user model, roles and teams."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    COLLECTOR = "collector", "Collector"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class Team(models.Model):
    """A group of collectors led by one or more managers."""

    name = models.CharField(max_length=100, unique=True)
    managers = models.ManyToManyField("User", related_name="led_teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who signs in. The role decides what they see; the team scopes a collector."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COLLECTOR)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        help_text="The team a collector works in.",
    )
    daily_call_limit = models.PositiveIntegerField(
        default=150, help_text="Most call attempts this collector may make in one day."
    )
    daily_target = models.PositiveIntegerField(default=60, help_text="Accounts this collector aims to work in one day.")

    class Meta:
        ordering = ["username"]

    def save(self, *args, **kwargs):
        # The admin role is the one that may open the Django admin.
        self.is_staff = self.role == Role.ADMIN or self.is_superuser
        super().save(*args, **kwargs)

    @property
    def is_collector(self) -> bool:
        return self.role == Role.COLLECTOR

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
