"""The OpenAPI schema: valid, every operation described with examples, docs served from our static files."""

import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_the_schema_is_valid_openapi_3_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")


def test_every_operation_is_summarised_and_documents_its_errors(schema):
    operations = list(_operations(schema))
    assert len(operations) >= 40
    for path, method, operation in operations:
        assert operation.get("summary"), (method, path)
        responses = operation["responses"]
        for code in ("401", "403", "404", "429"):
            assert code in responses, (method, path, code)
        if method == "post":
            assert "400" in responses and "409" in responses, (method, path)


def test_every_write_with_a_body_has_an_example(schema):
    for path, method, operation in _operations(schema):
        body = operation.get("requestBody")
        if method != "post" or body is None or path.endswith(("/cancel/", "/revoke/")):
            continue
        examples = body["content"]["application/json"].get("examples")
        if path.endswith(("/opt-out/", "/release/")):
            continue  # a note only
        assert examples, (method, path)


def test_payments_and_activities_document_the_idempotency_key(schema):
    for path in ("/api/payments/", "/api/activities/"):
        operation = schema["paths"][path]["post"]
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in names
        assert "422" in operation["responses"]


def test_token_authentication_is_declared(schema):
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}


def test_the_docs_pages_load_everything_from_our_static_files(client):
    for url in ("/api/docs/",):
        page = client.get(url).content.decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert assets, url
        for asset in assets:
            # The page's own script is served by the page itself (no inline script: see the CSP).
            assert asset.startswith(("/static/drf_spectacular_sidecar/", url + "?script=")), asset
            assert client.get(asset).status_code == 200, asset
        assert "cdn" not in page.lower()
