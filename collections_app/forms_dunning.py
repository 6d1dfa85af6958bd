"""Forms of the dunning admin pages: policies, stages and templates, validated as admins would say it."""

from django import forms
from django.utils.html import format_html_join

from .dunning.rendering import PLACEHOLDERS, template_problems
from .models import DunningChannel, DunningPolicy, DunningStage, DunningTemplate
from .services.dunning import stage_order_problems


class PolicyForm(forms.ModelForm):
    class Meta:
        model = DunningPolicy
        fields = [
            "name",
            "active",
            "priority",
            "creditor",
            "segment",
            "currency",
            "min_balance",
            "max_balance",
            "stop_on_payment",
            "pause_on_promise",
            "pause_on_arrangement",
            "pause_on_dispute",
            "pause_on_hold",
        ]
        labels = {
            "creditor": "Creditor",
            "min_balance": "Balance at least",
            "max_balance": "Balance below",
            "stop_on_payment": "Stop on payment",
            "pause_on_promise": "Pause on promise",
            "pause_on_arrangement": "Pause on arrangement",
            "pause_on_dispute": "Pause on dispute",
            "pause_on_hold": "Pause on hold",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["creditor"].empty_label = "Every creditor"

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean(self):
        data = super().clean()
        low, high = data.get("min_balance"), data.get("max_balance")
        if low is not None and high is not None and high <= low:
            self.add_error("max_balance", "The upper end of the band must be above the lower end.")
        return data


class StageForm(forms.ModelForm):
    class Meta:
        model = DunningStage
        fields = ["position", "name", "trigger_kind", "trigger_days", "channel", "template", "min_balance", "active"]
        labels = {"trigger_kind": "Timed from", "trigger_days": "Days", "min_balance": "Minimum balance"}
        help_texts = {
            "position": "Order within the policy (1 is the first stage).",
            "trigger_days": "From the due date: -3 is three days before it, 30 is thirty days after. From the "
            "previous stage: days after its reminder went out or was held back.",
            "template": "Choose a template of the stage's channel; its other languages and time-barred variant "
            "are used where they fit the debtor.",
        }

    def __init__(self, *args, policy: DunningPolicy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.instance.policy = policy
        self.fields["template"].queryset = DunningTemplate.objects.filter(time_barred=False).order_by(
            "name", "language"
        )
        self.fields["template"].required = False
        if not self.instance.pk and not self.initial.get("position"):
            self.initial["position"] = (max((s.position for s in policy.stages.all()), default=0)) + 1

    def clean(self):
        data = super().clean()
        channel, template = data.get("channel"), data.get("template")
        if channel and channel != DunningChannel.TASK and template is None:
            self.add_error("template", "Choose the message this stage sends.")
        if template is not None and channel and template.channel != channel:
            self.add_error(
                "template",
                f"That template is for {template.get_channel_display().lower()}s; the stage sends "
                f"{dict(DunningChannel.choices)[channel].lower()}s.",
            )
        position = data.get("position")
        if position is not None:
            clash = self.policy.stages.filter(position=position).exclude(pk=self.instance.pk).first()
            if clash is not None:
                self.add_error("position", f"Stage {position} is already “{clash.name}”: choose another number.")
            elif data.get("trigger_kind") and data.get("trigger_days") is not None:
                draft = DunningStage(
                    pk=self.instance.pk,
                    position=position,
                    trigger_kind=data["trigger_kind"],
                    trigger_days=data["trigger_days"],
                )
                others = [s for s in self.policy.stages.all() if s.pk != self.instance.pk]
                for problem in stage_order_problems([*others, draft]):
                    self.add_error(None, problem)
        return data


class TemplateForm(forms.ModelForm):
    class Meta:
        model = DunningTemplate
        fields = ["name", "channel", "language", "time_barred", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12, "spellcheck": "true"})}
        labels = {"time_barred": "Time-barred variant"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = format_html_join(
            "", "<code>{{{{ {} }}}}</code> {}<br>", sorted(PLACEHOLDERS.items())
        )

    def clean_language(self):
        return (self.cleaned_data.get("language") or "en").strip().lower()

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        for name in ("subject", "body"):
            for problem in template_problems(data.get(name) or "", channel=channel or "", field=name):
                self.add_error(name, problem)
        if channel == DunningChannel.EMAIL and not (data.get("subject") or "").strip():
            self.add_error("subject", "An email needs a subject.")
        if channel == DunningChannel.TASK:
            self.add_error("channel", "Collector tasks need no template.")
        return data


class PreviewForm(forms.Form):
    account = forms.CharField(
        label="Account reference", max_length=100, help_text="An account's external id, e.g. A00000123."
    )
