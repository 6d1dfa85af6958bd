"""The nightly rollup: equal to kpi_report, incremental equal to a full rebuild, re-runs replace."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from collections_app.models import Account
from collections_app.services.assignments import account_assign
from collections_app.services.ledger import invoice_create, payment_post
from kpis.models import AccountState, KpiDaily, KpiDailyEvents, KpiRollRate, KpiRun, OpenItemState, RunKind, StateHead
from kpis.report import kpi_report, report_rows
from kpis.selectors import rollup_inputs
from kpis.services import rollup_day, rollup_range
from kpis.tasks import rollup_nightly

from .conftest import OCT_END, OCT_START, day

pytestmark = pytest.mark.django_db


def rows_of(model, **filters):
    """Comparable rows: every column but the id, sorted."""
    return sorted(
        (
            tuple(sorted((k, str(v)) for k, v in model_to_dict(row).items() if k != "id"))
            for row in model.objects.filter(**filters)
        ),
    )


def state_rows():
    return rows_of(AccountState), sorted(OpenItemState.objects.values_list("account_id", "due_on", "amount"))


@pytest.mark.parametrize("by", [None, "collector", "team", "creditor", "segment", "currency"])
def test_rollup_equals_kpi_report(portfolio, by):
    rollup_range(start=day(7, 1), end=OCT_END)  # countback reads sales back to July
    from_rollup = report_rows(rollup_inputs(OCT_START, OCT_END), OCT_START, OCT_END, by=by)
    from_ledger = kpi_report(start=OCT_START, end=OCT_END, by=by)
    assert from_rollup == from_ledger


def test_rollup_of_a_mid_month_period_equals_kpi_report(portfolio):
    rollup_range(start=day(7, 1), end=day(10, 17))
    start, end = day(9, 12), day(10, 17)
    assert report_rows(rollup_inputs(start, end), start, end) == kpi_report(start=start, end=end)


def test_past_date_from_the_ledger_equals_the_state_path(portfolio):
    rollup_day(day=OCT_END)  # first run: builds the state as of 31 Oct
    through_state = rows_of(KpiDaily, date=OCT_END)
    rollup_day(day=day(11, 2))  # the state moves on
    rollup_day(day=OCT_END)  # now before the head: computed from the ledger
    assert KpiRun.objects.first().kind == "ledger"
    assert rows_of(KpiDaily, date=OCT_END) == through_state


def test_incremental_night_equals_a_full_rebuild(portfolio):
    a1, a2, a3, a4 = (portfolio[k] for k in ("a1", "a2", "a3", "a4"))
    rollup_day(day=day(10, 30), rebuild=True)
    # Pretend everything so far happened before the run's day ended, as on a real night.
    long_ago = timezone.make_aware(datetime.datetime(2026, 10, 30, 12, 0))
    Account.objects.update(changed_at=long_ago)
    StateHead.objects.update(run_started_at=timezone.make_aware(datetime.datetime(2026, 10, 31, 2, 0)))

    payment_post(account=a1, amount=D("50.00"), received_on=day(10, 31))  # the day's payment
    payment_post(account=a3, amount=D("20.00"), received_on=day(10, 15))  # posted late, dated back
    invoice_create(account=a4, amount=D("80.00"), issued_on=day(11, 1), due_on=day(11, 20))  # dated after D
    Account.objects.filter(pk=a4.pk).update(changed_at=long_ago)  # ...and posted before the cut
    account_assign(account=a2, collector=portfolio["collector_a"])  # reassigned

    rollup_day(day=OCT_END)
    incremental_run = KpiRun.objects.first()
    assert incremental_run.kind == "incremental"
    assert incremental_run.accounts_recomputed == 4  # a1, a2, a3 changed; a4 has an entry dated after D
    incremental = (rows_of(KpiDaily, date=OCT_END), rows_of(KpiRollRate), rows_of(KpiDailyEvents), state_rows())

    rollup_day(day=OCT_END, rebuild=True)
    rebuilt = (rows_of(KpiDaily, date=OCT_END), rows_of(KpiRollRate), rows_of(KpiDailyEvents), state_rows())
    assert incremental == rebuilt
    usd = report_rows(rollup_inputs(OCT_END, OCT_END), OCT_END, OCT_END, currency="USD")[0]
    assert usd["payments"] == "50.00"  # the payment of 31 Oct


def test_incremental_recomputes_only_the_changed_accounts(portfolio):
    rollup_day(day=day(10, 30), rebuild=True)
    long_ago = timezone.make_aware(datetime.datetime(2026, 10, 30, 12, 0))
    Account.objects.update(changed_at=long_ago)
    StateHead.objects.update(run_started_at=long_ago + datetime.timedelta(hours=1))
    payment_post(account=portfolio["a1"], amount=D("50.00"), received_on=day(10, 31))
    run = rollup_day(day=OCT_END)
    assert (run.kind, run.accounts_recomputed) == ("incremental", 1)
    assert AccountState.objects.count() == 4


def test_rerunning_a_date_replaces_its_figures(portfolio):
    rollup_day(day=OCT_END)
    first = rows_of(KpiDaily, date=OCT_END)
    rollup_day(day=OCT_END)
    rollup_nightly(OCT_END.isoformat())
    assert rows_of(KpiDaily, date=OCT_END) == first
    assert KpiDaily.objects.filter(date=OCT_END).count() == len(first)


def test_daily_cells_never_mix_currencies(portfolio):
    rollup_day(day=OCT_END)
    for row in KpiDaily.objects.filter(date=OCT_END):
        account_currencies = set(
            Account.objects.filter(
                creditor_id=row.creditor_id, segment=row.segment, assigned_to_id=row.collector_id
            ).values_list("currency", flat=True)
        )
        assert row.currency in account_currencies


def test_storage_is_per_account_once_not_per_day(portfolio):
    rollup_range(start=day(10, 1), end=OCT_END)
    assert AccountState.objects.count() == Account.objects.count()
    assert KpiDaily.objects.filter(date=OCT_END).count() <= Account.objects.count()


def test_command_for_a_date_and_a_range(portfolio):
    out = io.StringIO()
    call_command("rollup_kpis", "--date", "2026-10-31", "--from", "2026-10-29", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 3 and "Past date from the ledger" in lines[0]
    out = io.StringIO()
    call_command("rollup_kpis", "--date", "2026-10-31", "--rebuild", stdout=out)
    assert "Full rebuild" in out.getvalue()
    assert set(KpiDaily.objects.values_list("date", flat=True)) == {day(10, 29), day(10, 30), OCT_END}


@pytest.mark.parametrize("path", ["state", "ledger"])
def test_an_account_counts_once_in_a_bucket_however_many_items_it_holds_there(build_account, path):
    """The rollup counts an account at its first open item of a bucket (a window in due-date order), from
    the state and, for a date the state has moved past, from the ledger."""
    account = build_account(creditor="North")
    for due in (day(9, 5), day(9, 20), day(9, 28)):  # all three 31-60 days past due on 31 Oct
        invoice_create(account=account, amount=D("100.00"), issued_on=day(9, 1), due_on=due)
    invoice_create(account=account, amount=D("50.00"), issued_on=day(10, 1), due_on=day(11, 10))  # current
    if path == "ledger":
        rollup_day(day=day(11, 2))  # the state now stands after 31 October
    run = rollup_day(day=OCT_END)
    assert run.kind == (RunKind.LEDGER if path == "ledger" else RunKind.REBUILD)
    row = KpiDaily.objects.get(date=OCT_END)
    assert (row.age_31_60, row.acc_31_60) == (D("300.00"), 1)
    assert (row.age_current, row.acc_current) == (D("50.00"), 1)
    from_ledger = kpi_report(start=OCT_START, end=OCT_END)[0]["aging"]
    assert from_ledger["31-60"] == {"amount": "300.00", "accounts": 1}
