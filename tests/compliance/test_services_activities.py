"""activity_log asks the gate and records refusals; disputes, opt-outs, cease requests and holds."""

import datetime

import pytest

from collections_app.errors import DomainError
from collections_app.models import Account, Activity, Dispute
from collections_app.services.activities import (
    activity_log,
    cease_communication_record,
    contact_point_opt_out,
    dispute_open,
    dispute_resolve,
)
from compliance.dates import business_days_after, validation_dates
from compliance.gate import contact_decision
from compliance.models import AccountCompliance, AuditEvent, Hold
from compliance.services import validation_notice_record

from .conftest import local

DEN = "America/Denver"
NOON = local(DEN, 2026, 6, 10, 12, 0)


def test_allowed_call_is_logged_with_its_snapshot(denver_account, collector):
    activity = activity_log(
        account=denver_account,
        channel="call",
        outcome="voicemail",
        user=collector,
        to="+13035550100",
        at=NOON,
        duration_seconds=40,
    )
    assert activity.is_attempt and not activity.is_conversation
    assert activity.contact_point.value == "+13035550100"
    assert (activity.debtor_timezone, activity.debtor_region, activity.gate_reasons) == ("America/Denver", "CO", [])
    denver_account.refresh_from_db()
    assert denver_account.last_contact_at == NOON
    event = AuditEvent.objects.get(action="contact.logged")
    assert event.account_id == denver_account.pk and event.actor == collector
    assert AccountCompliance.objects.get(account=denver_account).first_communication_at == NOON


def test_conversation_and_not_connected_outcomes(denver_account):
    talk = activity_log(account=denver_account, channel="call", outcome="promise_to_pay", to="+13035550100", at=NOON)
    assert talk.is_attempt and talk.is_conversation
    # The conversation now blocks calls for 7 days; a later not-connected call is refused before dialling.
    with pytest.raises(DomainError) as refused:
        activity_log(
            account=denver_account,
            channel="call",
            outcome="disconnected",
            to="+13035550100",
            at=NOON + datetime.timedelta(hours=1),
        )
    assert refused.value.code == "contact_refused"


def test_disconnected_call_is_no_attempt(denver_account):
    activity = activity_log(account=denver_account, channel="call", outcome="disconnected", to="+13035550100", at=NOON)
    assert not activity.is_attempt


def test_refused_contact_is_recorded_then_raised(denver_account, collector):
    early = local(DEN, 2026, 6, 10, 7, 18)
    with pytest.raises(DomainError) as refused:
        activity_log(
            account=denver_account, channel="call", outcome="no_answer", user=collector, to="+13035550100", at=early
        )
    assert refused.value.code == "contact_refused"
    assert refused.value.message == "Calling hours in America/Denver start at 8:00 — in 42 minutes."
    held = Activity.objects.get(account=denver_account)
    assert (held.outcome, held.is_attempt, held.gate_reasons) == ("held", False, ["outside_hours"])
    assert held.note.startswith("Calling hours")
    event = AuditEvent.objects.get(action="contact.refused")
    assert event.actor == collector and event.after["reasons"][0]["code"] == "outside_hours"
    denver_account.refresh_from_db()
    assert denver_account.last_contact_at is None


def test_refusals_do_not_count_as_attempts(denver_account):
    for minute in range(10):
        with pytest.raises(DomainError):
            activity_log(
                account=denver_account,
                channel="call",
                outcome="no_answer",
                to="+13035550100",
                at=local(DEN, 2026, 6, 10, 6, minute),
            )
    assert contact_decision(account=denver_account, channel="call", to="+13035550100", at=NOON).allowed


def test_inbound_call_needs_no_permission_and_is_no_attempt(denver_account):
    activity = activity_log(
        account=denver_account, channel="inbound_call", outcome="right_party_contact", at=local(DEN, 2026, 6, 10, 22, 0)
    )
    assert activity.direction == "inbound" and not activity.is_attempt and activity.is_conversation


@pytest.mark.parametrize(("outcome", "reason"), [("deceased", "deceased"), ("bankrupt", "bankruptcy")])
def test_deceased_and_bankrupt_outcomes_hold_every_debt_of_the_debtor(denver_account, creditor, outcome, reason):
    sibling = Account.objects.create(
        external_id="A-sib",
        debtor=denver_account.debtor,
        creditor=creditor,
        currency="USD",
        opened_on=datetime.date(2024, 2, 1),
    )
    activity_log(account=denver_account, channel="call", outcome=outcome, to="+13035550100", at=NOON)
    hold = Hold.objects.get()
    assert hold.reason == reason and hold.debtor == denver_account.debtor
    later = NOON + datetime.timedelta(days=10)
    assert contact_decision(account=sibling, channel="letter", at=later).codes == [reason]


def test_contact_point_belonging_to_another_debtor_is_refused(denver_account, make_account):
    other = make_account(phones=[{"value": "+13035550177"}])
    with pytest.raises(DomainError) as refused:
        activity_log(
            account=denver_account,
            channel="call",
            outcome="no_answer",
            contact_point=other.debtor.contact_points.get(),
            at=NOON,
        )
    assert refused.value.code == "invalid_contact_point"
    assert not Activity.objects.filter(account=denver_account).exists()


# --- validation period and disputes -------------------------------------------------------------


def test_validation_period_spans_a_holiday_and_a_weekend():
    # Sent Wed 1 July 2026: Fri 3 July is Independence Day observed, then a weekend.
    assert business_days_after(datetime.date(2026, 7, 1), 5) == datetime.date(2026, 7, 9)
    assert validation_dates(datetime.date(2026, 7, 1)) == (datetime.date(2026, 7, 9), datetime.date(2026, 8, 8))
    # Sent the day before Thanksgiving.
    assert validation_dates(datetime.date(2026, 11, 25)) == (datetime.date(2026, 12, 3), datetime.date(2027, 1, 2))


@pytest.mark.parametrize(
    ("dispute_day", "within"), [(datetime.date(2026, 8, 8), True), (datetime.date(2026, 8, 9), False)]
)
def test_dispute_inside_and_outside_the_validation_period(denver_account, manager, dispute_day, within):
    validation_notice_record(account=denver_account, sent_on=datetime.date(2026, 7, 1), user=manager)
    at = datetime.datetime.combine(dispute_day, datetime.time(18), tzinfo=datetime.UTC)
    dispute = dispute_open(account=denver_account, reason="Not my debt", user=manager, at=at, in_writing=True)
    assert dispute.within_validation_period is within
    denver_account.refresh_from_db()
    assert denver_account.status == "disputed"
    later = at + datetime.timedelta(days=1)
    decision = contact_decision(account=denver_account, channel="call", to="+13035550100", at=later)
    assert decision.allowed is not within
    if within:
        assert decision.codes == ["dispute_pending"] and decision.verdict == "never"
        # The verification itself may go out.
        assert contact_decision(account=denver_account, channel="letter", at=later, purpose="verification").allowed
    dispute_resolve(dispute=dispute, outcome="verified", user=manager, at=later)
    denver_account.refresh_from_db()
    assert denver_account.status == "active"
    assert contact_decision(account=denver_account, channel="call", to="+13035550100", at=later).allowed
    actions = set(AuditEvent.objects.filter(account_id=denver_account.pk).values_list("action", flat=True))
    assert {"dispute.opened", "dispute.resolved", "account.status_changed", "validation_notice.recorded"} <= actions


def test_dispute_before_any_notice_counts_as_within(denver_account):
    dispute = dispute_open(account=denver_account, reason="Amount wrong", at=NOON)
    assert dispute.within_validation_period
    assert Hold.objects.filter(account=denver_account, reason="dispute").exists()


def test_dispute_row_alone_holds_collection(denver_account):
    # A dispute recorded elsewhere (not through dispute_open) still stops collection.
    Dispute.objects.create(account=denver_account, reason="x", opened_at=NOON, within_validation_period=True)
    assert contact_decision(
        account=denver_account, channel="call", to="+13035550100", at=NOON + datetime.timedelta(hours=1)
    ).codes == ["dispute_pending"]


def test_resolving_twice_is_refused(denver_account):
    dispute = dispute_open(account=denver_account, reason="x", at=NOON)
    dispute_resolve(dispute=dispute, outcome="withdrawn", at=NOON)
    with pytest.raises(DomainError):
        dispute_resolve(dispute=dispute, outcome="withdrawn", at=NOON)


# --- opt-out and cease --------------------------------------------------------------------------


def test_opt_out_stops_that_address_only(denver_account, collector):
    point = denver_account.debtor.contact_points.get(kind="email")
    contact_point_opt_out(contact_point=point, user=collector, at=NOON)
    point.refresh_from_db()
    assert point.opted_out and point.opted_out_at == NOON
    later = NOON + datetime.timedelta(hours=1)
    assert contact_decision(account=denver_account, channel="email", to=point.value, at=later).codes == ["opt_out"]
    assert contact_decision(account=denver_account, channel="call", to="+13035550100", at=later).allowed
    assert AuditEvent.objects.filter(action="contact_point.opted_out", account_id=denver_account.pk).exists()


def test_cease_request_holds_the_debtor(denver_account, manager):
    cease_communication_record(debtor=denver_account.debtor, user=manager, received_at=NOON, note="Letter of 8 June")
    later = NOON + datetime.timedelta(hours=1)
    assert contact_decision(account=denver_account, channel="call", to="+13035550100", at=later).codes == ["cease"]
    with pytest.raises(DomainError) as refused:
        activity_log(account=denver_account, channel="email", outcome="sent", to="dee@example.com", at=later)
    assert "stop contacting" in refused.value.message
    final = activity_log(account=denver_account, channel="letter", outcome="sent", at=later, purpose="final_notice")
    assert final.outcome == "sent"
