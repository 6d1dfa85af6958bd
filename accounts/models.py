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


# Roles from least to most access: a token never acts above its owner's role.
ROLE_RANK = {Role.COLLECTOR: 0, Role.MANAGER: 1, Role.ADMIN: 2}


class ApiToken(models.Model):
    """A key an integration sends as `Authorization: Token <key>` (or `Bearer <key>`).

    Only the SHA-256 of the key is stored; the key itself is shown once, when an admin creates it.
    The token acts as its owner, with its own role when that is lower than the owner's (a creditor's
    portal may need a collector's reach only), and is rate-limited on its own.
    """

    name = models.CharField(max_length=100, help_text="Which system uses it, e.g. 'Payment portal'.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False, help_text="The key's first characters, to recognise it.")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COLLECTOR)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    rate_limit = models.CharField(
        max_length=20,
        blank=True,
        help_text="Requests allowed, like '600/min' or '10000/day'; empty for the site default.",
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`, replayed when the key comes again.

    Unique per user and key: two requests racing with one key cannot both insert, so only one of
    them runs the action (the other waits on the unique index, then replays the stored response).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64, help_text="SHA-256 of the method, path and request body.")
    # Inserted first (0) and filled in the same transaction, so a record seen by another request is complete.
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
