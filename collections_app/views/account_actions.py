"""The account page and its in-page actions: each action parses its form, calls one service, re-renders.

With htmx an action answers with the re-rendered workspace (timeline, panels, a short confirmation
or the refusal in words); without JavaScript it answers with a redirect (or the page with the
form's errors), so every action works either way. Scoping is `account_for_user`: another
collector's account is a 404 for the page, the form and the POST alike.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import IdempotencyRecord, Role
from accounts.services import IdempotencyKeyTaken, idempotency_key_claim
from compliance.models import Hold, HoldReason
from compliance.services import hold_releasable_by

from .. import forms as f
from ..errors import DomainError
from ..models import Channel, ContactKind, Outcome, PlanStatus
from ..selectors import account_for_user, account_page, contact_point_decisions
from ..services.activities import (
    activity_log,
    cease_communication_record,
    contact_point_opt_out,
    dispute_open,
    dispute_resolve,
    hold_place,
    hold_release,
)
from ..services.ledger import payment_post
from ..services.plans import arrangement_cancel, arrangement_create, arrangement_schedule, promise_create
from ..services.queue import callback_schedule
from ..templatetags.collections_tags import day, money
from .wording import NEXT_STEPS, debtor_zone, decision_verdict, opening, refusal_next_step

# --------------------------------------------------------------------------------------------------
# What each action does


class Partly(Exception):
    """The first part of an action was done (the call is logged) and a later one refused (the promise)."""

    def __init__(self, done: str, error: DomainError, action: str, initial: dict):
        super().__init__(error.message)
        self.done, self.error, self.action, self.initial = done, error, action, initial


def _perform_call(request, account, data, inputs) -> str:
    inbound = data["direction"] == "inbound"
    point = data["contact_point"]
    outcome = data["outcome"]
    activity = activity_log(
        account=account,
        channel=Channel.INBOUND_CALL if inbound else Channel.CALL,
        outcome=outcome,
        user=request.user,
        contact_point=point,
        note=data["note"],
    )
    said = f"{'Inbound call' if inbound else 'Call'} logged: {activity.get_outcome_display().lower()}"
    if point is not None:
        said += f" on {point.value}"
    if outcome == Outcome.PROMISE:
        amount, due_on = data["promise_amount"], data["promise_due_on"]
        try:
            promise_create(
                account=account, amount=amount, due_on=due_on, created_by=request.user, note=data["note"][:200]
            )
        except DomainError as error:
            initial = {"amount": amount, "due_on": due_on, "note": data["note"][:200]}
            raise Partly(said + ".", error, "promise", initial)
        said += f"; promise of {money(amount, account.currency)} by {day(due_on)} recorded"
    if outcome == Outcome.CALLBACK and data.get("callback_at"):
        try:
            callback_schedule(account=account, at=data["callback_at"], user=request.user)
        except DomainError as error:
            raise Partly(said + ".", error, "callback", {"at": data["callback_at"].replace(tzinfo=None)})
        said += f"; callback set for {opening(data['callback_at'], inputs['zone'], timezone.now())}"
    if outcome in (Outcome.DECEASED, Outcome.BANKRUPT):
        said += "; every debt of this debtor is now on hold"
    return said + "."


def _perform_promise(request, account, data, inputs) -> str:
    promise_create(
        account=account, amount=data["amount"], due_on=data["due_on"], created_by=request.user, note=data["note"]
    )
    return f"Promise of {money(data['amount'], account.currency)} by {day(data['due_on'])} recorded."


def _perform_arrangement(request, account, data, inputs) -> str:
    arrangement_create(
        account=account,
        total_amount=data["total_amount"],
        count=data["count"],
        frequency=data["frequency"],
        start_on=data["start_on"],
        created_by=request.user,
    )
    return (
        f"Arrangement of {money(data['total_amount'], account.currency)} in {data['count']} instalments set up; "
        f"the first is due {day(data['start_on'])}."
    )


def _perform_payment(request, account, data, inputs) -> str:
    payment_post(
        account=account,
        amount=data["amount"],
        received_on=data["received_on"],
        method=data["method"],
        external_id=data["reference"] or None,
        note=data["note"],
        created_by=request.user,
    )
    return f"Payment of {money(data['amount'], account.currency)} received {day(data['received_on'])} recorded."


def _perform_dispute(request, account, data, inputs) -> str:
    dispute = dispute_open(account=account, reason=data["reason"], user=request.user, in_writing=data["in_writing"])
    if dispute.within_validation_period:
        return "Dispute opened within the validation period: collection is held until verification is sent."
    return "Dispute opened."


def _perform_dispute_resolve(request, account, data, inputs) -> str:
    dispute = dispute_resolve(dispute=data["dispute"], outcome=data["outcome"], user=request.user, note=data["note"])
    return f"Dispute resolved: {dispute.get_outcome_display().lower()}."


def _perform_hold(request, account, data, inputs) -> str:
    reason = data["reason"]
    debtor_wide = reason in f.DEBTOR_WIDE_HOLDS
    hold = hold_place(
        reason=reason,
        account=None if debtor_wide else account,
        debtor=account.debtor if debtor_wide else None,
        user=request.user,
        ends_at=data["ends_at"],
        note=data["note"],
    )
    scope = "every debt of this debtor" if debtor_wide else "this account"
    return f"Hold placed on {scope}: {hold.get_reason_display().lower()}. No collection contact while it lasts."


def _perform_hold_release(request, account, data, inputs) -> str:
    hold = hold_release(hold=data["hold"], user=request.user, note=data["note"])
    return f"Hold released: {hold.get_reason_display().lower()}."


def _perform_callback(request, account, data, inputs) -> str:
    at = data["at"]
    callback_schedule(account=account, at=at, user=request.user)
    if at is None:
        return "Callback cleared."
    return f"Callback set for {opening(at, inputs['zone'], timezone.now())}."


def _perform_cease(request, account, data, inputs) -> str:
    received_on = data["received_on"]
    if received_on == timezone.localdate():
        received_at = timezone.now()
    else:
        received_at = datetime.datetime.combine(received_on, datetime.time(0), tzinfo=ZoneInfo(inputs["zone"]))
    whole_debtor = data["scope"] == "debtor"
    cease_communication_record(
        account=None if whole_debtor else account,
        debtor=account.debtor if whole_debtor else None,
        user=request.user,
        received_at=received_at,
        in_writing=data["in_writing"],
        note=data["note"],
    )
    scope = "every debt of this debtor" if whole_debtor else "this account"
    return f"Cease communication recorded on {scope}: no further collection contact."


def _perform_opt_out(request, account, data, inputs) -> str:
    kind, target = data["target"]
    if kind == "point":
        contact_point_opt_out(contact_point=target, user=request.user, note=data["note"])
        what = "texts" if target.kind == ContactKind.PHONE else "emails"
        return f"Opt-out recorded: no more {what} to {target.value}."
    hold_place(reason=HoldReason.OPT_OUT, debtor=account.debtor, channel=target, user=request.user, note=data["note"])
    words = {"call": "calls", "sms": "texts", "email": "emails"}
    return f"Opt-out recorded: no more {words[target]} to this debtor."


def _perform_arrangement_cancel(request, account, data, inputs) -> str:
    if inputs["arrangement"] is None:
        raise DomainError("There is no active arrangement to cancel.", code="arrangement_not_active")
    arrangement_cancel(arrangement=inputs["arrangement"], cancelled_by=request.user)
    return "Arrangement cancelled."


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    form_class: type
    perform: Callable[..., str]
    submit: str
    shortcut: str = ""
    in_bar: bool = True
    intro: str = ""
    danger: bool = False
    template: str = "collections_app/partials/actions/fields.html"
    # Service error fields -> this form's field names, where they differ.
    fields: dict = field(default_factory=dict)


ACTIONS = {
    a.name: a
    for a in [
        Action("call", "Log call", f.CallOutcomeForm, _perform_call, "Log call", "l",
               fields={"at": "callback_at"}, template="collections_app/partials/actions/call.html"),
        Action("promise", "Promise", f.PromiseForm, _perform_promise, "Record promise", "p"),
        Action("arrangement", "Arrangement", f.ArrangementForm, _perform_arrangement, "Set up arrangement", "a",
               intro="Equal instalments; the last one takes the rounding.",
               template="collections_app/partials/actions/arrangement.html"),
        Action("payment", "Payment", f.PaymentForm, _perform_payment, "Record payment", "m",
               fields={"posted_on": "received_on", "external_id": "reference"},
               template="collections_app/partials/actions/payment.html"),
        Action("dispute", "Dispute", f.DisputeOpenForm, _perform_dispute, "Open dispute", "d",
               intro="Within the validation period a dispute holds collection until verification is sent."),
        Action("hold", "Hold", f.HoldPlaceForm, _perform_hold, "Place hold", "h",
               intro="No collection contact while a hold lasts. Bankruptcy and death hold every debt of the debtor."),
        Action("callback", "Callback", f.CallbackForm, _perform_callback, "Save callback", "c",
               intro="The queue raises the account at that time."),
        Action("cease", "Cease communication", f.CeaseForm, _perform_cease, "Record cease request", in_bar=False,
               intro="After a request to stop, only a final notice by letter may still go out.", danger=True),
        Action("opt_out", "Opt-out", f.OptOutForm, _perform_opt_out, "Record opt-out", in_bar=False,
               intro="Stops one number or address for texts and emails, or a whole channel."),
        Action("dispute_resolve", "Resolve dispute", f.DisputeResolveForm, _perform_dispute_resolve,
               "Resolve dispute", in_bar=False),
        Action("hold_release", "Release hold", f.HoldReleaseForm, _perform_hold_release, "Release hold",
               in_bar=False),
        Action("arrangement_cancel", "Cancel arrangement", f.ConfirmForm, _perform_arrangement_cancel,
               "Cancel the arrangement", in_bar=False, danger=True,
               intro="The remaining instalments are cancelled; payments already made stay on the ledger."),
    ]
}  # fmt: skip
DEFAULT_ACTION = "call"
CLOSED = "none"  # the action panel with no form open


def releasable(user, holds) -> list:
    """The holds the release form offers: those hold_release would accept from this user (a dispute's
    hold ends with its dispute, under Resolve dispute)."""
    return [h for h in holds if h.reason != HoldReason.DISPUTE and hold_releasable_by(user=user, hold=h)]


UNAVAILABLE = {
    "dispute_resolve": "There is no open dispute on this account.",
    "hold_release": "No hold here that you may release: a manager releases bankruptcy, death, cease and attorney "
    "holds, and a dispute's hold ends when the dispute is resolved.",
    "arrangement_cancel": "There is no active arrangement to cancel.",
}


def action_available(name: str, ctx: dict) -> bool:
    """Actions that need something to act on appear only when it is there."""
    if name == "dispute_resolve":
        return bool(ctx["open_disputes"])
    if name == "hold_release":
        return bool(ctx["releasable_holds"])
    if name == "arrangement_cancel":
        return ctx["arrangement"] is not None
    return True


# --------------------------------------------------------------------------------------------------
# Building forms and the workspace


def form_inputs(request, account, page: dict | None = None) -> dict:
    """What the forms need to know about the account: read here (a few small queries) or taken
    from the account page's reads when the page is being built anyway."""
    if page is None:
        holds = Hold.objects.active(timezone.now()).filter(Q(account=account) | Q(debtor_id=account.debtor_id))
        page = {
            "contact_points": list(account.debtor.contact_points.all()),
            "open_disputes": list(account.disputes.filter(resolved_at__isnull=True)),
            "holds_active": list(holds.order_by("-starts_at")),
            "arrangement": account.arrangements.filter(status=PlanStatus.ACTIVE).first(),
        }
    points = page["contact_points"]
    phone_zones = [z for p in points if p.kind == ContactKind.PHONE for z in (p.timezone or "").split(",") if z]
    return {
        "points": points,
        "zone": debtor_zone(account.debtor, phone_zones),
        "open_disputes": page["open_disputes"],
        "releasable_holds": releasable(request.user, page["holds_active"]),
        "arrangement": page["arrangement"],
    }


def build_form(action: Action, account, inputs: dict, *, data=None, initial=None, selected_point=None):
    kwargs = {"account": account, "contact_points": inputs["points"], "zone": inputs["zone"]}
    if action.name == "dispute_resolve":
        kwargs["disputes"] = inputs["open_disputes"]
    elif action.name == "hold_release":
        kwargs["holds"] = inputs["releasable_holds"]
    elif action.name == "call":
        kwargs["selected_point"] = selected_point
    return action.form_class(data, initial=initial, **kwargs)


def _int_param(value) -> int | None:
    try:
        return int(value) if value not in (None, "") and str(value).isdigit() and len(str(value)) < 18 else None
    except ValueError:
        return None


def _point_rows(points, verdicts: dict, *, zone: str, highlight, now) -> list[dict]:
    """Each number and address with the gate's verdict in words and the time where the debtor is."""
    rows = []
    # Numbers first (a collector calls), the primary one first among them.
    for point in sorted(points, key=lambda p: (p.kind != ContactKind.PHONE, not p.is_primary)):
        decision = verdicts.get(point.pk)
        zones = list(decision.zones) if decision else []
        shown_zone = zones[0] if len(zones) == 1 else zone
        word = "Callable" if point.kind == ContactKind.PHONE else "Email allowed"
        rows.append(
            {
                "point": point,
                "verdict": decision_verdict(decision, zone=shown_zone, now=now, channel_word=word),
                "clocks": [(z, now.astimezone(ZoneInfo(z)).strftime("%H:%M")) for z in zones[:3]],
                "highlight": point.pk == highlight,
            }
        )
    return rows


def _panel(ctx: dict, account, inputs: dict, *, action_name, form, highlight) -> dict:
    """The action bar and the open form (or none) into `ctx`."""
    if action_name is None:
        action_name = DEFAULT_ACTION
    if action_name == CLOSED:
        action_name = ""
    if action_name and (action_name not in ACTIONS or not action_available(action_name, inputs)):
        action_name = DEFAULT_ACTION
    action = ACTIONS.get(action_name) if action_name else None
    if action is not None and form is None:
        form = build_form(action, account, inputs, selected_point=highlight)
    ctx["action"], ctx["form"] = action, form
    ctx["bar"] = [a for a in ACTIONS.values() if a.in_bar]
    ctx["more"] = [a for a in ACTIONS.values() if not a.in_bar and action_available(a.name, inputs)]
    if action is not None and action.name == "arrangement":
        ctx["preview"] = _preview(account, form)
    if action is not None and action.name in ONCE:
        # A form shown again with its errors keeps its token: nothing was recorded under it yet.
        kept = _form_token(form.data) if form.is_bound else None
        ctx["form_token"] = kept or uuid.uuid4().hex
    return ctx


def workspace_context(request, account, *, action_name=None, form=None, confirmation="", inputs=None) -> dict:
    """Everything the account page shows, with one action's form open (or none)."""
    now = timezone.now()
    ctx = account_page(account=account, on=timezone.localdate(), at=now)
    inputs = inputs or form_inputs(request, account, ctx)
    zone = inputs["zone"]
    highlight = _int_param(request.GET.get("call"))
    ctx.update(inputs)
    ctx.update(
        {
            "points": _point_rows(ctx["contact_points"], ctx["verdicts"], zone=zone, highlight=highlight, now=now),
            "zone": zone,
            "local_now": now.astimezone(ZoneInfo(zone)).strftime("%H:%M"),
            "reminders": [e["obj"] for e in ctx["timeline"] if e["kind"] == "activity" and e["obj"].automated][:10],
            "confirmation": confirmation,
            "is_collector": request.user.role == Role.COLLECTOR,
        }
    )
    if action_name is None:
        action_name = request.GET.get("action") or DEFAULT_ACTION
    return _panel(ctx, account, inputs, action_name=action_name, form=form, highlight=highlight)


def panel_context(request, account, action_name: str) -> dict:
    """Only what the action panel needs (the gate's verdicts only for the call form's numbers)."""
    now = timezone.now()
    inputs = form_inputs(request, account)
    verdicts = {}
    if action_name == "call":
        phones = [p for p in inputs["points"] if p.kind == ContactKind.PHONE]
        verdicts = contact_point_decisions(account=account, points=phones, at=now)
    ctx = {"account": account, **inputs}
    ctx["points"] = _point_rows(
        [p for p in inputs["points"] if p.pk in verdicts], verdicts, zone=inputs["zone"], highlight=None, now=now
    )
    return _panel(ctx, account, inputs, action_name=action_name, form=None, highlight=None)


def _preview(account, form) -> dict:
    """The instalment schedule the arrangement form describes, or why there is none yet."""
    if form.is_bound:
        values = {name: form.data.get(name, "") for name in ("total_amount", "count", "frequency", "start_on")}
    else:
        values = {name: form[name].value() for name in ("total_amount", "count", "frequency", "start_on")}
    probe = f.ArrangementForm(values, account=account)
    if not probe.is_valid():
        return {"error": "Fill in the total, the number of instalments and the first date to see the schedule."}
    data = probe.cleaned_data
    try:
        rows = arrangement_schedule(
            total=data["total_amount"],
            count=data["count"],
            frequency=data["frequency"],
            start_on=data["start_on"],
            currency=account.currency,
        )
    except DomainError as error:
        return {"error": error.message}
    return {"rows": rows, "total": data["total_amount"], "over_balance": data["total_amount"] > account.balance}


def _account(request, pk):
    return account_for_user(user=request.user, pk=pk)


def _render_workspace(request, account, *, status=200, **kwargs):
    ctx = workspace_context(request, account, **kwargs)
    template = "collections_app/partials/workspace.html" if request.htmx else "collections_app/account_detail.html"
    return render(request, template, ctx, status=status)


def _explain(request, account, error: DomainError) -> list[str]:
    """The service's sentence, then what to do next (the gate's refusal: by what refused it)."""
    if error.code == "contact_refused":
        codes = (
            account.activities.filter(outcome=Outcome.HELD, user=request.user)
            .order_by("-id")
            .values_list("gate_reasons", flat=True)
            .first()
        )
        return [f"The contact rules refuse this call now. {error.message}", f"Next: {refusal_next_step(codes)}"]
    step = NEXT_STEPS.get(error.code)
    return [error.message, f"Next: {step}"] if step else [error.message]


def _attach(form, action: Action, error: DomainError, lines: list[str], prefix: str = "") -> None:
    name = action.fields.get(error.field, error.field)
    lines = [prefix + lines[0], *lines[1:]]
    if name not in form.fields or error.code == "contact_refused":
        name = None
    for line in lines:
        form.add_error(name, line)


# --------------------------------------------------------------------------------------------------
# Once only: the payment form carries a one-time token, so a double click (or a resend after a
# timeout) posts one payment and the second submission shows the first one's confirmation. The
# token is kept as the API's Idempotency-Key record, inserted before the payment in the same
# transaction: a concurrent duplicate waits on its unique index, then finds it.

ONCE = {"payment"}
FORM_TOKEN = "form_token"
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def _form_token(data) -> str | None:
    token = data.get(FORM_TOKEN, "")
    return token if _TOKEN_RE.match(token) else None


def _fingerprint(request) -> str:
    fields = {k: v for k, v in request.POST.lists() if k not in (FORM_TOKEN, "csrfmiddlewaretoken")}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.path}\n{canonical}".encode("utf-8", "surrogatepass")).hexdigest()


def _replayed(request, token: str | None, *, strict: bool = True) -> str | None:
    """The confirmation of the submission already recorded under this token, if any; the same token
    with other values is refused (strict) or left to the form (not strict)."""
    if token is None:
        return None
    record = IdempotencyRecord.objects.filter(user_id=request.user.pk, key=f"form:{token}").first()
    if record is None:
        return None
    if record.body_hash != _fingerprint(request):
        if not strict:
            return None
        raise DomainError(
            "This form was already sent with other values. Open the payment form again to record another payment.",
            code="form_reused",
        )
    return record.response_body["said"]


def _perform_once(request, token: str, perform: Callable[[], str]) -> str:
    """Run `perform` once per form token; a refusal (DomainError) rolls the token back with it."""
    fingerprint = _fingerprint(request)
    for _ in range(3):
        said = _replayed(request, token)
        if said is not None:
            return said
        try:
            with transaction.atomic():
                record = idempotency_key_claim(
                    user=request.user, key=f"form:{token}", method="POST", path=request.path, body_hash=fingerprint
                )
                said = perform()
                record.status_code, record.response_body = 200, {"said": said}
                record.save(update_fields=["status_code", "response_body"])
            return said
        except IdempotencyKeyTaken:
            continue
    raise DomainError("This form is being sent by another request: reload the page to see its result.", code="busy")


# --------------------------------------------------------------------------------------------------
# Views


@login_required
def account_detail(request, pk: int):
    """The collector's one screen: debtor and numbers, actions and timeline, balance and plans."""
    return render(request, "collections_app/account_detail.html", workspace_context(request, _account(request, pk)))


@login_required
@require_http_methods(["GET", "POST"])
def account_action(request, pk: int, name: str):
    action = ACTIONS.get(name)
    if action is None and not (name == CLOSED and request.method == "GET"):
        raise Http404("No such action.")
    account = _account(request, pk)
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{reverse('account_detail', args=[account.pk])}?action={name}#action-panel")
        return render(request, "collections_app/partials/action_panel.html", panel_context(request, account, name))
    inputs = form_inputs(request, account)
    if not action_available(name, inputs):
        messages.info(request, UNAVAILABLE[name])
        return redirect("account_detail", pk=account.pk)
    form = build_form(action, account, inputs, data=request.POST)
    token = _form_token(request.POST) if name in ONCE else None
    # Sent again after it was recorded: the first one's answer, before validating against a balance it changed.
    said = _replayed(request, token, strict=False)
    if said is None and not form.is_valid():
        return _render_workspace(request, account, status=422, action_name=name, form=form, inputs=inputs)
    try:
        if said is None:
            perform = lambda: action.perform(request, account, form.cleaned_data, inputs)  # noqa: E731
            said = _perform_once(request, token, perform) if token else perform()
    except Partly as partly:
        # The call stands; the promise (or callback) opens again with the reason it was refused.
        account = _account(request, pk)
        follow = ACTIONS[partly.action]
        fresh = form_inputs(request, account)
        retry = build_form(follow, account, fresh, data=_as_data(partly.initial))
        retry.is_valid()
        _attach(retry, follow, partly.error, _explain(request, account, partly.error), prefix="Not recorded: ")
        if not request.htmx:
            messages.success(request, partly.done)
        return _render_workspace(
            request,
            account,
            status=422,
            action_name=follow.name,
            form=retry,
            confirmation=partly.done,
            inputs=fresh,
        )
    except DomainError as error:
        _attach(form, action, error, _explain(request, account, error))
        account = _account(request, pk)  # a refused call is on the timeline now
        return _render_workspace(request, account, status=422, action_name=name, form=form)
    account = _account(request, pk)
    if not request.htmx:
        messages.success(request, said)
        return redirect("account_detail", pk=account.pk)
    return _render_workspace(request, account, action_name="", confirmation=said)


def _as_data(initial: dict) -> dict:
    data = {}
    for key, value in initial.items():
        if isinstance(value, datetime.datetime):
            data[key] = value.strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, datetime.date):
            data[key] = value.isoformat()
        else:
            data[key] = "" if value is None else str(value)
    return data


@login_required
@require_GET
def arrangement_preview(request, pk: int):
    """The live schedule under the arrangement form (htmx, on every change of its fields)."""
    account = _account(request, pk)
    form = f.ArrangementForm(request.GET, account=account)
    return render(
        request,
        "collections_app/partials/arrangement_preview.html",
        {"account": account, "preview": _preview(account, form)},
    )
