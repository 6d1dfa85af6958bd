"""Reminder messages: a closed set of {{ placeholders }}, filled in one pass and escaped for HTML.

Admins write templates, debtors' names come from creditors' files: neither is trusted. So there are
no tags, filters or attribute lookups (Django or Jinja syntax in a template is refused when it is
saved and left as literal text if it ever reaches rendering), values are substituted in a single
pass (a name that contains "{{ balance }}" stays that text), and the HTML version of an email
escapes both the template's own text and every value.
"""

import datetime
import re
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import escape, format_html

from ..templatetags.collections_tags import money

PLACEHOLDERS = {
    "debtor_name": "The debtor's name",
    "balance": "The balance with its currency, e.g. 1,234.50 USD",
    "oldest_due_date": "The oldest open due date, e.g. 3 Nov 2026",
    "days_past_due": "Days past that date (0 before it)",
    "account_number": "The account's reference",
    "creditor": "The creditor's name",
    "payment_link": "The link where the debtor can pay",
    "opt_out": "How to stop this channel (required in emails and texts; empty in letters)",
    "today": "The date of sending",
}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
ANY_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
OPT_OUT_LINES = {
    "en": {
        "email": "To stop emails about this debt at {to}, reply STOP to this message.",
        "sms": "Reply STOP to stop texts.",
    },
    "es": {
        "email": "Para no recibir más correos sobre esta deuda en {to}, responda STOP a este mensaje.",
        "sms": "Responda STOP para no recibir más mensajes.",
    },
}
ELECTRONIC = ("email", "sms")


def template_problems(text: str, *, channel: str = "", field: str = "body") -> list[str]:
    """What is wrong with a template's text, in words an admin can act on; empty when it is fine."""
    problems = []
    if "{%" in text or "%}" in text:
        problems.append("Tags such as {% … %} are not allowed: use only the placeholders listed.")
    for match in ANY_BRACES.finditer(text):
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            problems.append(
                f"Unknown placeholder {{{{ {name[:40]} }}}}: use one of " + ", ".join(sorted(PLACEHOLDERS)) + "."
            )
    leftover = ANY_BRACES.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        problems.append("A placeholder is not closed: write it as {{ name }}.")
    if field == "body" and channel in ELECTRONIC and "opt_out" not in {m.group(1) for m in PLACEHOLDER.finditer(text)}:
        problems.append("Emails and texts must carry the opt-out line: add {{ opt_out }} (12 CFR 1006.6(e)).")
    return problems


def payment_link(account) -> str:
    base = getattr(settings, "DUNNING_PAYMENT_URL", "https://pay.example.com/{reference}")
    return base.replace("{reference}", urllib.parse.quote(account.external_id, safe=""))


def opt_out_line(*, channel: str, language: str, to: str) -> str:
    lines = OPT_OUT_LINES.get((language or "en").split("-")[0].lower(), OPT_OUT_LINES["en"])
    template = lines.get(channel, "")
    return template.replace("{to}", to or "this address")


def message_context(*, account, channel: str, today: datetime.date, to: str = "") -> dict[str, str]:
    """The placeholder values for one account (account.debtor and account.creditor loaded)."""
    debtor = account.debtor
    due = account.oldest_open_due_on
    return {
        "debtor_name": debtor.name,
        "balance": money(account.balance, account.currency),
        "oldest_due_date": due.strftime("%d %b %Y").lstrip("0") if due else "",
        "days_past_due": str(account.days_past_due(today)),
        "account_number": account.external_id,
        "creditor": account.creditor.name,
        "payment_link": payment_link(account),
        "opt_out": opt_out_line(channel=channel, language=debtor.language, to=to),
        "today": today.strftime("%d %b %Y").lstrip("0"),
    }


def render_text(text: str, context: dict[str, str]) -> str:
    """Fill the placeholders in one pass; anything else stays as written."""
    return PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), text)


def render_html(text: str, context: dict[str, str]) -> str:
    """The HTML version of an email: every piece of text escaped, paragraphs and line breaks kept."""
    pieces, position = [], 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        name = match.group(1)
        if name not in context:
            pieces.append(escape(match.group(0)))
        elif name == "payment_link":
            pieces.append(format_html('<a href="{}">{}</a>', context[name], context[name]))
        else:
            pieces.append(escape(context[name]))
        position = match.end()
    pieces.append(escape(text[position:]))
    html = "".join(pieces).replace("\r\n", "\n")
    paragraphs = [p.strip().replace("\n", "<br>\n") for p in html.split("\n\n") if p.strip()]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        f'<body style="font-family: Arial, sans-serif; font-size: 14px; line-height: 1.5;">{body}</body></html>'
    )


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str = ""


def message_render(template, context: dict[str, str]) -> Message:
    """The message of `template` for these values. Emails and texts always end with the opt-out line."""
    body = template.body
    if template.channel in ELECTRONIC and "opt_out" not in {m.group(1) for m in PLACEHOLDER.finditer(body)}:
        body = body.rstrip() + "\n\n{{ opt_out }}"
    # A header never carries a line break (it would start a new header).
    subject = " ".join(render_text(template.subject, context).split())[:200]
    text = render_text(body, context)
    html = render_html(body, context) if template.channel == "email" else ""
    return Message(subject=subject, text=text, html=html)
