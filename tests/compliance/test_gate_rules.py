"""Call frequency, conversations, holds, opt-outs, work email, consent, state caps and time-barred debt."""

import datetime

import pytest

from collections_app.models import Activity, ContactPoint
from compliance.gate import REASON_CODES, contact_decision, letter_template_kind
from compliance.models import AccountCompliance, StateRule, StatuteOfLimitations
from compliance.services import hold_place, hold_release

from .conftest import local

DEN = "America/Denver"


def attempt(
    account,
    at,
    *,
    outcome="no_answer",
    channel="call",
    to="+13035550100",
    conversation=False,
    is_attempt=True,
    direction="outbound",
):
    point = ContactPoint.objects.filter(debtor=account.debtor, value=to).first()
    return Activity.objects.create(
        account=account,
        debtor=account.debtor,
        channel=channel,
        direction=direction,
        to=to,
        contact_point=point,
        outcome=outcome,
        occurred_at=at,
        is_attempt=is_attempt,
        is_conversation=conversation,
    )


def call(account, at, to="+13035550100", **kwargs):
    return contact_decision(account=account, channel="call", to=to, at=at, **kwargs)


# --- 7 attempts in 7 days -----------------------------------------------------------------------


def test_seventh_attempt_allowed_eighth_refused(denver_account):
    for day in range(2, 8):  # six attempts, Mon 2 .. Sat 7 March
        attempt(denver_account, local(DEN, 2026, 3, day, 10, 0))
    at = local(DEN, 2026, 3, 8, 10, 0)
    assert call(denver_account, at).allowed  # the seventh
    attempt(denver_account, at)
    decision = call(denver_account, local(DEN, 2026, 3, 8, 11, 0))  # the eighth
    assert decision.codes == ["weekly_cap"]
    assert decision.message.startswith("7 call attempts on this debt in the last 7 days: the limit is 7.")
    # The window slides off Monday the 2nd at local midnight; calling hours then open at 8:00.
    assert decision.next_allowed_at == local(DEN, 2026, 3, 9, 8, 0)
    assert call(denver_account, local(DEN, 2026, 3, 9, 8, 0)).allowed


def test_seven_attempts_on_day_one_block_days_one_to_seven(denver_account):
    for minute in range(7):
        attempt(denver_account, local(DEN, 2026, 3, 2, 9, minute))
    assert call(denver_account, local(DEN, 2026, 3, 8, 20, 59)).codes == ["weekly_cap"]  # day 7
    assert call(denver_account, local(DEN, 2026, 3, 9, 8, 0)).allowed  # day 8


def test_calls_that_never_connected_and_texts_do_not_count(denver_account):
    for minute in range(7):
        attempt(denver_account, local(DEN, 2026, 3, 2, 9, minute), outcome="disconnected", is_attempt=False)
        attempt(denver_account, local(DEN, 2026, 3, 2, 10, minute), channel="sms", outcome="sent")
    assert call(denver_account, local(DEN, 2026, 3, 2, 12, 0)).allowed


def test_cap_is_per_debt(denver_account, make_account):
    for minute in range(7):
        attempt(denver_account, local(DEN, 2026, 3, 2, 9, minute))
    other = make_account(phones=[{"value": "+13035550199"}])
    assert call(other, local(DEN, 2026, 3, 2, 12, 0), to="+13035550199").allowed


# --- 7 days after a conversation ----------------------------------------------------------------


@pytest.mark.parametrize(("day", "allowed"), [(2, False), (8, False), (9, True)])
def test_quiet_period_after_a_conversation(denver_account, day, allowed):
    # The conversation on Monday 2 March is day 1; day 7 is Sunday the 8th; day 8 is Monday the 9th.
    attempt(denver_account, local(DEN, 2026, 3, 2, 10, 0), outcome="right_party_contact", conversation=True)
    decision = call(denver_account, local(DEN, 2026, 3, day, 20, 59 if day == 8 else 18))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.codes == ["after_conversation"]
        assert decision.next_allowed_at == local(DEN, 2026, 3, 9, 8, 0)


def test_inbound_conversation_starts_the_quiet_period_too(denver_account):
    attempt(
        denver_account,
        local(DEN, 2026, 3, 2, 10, 0),
        channel="inbound_call",
        direction="inbound",
        outcome="promise_to_pay",
        conversation=True,
        is_attempt=False,
    )
    assert call(denver_account, local(DEN, 2026, 3, 4, 10, 0)).codes == ["after_conversation"]
    # Letters and emails are not calls: the quiet period does not stop them.
    assert contact_decision(
        account=denver_account, channel="email", to="dee@example.com", at=local(DEN, 2026, 3, 4, 10, 0)
    ).allowed


# --- holds --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["cease", "bankruptcy", "deceased", "attorney", "other"])
def test_holds_refuse_every_channel_and_never_lift_alone(denver_account, reason):
    at = local(DEN, 2026, 6, 10, 12, 0)
    hold_place(reason=reason, debtor=denver_account.debtor, starts_at=at - datetime.timedelta(days=1))
    for channel, to in [("call", "+13035550100"), ("email", "dee@example.com"), ("letter", None)]:
        decision = contact_decision(account=denver_account, channel=channel, to=to, at=at)
        assert not decision.allowed
        assert decision.codes[0] == {"other": "hold"}.get(reason, reason)
        assert decision.verdict == "never" and decision.next_allowed_at is None


def test_cease_allows_only_a_final_notice_in_writing(denver_account):
    at = local(DEN, 2026, 6, 10, 12, 0)
    hold_place(reason="cease", account=denver_account, starts_at=at - datetime.timedelta(hours=1))
    assert contact_decision(account=denver_account, channel="letter", at=at, purpose="final_notice").allowed
    assert not contact_decision(account=denver_account, channel="letter", at=at).allowed
    assert not call(denver_account, at, purpose="final_notice").allowed
    assert "asked us in writing" in call(denver_account, at).message


def test_a_hold_with_an_end_is_not_now_and_a_released_hold_is_gone(denver_account):
    at = local(DEN, 2026, 6, 10, 12, 0)
    hold = hold_place(
        reason="other",
        account=denver_account,
        starts_at=at - datetime.timedelta(hours=1),
        ends_at=local(DEN, 2026, 6, 12, 0, 0),
        note="Payment being traced",
    )
    decision = call(denver_account, at)
    assert decision.verdict == "not_now"
    assert decision.next_allowed_at == local(DEN, 2026, 6, 12, 8, 0)  # hold ends at midnight, hours at 8
    assert "Payment being traced" in decision.message
    hold_release(hold=hold)
    assert call(denver_account, at).allowed


def test_a_channel_hold_stops_only_that_channel(denver_account):
    at = local(DEN, 2026, 6, 10, 12, 0)
    hold_place(reason="opt_out", debtor=denver_account.debtor, channel="email", starts_at=at - datetime.timedelta(1))
    assert contact_decision(account=denver_account, channel="email", to="dee@example.com", at=at).codes == ["opt_out"]
    assert call(denver_account, at).allowed


def test_future_hold_does_not_refuse_yet(denver_account):
    at = local(DEN, 2026, 6, 10, 12, 0)
    hold_place(reason="attorney", account=denver_account, starts_at=at + datetime.timedelta(days=1))
    assert call(denver_account, at).allowed


# --- opt-out, work email, consent ---------------------------------------------------------------


def test_opt_out_is_per_channel_and_address(make_account):
    account = make_account(
        phones=[
            {"value": "+13035550100", "usage": "mobile", "consent_autodial": True, "opted_out": True},
            {"value": "+13035550111", "usage": "mobile", "consent_autodial": True},
        ],
        emails=[{"value": "a@example.com", "opted_out": True}, {"value": "b@example.com"}],
    )
    at = local(DEN, 2026, 6, 10, 12, 0)
    assert contact_decision(account=account, channel="sms", to="+13035550100", at=at).codes == ["opt_out"]
    assert contact_decision(account=account, channel="sms", to="+13035550111", at=at).allowed
    assert call(account, at).allowed  # an opt-out of texts is not one of calls
    assert contact_decision(account=account, channel="email", to="a@example.com", at=at).codes == ["opt_out"]
    assert contact_decision(account=account, channel="email", to="b@example.com", at=at).allowed


@pytest.mark.parametrize(
    ("usage", "source", "debtor_used", "allowed"),
    [
        ("work", "creditor", False, False),
        ("work", "creditor", True, True),
        ("other", "employer", False, False),
        ("home", "debtor", False, True),
    ],
)
def test_work_email(make_account, usage, source, debtor_used, allowed):
    account = make_account(
        emails=[{"value": "d@corp.example", "usage": usage, "source": source, "debtor_used": debtor_used}]
    )
    decision = contact_decision(
        account=account, channel="email", to="d@corp.example", at=local(DEN, 2026, 6, 10, 12, 0)
    )
    assert decision.allowed is allowed
    if not allowed:
        assert decision.codes == ["work_email"] and decision.verdict == "never"


def test_consent_for_texts_and_autodialed_calls(make_account):
    account = make_account(
        phones=[
            {"value": "+13035550100", "usage": "mobile"},
            {"value": "+13035550111", "usage": "mobile", "consent_autodial": True},
        ]
    )
    at = local(DEN, 2026, 6, 10, 12, 0)
    assert contact_decision(account=account, channel="sms", to="+13035550100", at=at).codes == ["no_consent"]
    assert contact_decision(account=account, channel="sms", to="+13035550111", at=at).allowed
    assert call(account, at, automated=True).codes == ["no_consent"]
    assert call(account, at).allowed
    assert call(account, at, to="+13035550111", automated=True).allowed
    # A number we do not know has no consent on file.
    assert contact_decision(account=account, channel="sms", to="+13035550199", at=at).codes == ["no_consent"]


def test_every_reason_is_reported_at_once(make_account):
    account = make_account(phones=[{"value": "+13035550100", "usage": "mobile", "opted_out": True}])
    at = local(DEN, 2026, 6, 10, 6, 0)
    hold_place(reason="bankruptcy", account=account, starts_at=at - datetime.timedelta(days=3))
    decision = contact_decision(account=account, channel="sms", to="+13035550100", at=at)
    assert set(decision.codes) == {"bankruptcy", "opt_out", "no_consent", "outside_hours"}
    assert set(decision.codes) <= set(REASON_CODES)


# --- Massachusetts ------------------------------------------------------------------------------


@pytest.fixture
def massachusetts(db):
    rule, _ = StateRule.objects.get_or_create(
        region="MA",
        defaults={
            "name": "Massachusetts",
            "personal_cap": 2,
            "personal_cap_days": 7,
            "other_cap": 2,
            "other_cap_days": 30,
        },
    )
    return rule


@pytest.fixture
def ma_account(make_account, massachusetts):
    return make_account(
        timezone="America/New_York",
        region="MA",
        phones=[
            {"value": "+16175550100", "usage": "mobile", "timezone": "America/New_York", "consent_autodial": True},
            {"value": "+16175550111", "usage": "work", "timezone": "America/New_York"},
        ],
    )


NY = "America/New_York"


def test_massachusetts_two_per_seven_days_to_home_and_mobile(ma_account):
    attempt(ma_account, local(NY, 2026, 3, 2, 10, 0), to="+16175550100", outcome="voicemail")
    attempt(ma_account, local(NY, 2026, 3, 3, 10, 0), to="+16175550100", channel="sms", outcome="sent")
    decision = call(ma_account, local(NY, 2026, 3, 8, 20, 0), to="+16175550100")  # day 7
    assert decision.codes == ["state_cap"]
    assert decision.message.startswith(
        "Massachusetts allows 2 calls or texts to home and mobile numbers in each 7 days"
    )
    # On the 9th the 2nd falls out of the 7 days (3rd..9th): one left in the window.
    assert decision.next_allowed_at == local(NY, 2026, 3, 9, 8, 0)
    assert call(ma_account, local(NY, 2026, 3, 9, 8, 0), to="+16175550100").allowed
    # The work number is counted apart: 2 in each 30 days.
    assert call(ma_account, local(NY, 2026, 3, 8, 20, 0), to="+16175550111").allowed


def test_massachusetts_two_per_thirty_days_to_other_numbers(ma_account):
    attempt(ma_account, local(NY, 2026, 3, 2, 10, 0), to="+16175550111")
    attempt(ma_account, local(NY, 2026, 3, 2, 11, 0), to="+16175550111")
    assert call(ma_account, local(NY, 2026, 3, 31, 12, 0), to="+16175550111").codes == ["state_cap"]  # day 30
    assert call(ma_account, local(NY, 2026, 4, 1, 8, 0), to="+16175550111").allowed  # day 31


def test_massachusetts_rule_applies_only_to_massachusetts_debtors(make_account, massachusetts):
    account = make_account(phones=[{"value": "+13035550100"}])
    for day in (2, 3):
        attempt(account, local(DEN, 2026, 3, day, 10, 0))
    assert call(account, local(DEN, 2026, 3, 4, 10, 0)).allowed


# --- time-barred debt ---------------------------------------------------------------------------


def test_time_barred_debt_is_flagged_and_gets_its_letter(make_account):
    StatuteOfLimitations.objects.update_or_create(region="TX", defaults={"years": 4})
    account = make_account(
        region="TX", phones=[{"value": "+13035550100"}], oldest_open_due_on=datetime.date(2022, 6, 1)
    )
    before = call(account, local(DEN, 2026, 5, 31, 12, 0))
    assert before.allowed and not before.flags
    after = call(account, local(DEN, 2026, 6, 1, 12, 0))
    assert after.allowed and [f.code for f in after.flags] == ["time_barred"]
    assert letter_template_kind(account, on=datetime.date(2026, 6, 1)) == "time_barred"
    assert letter_template_kind(account, on=datetime.date(2026, 5, 31)) == "standard"
    # A date set on the account's profile wins over the table.
    AccountCompliance.objects.create(account=account, statute_of_limitations_on=datetime.date(2030, 1, 1))
    assert letter_template_kind(account, on=datetime.date(2026, 6, 1)) == "standard"


# --- the address, hold boundaries, validation notice ---------------------------------------------


@pytest.mark.parametrize("channel", ["call", "sms", "email"])
def test_no_address_is_refused(denver_account, channel):
    decision = contact_decision(account=denver_account, channel=channel, at=local(DEN, 2026, 6, 10, 12, 0))
    assert "no_address" in decision.codes and decision.verdict == "never"


@pytest.mark.parametrize(("channel", "to"), [("call", "+13035550100"), ("email", "dee@example.com"), ("letter", None)])
def test_an_address_or_a_letter_needs_no_more(denver_account, channel, to):
    decision = contact_decision(account=denver_account, channel=channel, to=to, at=local(DEN, 2026, 6, 10, 12, 0))
    assert decision.allowed and "no_address" not in decision.codes


def test_a_hold_ends_at_its_end_to_the_microsecond(denver_account):
    ends = local(DEN, 2026, 6, 12, 12, 0)
    hold_place(reason="other", account=denver_account, starts_at=ends - datetime.timedelta(days=2), ends_at=ends)
    assert call(denver_account, ends - datetime.timedelta(microseconds=1)).codes == ["hold"]
    assert call(denver_account, ends).allowed


def test_validation_notice_due_is_flagged_after_five_days(denver_account):
    first = local(DEN, 2026, 6, 1, 12, 0)
    AccountCompliance.objects.create(account=denver_account, first_communication_at=first)
    on_time = call(denver_account, first + datetime.timedelta(days=5))
    assert on_time.allowed and "validation_notice_due" not in [f.code for f in on_time.flags]
    late = call(denver_account, first + datetime.timedelta(days=5, minutes=1))
    assert late.allowed and "validation_notice_due" in [f.code for f in late.flags]
    AccountCompliance.objects.filter(account=denver_account).update(validation_notice_sent_on=datetime.date(2026, 6, 3))
    sent = call(denver_account, first + datetime.timedelta(days=6))
    assert "validation_notice_due" not in [f.code for f in sent.flags]


# --- the caps' sentences, for each day `when` can name ------------------------------------------


def messages_of(decision, code):
    return [reason.message for reason in decision.reasons if reason.code == code]


def test_the_weekly_cap_says_when_the_next_call_may_be_made(denver_account):
    for minute in range(7):
        attempt(denver_account, local(DEN, 2026, 3, 2, 9, minute))
    lead = "7 call attempts on this debt in the last 7 days: the limit is 7. The next call may be made"
    assert messages_of(call(denver_account, local(DEN, 2026, 3, 3, 10, 0)), "weekly_cap") == [
        f"{lead} on Monday 9 March."
    ]
    assert messages_of(call(denver_account, local(DEN, 2026, 3, 8, 10, 0)), "weekly_cap") == [f"{lead} tomorrow."]


def test_the_quiet_period_says_when_the_next_call_may_be_made(denver_account):
    attempt(denver_account, local(DEN, 2026, 3, 2, 10, 0), outcome="right_party_contact", conversation=True)
    lead = "We spoke with the debtor about this debt in the last 7 days: the next call may be made"
    assert messages_of(call(denver_account, local(DEN, 2026, 3, 2, 18, 0)), "after_conversation") == [
        f"{lead} on Monday 9 March."
    ]
    assert messages_of(call(denver_account, local(DEN, 2026, 3, 8, 18, 0)), "after_conversation") == [
        f"{lead} tomorrow."
    ]


def test_a_state_cap_says_when_the_next_call_or_text_may_be_made(ma_account):
    attempt(ma_account, local(NY, 2026, 3, 2, 10, 0), to="+16175550111")
    attempt(ma_account, local(NY, 2026, 3, 2, 11, 0), to="+16175550111")
    lead = (
        "Massachusetts allows 2 calls or texts to numbers other than home or mobile in each 30 days for a debt; "
        "2 made already. The next call or text may be made"
    )
    decision = call(ma_account, local(NY, 2026, 3, 2, 12, 0), to="+16175550111")
    assert messages_of(decision, "state_cap") == [f"{lead} on Wednesday 1 April."]
    decision = call(ma_account, local(NY, 2026, 3, 31, 12, 0), to="+16175550111")
    assert messages_of(decision, "state_cap") == [f"{lead} tomorrow."]
