"""Admin pages for dunning: policies and their stages, templates with a preview on a real account,
what tonight's run will do, runs with their progress, and the letter batches."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from config.celery import enqueue

from ..errors import DomainError
from ..forms_dunning import PolicyForm, PreviewForm, StageForm, TemplateForm
from ..models import (
    Account,
    DunningChannel,
    DunningPolicy,
    DunningReminder,
    DunningRun,
    DunningStage,
    DunningTemplate,
    ReminderState,
)
from ..services.dunning import (
    dunning_config_delete,
    dunning_config_save,
    dunning_preview_start,
    letters_batch,
    nightly_moment,
    run_progress,
    stage_preview,
)

admin_only = role_required(Role.ADMIN)


def _save(request, form, what: str):
    """Save a config form through the audited service; a DomainError becomes a form error."""
    try:
        obj = dunning_config_save(obj=form.save(commit=False), user=request.user)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None
    messages.success(request, f"{what} saved.")
    return obj


@admin_only
def dunning_home(request):
    since = timezone.now() - datetime.timedelta(days=7)
    policies = DunningPolicy.objects.select_related("creditor").prefetch_related(
        Prefetch("stages", queryset=DunningStage.objects.select_related("template").order_by("position"))
    )
    week = dict(
        DunningReminder.objects.filter(updated_at__gte=since).order_by().values_list("state").annotate(n=Count("id"))
    )
    runs = list(DunningRun.objects.filter(dry_run=False).select_related("started_by")[:8])
    for run in runs:
        run.progress = run_progress(run)
    letter_days = (
        DunningReminder.objects.filter(channel=DunningChannel.LETTER, state=ReminderState.SENT, done_at__gte=since)
        .order_by()
        .values_list("done_at__date")
        .annotate(n=Count("id"))
        .order_by("-done_at__date")
    )
    return render(
        request,
        "collections_app/dunning/home.html",
        {
            "policies": policies,
            "runs": runs,
            "week": {state: week.get(state, 0) for state in ReminderState.values},
            "letter_days": letter_days,
            "failed": DunningReminder.objects.filter(state=ReminderState.FAILED)
            .select_related("account", "stage", "policy")
            .order_by("-done_at")[:10],
            "next_run": nightly_moment(),
            "templates_count": DunningTemplate.objects.count(),
        },
    )


@admin_only
@require_http_methods(["GET", "POST"])
def policy_new(request):
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        policy = _save(request, form, "Policy")
        if policy is not None:
            return redirect("dunning:policy", pk=policy.pk)
    return render(request, "collections_app/dunning/policy.html", {"form": form, "policy": None})


@admin_only
@require_http_methods(["GET", "POST"])
def policy_detail(request, pk: int):
    policy = get_object_or_404(DunningPolicy, pk=pk)
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid() and _save(request, form, "Policy"):
        return redirect("dunning:policy", pk=policy.pk)
    stages = policy.stages.select_related("template").order_by("position")
    return render(request, "collections_app/dunning/policy.html", {"form": form, "policy": policy, "stages": stages})


@admin_only
@require_POST
def policy_delete(request, pk: int):
    policy = get_object_or_404(DunningPolicy, pk=pk)
    try:
        for stage in policy.stages.all():
            dunning_config_delete(obj=stage, user=request.user)
        dunning_config_delete(obj=policy, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dunning:policy", pk=pk)
    messages.success(request, f"Policy “{policy.name}” deleted.")
    return redirect("dunning:home")


def _preview(request, stage: DunningStage | None):
    """The preview form and, when an account is named, the stage's message for it."""
    form = PreviewForm(request.GET if "account" in request.GET else None)
    preview, account = None, None
    if stage is not None and form.is_bound and form.is_valid():
        account = Account.objects.filter(external_id=form.cleaned_data["account"].strip()).first()
        if account is None:
            form.add_error("account", "No account has that reference.")
        else:
            preview = stage_preview(stage=stage, account=account)
    return {"preview_form": form, "preview": preview, "preview_account": account}


@admin_only
@require_http_methods(["GET", "POST"])
def stage_new(request, policy_pk: int):
    policy = get_object_or_404(DunningPolicy, pk=policy_pk)
    form = StageForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        stage = _save(request, form, "Stage")
        if stage is not None:
            return redirect("dunning:policy", pk=policy.pk)
    return render(request, "collections_app/dunning/stage.html", {"form": form, "policy": policy, "stage": None})


@admin_only
@require_http_methods(["GET", "POST"])
def stage_edit(request, pk: int):
    stage = get_object_or_404(DunningStage.objects.select_related("policy", "template"), pk=pk)
    form = StageForm(request.POST or None, instance=stage, policy=stage.policy)
    if request.method == "POST" and form.is_valid() and _save(request, form, "Stage"):
        return redirect("dunning:policy", pk=stage.policy_id)
    context = {"form": form, "policy": stage.policy, "stage": stage, **_preview(request, stage)}
    return render(request, "collections_app/dunning/stage.html", context)


@admin_only
@require_POST
def stage_delete(request, pk: int):
    stage = get_object_or_404(DunningStage, pk=pk)
    try:
        dunning_config_delete(obj=stage, user=request.user)
        messages.success(request, f"Stage “{stage.name}” deleted.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("dunning:policy", pk=stage.policy_id)


@admin_only
def template_list(request):
    templates = DunningTemplate.objects.annotate(uses=Count("stages"))
    return render(request, "collections_app/dunning/templates.html", {"templates": templates})


@admin_only
@require_http_methods(["GET", "POST"])
def template_new(request):
    form = TemplateForm(request.POST or None, initial={"language": "en"})
    if request.method == "POST" and form.is_valid() and (template := _save(request, form, "Template")):
        return redirect("dunning:template", pk=template.pk)
    return render(request, "collections_app/dunning/template.html", {"form": form, "template_obj": None})


@admin_only
@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int):
    template = get_object_or_404(DunningTemplate, pk=pk)
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid() and _save(request, form, "Template"):
        return redirect("dunning:template", pk=template.pk)
    # A template previews through a stage that uses it, or a stand-in stage of its channel.
    stage = template.stages.select_related("template").first() or DunningStage(
        name="Preview", position=1, channel=template.channel, template=template, trigger_days=0
    )
    if stage.template_id != template.pk:
        stage.template = template
    context = {"form": form, "template_obj": template, **_preview(request, stage)}
    return render(request, "collections_app/dunning/template.html", context)


@admin_only
@require_POST
def template_delete(request, pk: int):
    template = get_object_or_404(DunningTemplate, pk=pk)
    try:
        dunning_config_delete(obj=template, user=request.user)
        messages.success(request, f"Template “{template}” deleted.")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dunning:template", pk=pk)
    return redirect("dunning:templates")


@admin_only
@require_http_methods(["GET", "POST"])
def tonight(request):
    """What tonight's run will do: the latest stored dry run for the next run's date, or work it out."""
    moment = nightly_moment()
    day = moment.astimezone(timezone.get_current_timezone()).date()
    if request.method == "POST":
        dunning_preview_start(day=day, user=request.user)
        return redirect("dunning:tonight")
    preview = DunningRun.objects.filter(dry_run=True, run_on=day).select_related("started_by").first()
    context = {"moment": moment, "day": day, "preview": preview}
    template = "collections_app/dunning/_tonight_body.html" if request.htmx else "collections_app/dunning/tonight.html"
    return render(request, template, context)


@admin_only
@require_POST
def run_start(request):
    from ..tasks import dunning_nightly

    if not enqueue(dunning_nightly):
        messages.error(request, "The run could not start: Redis is unreachable. Start it again when it is back.")
        return redirect("dunning:home")
    messages.success(request, "The run has started. Reminders outside the debtors' hours wait for them.")
    return redirect("dunning:home")


@admin_only
def run_detail(request, pk: int):
    run = get_object_or_404(DunningRun.objects.select_related("started_by"), pk=pk, dry_run=False)
    state = request.GET.get("state", "")
    reminders = run.reminders.select_related("account", "account__debtor", "stage", "policy").order_by("pk")
    if state in ReminderState.values:
        reminders = reminders.filter(state=state)
    page = Paginator(reminders, 50).get_page(request.GET.get("page"))
    progress = run_progress(run)
    context = {
        "run": run,
        "progress": progress,
        "state_counts": [(value, label, progress["by_state"].get(value, 0)) for value, label in ReminderState.choices],
        "page": page,
        "state": state,
        "states": ReminderState.choices,
        "query": f"state={state}" if state else "",
    }
    template = "collections_app/dunning/_run_progress.html" if request.htmx else "collections_app/dunning/run.html"
    return render(request, template, context)


@admin_only
def letters_download(request, day: str):
    try:
        on = datetime.date.fromisoformat(day)
    except ValueError:
        raise Http404("No such date.")
    pdf, count = letters_batch(day=on)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letters-{on.isoformat()}.pdf"'
    response["X-Letter-Count"] = str(count)
    return response
