"""The postmortem document's forms: a new one, its sections, its rows, drafts and lint.

Beside them: the incident-time fields (times.py), a pasted chat log (chatlog.py) and the
interviews (interviews.py).
"""

from __future__ import annotations

from django import forms
from django.conf import settings

from config.fields import ModelChoiceField, PeopleField, TimeZoneField
from config.forms import DistinctIdsMixin
from config.versioning import VersionedFormMixin
from postmortems.forms.times import IncidentTimesMixin, LocalDateTimeField, check_after_start
from postmortems.models import (
    NARRATIVE_SECTIONS,
    OUTSIDE_SECTIONS,
    ContributingFactor,
    Postmortem,
    PostmortemKind,
    PostmortemTemplate,
    Severity,
    TimelineEvent,
)
from services.forms import AffectedServicesMixin, NewServicesField, ServicesField
from teams.forms import GroupsField
from teams.models import Team

MAX_TEXT = 100_000


class KindField(forms.ChoiceField):
    """Incident or near miss. Left out of the data (an older client), it stays as it is."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs):
        super().__init__(choices=PostmortemKind.choices, required=False, label="Kind", **kwargs)

    def has_changed(self, initial, data) -> bool:
        return bool(data) and super().has_changed(initial, data)


class IncidentForm(IncidentTimesMixin, AffectedServicesMixin, forms.ModelForm):
    """What a new postmortem and its details both ask: its kind and SEV, services and start."""

    kind = KindField()
    started_at = LocalDateTimeField(label="Impact started", required=False)
    services = ServicesField()
    new_services = NewServicesField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only an incident has a SEV: the severity's choices say so.
        self.fields["severity"].choices = [("", "None (a near miss)"), *Severity.choices]
        self.fields["severity"].help_text += " Left as it is for a near miss: it is cleared."


class PostmortemCreateForm(IncidentForm):
    time_zone = TimeZoneField(label="Incident time zone", initial=settings.TIME_ZONE)
    template = ModelChoiceField(
        queryset=PostmortemTemplate.objects.all(),
        required=False,
        empty_label="No template",
        help_text="Its sections carry short guidance on what to write.",
    )

    class Meta:
        model = Postmortem
        fields = [
            "title",
            "kind",
            "severity",
            "template",
            "time_zone",
            "started_at",
            "services",
            "new_services",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].initial = PostmortemTemplate.objects.filter(is_default=True).first()


class DetailsForm(DistinctIdsMixin, VersionedFormMixin, IncidentForm):
    time_zone = TimeZoneField(label="Incident time zone")
    detected_at = LocalDateTimeField(label="Detected", required=False)
    mitigated_at = LocalDateTimeField(label="Mitigated", required=False)
    resolved_at = LocalDateTimeField(label="Resolved", required=False)
    team = ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        label="Owning team",
        empty_label="The team of its first service",
        widget=forms.Select(attrs={"data-picker": ""}),
        help_text="Left empty, the team of its first affected service that has one.",
    )

    class Meta:
        model = Postmortem
        fields = [
            "title",
            "kind",
            "severity",
            "time_zone",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "services",
            "new_services",
            "team",
            "coauthors",
        ]
        field_classes = {"coauthors": PeopleField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].keep(self.instance.time_zone)

    def clean(self):
        cleaned = super().clean()
        check_after_start(self, cleaned)
        return cleaned


def _narrative(label: str | None = None, rows: int = 6) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": rows, "data-lint": "true", "data-autosave": "true"}),
    )


class SummaryForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    summary = _narrative("Summary")

    class Meta:
        model = Postmortem
        fields = ["summary"]


class ImpactForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    impact = _narrative("Impact")
    could_have_happened = _narrative("What could have happened")

    class Meta:
        model = Postmortem
        fields = [
            "impact",
            "customers_affected",
            "failed_requests",
            "support_tickets",
            "could_have_happened",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A near miss reached no customer: it says what could have happened instead.
        if self.instance.is_near_miss:
            for name in ["impact", "customers_affected", "failed_requests", "support_tickets"]:
                del self.fields[name]
        else:
            del self.fields["could_have_happened"]
        if "version" in self.fields:  # the version is of the fields the form edits
            self.fields["version"].initial = self.saved_version()


class LessonsForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    went_well = _narrative("What went well", rows=4)
    went_poorly = _narrative("What went poorly", rows=4)
    got_lucky = _narrative("Where we got lucky", rows=4)

    class Meta:
        model = Postmortem
        fields = ["went_well", "went_poorly", "got_lucky"]


class AccessForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Postmortem
        fields = ["restricted", "allowed_users", "allowed_groups"]
        field_classes = {"allowed_users": PeopleField, "allowed_groups": GroupsField}
        labels = {"allowed_groups": "Teams and groups who may read it"}
        help_texts = {
            "allowed_groups": "Their members read it. Staff make teams on the Teams page; an "
            "admin makes other groups under Admin → Groups.",
        }
        widgets = {
            "allowed_groups": forms.SelectMultiple(attrs={"size": 3}),
        }


# The sections of the document that are edited in place: name -> (heading, form).
SECTIONS: dict[str, tuple[str, type[forms.ModelForm]]] = {
    "details": ("Details and key times", DetailsForm),
    "summary": ("Summary", SummaryForm),
    "impact": ("Impact", ImpactForm),
    "lessons": ("Lessons", LessonsForm),
    "access": ("Who can read it", AccessForm),
}


class TimelineEventForm(DistinctIdsMixin, VersionedFormMixin, IncidentTimesMixin, forms.ModelForm):
    occurred_at = LocalDateTimeField(label="When")
    description = forms.CharField(
        max_length=10_000, widget=forms.Textarea(attrs={"rows": 2, "data-lint": "true"})
    )

    class Meta:
        model = TimelineEvent
        fields = ["occurred_at", "kind", "description", "source_url", "starred"]


class ContributingFactorForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    description = forms.CharField(
        max_length=10_000, widget=forms.Textarea(attrs={"rows": 2, "data-lint": "true"})
    )

    class Meta:
        model = ContributingFactor
        fields = ["category", "description"]


class DraftForm(forms.Form):
    field = forms.ChoiceField(choices=[(name, name) for name in NARRATIVE_SECTIONS])
    text = forms.CharField(max_length=MAX_TEXT, required=False, strip=False)
    base_version = forms.CharField(max_length=32, required=False)


class AcknowledgeForm(forms.Form):
    location = forms.CharField(max_length=40)
    rule = forms.CharField(max_length=80)
    text = forms.CharField(max_length=200, strip=False)
    reason = forms.CharField(
        max_length=1000,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. a quotation from the customer's ticket"}
        ),
    )


class OutsideSectionsForm(forms.Form):
    removed_sections = forms.MultipleChoiceField(
        label="Leave out these sections",
        choices=OUTSIDE_SECTIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
