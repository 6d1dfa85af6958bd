"""Reassignment by filter from the desk: the preview, the move, and the limits of a manager's reach."""

import pytest
from django.urls import reverse

from accounts.models import Role
from collections_app.errors import DomainError
from collections_app.models import Account, Assignment, AssignmentReason
from collections_app.services.desk import accounts_reassign
from compliance.models import AuditEvent

from .test_desk import make_accounts, make_collectors

pytestmark = pytest.mark.django_db

URL = reverse("desk:reassign")


@pytest.fixture
def crew(team):
    """Three collectors of Team A: the first holds 30 accounts, the others none; 9 accounts nobody holds."""
    collectors = make_collectors(team, 3, prefix="crew")
    make_accounts(collectors[:1], 30, unassigned=9, prefix="R")
    return collectors


def held(collector):
    return Account.objects.filter(assigned_to=collector).count()


def test_the_preview_counts_without_moving(client_for, manager, team, crew):
    giver, a, b = crew
    response = client_for(manager).get(
        URL, {"desk_team": team.pk, "preview": 1, "holder": giver.pk, "to": [a.pk, b.pk]}
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.total == 30
    assert preview.from_counts == [(giver.display_name, 30)]
    assert [(c, n) for c, n in preview.to_counts] == [(a, 15), (b, 15)]
    assert 'data-move-count="30"' in response.content.decode()
    assert "Move 30 accounts" in response.content.decode()
    assert held(giver) == 30 and not Assignment.objects.exists()


def test_confirming_moves_them_round_robin_with_history_and_audit(client_for, manager, team, crew):
    giver, a, b = crew
    data = {"desk_team": team.pk, "holder": giver.pk, "to": [a.pk, b.pk], "expected": 30}
    response = client_for(manager).post(URL, data)
    assert response.status_code == 302 and response["Location"] == f"{reverse('desk:home')}?desk_team={team.pk}"
    assert (held(giver), held(a), held(b)) == (0, 15, 15)
    assert (
        Assignment.objects.filter(reason=AssignmentReason.BULK, assigned_by=manager, ended_at__isnull=True).count()
        == 30
    )
    event = AuditEvent.objects.get(action="account.reassign_by_filter")
    assert event.actor == manager and event.after["accounts"] == 30
    assert "held by" in event.detail and giver.display_name in event.detail
    assert AuditEvent.objects.filter(action="account.assign_bulk").count() == 1


def test_the_filters_choose_the_accounts(client_for, manager, team, crew):
    giver, a, _ = crew
    oldest = Account.objects.filter(assigned_to=giver).order_by("oldest_open_due_on").first()
    client = client_for(manager)
    response = client.get(URL, {"desk_team": team.pk, "preview": 1, "q": oldest.external_id, "to": [a.pk]})
    assert response.context["preview"].total == 1
    response = client.get(URL, {"desk_team": team.pk, "preview": 1, "bucket": "121+", "to": [a.pk]})
    expected = sum(1 for acc in Account.objects.filter(assigned_to__isnull=False) if acc.days_past_due() > 120)
    expected += sum(1 for acc in Account.objects.filter(assigned_to__isnull=True) if acc.days_past_due() > 120)
    assert response.context["preview"].total == expected > 0


def test_unassigned_accounts_are_given_out(client_for, manager, team, crew):
    _, a, b = crew
    client_for(manager).post(URL, {"desk_team": team.pk, "holder": "none", "to": [a.pk, b.pk], "expected": 9})
    assert (held(a), held(b), Account.objects.filter(assigned_to__isnull=True).count()) == (5, 4, 0)


def test_accounts_already_with_a_target_stay(client_for, manager, team, crew):
    giver, a, _ = crew
    response = client_for(manager).get(URL, {"desk_team": team.pk, "preview": 1, "to": [giver.pk, a.pk]})
    preview = response.context["preview"]
    assert (preview.total, preview.staying) == (9, 30)


def test_a_changed_set_asks_to_look_again(client_for, manager, team, crew):
    giver, a, _ = crew
    response = client_for(manager).post(
        URL, {"desk_team": team.pk, "holder": giver.pk, "to": [a.pk], "expected": 29}, follow=True
    )
    assert "have changed since the preview: 30 would move now, not 29" in response.content.decode()
    assert response.context["preview"].total == 30
    assert held(giver) == 30


def test_a_manager_cannot_give_accounts_to_another_teams_collector(client_for, manager, team, crew, other_collector):
    giver = crew[0]
    response = client_for(manager).post(
        URL, {"desk_team": team.pk, "holder": giver.pk, "to": [other_collector.pk], "expected": 30}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert held(giver) == 30 and held(other_collector) == 0
    with pytest.raises(DomainError) as refused:
        accounts_reassign(user=manager, accounts=Account.objects.all(), collectors=[other_collector])
    assert refused.value.code == "forbidden_collector"
    assert held(other_collector) == 0


def test_a_manager_cannot_take_accounts_from_another_teams_collector(client_for, manager, team, crew, other_collector):
    theirs = make_accounts([other_collector], 5, prefix="T")
    _, a, _ = crew
    # Not offered as a holder, and "anyone" means anyone in the team: their accounts are not counted.
    response = client_for(manager).get(
        URL, {"desk_team": team.pk, "preview": 1, "holder": other_collector.pk, "to": [a.pk]}
    )
    assert "Select a valid choice" in response.content.decode()
    response = client_for(manager).get(URL, {"desk_team": team.pk, "preview": 1, "to": [a.pk]})
    assert response.context["preview"].total == 39
    # Nor through the service, whatever queryset it is handed.
    with pytest.raises(DomainError) as refused:
        accounts_reassign(user=manager, accounts=Account.objects.filter(pk__in=[t.pk for t in theirs]), collectors=[a])
    assert refused.value.code == "nothing_to_move"
    assert held(other_collector) == 5


def test_an_admin_moves_accounts_between_teams(admin_user, crew, other_collector):
    giver = crew[0]
    moved = accounts_reassign(
        user=admin_user, accounts=Account.objects.filter(assigned_to=giver), collectors=[other_collector]
    )
    assert moved == 30 and held(other_collector) == 30


def test_only_active_collectors_receive_accounts(manager, team, crew, make_user):
    a = crew[1]
    a.is_active = False
    a.save()
    with pytest.raises(DomainError) as refused:
        accounts_reassign(user=manager, accounts=Account.objects.all(), collectors=[a])
    assert refused.value.code == "not_a_collector"
    peer = make_user(Role.MANAGER, team=team, username="peer")
    with pytest.raises(DomainError) as refused:
        accounts_reassign(user=peer, accounts=Account.objects.all(), collectors=[crew[2]])
    assert refused.value.code == "forbidden_collector"


def test_a_collector_cannot_reassign(client_for, collector, crew):
    assert client_for(collector).post(URL, {"holder": "", "to": [crew[1].pk]}).status_code == 403
    with pytest.raises(DomainError):
        accounts_reassign(user=collector, accounts=Account.objects.all(), collectors=[crew[1]])


def test_choosing_nobody_to_give_to_is_explained(client_for, manager, team, crew):
    response = client_for(manager).get(URL, {"desk_team": team.pk, "preview": 1, "holder": crew[0].pk})
    assert "Choose at least one collector" in response.content.decode()
    assert response.context["preview"] is None


def test_the_desk_team_and_the_account_lists_team_filter_both_apply(client_for, manager, team, crew):
    """`desk_team` picks the desk; `team` is the account list's filter by the holder's team, so the 9
    accounts nobody holds drop out, and the confirmation carries both."""
    _, a, _ = crew
    client = client_for(manager)
    response = client.get(URL, {"desk_team": team.pk, "preview": 1, "to": [a.pk]})
    assert response.context["preview"].total == 39
    response = client.get(URL, {"desk_team": team.pk, "team": team.pk, "preview": 1, "to": [a.pk]})
    assert response.context["preview"].total == 30
    html = response.content.decode()
    assert f'name="desk_team" value="{team.pk}"' in html and f'name="team" value="{team.pk}"' in html
    response = client.post(URL, {"desk_team": team.pk, "team": team.pk, "to": [a.pk], "expected": 30})
    assert response.status_code == 302
    assert (held(a), Account.objects.filter(assigned_to__isnull=True).count()) == (30, 9)
