"""Forms of the manager's desk: reassignment by filter, a collector's limits, the queue strategy."""

from django import forms

from accounts.services import MAX_DAILY_CALLS

from .models.queue import WEIGHT_FIELDS


class CollectorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        team = f" · {obj.team.name}" if obj.team_id else ""
        return f"{obj.display_name}{team}"


class CollectorField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class ReassignForm(forms.Form):
    """Who the accounts come from and who they go to; the account filters come from AccountFilter."""

    holder = forms.ChoiceField(label="Now held by", required=False)
    to = CollectorChoiceField(
        label="Give them to",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Several collectors: the accounts are dealt out in turn, so each gets an even share.",
        error_messages={"required": "Choose at least one collector to give the accounts to."},
    )
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, holders, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [
            ("", "Anyone in the team, or nobody"),
            ("none", "Nobody (unassigned)"),
            *[(str(c.pk), c.display_name) for c in holders],
        ]
        self.fields["to"].queryset = targets


class LimitsForm(forms.Form):
    daily_call_limit = forms.IntegerField(label="Daily call limit", min_value=0, max_value=MAX_DAILY_CALLS)
    daily_target = forms.IntegerField(label="Daily target (accounts worked)", min_value=0, max_value=MAX_DAILY_CALLS)

    def clean(self):
        data = super().clean()
        limit, target = data.get("daily_call_limit"), data.get("daily_target")
        if limit is not None and target is not None and target > limit:
            self.add_error("daily_target", "The target cannot be above the call limit.")
        return data


class StrategyForm(forms.Form):
    """One 0-10 weight per factor of the queue's order, with the model's labels and help."""

    def __init__(self, *args, collectors=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, help_text in WEIGHT_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=label,
                help_text=help_text,
                min_value=0,
                max_value=10,
                widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1, "class": "weight-input"}),
            )
        if collectors is not None:
            self.fields["collector"] = CollectorField(
                label="Preview the queue of",
                queryset=collectors,
                required=False,
                empty_label=None,
            )

    def weights(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name, _, _ in WEIGHT_FIELDS}

    def weight_fields(self):
        return [self[name] for name, _, _ in WEIGHT_FIELDS]
