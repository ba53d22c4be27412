from __future__ import annotations

import hashlib
import html
import zoneinfo
from datetime import UTC, datetime, tzinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from config.fields import ModelChoiceField, PeopleField, PersonField, TimeZoneField
from config.forms import DistinctIdsMixin
from config.versioning import VersionedFormMixin
from postmortems.chatlog import KIND_PHRASES, ChatMessage, KindVocabulary
from postmortems.models import (
    OUTSIDE_SECTIONS,
    ContributingFactor,
    Interview,
    Postmortem,
    PostmortemKind,
    PostmortemTemplate,
    ProposedEvent,
    Severity,
    TimelineEvent,
)
from services.forms import AffectedServicesMixin, NewServicesField, ServicesField
from teams.forms import GroupsField
from teams.models import Team

MAX_TEXT = 100_000


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
        for field in self._local_fields():
            field.tz = self.incident_tz

    def _local_fields(self) -> list[LocalDateTimeField]:
        return [f for f in self.fields.values() if isinstance(f, LocalDateTimeField)]

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


def _check_after_start(form: forms.Form, cleaned: dict) -> None:
    started = cleaned.get("started_at")
    if not isinstance(started, datetime) or timezone.is_naive(started):
        return
    for name in ("detected_at", "mitigated_at", "resolved_at"):
        moment = cleaned.get(name)
        if isinstance(moment, datetime) and timezone.is_aware(moment) and moment < started:
            label = form.fields[name].label
            form.add_error(name, f"{label} cannot be before the impact started.")


class KindField(forms.ChoiceField):
    """Incident or near miss. Left out of the data (an older client), it stays as it is."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs):
        super().__init__(choices=PostmortemKind.choices, required=False, label="Kind", **kwargs)

    def has_changed(self, initial, data) -> bool:
        return bool(data) and super().has_changed(initial, data)


class PostmortemCreateForm(IncidentTimesMixin, AffectedServicesMixin, forms.ModelForm):
    kind = KindField()
    time_zone = TimeZoneField(label="Incident time zone", initial=settings.TIME_ZONE)
    started_at = LocalDateTimeField(label="Impact started", required=False)
    services = ServicesField()
    new_services = NewServicesField()
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
        _kind_and_severity(self)


class DetailsForm(
    DistinctIdsMixin, VersionedFormMixin, IncidentTimesMixin, AffectedServicesMixin, forms.ModelForm
):
    time_zone = TimeZoneField(label="Incident time zone")
    kind = KindField()
    services = ServicesField()
    new_services = NewServicesField()
    started_at = LocalDateTimeField(label="Impact started", required=False)
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
        _kind_and_severity(self)

    def clean(self):
        cleaned = super().clean()
        _check_after_start(self, cleaned)
        return cleaned


def _kind_and_severity(form: forms.ModelForm) -> None:
    """Only an incident has a SEV: the severity's choices say so."""
    form.fields["severity"].choices = [("", "None (a near miss)"), *Severity.choices]
    form.fields["severity"].help_text += " Left as it is for a near miss: it is cleared."


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


class ChatLogForm(forms.Form):
    text = forms.CharField(
        label="Chat log",
        max_length=200_000,
        widget=forms.Textarea(
            attrs={
                "rows": 10,
                "placeholder": "10:42 anna: checkout 5xx alert fired\n"
                "[10:45 AM] Ben Ortiz: rolling back the deploy",
            }
        ),
        help_text="One message a line: “HH:MM name: text” or Slack-style “[10:42 AM] Name: text”. "
        "Times are in the incident time zone; indented lines continue the message above.",
    )
    day = forms.DateField(
        label="Date of the first message",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def chat_vocabulary() -> KindVocabulary:
    """The built-in words that propose a kind, and the team's own from CHAT_IMPORT_PHRASES."""
    # A kind the model doesn't know fails the start-up check (postmortems.E001); skip it here.
    kinds = TimelineEvent.Kind.values
    team = {k: words for k, words in settings.CHAT_IMPORT_PHRASES.items() if k in kinds}
    return KindVocabulary(KIND_PHRASES, team)


class PlainSelect(forms.Select):
    """A select drawn without the template engine: a long chat log's preview has 2,000 of them,
    which took 8 s to draw from Django's widget templates (under DEBUG) and take 0.3 s here."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        if attrs.get("aria-invalid"):
            attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
        tag = "".join(
            f' {key}="{html.escape(str(v))}"' if v is not True else f" {key}"
            for key, v in attrs.items()
            if v is not None and v is not False
        )
        options = "".join(
            f'<option value="{html.escape(str(key))}"{" selected" if str(key) == value else ""}>'
            f"{html.escape(str(label))}</option>"
            for key, label in self.choices
        )
        return mark_safe(f"<select{tag}>{options}</select>")


def _fingerprint(messages: list[ChatMessage]) -> str:
    lines = [(m.line, m.occurred_at.isoformat(), m.description) for m in messages]
    return hashlib.sha256(repr(lines).encode()).hexdigest()[:32]


class TimelineImportForm(forms.Form):
    """The kind chosen for each new line of a previewed chat log, proposed from its words."""

    previewed = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, messages: list[ChatMessage], repeats: dict[int, str]):
        fingerprint = _fingerprint(messages)
        # Kinds are chosen by line number: chosen for another text, they would land on other
        # lines, so they are proposed afresh instead, and an import says why it did nothing.
        posted = data.get("previewed") if data is not None else None
        self.changed = posted not in (None, fingerprint) and "confirm" in data
        super().__init__(
            data if posted == fingerprint else None, initial={"previewed": fingerprint}
        )
        self.messages, self.repeats = messages, repeats
        vocabulary = chat_vocabulary()
        # One field serves every line (it holds no state of its own): a long log has 2,000.
        kind = forms.ChoiceField(
            choices=TimelineEvent.Kind.choices,
            widget=PlainSelect(attrs={"class": "form-select form-select-sm"}),
        )
        for message in messages:
            if message.line not in repeats:
                self.fields[f"kind_{message.line}"] = kind
                self.initial[f"kind_{message.line}"] = vocabulary.propose(message.text)

    @property
    def new_count(self) -> int:
        return len(self.messages) - len(self.repeats)

    def rows(self) -> list[tuple[ChatMessage, forms.BoundField | None, str]]:
        """(message, its kind field, why it is skipped) for each message, in order."""
        rows = []
        for message in self.messages:
            repeat = self.repeats.get(message.line, "")
            rows.append((message, None if repeat else self[f"kind_{message.line}"], repeat))
        return rows

    def chosen(self) -> dict[int, str]:
        """The chosen kind by line number."""
        return {
            int(name.removeprefix("kind_")): kind
            for name, kind in self.cleaned_data.items()
            if name.startswith("kind_")
        }


class DraftForm(forms.Form):
    field = forms.ChoiceField(
        choices=[
            (name, name)
            for name in [
                "summary",
                "impact",
                "could_have_happened",
                "went_well",
                "went_poorly",
                "got_lucky",
            ]
        ]
    )
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


# Several perspectives: interview notes and the events they propose.


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


class OutsideSectionsForm(forms.Form):
    removed_sections = forms.MultipleChoiceField(
        label="Leave out these sections",
        choices=OUTSIDE_SECTIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
