from __future__ import annotations

from django import forms

from config.fields import ModelChoiceField, ModelMultipleChoiceField
from config.versioning import VersionedFormMixin
from services.models import Service
from teams.models import Team


class ServiceForm(VersionedFormMixin, forms.ModelForm):
    team = ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        label="Owning team",
        empty_label="No team",
        widget=forms.Select(attrs={"data-picker": ""}),
        help_text="Staff add teams on the Teams page.",
    )

    class Meta:
        model = Service
        fields = ["name", "team", "description", "slo_target", "window_days"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "slo_target": forms.NumberInput(attrs={"step": "0.001", "min": "0", "max": "100"}),
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Service.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"There is already a service called “{clash[0].name}”.")
        return name


class ServicesField(ModelMultipleChoiceField):
    """The services a postmortem affected, as a list of checkboxes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Affected services")
        super().__init__(
            queryset=Service.objects.all(),
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "service-choice"}),
            **kwargs,
        )


class NewServicesField(forms.CharField):
    """Names of services not created yet, separated by commas; cleaned to a list of names."""

    def __init__(self, **kwargs):
        super().__init__(
            label="Other affected services",
            required=False,
            max_length=1000,
            help_text="Names not in the list, separated by commas. Each becomes a service with "
            "a 99.9% SLO over 30 days; change that on its page.",
            **kwargs,
        )

    def clean(self, value) -> list[str]:
        text = super().clean(value)
        names: dict[str, str] = {}
        for name in (part.strip() for part in text.split(",")):
            if len(name) > 100:
                raise forms.ValidationError("A service name has at most 100 characters.")
            if name:
                names.setdefault(name.lower(), name)
        return list(names.values())


class AffectedServicesMixin:
    """Links the services named in `new_services`, creating those that don't exist yet."""

    def _save_m2m(self) -> None:
        super()._save_m2m()
        names = self.cleaned_data.get("new_services")
        if names:
            self.instance.services.add(*Service.objects.named(names))
