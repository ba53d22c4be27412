"""Several perspectives: interview notes and the events they propose."""

from __future__ import annotations

from django import forms

from config.fields import PersonField
from config.forms import DistinctIdsMixin
from config.versioning import VersionedFormMixin
from postmortems.forms import MAX_TEXT
from postmortems.forms.times import IncidentTimesMixin, LocalDateTimeField
from postmortems.models import Interview, ProposedEvent


class InterviewForm(DistinctIdsMixin, VersionedFormMixin, IncidentTimesMixin, forms.ModelForm):
    interviewed_at = LocalDateTimeField(label="Interviewed on")

    class Meta:
        model = Interview
        fields = ["participant", "participant_name", "interviewed_at", "knew", "saw", "made_sense"]
        field_classes = {"participant": PersonField}
        widgets = {
            name: forms.Textarea(attrs={"rows": 3, "data-lint": "true"})
            for name in ("knew", "saw", "made_sense")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = self.fields["participant"].queryset.filter(is_active=True)
        self.fields["participant"].queryset = people.order_by("first_name", "username")
        for name in ("knew", "saw", "made_sense"):
            self.fields[name].max_length = MAX_TEXT

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("participant") and not cleaned.get("participant_name", "").strip():
            self.add_error("participant", "Say who was interviewed: pick them or write a name.")
        return cleaned


class ProposedEventForm(DistinctIdsMixin, IncidentTimesMixin, forms.ModelForm):
    occurred_at = LocalDateTimeField(label="When")
    description = forms.CharField(
        label="What happened, as they saw it",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2, "data-lint": "true"}),
    )

    class Meta:
        model = ProposedEvent
        fields = ["occurred_at", "description"]
