"""Locust users for the queue load benchmark: each a signed-in collector asking for one page, back to back.

BENCH_SESSIONS (comma-separated session keys, one per simulated collector) and BENCH_PATH come from
`bench.queue`, which starts gunicorn and locust and reads the figures back.
"""

import itertools
import os

from locust import FastHttpUser, constant, task

_sessions = itertools.cycle(os.environ["BENCH_SESSIONS"].split(","))


class Collector(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.headers = {"Cookie": f"sessionid={next(_sessions)}"}

    @task
    def page(self):
        path = os.environ["BENCH_PATH"]
        with self.client.get(path, headers=self.headers, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
