"""KPI figures and dunning over the API: the same numbers as kpi_report, scoped like the dashboards."""

import datetime

import pytest

from collections_app.models import DunningReminder
from collections_app.services.dunning import dunning_defaults_ensure
from kpis.report import kpi_report

from .conftest import DUE, ISSUED

pytestmark = pytest.mark.django_db

PERIOD = {"start": ISSUED.isoformat(), "end": (DUE + datetime.timedelta(days=30)).isoformat()}


def test_an_admin_reads_the_portfolio_figures_kpi_report_prints(as_role):
    response = as_role("admin").get("/api/kpis/", PERIOD)
    assert response.status_code == 200
    expected = kpi_report(start=ISSUED, end=DUE + datetime.timedelta(days=30))
    assert response.json() == expected
    assert response.json()[0]["ending_ar"] == "3000.00"


def test_each_role_reads_only_its_own_share(as_role):
    ending = {role: as_role(role).get("/api/kpis/", PERIOD).json()[0]["ending_ar"] for role in ("collector", "manager")}
    # The collector holds one account of 1000; the manager's team holds it plus the unassigned one.
    assert ending == {"collector": "1000.00", "manager": "2000.00"}
    other = as_role("other_collector").get("/api/kpis/", {**PERIOD, "by": "collector"}).json()
    assert [row["collector"] for row in other] == ["collector_b"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start": "2025-02-01", "end": "2025-01-01"}, "end"),
        ({"start": "2020-01-01", "end": "2025-01-01"}, "end"),
        ({"start": "yesterday", "end": "2025-01-01"}, "start"),
        ({"start": "2025-01-01", "end": "2025-01-31", "by": "planet"}, "by"),
        ({"start": "2025-01-01", "end": "2025-01-31", "currency": "dollars"}, "currency"),
        ({"end": "2025-01-31"}, "start"),
    ],
)
def test_nonsense_periods_and_groups_are_refused_with_field_messages(as_role, params, field):
    response = as_role("manager").get("/api/kpis/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_anonymous_is_refused(client):
    assert client.get("/api/kpis/", PERIOD).status_code in (401, 403)


def test_dunning_policies_are_read_by_managers_not_collectors(as_role):
    dunning_defaults_ensure()
    assert as_role("collector").get("/api/dunning-policies/").status_code == 403
    response = as_role("manager").get("/api/dunning-policies/")
    assert response.status_code == 200
    policy = response.json()["results"][0]
    assert len(policy["stages"]) >= 3


def test_dunning_reminders_are_scoped_to_the_callers_accounts(as_role, portfolio):
    dunning_defaults_ensure()
    from collections_app.models import DunningPolicy

    policy = DunningPolicy.objects.first()
    stage = policy.stages.first()
    for account in (portfolio.mine, portfolio.theirs):
        DunningReminder.objects.create(
            account=account, stage=stage, policy=policy, cycle=DUE, channel=stage.channel, planned_on=DUE
        )
    rows = as_role("collector").get("/api/dunning-reminders/").json()["results"]
    assert [row["account"] for row in rows] == [portfolio.mine.pk]
    theirs = DunningReminder.objects.get(account=portfolio.theirs)
    assert as_role("collector").get(f"/api/dunning-reminders/{theirs.pk}/").status_code == 404
    assert len(as_role("admin").get("/api/dunning-reminders/").json()["results"]) == 2
