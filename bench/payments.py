"""Payments benchmark: payments posted per second through the API with Idempotency-Keys, none lost or doubled.

    DATABASE_URL=postgres://... python -m bench.payments [--clients 32] [--seconds 20] [--accounts 1000]
        [--resend 0.1] [--role admin]

gunicorn (DEBUG off, bench/settings.py) serves the database while locust (headless, bench/locust_payments.py)
runs `--clients` API clients back to back, authenticated by one API token of a `--role` user (a payment
portal's), each POSTing a small payment with its own Idempotency-Key on one of `--accounts` accounts, and a
`--resend` share of resends of a recent key (maybe still in flight on another client). First against the
floor, the API's authentication, throttle and JSON parsing answering a constant (bench/floor_urls.py), then
against /api/payments/.

Then the database is checked: every acknowledged key has exactly one payment (the payment's note carries
the key) whose id every answer of that key gave (`lost`, `doubled`, `mismatched`), and every cached balance
equals the ledger (`manage.py reconcile_ledger`). `ratio` is the API's requests/s (resends included) over
the floor's.
"""

import argparse
import io
import json
import os
import random
import secrets
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from bench.serve import gunicorn, locust, setup

PAYMENTS_PATH = "/api/payments/"
FLOOR_PATH = "/bench/payment-floor/"
NOTE_PREFIX = "bench "


def _post(url: str, token: str, body: dict, key: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_up(host: str, token: str, account_id: int, warm: int) -> None:
    """Until gunicorn answers the floor, then `warm` real payments so every worker has loaded the code."""
    deadline = time.monotonic() + 60
    body = {"account": account_id, "amount": "0.01", "received_on": time.strftime("%Y-%m-%d")}
    while True:
        try:
            if _post(host + FLOOR_PATH, token, body, str(uuid.uuid4())) == 201:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("gunicorn did not answer within 60 s")
        time.sleep(0.5)
    for _ in range(warm):
        key = str(uuid.uuid4())
        status = _post(host + PAYMENTS_PATH, token, {**body, "method": "card", "note": NOTE_PREFIX + key}, key)
        if status != 201:
            raise SystemExit(f"A warm-up payment was answered {status}.")


def _locust(host: str, path: str, env: dict, clients: int, seconds: int, acks: str = "") -> dict:
    """Locust's figures per request name ('payment', 'resend', 'Aggregated')."""
    return locust(
        "locust_payments.py", host, users=clients, seconds=seconds, env={**env, "BENCH_PATH": path, "BENCH_ACKS": acks}
    )


def verify(acked: dict[str, list[int]]) -> dict:
    """Each acknowledged key against the ledger: one payment per key, the one every answer named."""
    from django.core.management import call_command
    from django.db.models import Count, Min

    from collections_app.models import EntryKind, LedgerEntry

    rows = {
        row["note"][len(NOTE_PREFIX) :]: row
        for row in LedgerEntry.objects.filter(kind=EntryKind.PAYMENT, note__startswith=NOTE_PREFIX)
        .values("note")
        .annotate(n=Count("id"), first=Min("id"))
    }
    lost = sum(1 for key in acked if key not in rows)
    doubled = sum(row["n"] - 1 for row in rows.values())
    mismatched = sum(1 for key, ids in acked.items() if key in rows and set(ids) != {rows[key]["first"]})
    out = io.StringIO()
    try:
        call_command("reconcile_ledger", stdout=out, stderr=out)
        reconciled = True
    except SystemExit:  # the command's answer to any cache differing from the ledger
        reconciled = False
    return {
        "lost": lost,
        "doubled": doubled,
        "mismatched": mismatched,
        "replayed": sum(len(ids) - 1 for ids in acked.values()),
        "reconciled": reconciled,
        "reconcile_output": out.getvalue().strip()[-500:],
    }


def _token(role: str, accounts: int, seed: int) -> tuple[str, list[int]]:
    """A rate-unlimited token of a `role` user, and `accounts` of that user's open accounts."""
    from accounts.api.services import api_token_create
    from accounts.models import Role, User
    from accounts.services import user_create
    from collections_app.api.scope import accounts_for
    from collections_app.models import AccountStatus

    admin = User.objects.filter(username="bench_pay_admin").first() or user_create(
        username="bench_pay_admin", password=secrets.token_urlsafe(16), role=Role.ADMIN
    )
    if role == Role.ADMIN:
        owner = admin
    else:
        owner = User.objects.filter(role=role, is_active=True, accounts__isnull=False).order_by("pk").first()
        if owner is None:
            raise SystemExit(f"No {role} holds accounts: load a portfolio with --collectors first.")
    _, key = api_token_create(
        name="Payments benchmark", owner=owner, role=role, created_by=admin, rate_limit="1000000/min"
    )
    ids = list(accounts_for(owner).filter(status=AccountStatus.ACTIVE, balance__gt=0).values_list("id", flat=True))
    if not ids:
        raise SystemExit(f"{owner.username} can see no open account with a balance.")
    return key, random.Random(seed).sample(ids, min(accounts, len(ids)))


def measure(clients: int = 32, seconds: int = 20, accounts: int = 1000, resend: float = 0.1, role: str = "admin"):
    token, account_ids = _token(role, accounts, seed=1)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "BENCH_TOKEN": token,
        "BENCH_ACCOUNTS": ",".join(map(str, account_ids)),
        "BENCH_RESEND": str(resend),
    }
    with gunicorn(env) as (host, workers), tempfile.TemporaryDirectory() as tmp:
        _wait_up(host, token, account_ids[0], warm=workers * 4)
        floor = _locust(host, FLOOR_PATH, env, clients, seconds)
        api = _locust(host, PAYMENTS_PATH, env, clients, seconds, acks=f"{tmp}/acks.json")
        with open(f"{tmp}/acks.json") as f:
            acked = json.load(f)
    payments, total = api.get("payment", {}), api["Aggregated"]
    posted_per_s = payments["per_s"] * (1 - payments["failures"] / payments["requests"]) if payments else 0.0
    floor_per_s = floor["Aggregated"]["per_s"]
    return {
        "clients": clients,
        "seconds": seconds,
        "accounts": len(account_ids),
        "role": role,
        "gunicorn_workers": workers,
        "posted": len(acked),
        "payments_per_s": round(posted_per_s, 1),
        "requests_per_s": round(total["per_s"], 1),
        "p50_ms": payments.get("p50_ms"),
        "p95_ms": payments.get("p95_ms"),
        "p99_ms": payments.get("p99_ms"),
        "resends": api.get("resend", {}).get("requests", 0),
        "errors": api["errors"],
        "floor_per_s": round(floor_per_s, 1),
        "floor_p50_ms": floor["Aggregated"]["p50_ms"],
        "floor_p99_ms": floor["Aggregated"]["p99_ms"],
        "ratio": round(total["per_s"] / floor_per_s, 2) if floor_per_s else None,
        **verify(acked),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent API clients")
    parser.add_argument("--seconds", type=int, default=20, help="length of each load test")
    parser.add_argument("--accounts", type=int, default=1000, help="accounts the payments are spread over")
    parser.add_argument("--resend", type=float, default=0.1, help="share of requests resending a recent key")
    parser.add_argument("--role", default="admin", choices=["admin", "collector"])
    args = parser.parse_args(argv)
    if not 0 <= args.resend < 1:
        parser.error("--resend is a share between 0 and 1, like 0.1.")
    setup()
    print(json.dumps(measure(args.clients, args.seconds, args.accounts, args.resend, args.role), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
