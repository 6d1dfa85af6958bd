"""Creditors (our clients), debtors and the ways to reach them."""

from django.db import models


class Creditor(models.Model):
    """The client whose debts are collected."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DebtorKind(models.TextChoices):
    PERSON = "person", "Person"
    BUSINESS = "business", "Business"


class Debtor(models.Model):
    external_id = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=DebtorKind.choices, default=DebtorKind.PERSON)
    name = models.CharField(max_length=200)
    language = models.CharField(max_length=16, blank=True, default="en")
    timezone = models.CharField(
        max_length=64, blank=True, help_text="IANA zone; derived from the address or phone when not given."
    )
    timezone_source = models.CharField(max_length=16, blank=True, help_text="given, address, phone or empty.")
    region = models.CharField(max_length=16, blank=True, help_text="State or region code of the address.")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name


class ContactKind(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"


class ContactUsage(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    WORK = "work", "Work"
    OTHER = "other", "Other"


class ContactPoint(models.Model):
    """A phone number (E.164) or an email address of a debtor, with its consent and opt-out state."""

    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(max_length=8, choices=ContactKind.choices)
    value = models.CharField(max_length=254, help_text="E.164 for phones, lower-case for emails.")
    usage = models.CharField(max_length=8, choices=ContactUsage.choices, default=ContactUsage.OTHER)
    source = models.CharField(
        max_length=32,
        blank=True,
        default="creditor",
        help_text="Where we got it: creditor, debtor, employer, skip trace.",
    )
    consent_autodial = models.BooleanField(
        default=False, help_text="Recorded consent for autodialed calls and texts (TCPA)."
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    opted_out = models.BooleanField(default=False, help_text="The debtor asked us to stop using this channel here.")
    opted_out_at = models.DateTimeField(null=True, blank=True)
    debtor_used = models.BooleanField(
        default=False, help_text="The debtor has used this address with us (allows email to a work address)."
    )
    timezone = models.CharField(max_length=64, blank=True, help_text="Zone(s) of the number, comma-separated.")
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["debtor", "kind", "value"], name="contact_point_unique_per_debtor"),
        ]
        indexes = [models.Index(fields=["value"])]

    def __str__(self):
        return self.value


class Address(models.Model):
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="addresses")
    line1 = models.CharField(max_length=200, blank=True)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=16, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    is_primary = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name_plural = "addresses"

    def __str__(self):
        return ", ".join(part for part in [self.line1, self.city, self.region, self.postal_code] if part)
