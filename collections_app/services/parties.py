"""Writes for creditors, debtors and their contact points."""

from django.db import transaction
from django.utils import timezone

from compliance.audit import audit_record

from ..contacts import debtor_timezone, email_normalize, is_timezone, phone_normalize
from ..errors import DomainError
from ..models import ContactKind, ContactPoint, ContactUsage, Creditor, Debtor, DebtorKind


def creditor_get_or_create(*, name: str) -> Creditor:
    name = (name or "").strip()
    if not name:
        raise DomainError("The creditor's name is empty.", code="required", field="creditor")
    creditor, _ = Creditor.objects.get_or_create(name=name)
    return creditor


@transaction.atomic
def debtor_create(
    *,
    external_id: str,
    name: str,
    kind: str = DebtorKind.PERSON,
    timezone_name: str = "",
    region: str = "",
    country: str = "US",
    language: str = "en",
    created_by=None,
) -> Debtor:
    if kind not in DebtorKind.values:
        raise DomainError("A debtor is a person or a business.", code="invalid_kind", field="kind")
    if timezone_name and not is_timezone(timezone_name):
        raise DomainError(f"'{timezone_name}' is not an IANA time zone.", code="invalid_timezone", field="timezone")
    zone, source = debtor_timezone(given=timezone_name, country=country, region=region, phone_zones=[])
    debtor = Debtor(
        external_id=external_id,
        name=name.strip(),
        kind=kind,
        timezone=zone,
        timezone_source=source,
        region=region.upper(),
        country=country.upper(),
        language=language or "en",
    )
    debtor.full_clean()
    debtor.save()
    audit_record(action="debtor.create", actor=created_by, obj=debtor, after={"name": debtor.name})
    return debtor


@transaction.atomic
def contact_point_add(
    *,
    debtor: Debtor,
    kind: str,
    value: str,
    usage: str = ContactUsage.OTHER,
    source: str = "creditor",
    consent_autodial: bool = False,
    is_primary: bool = False,
    created_by=None,
) -> ContactPoint:
    """Add a phone (stored E.164, with its zones) or an email; the debtor's zone is derived if unknown."""
    if usage not in ContactUsage.values:
        raise DomainError("The type must be mobile, home, work or other.", code="invalid_usage", field="usage")
    zones: list[str] = []
    try:
        if kind == ContactKind.PHONE:
            value, zones, _ = phone_normalize(value, debtor.country or "US")
        elif kind == ContactKind.EMAIL:
            value = email_normalize(value)
        else:
            raise DomainError("A contact point is a phone or an email.", code="invalid_kind", field="kind")
    except ValueError as exc:
        raise DomainError(str(exc).capitalize() + ".", code="invalid_contact", field="value")
    if debtor.contact_points.filter(kind=kind, value=value).exists():
        raise DomainError(f"{value} is already on file for this debtor.", code="duplicate_contact", field="value")
    point = ContactPoint.objects.create(
        debtor=debtor,
        kind=kind,
        value=value,
        usage=usage,
        source=source,
        consent_autodial=consent_autodial,
        consent_recorded_at=timezone.now() if consent_autodial else None,
        is_primary=is_primary,
        timezone=",".join(zones),
    )
    if not debtor.timezone and len(zones) == 1:
        debtor.timezone, debtor.timezone_source = zones[0], "phone"
        debtor.save(update_fields=["timezone", "timezone_source", "updated_at"])
    audit_record(action="contact_point.add", actor=created_by, obj=point, after={"value": value, "usage": usage})
    return point
