"""import_portfolio --user: the command-line import names who ran it in its audit event."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from collections_app.models import Account
from compliance.models import AuditEvent

from .bundles import write_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(tmp_path, collector):
    return write_bundle(tmp_path / "bundle")


def test_the_audit_event_names_the_user_who_ran_it(bundle, admin_user):
    call_command(
        "import_portfolio", str(bundle), "--user", admin_user.username, stdout=io.StringIO(), stderr=io.StringIO()
    )
    event = AuditEvent.objects.get(action="import.portfolio")
    assert event.actor == admin_user and event.detail == "bundle"
    assert Account.objects.exists()


def test_without_user_the_event_names_nobody(bundle):
    call_command("import_portfolio", str(bundle), stdout=io.StringIO(), stderr=io.StringIO())
    assert AuditEvent.objects.get(action="import.portfolio").actor is None


def test_an_unknown_user_is_refused_and_nothing_is_imported(bundle, make_user):
    gone = make_user("admin", username="gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for name in ("nobody", "gone"):
        with pytest.raises(CommandError) as refused:
            call_command("import_portfolio", str(bundle), "--user", name, stdout=io.StringIO(), stderr=io.StringIO())
        assert str(refused.value) == f"No active user is named '{name}': nothing was imported."
        assert refused.value.returncode == 2
    assert not Account.objects.exists() and not AuditEvent.objects.filter(action="import.portfolio").exists()
