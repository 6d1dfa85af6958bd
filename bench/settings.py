"""Settings for the load benchmark: the product's own, served over plain HTTP with the floor page routed in.

Only the benchmarks use it (`bench.queue` and `bench.payments`, through gunicorn); the product never imports it.
"""

import datetime
import os

from django.utils import timezone

from bench.serve import clock_from
from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
# gunicorn on 127.0.0.1 without TLS: the secure-cookie and manifest settings of DEBUG off do not apply.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405

if os.environ.get("BENCH_NOW"):  # ISO 8601: the moment the server's clock starts from (bench.serve.clock_from)
    timezone.now = clock_from(datetime.datetime.fromisoformat(os.environ["BENCH_NOW"]))
