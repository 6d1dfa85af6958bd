"""Text messages through a small backend interface, chosen by settings.DUNNING_SMS_BACKEND.

A provider's backend subclasses SmsBackend and implements send() (and send_many() where the
provider takes batches, see sms_send_many). It raises DeliveryError with
permanent=True when retrying cannot help (an invalid number), anything else counts as transient
and is retried with backoff. `key` is unique per reminder: pass it to providers that deduplicate.
"""

import json
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmsBackend:
    def send(self, *, to: str, body: str, key: str) -> str:
        """Send one text; return the provider's message id."""
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """The embedded default: prints each text, like Django's console email backend."""

    def send(self, *, to: str, body: str, key: str) -> str:
        sys.stdout.write(f"SMS to {to} [{key}]\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()
        return key


class FileSmsBackend(SmsBackend):
    """Appends one JSON line per text to settings.DUNNING_SMS_FILE (for staging and tests)."""

    _lock = threading.Lock()

    def send(self, *, to: str, body: str, key: str) -> str:
        return self.send_many([{"to": to, "body": body, "key": key}])[0]

    def send_many(self, messages: list[dict]) -> list[str]:
        """A batch in one write, as a provider's batch API takes many texts in one request."""
        path = Path(getattr(settings, "DUNNING_SMS_FILE", "var/sms.jsonl"))
        path.parent.mkdir(parents=True, exist_ok=True)
        at = timezone.now().isoformat()
        lines = "".join(json.dumps({**message, "at": at}) + "\n" for message in messages)
        with self._lock, path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
        return [message["key"] for message in messages]


class LocmemSmsBackend(SmsBackend):
    """Keeps texts in `outbox` (a class attribute), like Django's locmem email backend."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str, key: str) -> str:
        LocmemSmsBackend.outbox.append({"to": to, "body": body, "key": key})
        return key


def sms_send_many(backend, messages: list[dict]) -> list:
    """For each text (to, body, key): the provider's id, or the exception that stopped it.

    A backend with a batch API offers send_many(messages) and answers for all at once (an exception
    in place of the id of each text it refused); any other backend is called once per text.
    """
    send_many = getattr(backend, "send_many", None)
    if send_many is not None:
        try:
            return send_many(messages)
        except Exception as exc:
            return [exc] * len(messages)
    results = []
    for message in messages:
        try:
            results.append(backend.send(**message) or message["key"])
        except Exception as exc:
            results.append(exc)
    return results


def sms_backend() -> SmsBackend:
    path = getattr(settings, "DUNNING_SMS_BACKEND", "collections_app.dunning.sms.ConsoleSmsBackend")
    return import_string(path)()
