"""Exports for auditors: the activity export of FORMATS.md and CSV that spreadsheets cannot execute."""

import csv
import datetime
import json
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from collections_app.models import Activity

ACTIVITY_COLUMNS = [
    "id",
    "account_external_id",
    "debtor_external_id",
    "channel",
    "direction",
    "to",
    "at",
    "debtor_timezone",
    "debtor_region",
    "outcome",
    "collector",
    "automated",
    "gate_reasons",
]
AUDIT_COLUMNS = ["at", "action", "actor", "object_type", "object_id", "detail", "before", "after"]
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text line by line (for streaming responses and large files), every cell neutralised."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def activities_in_period(start: datetime.date, end: datetime.date) -> QuerySet:
    """Every contact attempt from `start` to `end` inclusive (UTC dates), oldest first."""
    begin = datetime.datetime.combine(start, datetime.time(0), tzinfo=datetime.UTC)
    finish = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(0), tzinfo=datetime.UTC)
    return (
        Activity.objects.filter(occurred_at__gte=begin, occurred_at__lt=finish)
        .order_by("occurred_at", "id")
        .values_list(
            "id",
            "account__external_id",
            "debtor__external_id",
            "channel",
            "direction",
            "to",
            "occurred_at",
            "debtor_timezone",
            "debtor_region",
            "outcome",
            "user__username",
            "automated",
            "gate_reasons",
        )
    )


def activity_record(row) -> dict:
    (pk, account, debtor, channel, direction, to, at, zone, region, outcome, username, automated, reasons) = row
    return {
        "id": pk,
        "account_external_id": account,
        "debtor_external_id": debtor,
        "channel": channel,
        "direction": direction,
        "to": to,
        "at": at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "debtor_timezone": zone,
        "debtor_region": region,
        "outcome": outcome,
        "collector": "" if automated else (username or ""),
        "automated": bool(automated),
        "gate_reasons": list(reasons or []),
    }


def _activity_cell(record: dict, column: str):
    value = record[column]
    if column == "automated":
        return "true" if value else "false"
    if column == "gate_reasons":
        return ";".join(value)
    return value


def activities_csv_rows(records: Iterable[dict]) -> Iterator[list]:
    for record in records:
        yield [_activity_cell(record, column) for column in ACTIVITY_COLUMNS]


def _json_cell(value) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, cls=DjangoJSONEncoder)


def audit_trail_rows(events: Iterable) -> Iterator[list]:
    """One CSV row per audit event, in AUDIT_COLUMNS order; before/after as JSON (stable key order)."""
    for event in events:
        yield [
            event.at.isoformat(),
            event.action,
            event.actor.username if event.actor else "",
            event.object_type,
            event.object_id,
            event.detail,
            _json_cell(event.before),
            _json_cell(event.after),
        ]


def write_activities(out, queryset: QuerySet, fmt: str) -> int:
    """Write the export to a text stream; return the number of rows."""
    count = 0
    records = (activity_record(row) for row in queryset.iterator(chunk_size=2000))
    if fmt == "json":
        out.write("[")
        for record in records:
            out.write(("," if count else "") + "\n" + json.dumps(record))
            count += 1
        out.write("\n]\n")
        return count
    lines = csv_lines(ACTIVITY_COLUMNS, activities_csv_rows(records))
    out.write(next(lines))
    for line in lines:
        out.write(line)
        count += 1
    return count
