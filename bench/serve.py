"""What the load benchmarks share: gunicorn on a free port and a headless locust run read back as figures."""

import contextlib
import csv
import datetime
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    """Django configured from the environment, for a benchmark module run as a script."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def clock_from(at: datetime.datetime):
    """A clock (for timezone.now) that reads `at` now and runs on from there: the queue served at a chosen
    moment inside calling hours, not at whatever hour the benchmark runs (out of hours its ready list is
    empty and the page costs a fraction of a working afternoon's)."""
    started = time.monotonic()
    return lambda: at + datetime.timedelta(seconds=time.monotonic() - started)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict):
    """gunicorn serving config.wsgi on a free port with 2 × cores + 1 workers; yields (host URL, workers)."""
    port = free_port()
    workers = (os.cpu_count() or 1) * 2 + 1
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
        + ["--log-level", "warning"],
        env=env,
        cwd=ROOT,
    )
    try:
        yield f"http://127.0.0.1:{port}", workers
    finally:
        server.terminate()
        server.wait(30)


def locust(locustfile: str, host: str, *, users: int, seconds: int, env: dict) -> dict:
    """Run bench/<locustfile> headless; figures per request name (and 'Aggregated'), plus 'errors'."""
    with tempfile.TemporaryDirectory() as tmp:
        # locust exits 1 when any request failed: the failures are counted in the figures instead.
        done = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / locustfile), "--headless"]
            + ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host]
            + ["--csv", f"{tmp}/load", "--only-summary", "--loglevel", "WARNING"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        stats, failures = Path(f"{tmp}/load_stats.csv"), Path(f"{tmp}/load_failures.csv")
        if not stats.exists():
            raise SystemExit(f"locust failed:\n{done.stderr[-3000:]}")
        with stats.open() as f:
            rows = {r["Name"]: r for r in csv.DictReader(f)}
        errors = {}
        if failures.exists():
            with failures.open() as f:
                errors = {f"{r['Name']}: {r['Error']}": int(r["Occurrences"]) for r in csv.DictReader(f)}
    figures = {
        name: {
            "per_s": float(row["Requests/s"]),
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }
        for name, row in rows.items()
    }
    figures["errors"] = errors
    return figures
