"""Dunning verdicts: the contact gate for a batch of accounts, the template that fits, the address."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from compliance.gate import Decision, Reason, contact_decisions

from ...models import (
    Account,
    Address,
    DunningChannel,
    DunningStage,
    DunningTemplate,
)


@dataclass
class Verdict:
    """What happens to one reminder now: send, later (at next_at) or held (skipped), and why."""

    kind: str
    codes: list[str] = field(default_factory=list)
    message: str = ""
    next_at: datetime.datetime | None = None
    point: object = None
    to: str = ""
    zones: tuple[str, ...] = ()
    template: DunningTemplate | None = None
    decision: Decision | None = None


def _refusal(code: str, message: str) -> Decision:
    """A refusal of our own (no address, no template) in the gate's shape, so it is recorded alike."""
    return Decision(False, (Reason(code, message),))


class TemplateChooser:
    """The stage's template in the debtor's language, and its time-barred variant where the debt is."""

    def __init__(self):
        self._families: dict[str, dict[tuple[str, bool], DunningTemplate]] = {}

    def choose(self, stage: DunningStage, *, language: str, time_barred: bool) -> DunningTemplate | None:
        base = stage.template
        if base is None:
            return None
        family = self._families.get(base.name)
        if family is None:
            family = {(t.language, t.time_barred): t for t in DunningTemplate.objects.filter(name=base.name)}
            self._families[base.name] = family
        language = (language or "").lower()
        for lang in (language, language.split("-")[0], base.language, "en"):
            found = family.get((lang, time_barred))
            if found is not None and found.channel == stage.channel:
                return found
        return None


def _postal_addresses(accounts) -> dict[int, list[str]]:
    lines: dict[int, list[str]] = {}
    debtor_ids = {a.debtor_id for a in accounts}
    for address in Address.objects.filter(debtor_id__in=debtor_ids).order_by("-is_primary", "id"):
        if address.debtor_id in lines or not (address.line1 and (address.city or address.postal_code)):
            continue
        city = " ".join(part for part in (address.city, address.region, address.postal_code) if part)
        lines[address.debtor_id] = [part for part in (address.line1, address.line2, city, address.country) if part]
    return lines


def judge(accounts: list[Account], *, stage: DunningStage, at: datetime.datetime, chooser: TemplateChooser):
    """The verdict for each account (debtor loaded) on this stage at `at`: {account id: Verdict}."""
    if stage.channel == DunningChannel.TASK:
        return {a.pk: Verdict("send") for a in accounts}
    answers = contact_decisions(accounts, channel=stage.channel, at=at, automated=True)
    addresses = _postal_addresses(accounts) if stage.channel == DunningChannel.LETTER else {}
    verdicts = {}
    for account in accounts:
        decision, point = answers[account.pk]
        if not decision.allowed:
            kind = "later" if decision.next_allowed_at is not None else "held"
            verdicts[account.pk] = Verdict(
                kind,
                decision.codes,
                decision.message,
                decision.next_allowed_at,
                point,
                zones=decision.zones,
                decision=decision,
            )
            continue
        time_barred = any(flag.code == "time_barred" for flag in decision.flags)
        template = chooser.choose(stage, language=account.debtor.language, time_barred=time_barred)
        if template is None:
            code, message = (
                ("time_barred_template_missing", "The debt is time-barred and the stage has no time-barred template.")
                if time_barred
                else ("no_template", "The stage has no template for this channel.")
            )
            verdicts[account.pk] = Verdict("held", [code], message, point=point, decision=_refusal(code, message))
            continue
        if stage.channel == DunningChannel.LETTER:
            lines = addresses.get(account.debtor_id)
            if not lines:
                message = "No postal address on file for a letter."
                verdicts[account.pk] = Verdict(
                    "held", ["no_postal_address"], message, decision=_refusal("no_postal_address", message)
                )
                continue
            # A letter goes to the postal address, not to any number or email on file.
            to, point = "\n".join(lines), None
        else:
            to = point.value if point is not None else ""
        verdicts[account.pk] = Verdict("send", point=point, to=to, zones=decision.zones, template=template)
    return verdicts
