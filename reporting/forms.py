from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from postmortems.models import Severity
from services.models import Service
from teams.models import Team

MAX_RANGE_DAYS = 5 * 366
EARLIEST, LATEST = date(1970, 1, 1), date(2199, 12, 31)


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
    # By slug, as the team's page links here: ?team=payments.
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), to_field_name="slug", required=False, empty_label="All teams"
    )
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
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if is_select else "form-control"

    def clean(self):
        cleaned = super().clean()
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
