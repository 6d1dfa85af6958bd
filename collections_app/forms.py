"""Forms of the collector's workspace: each one parses one action on the account page.

They turn what a person typed into typed values (Decimal, date, an aware moment in the debtor's
zone) and refuse nonsense in plain words; every business rule stays in the services they feed.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from compliance.models import HoldReason

from .models import ContactKind, DisputeOutcome, Frequency, Outcome, PaymentMethod
from .money import MAX_AMOUNT
from .services.plans import MAX_INSTALMENTS

# "1234.50", "1,234.50" or "1234": digits, thousands commas in their places, one dot. No sign,
# no exponent ("1e9999"), no "NaN": an amount a person types, not whatever Decimal() accepts.
_AMOUNT_TYPED = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
# Outcomes a person records after a call; "sent", "held" and "failed" are the system's own.
CALL_OUTCOMES = [
    (value, label) for value, label in Outcome.choices if value not in (Outcome.SENT, Outcome.HELD, Outcome.FAILED)
]
# Reasons placed from the hold form; disputes, cease requests and opt-outs have their own forms.
HOLD_FORM_REASONS = [
    (HoldReason.BANKRUPTCY, "Bankruptcy (every debt)"),
    (HoldReason.DECEASED, "Deceased (every debt)"),
    (HoldReason.ATTORNEY, "Attorney represents the debtor"),
    (HoldReason.OTHER, "Other (say why)"),
]
DEBTOR_WIDE_HOLDS = {HoldReason.BANKRUPTCY, HoldReason.DECEASED}
NOTE_MAX = 2000
SHORT_NOTE_MAX = 200  # what promise and ledger notes hold


class AmountField(forms.Field):
    """A positive amount of money as a Decimal, typed the way people type it."""

    widget = forms.TextInput

    default_error_messages = {
        "invalid": "Enter an amount in figures, like 120.50.",
        "not_positive": "Enter an amount more than zero.",
        "too_large": "That amount is too large.",
        "places": "Use at most two decimal places.",
    }

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "class": "input-money"})
        return attrs

    def to_python(self, value):
        if isinstance(value, Decimal):
            value = f"{value:f}"
        text = str(value or "").strip().replace(" ", "")
        if text in self.empty_values:
            return None
        if len(text) > 24:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        if text.startswith("-"):
            raise forms.ValidationError(self.error_messages["not_positive"], code="not_positive")
        text = text.lstrip("$")
        if not _AMOUNT_TYPED.match(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:  # unreachable after the pattern, kept as a guard
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if amount <= 0:
            raise forms.ValidationError(self.error_messages["not_positive"], code="not_positive")
        if amount >= MAX_AMOUNT:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        if amount.as_tuple().exponent < -2:
            raise forms.ValidationError(self.error_messages["places"], code="places")
        return amount.quantize(Decimal("0.01"))


class DayField(forms.DateField):
    """A calendar date from a date picker (or typed as 2026-11-23), within sensible years."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {
        "invalid": "Enter a date like 2026-11-23.",
        "range": "Enter a date between 2000 and 2100.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y", "%d %b %Y"])
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not datetime.date(2000, 1, 1) <= day <= datetime.date(2100, 12, 31):
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return day


class LocalMomentField(forms.Field):
    """A datetime-local value read as a wall-clock time in a given zone (the debtor's), made aware."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_error_messages = {"invalid": "Enter a date and time like 2026-11-23 14:30."}
    formats = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")

    def __init__(self, *, zone: str = "UTC", **kwargs):
        self.zone = zone
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        for fmt in self.formats:
            try:
                wall = datetime.datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
            if not 2000 <= wall.year <= 2100:
                break
            return wall.replace(tzinfo=ZoneInfo(self.zone))
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


def _note(label="Note", *, required=False, max_length=NOTE_MAX, rows=2, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        strip=True,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _point_label(point) -> str:
    label = f"{point.value} · {point.get_usage_display()}"
    return label + (" · opted out of texts" if point.opted_out and point.kind == ContactKind.PHONE else "")


class AccountActionForm(forms.Form):
    """A form about one account; knows the account, its debtor's contact points and the debtor's zone."""

    def __init__(self, *args, account, contact_points=(), zone: str = "UTC", **kwargs):
        self.account = account
        self.contact_points = list(contact_points)
        self.zone = zone
        super().__init__(*args, **kwargs)


class CallOutcomeForm(AccountActionForm):
    """What happened on a call: the number, the outcome, a note, and a promise or callback if made."""

    direction = forms.ChoiceField(
        label="Call",
        choices=[("outbound", "I called the debtor"), ("inbound", "The debtor called us")],
        initial="outbound",
        widget=forms.RadioSelect,
    )
    contact_point = forms.ChoiceField(label="Number", required=False)
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Choose the outcome…"), *CALL_OUTCOMES])
    note = _note(help_text="What was said; the debtor's words where they matter.")
    promise_amount = AmountField(label="Promised amount", required=False)
    promise_due_on = DayField(label="Promised by", required=False)
    callback_at = LocalMomentField(label="Call back at", required=False)

    def __init__(self, *args, selected_point=None, **kwargs):
        super().__init__(*args, **kwargs)
        phones = [p for p in self.contact_points if p.kind == ContactKind.PHONE]
        self.fields["contact_point"].choices = [(str(p.pk), _point_label(p)) for p in phones]
        if phones:
            chosen = selected_point if selected_point in {p.pk for p in phones} else phones[0].pk
            self.fields["contact_point"].initial = str(chosen)
        self.fields["callback_at"] = LocalMomentField(label="Call back at", required=False, zone=self.zone)
        self.fields["callback_at"].help_text = f"Time in {self.zone}, the debtor's time zone."
        self.fields["promise_due_on"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["outcome"].widget.attrs["data-first"] = ""

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        point_id = data.get("contact_point")
        points = {str(p.pk): p for p in self.contact_points if p.kind == ContactKind.PHONE}
        if data.get("direction") == "outbound" and not point_id:
            self.add_error(
                "contact_point",
                "Choose the number you called." if points else "No phone number on file: nothing to call.",
            )
        data["contact_point"] = points.get(point_id) if point_id else None
        if outcome == Outcome.PROMISE:
            if data.get("promise_amount") is None and "promise_amount" not in self.errors:
                self.add_error("promise_amount", "Enter the amount the debtor promised.")
            if data.get("promise_due_on") is None and "promise_due_on" not in self.errors:
                self.add_error("promise_due_on", "Enter the date the debtor promised to pay by.")
        if outcome == Outcome.CALLBACK and data.get("callback_at") is None and "callback_at" not in self.errors:
            self.add_error("callback_at", "Enter when the debtor asked to be called back.")
        return data


class PromiseForm(AccountActionForm):
    amount = AmountField(label="Amount")
    due_on = DayField(label="Pay by")
    note = _note(max_length=SHORT_NOTE_MAX, rows=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_on"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["amount"].help_text = f"In {self.account.currency}; at most the balance."


class ArrangementForm(AccountActionForm):
    total_amount = AmountField(label="Total")
    count = forms.IntegerField(
        label="Instalments",
        min_value=1,
        max_value=MAX_INSTALMENTS,
        initial=3,
        error_messages={"invalid": "Enter a whole number of instalments, like 6."},
    )
    frequency = forms.ChoiceField(label="Every", choices=Frequency.choices, initial=Frequency.MONTHLY)
    start_on = DayField(label="First instalment on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["total_amount"].initial = f"{self.account.balance:.2f}"
        self.fields["total_amount"].help_text = f"In {self.account.currency}; at most the balance."
        self.fields["start_on"].initial = today + datetime.timedelta(days=7)
        self.fields["start_on"].widget.attrs["min"] = today.isoformat()


class PaymentForm(AccountActionForm):
    amount = AmountField(label="Amount")
    received_on = DayField(label="Received on")
    method = forms.ChoiceField(label="Method", choices=PaymentMethod.choices, initial=PaymentMethod.CARD)
    reference = forms.CharField(
        label="Reference", required=False, max_length=100, help_text="The card or bank reference, if any."
    )
    note = _note(max_length=SHORT_NOTE_MAX, rows=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["amount"].help_text = f"In {self.account.currency}."


class DisputeOpenForm(AccountActionForm):
    reason = _note("What the debtor disputes", required=True, rows=3)
    in_writing = forms.BooleanField(label="The dispute came in writing", required=False)


class DisputeResolveForm(AccountActionForm):
    dispute = forms.ChoiceField(label="Dispute")
    outcome = forms.ChoiceField(label="Outcome", choices=DisputeOutcome.choices)
    note = _note()

    def __init__(self, *args, disputes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disputes = {str(d.pk): d for d in disputes}
        self.fields["dispute"].choices = [
            (key, f"Opened {timezone.localtime(d.opened_at):%d %b %Y}: {d.reason[:60]}")
            for key, d in self.disputes.items()
        ]

    def clean_dispute(self):
        return self.disputes[self.cleaned_data["dispute"]]


class HoldPlaceForm(AccountActionForm):
    reason = forms.ChoiceField(label="Reason", choices=HOLD_FORM_REASONS)
    ends_on = DayField(
        label="Until (optional)", required=False, help_text="The hold lifts at the start of this day, debtor's time."
    )
    note = _note(max_length=300, help_text="Required for another reason: say which.")

    def clean(self):
        data = super().clean()
        if data.get("reason") == HoldReason.OTHER and not data.get("note"):
            self.add_error("note", "Say why the account is held.")
        ends_on = data.get("ends_on")
        data["ends_at"] = (
            datetime.datetime.combine(ends_on, datetime.time(0), tzinfo=ZoneInfo(self.zone)) if ends_on else None
        )
        if ends_on and ends_on <= timezone.localdate():
            self.add_error("ends_on", "The hold must end after today.")
        return data


class HoldReleaseForm(AccountActionForm):
    hold = forms.ChoiceField(label="Hold")
    note = _note("Why it is released", required=True)

    def __init__(self, *args, holds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.holds = {str(h.pk): h for h in holds}
        self.fields["hold"].choices = [
            (key, f"{h.get_reason_display()} since {timezone.localtime(h.starts_at):%d %b %Y}")
            for key, h in self.holds.items()
        ]

    def clean_hold(self):
        return self.holds[self.cleaned_data["hold"]]


class CallbackForm(AccountActionForm):
    at = LocalMomentField(label="Call back at", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"] = LocalMomentField(label="Call back at", required=False, zone=self.zone)
        self.fields["at"].help_text = f"Time in {self.zone}, the debtor's time zone. Leave empty and save to clear."
        if self.account.callback_at:
            self.fields["at"].initial = self.account.callback_at.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None)


class CeaseForm(AccountActionForm):
    scope = forms.ChoiceField(
        label="Applies to",
        choices=[("account", "This account"), ("debtor", "Every debt of this debtor")],
        initial="account",
        widget=forms.RadioSelect,
    )
    in_writing = forms.BooleanField(label="The request came in writing", required=False, initial=True)
    received_on = DayField(label="Received on")
    note = _note()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The request cannot be received in the future.")
        return day


class OptOutForm(AccountActionForm):
    target = forms.ChoiceField(label="Stop")
    note = _note(help_text="How the debtor asked, in their words if you can.")

    CHANNELS = [
        ("channel:call", "All calls to this debtor"),
        ("channel:sms", "All texts"),
        ("channel:email", "All emails"),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for point in self.contact_points:
            if point.opted_out:
                continue
            what = "Texts to" if point.kind == ContactKind.PHONE else "Emails to"
            choices.append((f"point:{point.pk}", f"{what} {point.value}"))
        self.fields["target"].choices = choices + self.CHANNELS

    def clean_target(self):
        kind, _, key = self.cleaned_data["target"].partition(":")
        if kind == "point":
            point = next(p for p in self.contact_points if str(p.pk) == key)
            return ("point", point)
        return ("channel", key)


class ConfirmForm(AccountActionForm):
    """An action with nothing to type (cancel the arrangement): the button is the confirmation."""
