"""Queue benchmark: server time of "next account" and of the queue page, p50/p95/p99, and throughput.

    DATABASE_URL=postgres://... python -m bench.queue [--samples 200] [--at 2026-11-23T18:00:00Z]
        [--users 32] [--seconds 20] [--no-load]

Latency is measured in-process (no network), per request, for the collectors holding accounts (the
queue page, and apart from it the held-back section it loads on demand), at a
moment inside calling hours across the continental US (default 18:00 UTC today), so the gate lets
most accounts through, as on a working afternoon.

Throughput: gunicorn (DEBUG off, bench/settings.py, its clock started at the same moment) serves the
same database while locust (headless) runs `--users` signed-in collectors back to back (sessions
spread round the collectors that hold accounts), first against the floor, a bare page rendering 50
of the collector's accounts from one indexed query in the site's layout (bench/floor_urls.py), then
against /queue/. Pages/s and p50/p95/p99 of each, and the queue's share of the floor's pages/s.
"""

import argparse
import datetime
import json
import os
import secrets
import statistics
import time
import urllib.request
from unittest import mock

from bench.serve import clock_from, gunicorn, locust, setup


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    return {
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "mean_ms": statistics.mean(ordered) * 1000,
    }


def _vacuum_accounts() -> None:
    """Leave the account table as autovacuum keeps it (migration 0012: after 0.5% of its rows change),
    rather than as the KPI benchmark just left it, with 1% of its accounts updated a moment ago and their
    pages not yet marked all-visible: the queue reads its covering index alone only on marked pages."""
    from django.db import connection

    from collections_app.models import Account

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Account._meta.db_table}")


def default_moment() -> datetime.datetime:
    """18:00 UTC today: inside calling hours across the continental US (in winter 13:00 in New York and 10:00 in
    Los Angeles; an hour later in summer)."""
    return datetime.datetime.combine(datetime.date.today(), datetime.time(18), tzinfo=datetime.UTC)


def measure(samples: int = 200, at: datetime.datetime | None = None) -> dict:
    from django.db.models import Count

    from accounts.models import Role, User
    from collections_app.queue import next_account

    at = at or default_moment()
    collectors = list(
        User.objects.filter(role=Role.COLLECTOR, is_active=True)
        .annotate(n=Count("accounts"))
        .filter(n__gt=0)
        .order_by("pk")
    )
    if not collectors:
        raise SystemExit("No collector holds accounts: load a portfolio with --collectors first.")
    _vacuum_accounts()
    timings, found = [], 0
    for i in range(samples):
        user = collectors[i % len(collectors)]
        started = time.perf_counter()
        result = next_account(user=user, now=at)
        timings.append(time.perf_counter() - started)
        found += result.account is not None
    results = {
        "collectors": len(collectors),
        "accounts_per_collector": round(sum(c.n for c in collectors) / len(collectors)),
        "next_account": percentiles(timings),
        "next_account_found": found / samples,
    }
    # Served at `at`, as next account was: the page's ready list is empty out of calling hours.
    with mock.patch("django.utils.timezone.now", side_effect=clock_from(at)):
        results |= _page_timings(collectors, samples)
    return results


def _page_timings(collectors: list, samples: int) -> dict:
    """The queue page and its held-back section, p50/p95/p99, round the collectors."""
    from django.test import Client

    results = {}
    client = Client()
    # One page first, untimed: the first request of a process loads the templates and the URL map, a cost a
    # server pays once at start (measured with it, the one-client p99 of 50 samples was 489-523 ms).
    client.force_login(collectors[0])
    client.get("/queue/")
    page_timings = []
    for i in range(max(20, samples // 4)):
        client.force_login(collectors[i % len(collectors)])
        started = time.perf_counter()
        response = client.get("/queue/")
        page_timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            results["queue_page_error"] = response.status_code
            break
    results["queue_page"] = percentiles(page_timings)
    # The held-back section and the counts, which the page loads on demand (htmx, when scrolled into view).
    held_timings = []
    for i in range(max(10, samples // 8)):
        client.force_login(collectors[i % len(collectors)])
        started = time.perf_counter()
        response = client.get("/queue/", {"held": "1"}, HTTP_HX_REQUEST="true")
        held_timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            results["queue_held_error"] = response.status_code
            break
    results["queue_held_section"] = percentiles(held_timings)
    return results


def _sessions(collectors: list, users: int) -> list[str]:
    """One signed-in session per simulated collector, round the collectors (stored where gunicorn reads them)."""
    from django.conf import settings
    from django.test import Client

    keys = []
    for i in range(users):
        client = Client()
        client.force_login(collectors[i % len(collectors)], backend="django.contrib.auth.backends.ModelBackend")
        keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return keys


def _wait_up(url: str, cookie: str, warm: int) -> None:
    """Until gunicorn answers, then `warm` requests so every worker has loaded the code."""
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=30).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    for _ in range(warm):
        urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=30).read()


def load(paths: list[str], sessions: list[str], *, secret_key: str, seconds: int, at: datetime.datetime) -> dict:
    """Pages/s and p50/p95/p99 (ms) of each path under len(sessions) back-to-back users, one gunicorn."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "BENCH_SESSIONS": ",".join(sessions),
        "BENCH_NOW": at.isoformat(),
    }
    with gunicorn(env) as (host, workers):
        results = {"users": len(sessions), "seconds": seconds, "gunicorn_workers": workers}
        for path in paths:
            _wait_up(host + path, f"sessionid={sessions[0]}", warm=workers * 4)
            figures = locust(
                "locustfile.py", host, users=len(sessions), seconds=seconds, env={**env, "BENCH_PATH": path}
            )
            row = figures[path]
            results[path] = {
                "pages_per_s": round(row["per_s"], 1),
                **{key: row[key] for key in ("p50_ms", "p95_ms", "p99_ms", "requests", "failures")},
            }
    return results


def measure_load(at: datetime.datetime, users: int = 32, seconds: int = 20) -> dict:
    """The queue page against its floor at `users` concurrent collectors (see the module's docstring)."""
    from django.db.models import Count
    from django.test import override_settings

    from accounts.models import Role, User

    collectors = list(
        User.objects.filter(role=Role.COLLECTOR, is_active=True)
        .annotate(n=Count("accounts"))
        .filter(n__gt=0)
        .order_by("pk")
    )
    # DEBUG off refuses the default key: the sessions are signed with the key gunicorn is given.
    secret_key = secrets.token_urlsafe(40)
    with override_settings(SECRET_KEY=secret_key):
        sessions = _sessions(collectors, users)
    figures = load(["/bench/floor/", "/queue/"], sessions, secret_key=secret_key, seconds=seconds, at=at)
    floor, page = figures.pop("/bench/floor/"), figures.pop("/queue/")
    return {
        **figures,
        "floor": floor,
        "queue_page": page,
        "queue_vs_floor": round(page["pages_per_s"] / floor["pages_per_s"], 2) if floor["pages_per_s"] else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--at", type=datetime.datetime.fromisoformat)
    parser.add_argument("--users", type=int, default=32, help="concurrent collectors in the load test")
    parser.add_argument("--seconds", type=int, default=20, help="length of each load test")
    parser.add_argument("--no-load", action="store_true", help="latency only, no gunicorn and locust")
    args = parser.parse_args(argv)
    setup()
    at = args.at or default_moment()
    results = measure(args.samples, at)
    if not args.no_load:
        results["load"] = measure_load(at, args.users, args.seconds)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
