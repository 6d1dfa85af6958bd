"""Promises to pay and payment arrangements (instalment plans)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class PromiseStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


class Promise(models.Model):
    """A promise to pay an amount by a date.

    Kept when the payments on the account from the promise's creation to its date plus the grace
    days cover the amount; broken when that window closes short.
    """

    account = models.ForeignKey("collections_app.Account", on_delete=models.CASCADE, related_name="promises")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    due_on = models.DateField()
    created_on = models.DateField(help_text="Business date the promise was made; payments count from here.")
    grace_days = models.PositiveSmallIntegerField(default=0)
    window_ends_on = models.DateField(help_text="Due date plus grace days: the last day a payment counts.")
    status = models.CharField(max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.PENDING)
    resolved_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("created_on")), name="promise_due_not_before_made"),
        ]
        indexes = [models.Index(fields=["status", "window_ends_on"])]


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


class Arrangement(models.Model):
    """A payment plan: instalments with dates and amounts. At most one active per account."""

    account = models.ForeignKey("collections_app.Account", on_delete=models.CASCADE, related_name="arrangements")
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    start_on = models.DateField()
    created_on = models.DateField()
    grace_days = models.PositiveSmallIntegerField(default=0)
    missed_allowed = models.PositiveSmallIntegerField(
        default=1, help_text="Missed instalments tolerated; one more breaks the arrangement."
    )
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    resolved_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gt=0), name="arrangement_total_positive"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="active"), name="one_active_arrangement_per_account"
            ),
        ]


class Instalment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        KEPT = "kept", "Paid"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["arrangement", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "sequence"], name="instalment_sequence_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]
