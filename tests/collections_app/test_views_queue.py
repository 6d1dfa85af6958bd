"""My queue and Next account, per role: order, held-back accounts with when they open (loaded on demand),
filters, the served-recently memory, the daily limit, and a bounded number of queries."""

import datetime
import sys
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app.models import Activity
from collections_app.services.activities import activity_log, dispute_open
from collections_app.services.ledger import payment_post
from collections_app.services.plans import promise_create
from collections_app.views.queue import SERVED_KEY

from .workspace_data import closed_zone, make_debt, open_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, collector):
    client.force_login(collector)
    return client


def held_section(client, **params) -> str:
    """The held-back section as htmx asks for it when it scrolls into view."""
    response = client.get("/queue/", {"held": "1", **params}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_queue_lists_callable_accounts_best_first_and_not_anothers(signed_in, collector, other_collector):
    small = make_debt(collector, balance="80.00", days_late=5, name="Sam Small")
    large = make_debt(collector, balance="9000.00", days_late=150, name="Lara Large")
    make_debt(other_collector, name="Otto Other")
    html = signed_in.get("/queue/").content.decode()
    assert html.index("Lara Large") < html.index("Sam Small")
    assert "Otto Other" not in html
    assert f"/accounts/{large.pk}/" in html and f"/accounts/{small.pk}/" in html
    assert "<h1>My queue</h1>" in html and html.count("<h1") == 1


def test_held_back_accounts_say_when_they_open_in_the_debtors_zone(signed_in, collector):
    zone = closed_zone()
    make_debt(collector, zone=zone, name="Nora Night")
    html = signed_in.get("/queue/").content.decode()
    ready, placeholder = html.split('id="held-h"')
    assert "Nora Night" not in html  # the held-back list is not judged on every load
    assert "Nothing can be called right now" in ready  # the empty state says why and where to look
    assert 'hx-trigger="revealed"' in placeholder and "Show the held-back accounts" in placeholder
    held = held_section(signed_in)
    assert "Nora Night" in held and '<section aria-labelledby="held-h"' in held and "<h1" not in held
    assert f"Callable from 08:00 {zone}, in " in held or f"Callable from tomorrow 08:00 {zone}, in " in held
    assert "0 callable now · 1 held back" in held


def test_without_javascript_the_link_shows_the_held_back_list_in_the_page(signed_in, collector):
    make_debt(collector, zone=closed_zone(), name="Nora Night")
    make_debt(collector, zone=open_zone(), name="Dana Day")
    html = signed_in.get("/queue/", {"held": "1"}).content.decode()
    ready, held = html.split('id="held-h"')
    assert "<h1>My queue</h1>" in ready and "Dana Day" in ready and "Nora Night" in held
    assert "1 callable now · 1 held back" in held and 'hx-trigger="revealed"' not in held


def test_the_ready_list_pages_without_counting_the_queue(signed_in, collector, monkeypatch):
    # The package exports the view under the module's name, so the module is reached by its path.
    monkeypatch.setattr(sys.modules["collections_app.views.queue"], "PAGE_SIZE", 2)
    names = [f"Rhea Ready{n}" for n in range(3)]
    for n, name in enumerate(names):
        make_debt(collector, zone=open_zone(), balance=f"{9000 - n * 1000}.00", days_late=150, name=name)
    first = signed_in.get("/queue/").content.decode()
    assert first.index(names[0]) < first.index(names[1]) and names[2] not in first
    assert "Page 1</span>" in first and "page=2" in first and "3 accounts in your queue" in first
    second = signed_in.get("/queue/", {"page": "2"}).content.decode().split('id="held-h"')[0]
    assert names[2] in second and names[0] not in second and "Previous" in second and "page=3" not in second
    beyond = signed_in.get("/queue/", {"page": "7"}).content.decode()
    assert "No callable account on this page" in beyond


def test_held_back_says_what_the_debtor_is_waiting_for(signed_in, collector):
    promised = make_debt(collector, name="Paula Promise")
    promise_create(
        account=promised,
        amount=Decimal("50.00"),
        due_on=timezone.localdate() + datetime.timedelta(days=5),
        created_by=collector,
    )
    disputed = make_debt(collector, name="Dora Dispute")
    dispute_open(account=disputed, reason="Not mine", user=collector, in_writing=True)
    held = held_section(signed_in)
    assert "Waiting for a payment due" in held and "(in 5 days)" in held
    assert "Not callable: dispute awaiting verification" in held


def test_queue_filters_and_search(signed_in, collector, other_collector):
    make_debt(collector, name="Carla Current", days_late=0, balance="100.00")
    make_debt(collector, name="Olga Old", days_late=200, phone="+16175550134")
    theirs = make_debt(other_collector, name="Otto Other", external_id="THEIRS-9")
    html = signed_in.get("/queue/", {"bucket": "121+"}).content.decode()
    assert "Olga Old" in html and "Carla Current" not in html
    html = signed_in.get("/queue/", {"q": "(617) 555-0134"}).content.decode()
    assert "Olga Old" in html and "Carla Current" not in html
    html = signed_in.get("/queue/", {"q": theirs.external_id}).content.decode()
    assert "Otto Other" not in html
    assert "No callable account matches these filters" in html and "Clear filters" in html
    response = signed_in.get("/queue/", {"bucket": "nonsense", "page": "abc", "held_page": "-1"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Carla Current" not in held_section(signed_in, q="Olga")


def test_figures_show_target_calls_and_limit(signed_in, collector):
    collector.daily_target = 25
    collector.daily_call_limit = 40
    collector.save()
    account = make_debt(collector)
    activity_log(account=account, channel="call", outcome="no_answer", user=collector, to="+12125550100")
    html = signed_in.get("/queue/").content.decode()
    assert '1 <span class="of">of 25</span>' in html
    assert '1 <span class="of">of 40</span>' in html


def test_empty_queue_says_what_to_do(signed_in):
    html = signed_in.get("/queue/").content.decode()
    assert "Your queue is empty" in html and "Ask your manager" in html


def test_collector_home_is_the_queue(signed_in, collector):
    make_debt(collector, name="Hanna Home")
    html = signed_in.get("/").content.decode()
    assert "Good to see you, Cora" in html and "Hanna Home" in html and "Callable now" in html


@pytest.mark.parametrize("role", ["manager", "admin_user"])
def test_queue_is_for_collectors_only(request, client, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/queue/").status_code == 403
    response = client.post("/queue/next/")
    assert response.status_code == 302 and response["Location"] == "/accounts/"


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/queue/").status_code == 302
    assert client.post("/queue/next/").status_code == 302


def test_next_account_opens_the_best_with_the_number_to_call(signed_in, collector):
    make_debt(collector, balance="80.00", days_late=5)
    best = make_debt(collector, balance="9000.00", days_late=150)
    response = signed_in.post("/queue/next/")
    number = best.debtor.contact_points.get()
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{best.pk}/?call={number.pk}"
    html = signed_in.get(response["Location"]).content.decode()
    assert "Call this number" in html
    assert "contact-point-call" in html


def test_next_account_by_get_works_too(signed_in, collector):
    only = make_debt(collector)
    assert signed_in.get("/queue/next/")["Location"].startswith(f"/accounts/{only.pk}/")


def test_skipping_without_logging_moves_on_then_offers_to_start_again(signed_in, collector):
    first = make_debt(collector, balance="9000.00", days_late=150)
    second = make_debt(collector, balance="80.00", days_late=5)
    assert signed_in.post("/queue/next/")["Location"].startswith(f"/accounts/{first.pk}/")
    assert signed_in.post("/queue/next/")["Location"].startswith(f"/accounts/{second.pk}/")
    response = signed_in.post("/queue/next/", follow=True)
    html = response.content.decode()
    assert "every account callable now in the last 30 minutes" in html
    assert "Start again from the top" in html
    assert signed_in.post("/queue/next/", {"restart": "1"})["Location"].startswith(f"/accounts/{first.pk}/")


def test_served_accounts_are_forgotten_after_half_an_hour(signed_in, collector):
    only = make_debt(collector)
    session = signed_in.session
    session[SERVED_KEY] = {str(only.pk): timezone.now().timestamp() - 31 * 60}
    session.save()
    assert signed_in.post("/queue/next/")["Location"].startswith(f"/accounts/{only.pk}/")


def test_next_account_when_nothing_is_callable_says_when_the_next_opens(signed_in, collector):
    zone = closed_zone()
    make_debt(collector, zone=zone)
    html = signed_in.post("/queue/next/", follow=True).content.decode()
    assert "Nothing is callable right now. The next account opens at" in html
    assert zone in html.split("The next account opens at")[1][:80]


def test_next_account_stops_at_the_daily_call_limit(signed_in, collector):
    collector.daily_call_limit = 1
    collector.save()
    called = make_debt(collector)
    make_debt(collector)
    activity_log(account=called, channel="call", outcome="no_answer", user=collector, to="+12125550100")
    response = signed_in.post("/queue/next/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/queue/"
    assert "You have made your 1 calls for today, the daily limit your manager set" in html
    assert "Daily call limit reached" in html


def test_nothing_in_the_queue_at_all(signed_in):
    html = signed_in.post("/queue/next/", follow=True).content.decode()
    assert "Nothing in your queue can be called now or soon" in html


def _history(account, collector, n):
    """A few calls, a payment and a kept promise: the rows the queue must not read one by one."""
    for days_ago in (20, 12):
        at = timezone.now() - datetime.timedelta(days=days_ago)
        Activity.objects.create(
            account=account,
            debtor=account.debtor,
            channel="call",
            outcome="no_answer",
            occurred_at=at,
            user=collector,
            to="+12125550100",
        )
    if n % 3 == 0:
        payment_post(account=account, amount=Decimal("10.00"), received_on=timezone.localdate())


def test_queue_page_costs_a_handful_of_queries_not_one_per_account(client, collector, django_assert_max_num_queries):
    for n in range(60):
        zone = open_zone() if n % 2 else closed_zone()
        _history(make_debt(collector, zone=zone, days_late=n * 3), collector, n)
    client.force_login(collector)
    with django_assert_max_num_queries(30):
        response = client.get("/queue/")
    assert response.status_code == 200
    assert "60 accounts in your queue" in response.content.decode()
    with django_assert_max_num_queries(30):
        html = held_section(client)
    assert "30 callable now · 30 held back" in html


def test_next_account_costs_a_bounded_number_of_queries(client, collector, django_assert_max_num_queries):
    for n in range(60):
        _history(make_debt(collector, zone=closed_zone(), days_late=n), collector, n)
    client.force_login(collector)
    with django_assert_max_num_queries(30):
        response = client.post("/queue/next/")
    assert response.status_code == 302
