"""The health check answers 200 with the database reachable and reports the broker."""

import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    expected = "embedded" if not settings.REDIS_URL else "ok"
    assert body["broker"] == expected


@pytest.mark.django_db
def test_healthz_says_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "unreachable"
