from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from config.fields import ModelMultipleChoiceField
from config.versioning import VersionedFormMixin
from postmortems.models import Severity
from services.models import Service

MAX_RANGE_DAYS = 5 * 366
EARLIEST, LATEST = date(1970, 1, 1), date(2199, 12, 31)


class ServiceForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Service
        fields = ["name", "team", "description", "slo_target", "window_days"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "team": forms.TextInput(attrs={"list": "teams", "autocomplete": "off"}),
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


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months up to today: from the day after the same date a year ago."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + timedelta(days=1), today


class MetricsFilterForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=Service.objects.all(), required=False, empty_label="All services"
    )
    team = forms.ChoiceField(required=False)
    severity = forms.TypedChoiceField(
        choices=[("", "Any severity"), *Severity.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, *, today: date | None = None):
        today = today or timezone.localdate()
        start, end = default_period(today)
        data = data.copy() if data else {}
        # Empty dates fall back to the default period, so a bare /metrics/ is a valid filter.
        for name, value in (("start", start), ("end", end)):
            if not data.get(name):
                data[name] = value.isoformat()
        super().__init__(data)
        teams = Service.objects.exclude(team="").order_by("team").values_list("team", flat=True)
        self.fields["team"].choices = [("", "All teams")] + [
            (team, team) for team in teams.distinct()
        ]
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if is_select else "form-control"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        for name in ("start", "end"):
            day = cleaned.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, f"Choose a date from {EARLIEST.year} to {LATEST.year}.")
                cleaned.pop(name, None)
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "The end of the period is before its start.")
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("start", "Choose a period of at most five years.")
        return cleaned
