import hashlib

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from actions.forms import ActionItemForm
from config.fields import ModelMultipleChoiceField, PeopleField, is_id, person_name
from config.forms import DistinctIdsMixin
from config.versioning import VersionedFormMixin
from postmortems import access
from postmortems.forms import LocalDateTimeField
from postmortems.models import Postmortem
from reviews.models import AgendaItem, Meeting, Reviewer

UNKNOWN_VERSION = (
    "Reload the page and review again: the form did not say which version of the text you read."
)


class ReviewersForm(forms.Form):
    reviewers = PeopleField(required=False)

    def __init__(self, *args, postmortem: Postmortem, **kwargs):
        super().__init__(*args, **kwargs)
        self.postmortem = postmortem
        recent = Reviewer.objects.exclude(user=postmortem.owner_id).order_by("-pk")
        self.fields["reviewers"].likely = recent.values("user")[:10]

    def clean_reviewers(self):
        chosen = self.cleaned_data["reviewers"]
        owner = self.postmortem.owner
        if owner in chosen:
            name = person_name(owner)
            raise forms.ValidationError(
                f"{name} owns this postmortem and can't review it: approvals come from "
                "someone else. Pick other reviewers."
            )
        return chosen


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[
            (Reviewer.Verdict.APPROVED, "Approve"),
            (Reviewer.Verdict.CHANGES, "Request changes"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The version of the text the reviewer read: the verdict is given to that version.
    version = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages=dict.fromkeys(["required", "invalid", "min_value"], UNKNOWN_VERSION),
    )

    def clean(self):
        cleaned = super().clean()
        asks_changes = cleaned.get("verdict") == Reviewer.Verdict.CHANGES
        if asks_changes and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say which changes you are asking for.")
        return cleaned


class ReturnToDraftForm(forms.Form):
    reason = forms.CharField(max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=20_000,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "Markdown. Mention someone with @username to email them.",
            }
        ),
    )


class MeetingForm(forms.ModelForm):
    starts_at = LocalDateTimeField(label="Starts")
    attendees = PeopleField(required=False)
    agenda = ModelMultipleChoiceField(
        queryset=Postmortem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(
            attrs={"data-picker": "", "data-picker-url": reverse_lazy("postmortems:pick")}
        ),
        help_text="Filled in: postmortems in review, and published ones with overdue action "
        "items. Type to find any other postmortem.",
    )

    send_invitation = forms.BooleanField(
        label="Email the invitation (.ics) to the attendees now",
        required=False,
        initial=True,
        help_text="Untick to plan quietly; the meeting's page can send it later.",
    )

    class Meta:
        model = Meeting
        fields = ["title", "starts_at", "duration_minutes", "location"]

    def __init__(self, *args, suggested, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].tz = timezone.get_current_timezone()
        self.fields["attendees"].likely = suggested.values("owner")[:20]
        suggested_ids = list(suggested.values_list("pk", flat=True))
        agenda = self.fields["agenda"]
        agenda.queryset = access.readable_postmortems(user)
        agenda.initial = suggested_ids
        if self.instance.pk:
            agenda.initial = list(self.instance.agenda.values_list("postmortem_id", flat=True))
            facilitator = self.instance.facilitator_id
            self.fields["attendees"].initial = [
                a.user_id for a in self.instance.attendance.all() if a.user_id != facilitator
            ]
        self.suggested_ids = set(suggested_ids)
        # Offer only what is picked (suggested, or posted back); the picker searches the rest.
        picked = (i for i in self.data.getlist("agenda") if is_id(i))
        shown = [*suggested_ids, *agenda.initial, *picked]
        agenda.widget.choices = [
            (pm.pk, str(pm)) for pm in agenda.queryset.filter(pk__in=shown).order_by("-created_at")
        ]

    def clean_agenda(self):
        """Suggested postmortems first, newest first within each group."""
        chosen = self.cleaned_data["agenda"]
        return sorted(
            chosen, key=lambda p: (p.pk not in self.suggested_ids, -p.created_at.timestamp())
        )

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        return timezone.make_aware(value) if value else value

    def plan(self) -> dict:
        """The meeting's own fields, its attendees and its agenda, as the services take them."""
        cleaned = self.cleaned_data
        data = {name: cleaned[name] for name in MeetingForm.Meta.fields}
        return {"data": data, "attendees": cleaned["attendees"], "agenda": cleaned["agenda"]}


class AutosavedNotesForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    """Notes saved as they are typed: a stale window stops saving until the person decides."""

    def conflict_message(self, saved) -> str:
        return (
            "Not saved: these notes were saved from another window meanwhile. Theirs are "
            "below; yours stay in the boxes and are not saved while this shows. Copy what you "
            "need of theirs into yours, then press “Keep mine”."
        )


class MeetingEditForm(VersionedFormMixin, MeetingForm):
    """A planned meeting's details; saving sends an update to calendars that have it."""

    send_invitation = None

    def versioned_fields(self) -> list[str]:
        return [*MeetingForm.Meta.fields, "attendees"]

    def version_of(self, row) -> str:
        # The agenda is part of what a stale form would overwrite, in its order.
        agenda = list(row.agenda.values_list("postmortem_id", flat=True))
        return hashlib.sha256(f"{super().version_of(row)}{agenda}".encode()).hexdigest()[:16]


class AgendaItemForm(AutosavedNotesForm):
    class Meta:
        model = AgendaItem
        fields = ["notes", "decision"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "decision": forms.Textarea(attrs={"rows": 2}),
        }


class MeetingNotesForm(AutosavedNotesForm):
    class Meta:
        model = Meeting
        fields = ["notes", "decisions"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }


class MeetingActionItemForm(ActionItemForm):
    """An action item added during a meeting: the essentials only, the attendees offered as
    its owner besides the postmortem's people."""

    class Meta(ActionItemForm.Meta):
        fields = ["title", "owner", "priority", "due_date", "kind", "tracker_url"]

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.likely = owner.likely | meeting.attendees.all()
