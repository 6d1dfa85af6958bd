"""Dunning: policies of ordered stages, message templates, nightly runs and the reminders they make.

A reminder's key is (account, stage, cycle). The cycle is the account's oldest open due date when
the reminder was chosen: paying the oldest invoice moves that date, which starts a new cycle whose
stages begin again; anything else (a rerun, a retry, a crash) finds the key taken and sends nothing.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class DunningChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    LETTER = "letter", "Letter"
    TASK = "task", "Collector task"


class TriggerKind(models.TextChoices):
    DUE_OFFSET = "due_offset", "Days after the oldest due date"
    AFTER_PREVIOUS = "after_previous", "Days after the previous stage"


class DunningTemplate(models.Model):
    """A message in one channel and language. Placeholders are {{ name }}; see dunning.rendering."""

    name = models.CharField(max_length=100, help_text="Variants in other languages share the name.")
    channel = models.CharField(max_length=8, choices=DunningChannel.choices)
    language = models.CharField(max_length=16, default="en", help_text="Language code, e.g. en or es.")
    time_barred = models.BooleanField(
        default=False, help_text="The variant for time-barred debts: it must not threaten or imply a suit."
    )
    subject = models.CharField(max_length=200, blank=True, help_text="Email subject (emails only).")
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language", "time_barred"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "language", "time_barred"], name="dunning_template_one_per_language"
            ),
        ]

    def __str__(self):
        extra = ", time-barred" if self.time_barred else ""
        return f"{self.name} ({self.get_channel_display().lower()}, {self.language}{extra})"


class DunningPolicy(models.Model):
    """Which accounts it covers (first matching active policy by priority) and what pauses or stops it."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Lower first: an account follows the first active policy whose criteria it meets."
    )
    creditor = models.ForeignKey(
        "collections_app.Creditor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dunning_policies",
        help_text="Empty: every creditor.",
    )
    segment = models.CharField(max_length=100, blank=True, help_text="Empty: every segment.")
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217; empty: every currency.")
    min_balance = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Balance band: at least this."
    )
    max_balance = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Balance band: less than this."
    )
    stop_on_payment = models.BooleanField(
        default=True, help_text="A payment after the cycle's first reminder ends the cycle's reminders."
    )
    pause_on_promise = models.BooleanField(default=True, help_text="Pause while a promise to pay is pending.")
    pause_on_arrangement = models.BooleanField(default=True, help_text="Pause while an arrangement is active.")
    pause_on_dispute = models.BooleanField(default=True, help_text="Pause while a dispute is open.")
    pause_on_hold = models.BooleanField(
        default=True, help_text="Pause while a hold is in force (a hold with an end date resumes by itself)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name"]
        verbose_name_plural = "dunning policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_balance__isnull=True)
                | Q(max_balance__isnull=True)
                | Q(max_balance__gt=models.F("min_balance")),
                name="dunning_policy_band_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def pauses(self) -> list[str]:
        names = ("promise", "arrangement", "dispute", "hold")
        return [name for name in names if getattr(self, f"pause_on_{name}")]


class DunningStage(models.Model):
    """One step of a policy: when, by which channel, with which message, above which balance."""

    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    trigger_kind = models.CharField(max_length=16, choices=TriggerKind.choices, default=TriggerKind.DUE_OFFSET)
    trigger_days = models.SmallIntegerField(
        help_text="Days after the oldest due date (negative: before it), or days after the previous stage."
    )
    channel = models.CharField(max_length=8, choices=DunningChannel.choices)
    template = models.ForeignKey(
        DunningTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="stages"
    )
    min_balance = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="No reminder below this balance."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="dunning_stage_position_unique"),
        ]

    def __str__(self):
        return f"{self.position}. {self.name}"

    @property
    def trigger_label(self) -> str:
        days = self.trigger_days
        if self.trigger_kind == TriggerKind.AFTER_PREVIOUS:
            return f"{days} day{'s' if abs(days) != 1 else ''} after the previous stage"
        if days == 0:
            return "on the oldest due date"
        word = "after" if days > 0 else "before"
        return f"{abs(days)} day{'s' if abs(days) != 1 else ''} {word} the oldest due date"


class DunningRun(models.Model):
    """One run for a business date: the selection it made, or (dry_run) what it would do."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run_on = models.DateField()
    dry_run = models.BooleanField(default=False)
    at = models.DateTimeField(help_text="The moment the contact gate was asked about.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    selected = models.PositiveIntegerField(default=0, help_text="New reminders this run created.")
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last showed it was running this run: its start and each stage."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["dry_run", "run_on"])]

    def __str__(self):
        return f"{'Dry run' if self.dry_run else 'Run'} for {self.run_on}"


class ReminderState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Held back by the contact rules"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


FINAL_STATES = (ReminderState.SENT, ReminderState.SKIPPED, ReminderState.CANCELLED, ReminderState.FAILED)


class DunningReminder(models.Model):
    """One reminder: chosen by a run, claimed by one worker (pending -> sending), then final.

    What was sent (address, subject, body) is kept on the row, so the letter batch and any audit
    show exactly what the debtor received.
    """

    # Indexed by (account, cycle) and (account, stage, cycle) below, which serve a lookup by account alone
    # (an index of its own was one more written by every reminder the nightly selection inserts).
    account = models.ForeignKey(
        "collections_app.Account", on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    # Stage, policy and run without a database constraint: every reminder the nightly selection inserts
    # fired one deferred check per constraint at commit (at 1,000,000 accounts 8.5 of the letter stage's
    # 17 s). The selection takes them from the rows it runs on, and deleting a stage, a policy or a run
    # goes through Django, which applies PROTECT and SET_NULL itself.
    stage = models.ForeignKey(DunningStage, on_delete=models.PROTECT, related_name="reminders", db_constraint=False)
    policy = models.ForeignKey(DunningPolicy, on_delete=models.PROTECT, related_name="reminders", db_constraint=False)
    cycle = models.DateField(help_text="The account's oldest open due date when the reminder was chosen.")
    run = models.ForeignKey(
        DunningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders", db_constraint=False
    )
    channel = models.CharField(max_length=8, choices=DunningChannel.choices)
    state = models.CharField(max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING)
    planned_on = models.DateField(help_text="The business date it was chosen for.")
    send_after = models.DateTimeField(
        null=True, blank=True, help_text="Not before this moment (the debtor's next allowed time, or a retry)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="Reason codes: the gate's, or why cancelled.")
    note = models.TextField(blank=True, help_text="The reasons in words, or the last error.")
    provider_id = models.CharField(max_length=200, blank=True)
    activity = models.OneToOneField(
        "collections_app.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="reminder"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # The exactly-once key: a rerun, retry or crashed run finds it taken.
            models.UniqueConstraint(fields=["account", "stage", "cycle"], name="one_reminder_per_account_stage_cycle"),
        ]
        indexes = [
            models.Index(fields=["state", "send_after"]),
            models.Index(fields=["account", "cycle"]),
            models.Index(fields=["channel", "state", "done_at"]),
        ]

    def __str__(self):
        return f"Reminder {self.pk}: {self.stage} for {self.account_id}"

    @property
    def idempotency_key(self) -> str:
        """Handed to the provider with the message, so a provider that deduplicates can refuse a resend."""
        return f"dunning-{self.pk}"
