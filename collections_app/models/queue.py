"""How a team's work queue is ordered: the weights a manager sets."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

# Each factor scores an account from 0 to 100; a weight (0-10) says how much that factor counts.
WEIGHT_FIELDS = (
    ("weight_days_past_due", "Days past due", "Older debts first (by aging bucket)."),
    ("weight_balance", "Balance", "Larger balances first."),
    ("weight_promise_due", "Promise due", "A promise to pay that falls due today or is overdue: check on it."),
    ("weight_broken_promise", "Broken promise", "A promise broken in the last 30 days."),
    ("weight_callback", "Scheduled callback", "A callback the debtor asked for that is now due."),
    ("weight_last_contact", "Time since last contact", "Accounts not contacted for longest first."),
    ("weight_priority", "Priority score", "The priority score given on import (0-100)."),
)


def _weight(label: str, help_text: str, default: int):
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MaxValueValidator(10)], help_text=help_text
    )


class QueueStrategy(models.Model):
    """A team's queue ordering; the one without a team is the default for everyone else."""

    team = models.OneToOneField(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="queue_strategy"
    )
    weight_days_past_due = _weight(*WEIGHT_FIELDS[0][1:], default=5)
    weight_balance = _weight(*WEIGHT_FIELDS[1][1:], default=4)
    weight_promise_due = _weight(*WEIGHT_FIELDS[2][1:], default=8)
    weight_broken_promise = _weight(*WEIGHT_FIELDS[3][1:], default=7)
    weight_callback = _weight(*WEIGHT_FIELDS[4][1:], default=10)
    weight_last_contact = _weight(*WEIGHT_FIELDS[5][1:], default=3)
    weight_priority = _weight(*WEIGHT_FIELDS[6][1:], default=2)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # Team is unique (one-to-one); the one default row (no team) is kept single by its service.
        verbose_name_plural = "queue strategies"

    def __str__(self):
        return f"Queue strategy of {self.team}" if self.team_id else "Default queue strategy"

    def weights(self) -> dict[str, int]:
        return {name: getattr(self, name) for name, _, _ in WEIGHT_FIELDS}
