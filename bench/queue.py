"""Queue benchmark: server time of "next account" and of the queue page, p50/p95/p99.

    DATABASE_URL=postgres://... python -m bench.queue [--samples 200] [--at 2026-11-23T18:00:00Z]

Measured in-process (no network), per request, for the collectors holding accounts, at a moment
inside calling hours across the continental US (default 18:00 UTC today), so the gate lets most
accounts through, as on a working afternoon.
"""

import argparse
import datetime
import json
import os
import statistics
import time


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


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


def measure(samples: int = 200, at: datetime.datetime | None = None) -> dict:
    from django.db.models import Count
    from django.test import Client

    from accounts.models import Role, User
    from collections_app.queue import next_account

    at = at or datetime.datetime.combine(datetime.date.today(), datetime.time(18), tzinfo=datetime.UTC)
    collectors = list(
        User.objects.filter(role=Role.COLLECTOR, is_active=True)
        .annotate(n=Count("accounts"))
        .filter(n__gt=0)
        .order_by("pk")
    )
    if not collectors:
        raise SystemExit("No collector holds accounts: load a portfolio with --collectors first.")
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
    client = Client()
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
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--at", type=datetime.datetime.fromisoformat)
    args = parser.parse_args(argv)
    _setup()
    print(json.dumps(measure(args.samples, args.at), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
