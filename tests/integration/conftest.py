"""A real Celery worker on the configured Redis, pointed at the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def database_url_for_test_db() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return ""
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start `celery worker` as a separate process; yields the Popen. Tasks run for real."""
    require(redis_available(), "Redis at REDIS_URL for a real Celery worker")
    from config.celery import app

    app.conf.task_always_eager = False
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings")
    database_url = database_url_for_test_db()
    if database_url:
        env["DATABASE_URL"] = database_url
    app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            break
        if process.poll() is not None:
            pytest.fail("the Celery worker exited at start:\n" + process.stdout.read())
    else:
        process.kill()
        pytest.fail("the Celery worker did not answer a ping within 30 s")
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


# Shared by the tests that kill workers or wait for them (integration/, faults/).


def wait_until(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def worker_tree(pid: int) -> list[int]:
    """The worker and its pool processes (children by /proc), to kill them all at once."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return [pid, *children]


def start_worker(name: str) -> subprocess.Popen:
    from config.celery import app

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=database_url_for_test_db())
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=2",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "-n", f"{name}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not app.control.ping(timeout=0.5):
        if process.poll() is not None:
            pytest.fail(f"the Celery worker {name} exited at start")
    return process
