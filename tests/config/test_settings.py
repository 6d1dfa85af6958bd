"""Settings behave as documented: embedded defaults, DATABASE_URL, and production refusals."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_in_subprocess(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
        "'host': s.DATABASES['default'].get('HOST'), 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
        "'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'secure_cookie': s.SESSION_COOKIE_SECURE,"
        "'hsts': s.SECURE_HSTS_SECONDS, 'hosts': s.ALLOWED_HOSTS}))"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_embedded_defaults_use_sqlite_and_in_process_celery():
    result = settings_in_subprocess({})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["eager"] is True
    assert values["debug"] is True


def test_database_url_and_redis_url_switch_to_real_services():
    result = settings_in_subprocess(
        {"DATABASE_URL": "postgres://u:p@db.example:5433/coll", "REDIS_URL": "redis://cache:6379/2"}
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "coll"
    assert values["host"] == "db.example"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache:6379/2"


def test_production_refuses_the_default_secret_key():
    result = settings_in_subprocess({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_hardens_cookies_and_hsts():
    result = settings_in_subprocess({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "collect.example"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["secure_cookie"] is True
    assert values["hsts"] > 0
    assert values["hosts"] == ["collect.example"]


def test_a_nonsense_debug_value_is_refused_in_plain_words():
    result = settings_in_subprocess({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_docker_compose_follows_the_compose_specification():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_runs_every_service_with_a_healthcheck():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, name
