"""Locust users for the payments benchmark: API clients posting small payments back to back, each with its
own Idempotency-Key, and a share of deliberate resends of a key already sent (by any client).

BENCH_TOKEN, BENCH_PATH, BENCH_ACCOUNTS (comma-separated ids), BENCH_RESEND (share, 0-1) and BENCH_ACKS
(a file for the acknowledged keys) come from `bench.payments`, which starts gunicorn and locust and
checks the acknowledged payments against the database afterwards.
"""

import collections
import datetime
import json
import os
import random
import uuid

from locust import FastHttpUser, constant, events, task

_accounts = [int(pk) for pk in os.environ["BENCH_ACCOUNTS"].split(",")]
_resend_share = float(os.environ.get("BENCH_RESEND", "0.1"))
_today = datetime.date.today().isoformat()
# Keys sent lately, shared by every client: a resend may race the first request of its key.
_recent: collections.deque = collections.deque(maxlen=64)
# Key -> payment ids in the 201s that key received (first answer and replays).
_acked: dict[str, list[int]] = collections.defaultdict(list)


@events.test_stop.add_listener
def _write_acks(**kwargs):
    path = os.environ.get("BENCH_ACKS")
    if path:
        with open(path, "w") as f:
            json.dump(_acked, f)


class ApiClient(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.path = os.environ["BENCH_PATH"]
        self.token = os.environ["BENCH_TOKEN"]

    @task
    def post_payment(self):
        if _recent and random.random() < _resend_share:
            key, body = random.choice(_recent)
            name = "resend"
        else:
            key = str(uuid.uuid4())
            amount = f"{random.randint(1, 500) / 100:.2f}"
            body = {"account": random.choice(_accounts), "amount": amount, "received_on": _today}
            body |= {"method": "card", "note": f"bench {key}"}
            _recent.append((key, body))
            name = "payment"
        headers = {"Authorization": f"Token {self.token}", "Idempotency-Key": key}
        with self.client.post(self.path, json=body, headers=headers, name=name, catch_response=True) as response:
            if response.status_code == 201:
                _acked[key].append(response.json()["id"])
            elif name == "resend" and response.status_code == 409:
                # The first request of this key is still running: a correct answer, told apart in the figures.
                response.failure("in progress (409)")
            else:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
