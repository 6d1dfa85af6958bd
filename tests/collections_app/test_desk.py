"""The manager's desk: who may open it, the figures per collector, broken promises, limits and strategy."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import collector_limits_set
from collections_app.desk import desk_for, queue_sizes
from collections_app.errors import DomainError
from collections_app.models import Account, Debtor, Promise, PromiseStatus, QueueStrategy
from collections_app.queue import progress_today, queue_ready
from compliance.models import AuditEvent

from .factories import CreditorFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DESK = reverse("desk:home")


def make_accounts(collectors, count, *, prefix="A", unassigned=0, zone="America/Chicago"):
    """`count` open accounts dealt out over the collectors (bulk: the desk reads, it does not need a ledger)."""
    creditor = CreditorFactory()
    debtors = Debtor.objects.bulk_create(
        Debtor(external_id=f"{prefix}D{i}", name=f"Debtor {prefix}{i}", timezone=zone, region="TX")
        for i in range(count + unassigned)
    )
    accounts = [
        Account(
            external_id=f"{prefix}{i}",
            debtor=debtor,
            creditor=creditor,
            currency="USD",
            opened_on=datetime.date(2024, 1, 1),
            balance=Decimal(100 + i),
            oldest_open_due_on=TODAY - datetime.timedelta(days=(i * 7) % 200),
            assigned_to=collectors[i % len(collectors)] if i < count else None,
        )
        for i, debtor in enumerate(debtors)
    ]
    return Account.objects.bulk_create(accounts)


def make_collectors(team, count, prefix="desk"):
    """Collectors without a password (hashing one costs more than everything else here)."""
    return User.objects.bulk_create(
        User(username=f"{prefix}{i}", first_name=f"Col{i}", last_name="Lector", role=Role.COLLECTOR, team=team)
        for i in range(count)
    )


@pytest.fixture
def floor(team):
    """Six collectors in the manager's team with 300 accounts between them, and 12 nobody holds."""
    collectors = make_collectors(team, 6)
    make_accounts(collectors, 300, unassigned=12)
    return collectors


# --- who may open it -----------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["desk:home", "desk:reassign", "desk:strategy"])
def test_a_collector_is_refused_and_an_anonymous_visitor_sent_to_sign_in(client, client_for, collector, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client_for(collector).get(url).status_code == 403


def test_a_collector_cannot_edit_limits(client_for, collector):
    response = client_for(collector).post(
        reverse("desk:limits", args=[collector.pk]), {"daily_call_limit": 999, "daily_target": 1}
    )
    assert response.status_code == 403
    collector.refresh_from_db()
    assert collector.daily_call_limit == 150


def test_a_manager_sees_their_team_and_not_another(client_for, manager, collector, other_team, other_collector):
    client = client_for(manager)
    response = client.get(DESK)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Team A" in html and collector.display_name in html
    assert other_collector.username not in html
    assert client.get(DESK, {"desk_team": other_team.pk}).status_code == 404
    assert client.get(reverse("desk:reassign"), {"desk_team": other_team.pk}).status_code == 404
    assert client.get(reverse("desk:strategy"), {"desk_team": other_team.pk}).status_code == 404
    assert client.get(reverse("desk:strategy"), {"desk_team": "default"}).status_code == 404


def test_an_admin_picks_any_team(client_for, admin_user, team, other_team, other_collector):
    client = client_for(admin_user)
    html = client.get(DESK).content.decode()
    assert 'id="team-picker"' in html and "Team B" in html
    html = client.get(DESK, {"desk_team": other_team.pk}).content.decode()
    assert other_collector.display_name in html


def test_links_made_before_the_rename_still_open_a_teams_desk(
    client_for, admin_user, team, other_team, other_collector
):
    client = client_for(admin_user)
    html = client.get(DESK, {"team": other_team.pk}).content.decode()
    assert other_collector.display_name in html
    assert f'href="{reverse("desk:reassign")}?desk_team={other_team.pk}"' in html


def test_a_manager_without_a_team_is_told_so(client_for, make_user):
    lonely = make_user(Role.MANAGER, username="lonely")
    response = client_for(lonely).get(DESK)
    assert response.status_code == 200
    assert "You lead no team yet" in response.content.decode()


def test_the_navigation_shows_the_desk_to_managers_and_admins_only(client_for, manager, collector, admin_user):
    assert f'href="{DESK}"' in client_for(manager).get("/").content.decode()
    assert f'href="{DESK}"' in client_for(admin_user).get(DESK).content.decode()
    assert f'href="{DESK}"' not in client_for(collector).get(reverse("account_list")).content.decode()


# --- the figures ---------------------------------------------------------------------------------


def test_queue_sizes_match_the_queue_of_each_collector(floor):
    # 17:00 UTC: noon in Chicago, inside calling hours.
    now = datetime.datetime.combine(TODAY, datetime.time(17), tzinfo=datetime.UTC)
    Account.objects.filter(pk__in=Account.objects.filter(assigned_to=floor[0]).values("pk")[:5]).update(
        next_action_on=TODAY + datetime.timedelta(days=3)
    )
    sizes = queue_sizes(collectors=floor, now=now)
    for collector in floor:
        ready = queue_ready(user=collector, now=now).count()
        total = Account.objects.filter(assigned_to=collector).count()
        assert sizes[collector.pk] == {"accounts": total, "ready": ready, "held": total - ready}
    assert sizes[floor[0].pk]["held"] == 5


def test_at_night_everything_is_held_back(floor):
    # 08:00 UTC is 02:00 in Chicago.
    now = datetime.datetime.combine(TODAY, datetime.time(8), tzinfo=datetime.UTC)
    sizes = queue_sizes(collectors=floor, now=now)
    assert all(s["ready"] == 0 and s["held"] == s["accounts"] == 50 for s in sizes.values())


def test_the_desk_costs_a_fixed_number_of_queries(
    client_for, manager, team, floor, make_user, django_assert_max_num_queries
):
    client = client_for(manager)
    client.get(DESK)  # the session and content types, read once
    with django_assert_max_num_queries(20) as six:
        response = client.get(DESK)
    assert response.status_code == 200
    assert response.content.decode().count('class="desk-row') == 6
    more = make_collectors(team, 6, prefix="more")
    make_accounts(more, 300, prefix="B")
    with django_assert_max_num_queries(len(six)) as twelve:
        response = client.get(DESK)
    assert response.content.decode().count('class="desk-row') == 12
    assert len(twelve) == len(six)


def test_desk_for_is_flat_in_the_number_of_collectors(manager, team, make_user):
    few = make_collectors(team, 2, prefix="few")
    make_accounts(few, 40, prefix="F")
    with CaptureQueriesContext(connection) as first:
        desk_for(user=manager, teams=[team])
    many = make_collectors(team, 10, prefix="many")
    make_accounts(many, 200, prefix="M")
    with CaptureQueriesContext(connection) as second:
        desk = desk_for(user=manager, teams=[team])
    assert len(desk.rows) == 12
    assert len(second) == len(first)


def test_progress_today_and_totals(floor, manager, team):
    desk = desk_for(user=manager, teams=[team])
    assert desk.totals["accounts"] == 300
    assert desk.totals["call_limit"] == 6 * 150 and desk.totals["target"] == 6 * 60
    assert desk.unassigned == 12
    assert [r.calls for r in desk.rows] == [
        progress_today(users=[r.collector])[r.collector.pk]["calls"] for r in desk.rows
    ]


def test_broken_promises_of_the_team_only(client_for, manager, floor, other_collector):
    mine = Account.objects.filter(assigned_to=floor[1]).first()
    theirs = make_accounts([other_collector], 1, prefix="O")[0]
    old = make_accounts([floor[2]], 1, prefix="X")[0]
    for account, resolved in (
        (mine, TODAY - datetime.timedelta(days=2)),
        (theirs, TODAY),
        (old, TODAY - datetime.timedelta(days=45)),
    ):
        Promise.objects.create(
            account=account,
            amount=Decimal("42.00"),
            due_on=resolved - datetime.timedelta(days=5),
            created_on=resolved - datetime.timedelta(days=10),
            window_ends_on=resolved - datetime.timedelta(days=1),
            status=PromiseStatus.BROKEN,
            resolved_on=resolved,
        )
    html = client_for(manager).get(DESK).content.decode()
    assert reverse("account_detail", args=[mine.pk]) in html
    # By link, not external id: a short id like "X0" can turn up inside the page's random CSRF token.
    assert reverse("account_detail", args=[theirs.pk]) not in html
    assert reverse("account_detail", args=[old.pk]) not in html
    assert "1 promise ·" in html and "42.00 USD" in html


def test_numbers_link_to_the_account_list_with_filters(client_for, manager, floor):
    client = client_for(manager)
    html = client.get(DESK).content.decode()
    assert f"{reverse('account_list')}?collector={floor[0].pk}" in html
    assert f"{reverse('account_list')}?unassigned=true" in html
    listed = client.get(reverse("account_list"), {"collector": floor[0].pk})
    assert listed.context["page"].paginator.count == 50
    listed = client.get(reverse("account_list"), {"unassigned": "true"})
    assert listed.context["page"].paginator.count == 12


# --- limits and targets --------------------------------------------------------------------------


def test_a_manager_sets_limits_inline(client_for, manager, collector):
    url = reverse("desk:limits", args=[collector.pk])
    client = client_for(manager)
    edit = client.get(url, {"edit": 1}, HTTP_HX_REQUEST="true")
    assert 'name="daily_call_limit"' in edit.content.decode()
    response = client.post(url, {"daily_call_limit": 90, "daily_target": 40}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Saved" in response.content.decode() and "0 / 90" in response.content.decode()
    collector.refresh_from_db()
    assert (collector.daily_call_limit, collector.daily_target) == (90, 40)
    event = AuditEvent.objects.get(action="user.limits_set")
    assert event.actor == manager
    assert event.before == {"daily_call_limit": 150, "daily_target": 60}
    assert event.after == {"daily_call_limit": 90, "daily_target": 40}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"daily_call_limit": 20, "daily_target": 30}, "cannot be above the call limit"),
        ({"daily_call_limit": -1, "daily_target": 0}, "greater than or equal to 0"),
        ({"daily_call_limit": 5000, "daily_target": 0}, "less than or equal to 1000"),
        ({"daily_call_limit": "", "daily_target": 10}, "required"),
    ],
)
def test_limits_are_validated_inline(client_for, manager, collector, data, message):
    response = client_for(manager).post(reverse("desk:limits", args=[collector.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert message in response.content.decode()
    collector.refresh_from_db()
    assert (collector.daily_call_limit, collector.daily_target) == (150, 60)


def test_limits_without_javascript_redirect_to_the_desk(client_for, manager, collector):
    client = client_for(manager)
    html = client.get(DESK, {"edit": collector.pk}).content.decode()
    assert f'id="limits-form-{collector.pk}"' in html
    response = client.post(reverse("desk:limits", args=[collector.pk]), {"daily_call_limit": 80, "daily_target": 30})
    assert response.status_code == 302
    collector.refresh_from_db()
    assert collector.daily_call_limit == 80


def test_another_teams_collector_is_out_of_reach(client_for, manager, other_collector, other_manager):
    url = reverse("desk:limits", args=[other_collector.pk])
    assert client_for(manager).post(url, {"daily_call_limit": 1, "daily_target": 1}).status_code == 404
    with pytest.raises(DomainError) as refused:
        collector_limits_set(user=other_collector, daily_call_limit=1, daily_target=1, by=manager)
    assert refused.value.code == "forbidden"
    collector_limits_set(user=other_collector, daily_call_limit=70, daily_target=20, by=other_manager)
    other_collector.refresh_from_db()
    assert other_collector.daily_call_limit == 70


def test_limits_are_for_collectors_only(manager, admin_user):
    with pytest.raises(DomainError) as refused:
        collector_limits_set(user=manager, daily_call_limit=10, daily_target=5, by=admin_user)
    assert refused.value.code == "not_a_collector"


# --- the queue strategy --------------------------------------------------------------------------


def weights(**changes):
    base = {name: getattr(QueueStrategy(), name) for name in QueueStrategy().weights()}
    return {**base, **changes}


def test_the_strategy_preview_shows_the_new_top_ten_without_saving(client_for, manager, team, floor):
    data = {
        "desk_team": team.pk,
        "action": "preview",
        "collector": floor[0].pk,
        **weights(weight_days_past_due=0, weight_balance=10),
    }
    response = client_for(manager).post(reverse("desk:strategy"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="strategy-preview"' in html and "<html" not in html
    assert html.count("<tr>") == 11  # a header and ten accounts
    # Largest balances first now: the collector's largest account leads.
    largest = Account.objects.filter(assigned_to=floor[0]).order_by("-balance").first()
    assert html.index(largest.external_id) < html.index("</tr>", html.index("<tbody>") + 10)
    assert not QueueStrategy.objects.filter(team=team).exists()


def test_the_strategy_page_shows_the_current_effect_at_once(client_for, manager, floor):
    html = client_for(manager).get(reverse("desk:strategy")).content.decode()
    assert "Days past due" in html and "Older debts first" in html
    assert html.count("<tr>") == 11


def test_a_manager_saves_the_team_strategy(client_for, manager, team, floor):
    data = {"desk_team": team.pk, "action": "save", "collector": floor[0].pk, **weights(weight_priority=9)}
    response = client_for(manager).post(reverse("desk:strategy"), data)
    assert response.status_code == 302
    saved = QueueStrategy.objects.get(team=team)
    assert saved.weight_priority == 9 and saved.updated_by == manager
    assert AuditEvent.objects.filter(action="queue_strategy.save", actor=manager).exists()


def test_weights_outside_zero_to_ten_are_refused(client_for, manager, team):
    data = {"desk_team": team.pk, "action": "save", **weights(weight_balance=11)}
    response = client_for(manager).post(reverse("desk:strategy"), data)
    assert response.status_code == 200
    assert "less than or equal to 10" in response.content.decode()
    assert not QueueStrategy.objects.filter(team=team).exists()


def test_an_admin_sets_the_default_strategy(client_for, admin_user, team):
    data = {"desk_team": "default", "action": "save", **weights(weight_callback=1)}
    response = client_for(admin_user).post(reverse("desk:strategy"), data)
    assert response.status_code == 302
    assert QueueStrategy.objects.get(team__isnull=True).weight_callback == 1


def test_the_manager_home_links_to_each_teams_desk(client_for, manager, team):
    html = client_for(manager).get("/").content.decode()
    assert f"{DESK}?desk_team={team.pk}" in html
