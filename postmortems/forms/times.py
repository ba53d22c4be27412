"""Times entered as the incident's clock showed them, in its time zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, tzinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in the incident's time zone, entered with the browser's picker.

    `to_python` returns a naive datetime; the form makes it aware once it knows the zone.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        self.tz: tzinfo = UTC
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.tz).replace(tzinfo=None)
        return value

    def to_python(self, value):
        with timezone.override(UTC):
            result = super().to_python(value)
        return result.replace(tzinfo=None) if result else None


def localize(naive: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """`naive` as a time in `tz`, refusing wall-clock times that don't exist or happen twice."""
    aware = naive.replace(tzinfo=tz)
    stamp = naive.strftime("%Y-%m-%d %H:%M")
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationError(
            f"{stamp} does not exist in {tz.key}: the clocks skipped that hour. "
            "Enter the time as it was shown after the change."
        )
    if aware.replace(fold=1).utcoffset() != aware.utcoffset():
        raise ValidationError(
            f"{stamp} happened twice in {tz.key} (the clocks went back). "
            "Set the incident time zone to UTC to enter this time exactly."
        )
    return aware


class IncidentTimesMixin:
    """Makes the LocalDateTimeFields aware in the incident time zone."""

    def __init__(self, *args, incident_tz: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        self.incident_tz = zoneinfo.ZoneInfo(
            incident_tz or getattr(instance, "time_zone", None) or settings.TIME_ZONE
        )
        for field in self.fields.values():
            if isinstance(field, LocalDateTimeField):
                field.tz = self.incident_tz

    def clean(self):
        cleaned = super().clean()
        zone_name = cleaned.get("time_zone") if "time_zone" in self.fields else None
        tz = zoneinfo.ZoneInfo(zone_name) if zone_name else self.incident_tz
        for name, field in self.fields.items():
            if isinstance(field, LocalDateTimeField) and cleaned.get(name):
                try:
                    cleaned[name] = localize(cleaned[name], tz)
                except ValidationError as error:
                    self.add_error(name, error)
        return cleaned


def check_after_start(form: forms.Form, cleaned: dict) -> None:
    started = cleaned.get("started_at")
    if not isinstance(started, datetime) or timezone.is_naive(started):
        return
    for name in ("detected_at", "mitigated_at", "resolved_at"):
        moment = cleaned.get(name)
        if isinstance(moment, datetime) and timezone.is_aware(moment) and moment < started:
            label = form.fields[name].label
            form.add_error(name, f"{label} cannot be before the impact started.")
