"""The contact log and disputes."""

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    CALL = "call", "Call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    VISIT = "visit", "Visit"
    INBOUND_CALL = "inbound_call", "Inbound call"


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"


class Outcome(models.TextChoices):
    RIGHT_PARTY = "right_party_contact", "Right party contact"
    WRONG_PARTY = "wrong_party", "Wrong party"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Voicemail left"
    BUSY = "busy", "Busy"
    DISCONNECTED = "disconnected", "Disconnected number"
    PROMISE = "promise_to_pay", "Promise to pay"
    REFUSED = "refused", "Refused to pay"
    DISPUTE = "dispute", "Dispute raised"
    CALLBACK = "callback_requested", "Callback requested"
    DECEASED = "deceased", "Debtor deceased"
    BANKRUPT = "bankrupt", "Debtor bankrupt"
    SENT = "sent", "Sent"
    HELD = "held", "Held back by the contact rules"
    FAILED = "failed", "Sending failed"


# A telephone conversation with the debtor: starts the 7-day quiet period of Regulation F.
CONVERSATION_OUTCOMES = frozenset(
    {
        Outcome.RIGHT_PARTY,
        Outcome.PROMISE,
        Outcome.REFUSED,
        Outcome.DISPUTE,
        Outcome.CALLBACK,
        Outcome.DECEASED,
        Outcome.BANKRUPT,
    }
)
# A call that never connected is not an attempt under 12 CFR 1006.14(b)(2).
NOT_CONNECTED_OUTCOMES = frozenset({Outcome.DISCONNECTED, Outcome.HELD, Outcome.FAILED})


class Activity(models.Model):
    """One contact attempt or event on an account, with what the contact gate said."""

    account = models.ForeignKey("collections_app.Account", on_delete=models.CASCADE, related_name="activities")
    debtor = models.ForeignKey("collections_app.Debtor", on_delete=models.CASCADE, related_name="activities")
    channel = models.CharField(max_length=14, choices=Channel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.OUTBOUND)
    contact_point = models.ForeignKey(
        "collections_app.ContactPoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.CharField(max_length=254, blank=True, help_text="Number (E.164) or address used.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    automated = models.BooleanField(default=False)
    is_attempt = models.BooleanField(default=True, help_text="Counts toward call-frequency limits.")
    is_conversation = models.BooleanField(default=False)
    gate_reasons = models.JSONField(default=list, blank=True, help_text="Reason codes when the gate refused.")
    debtor_timezone = models.CharField(max_length=64, blank=True)
    debtor_region = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            models.Index(fields=["occurred_at"]),
            models.Index(fields=["user", "occurred_at"]),
        ]


class DisputeOutcome(models.TextChoices):
    VERIFIED = "verified", "Debt verified, collection resumes"
    CORRECTED = "corrected", "Corrected in the debtor's favour"
    WITHDRAWN = "withdrawn", "Withdrawn by the debtor"


class Dispute(models.Model):
    account = models.ForeignKey("collections_app.Account", on_delete=models.CASCADE, related_name="disputes")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    in_writing = models.BooleanField(default=False)
    within_validation_period = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=DisputeOutcome.choices, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["account", "resolved_at"])]
