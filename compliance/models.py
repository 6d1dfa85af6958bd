"""Compliance tables: the contact policy, state rules, limitation periods, holds, account profiles
and the append-only audit log."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

# Federal defaults (Regulation F). An admin may make the policy stricter, never looser.
FEDERAL_WINDOW_START = datetime.time(8, 0)
FEDERAL_WINDOW_END = datetime.time(21, 0)
FEDERAL_CALL_CAP = 7
FEDERAL_CAP_DAYS = 7
FEDERAL_DAYS_AFTER_CONVERSATION = 7
FEDERAL_RECEIPT_BUSINESS_DAYS = 5
FEDERAL_VALIDATION_PERIOD_DAYS = 30
RETENTION_YEARS = 3


class AuditQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused too; only audit_retention_purge removes old rows."""

    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Something that matters happened: who, when, to what, before and after.

    Append-only: the application never updates or deletes these rows; on PostgreSQL a trigger
    refuses it as well (see migration 0003).
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.TextField(blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


def _stricter_window(start, end, errors):
    if start is not None and start < FEDERAL_WINDOW_START:
        errors["call_window_start"] = (
            f"Calls may not start before {FEDERAL_WINDOW_START:%H:%M} (federal rule); choose {FEDERAL_WINDOW_START:%H:%M} "
            "or later."
        )
    if end is not None and end > FEDERAL_WINDOW_END:
        errors["call_window_end"] = (
            f"Calls may not go on after {FEDERAL_WINDOW_END:%H:%M} (federal rule); choose {FEDERAL_WINDOW_END:%H:%M} "
            "or earlier."
        )
    if start is not None and end is not None and start >= end:
        errors["call_window_end"] = "The calling window must end after it starts."


class ContactPolicy(models.Model):
    """The house contact rules: one row (pk 1), editable by admins, never looser than Regulation F."""

    call_window_start = models.TimeField(default=FEDERAL_WINDOW_START, help_text="Debtor's local time.")
    call_window_end = models.TimeField(default=FEDERAL_WINDOW_END, help_text="Debtor's local time; exclusive.")
    weekly_call_cap = models.PositiveSmallIntegerField(
        default=FEDERAL_CALL_CAP, help_text="Most call attempts per debt in the capped period."
    )
    cap_period_days = models.PositiveSmallIntegerField(
        default=FEDERAL_CAP_DAYS, help_text="Consecutive days the call cap counts over."
    )
    days_after_conversation = models.PositiveSmallIntegerField(
        default=FEDERAL_DAYS_AFTER_CONVERSATION,
        help_text="Days, counting the day of a telephone conversation, with no further call on that debt.",
    )
    receipt_business_days = models.PositiveSmallIntegerField(
        default=FEDERAL_RECEIPT_BUSINESS_DAYS,
        help_text="Business days after sending when the validation notice counts as received.",
    )
    validation_period_days = models.PositiveSmallIntegerField(
        default=FEDERAL_VALIDATION_PERIOD_DAYS, help_text="Days after receipt that the validation period lasts."
    )
    promise_grace_days = models.PositiveSmallIntegerField(
        default=3, help_text="Days after a promise's date before it counts as broken."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "contact policy"
        verbose_name_plural = "contact policy"

    def __str__(self):
        return "Contact policy"

    def save(self, *args, **kwargs):
        # A singleton: whatever the caller built, it is the one row.
        self.pk = 1
        super().save(*args, **kwargs)

    def clean(self):
        errors: dict[str, str] = {}
        _stricter_window(self.call_window_start, self.call_window_end, errors)
        if self.weekly_call_cap > FEDERAL_CALL_CAP:
            errors["weekly_call_cap"] = f"At most {FEDERAL_CALL_CAP} call attempts are allowed (federal rule)."
        if self.cap_period_days < FEDERAL_CAP_DAYS:
            errors["cap_period_days"] = f"The call cap must count over at least {FEDERAL_CAP_DAYS} days."
        if self.days_after_conversation < FEDERAL_DAYS_AFTER_CONVERSATION:
            errors["days_after_conversation"] = (
                f"After a conversation, calls must pause at least {FEDERAL_DAYS_AFTER_CONVERSATION} days."
            )
        if self.receipt_business_days < FEDERAL_RECEIPT_BUSINESS_DAYS:
            errors["receipt_business_days"] = (
                f"A notice may not be assumed received sooner than {FEDERAL_RECEIPT_BUSINESS_DAYS} business days."
            )
        if self.validation_period_days < FEDERAL_VALIDATION_PERIOD_DAYS:
            errors["validation_period_days"] = (
                f"The validation period lasts at least {FEDERAL_VALIDATION_PERIOD_DAYS} days after receipt."
            )
        if errors:
            raise ValidationError(errors)


class StateRule(models.Model):
    """Stricter limits of one state, applied by the debtor's state of residence (Debtor.region)."""

    region = models.CharField(max_length=16, unique=True, help_text="State code, e.g. MA.")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    call_window_start = models.TimeField(null=True, blank=True)
    call_window_end = models.TimeField(null=True, blank=True)
    weekly_call_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Replaces the policy's call cap when lower."
    )
    personal_cap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Calls or texts we initiate (voicemails included) to home or mobile numbers, per debt.",
    )
    personal_cap_days = models.PositiveSmallIntegerField(default=7)
    other_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Calls or texts we initiate to other numbers, per debt."
    )
    other_cap_days = models.PositiveSmallIntegerField(default=30)
    citation = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["region"]

    def __str__(self):
        return f"{self.name} ({self.region})"

    def clean(self):
        self.region = (self.region or "").strip().upper()
        errors: dict[str, str] = {}
        _stricter_window(self.call_window_start, self.call_window_end, errors)
        if self.weekly_call_cap is not None and self.weekly_call_cap > FEDERAL_CALL_CAP:
            errors["weekly_call_cap"] = f"At most {FEDERAL_CALL_CAP} call attempts are allowed (federal rule)."
        if errors:
            raise ValidationError(errors)


class StatuteOfLimitations(models.Model):
    """Years after default within which a creditor may sue, per state; admins keep the table."""

    region = models.CharField(max_length=16, unique=True)
    years = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["region"]
        verbose_name = "statute of limitations"
        verbose_name_plural = "statutes of limitations"

    def __str__(self):
        return f"{self.region}: {self.years} years"

    def clean(self):
        self.region = (self.region or "").strip().upper()
        if not 1 <= self.years <= 30:
            raise ValidationError({"years": "Enter between 1 and 30 years."})


class HoldReason(models.TextChoices):
    CEASE = "cease", "Cease communication"
    DISPUTE = "dispute", "Dispute in the validation period"
    BANKRUPTCY = "bankruptcy", "Bankruptcy"
    DECEASED = "deceased", "Deceased"
    ATTORNEY = "attorney", "Represented by an attorney"
    OPT_OUT = "opt_out", "Opted out of a channel"
    OTHER = "other", "Other"


class HoldQuerySet(models.QuerySet):
    def active(self, at: datetime.datetime):
        return self.filter(released_at__isnull=True, starts_at__lte=at).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=at)
        )


class Hold(models.Model):
    """No collection contact with an account or a debtor (or, with a channel, on that channel)."""

    account = models.ForeignKey(
        "collections_app.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    debtor = models.ForeignKey(
        "collections_app.Debtor", null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    reason = models.CharField(max_length=12, choices=HoldReason.choices)
    channel = models.CharField(max_length=14, blank=True, help_text="Empty: every channel.")
    note = models.CharField(max_length=300, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["account", "released_at"]),
            models.Index(fields=["debtor", "released_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(debtor__isnull=False), name="hold_names_account_or_debtor"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="hold_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} on {self.account or self.debtor}"


class AccountCompliance(models.Model):
    """Per-account compliance facts: validation notice, first communication, limitation date."""

    account = models.OneToOneField(
        "collections_app.Account", on_delete=models.CASCADE, related_name="compliance", primary_key=True
    )
    first_communication_at = models.DateTimeField(null=True, blank=True)
    validation_notice_sent_on = models.DateField(null=True, blank=True)
    validation_notice_received_on = models.DateField(
        null=True, blank=True, help_text="Assumed receipt: business days after sending."
    )
    validation_period_ends_on = models.DateField(null=True, blank=True, db_index=True)
    statute_of_limitations_on = models.DateField(
        null=True, blank=True, help_text="Set by hand to override the date derived from the state table."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account compliance profile"

    def __str__(self):
        return f"Compliance of {self.account_id}"
