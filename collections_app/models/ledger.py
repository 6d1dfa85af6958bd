"""Invoices and the immutable ledger: entries and their allocations to invoices.

Posted rows are never edited or deleted (a database trigger refuses it); a mistake is corrected by
a reversing entry. Invoice.open_amount is a cache kept in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImmutableRowError(Exception):
    pass


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRowError(f"{self.model.__name__} rows are immutable: post a reversal instead.")

    def delete(self):
        raise ImmutableRowError(f"{self.model.__name__} rows are immutable: post a reversal instead.")


class ImmutableModel(models.Model):
    """A row that is written once. The database refuses UPDATE and DELETE too (see migrations)."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableRowError(f"{type(self).__name__} rows are immutable: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError(f"{type(self).__name__} rows are immutable: post a reversal instead.")


class Invoice(models.Model):
    """An amount due: issued on, due on, amount. Instalments of a loan are invoices too."""

    # Indexed by (account, due_on) below, which serves a lookup by account alone.
    account = models.ForeignKey(
        "collections_app.Account", on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    external_id = models.CharField(max_length=100, null=True, blank=True)
    issued_on = models.DateField()
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    description = models.CharField(max_length=200, blank=True)
    open_amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "issued_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(open_amount__gte=0) & Q(open_amount__lte=models.F("amount")),
                name="invoice_open_amount_within_amount",
            ),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("issued_on")), name="invoice_due_not_before_issue"),
            models.UniqueConstraint(fields=["account", "external_id"], name="invoice_external_id_unique_per_account"),
        ]
        indexes = [models.Index(fields=["account", "due_on"])]

    def __str__(self):
        return self.external_id or f"Invoice {self.pk}"


class EntryKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    PAYMENT = "payment", "Payment"
    CREDIT = "credit", "Credit"
    FEE = "fee", "Fee"
    INTEREST = "interest", "Interest"
    WRITE_OFF = "write_off", "Write-off"
    REVERSAL = "reversal", "Reversal"


# Entries that raise the balance (positive amounts) and those that lower it (negative amounts).
DEBIT_KINDS = (EntryKind.CHARGE, EntryKind.FEE, EntryKind.INTEREST)
CREDIT_KINDS = (EntryKind.PAYMENT, EntryKind.CREDIT, EntryKind.WRITE_OFF)


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    ACH = "ach", "ACH"
    CHECK = "check", "Check"
    CASH = "cash", "Cash"
    PORTAL = "portal", "Portal"
    OTHER = "other", "Other"


class LedgerEntry(ImmutableModel):
    """One movement of money on an account. Signed: positive raises the balance, negative lowers it."""

    # Indexed by (account, posted_on) below, which serves a lookup by account alone.
    account = models.ForeignKey(
        "collections_app.Account", on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    posted_on = models.DateField(help_text="Business date: received on, issued on, posted on.")
    invoice = models.ForeignKey(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        help_text="For a charge, the invoice it created; for a payment or credit, the invoice it names.",
    )
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    external_id = models.CharField(max_length=100, null=True, blank=True)
    method = models.CharField(max_length=8, choices=PaymentMethod.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["posted_on", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["charge", "fee", "interest"], amount__gt=0)
                    | Q(kind__in=["payment", "credit", "write_off"], amount__lt=0)
                    | Q(kind="reversal", reverses__isnull=False) & ~Q(amount=0)
                ),
                name="ledger_entry_sign_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["account", "kind", "external_id"],
                name="ledger_entry_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "posted_on"]),
            models.Index(fields=["posted_on"]),
            # The KPIs net a period's payments and write-offs of their reversals: found here instead of
            # among every entry of the period (at 1,000,000 accounts a month's 1.1M entries, 0.55 s, for
            # a handful of reversals or none).
            models.Index(fields=["posted_on"], condition=Q(kind="reversal"), name="ledger_reversal_posted_on"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} on {self.posted_on}"


class Allocation(ImmutableModel):
    """Part of a credit-side entry applied to an invoice. A reversal's allocations are negative."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations")
    # Indexed by (invoice, applied_on) below, which serves a lookup by invoice alone.
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations", db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    applied_on = models.DateField(help_text="When the money counts against the invoice (for O(d) in KPIs).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["applied_on", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="allocation_amount_not_zero")]
        indexes = [models.Index(fields=["invoice", "applied_on"])]
