from __future__ import annotations

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import (
    OPEN_STATUSES,
    STATUSES_NEEDING_REASON,
    ActionItem,
    EvidenceKind,
    Priority,
    ReminderPreference,
    Status,
    default_due_date,
)
from actions.services import BULK_ACTIONS
from config import delivery
from config.fields import PersonField, TimeZoneField
from config.forms import DistinctIdsMixin
from config.versioning import VersionedFormMixin
from postmortems.models import Postmortem

REASON_REQUIRED = "Say why the item is blocked or won't be done."


def style_widgets(fields) -> None:
    """Bootstrap classes for forms laid out by hand (filters, bulk form), not by crispy."""
    for field in fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs["class"] = css


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


ROW_FIELDS = ["owner", "priority", "due_date", "kind"]


class ActionItemForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    title = forms.CharField(
        max_length=200,
        widget=forms.TextInput(
            attrs={"data-lint": "true", "data-lint-kind": "action", "autocomplete": "off"}
        ),
        help_text="A change someone can finish, e.g. “Alert when checkout 5xx exceeds 2% for 5 minutes”.",
    )
    description = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "data-lint": "true"}),
        help_text="Markdown. Context, links, what done looks like.",
    )
    owner = PersonField(required=False, help_text="Required while the item is open.")
    due_date = forms.DateField(
        required=False,
        widget=DateInput(),
        help_text="Left blank, it is set from the priority. A past date is kept and shown as overdue.",
    )

    class Meta:
        model = ActionItem
        fields = ["title", "owner", "priority", "due_date", "kind", "description", "tracker_url"]
        widgets = {"tracker_url": forms.URLInput(attrs={"placeholder": "https://…"})}
        help_texts = {"tracker_url": "Jira, GitHub, Linear… where the work is tracked."}

    def __init__(self, *args, postmortem: Postmortem | None = None, **kwargs):
        """`postmortem`: the one a new item is for, whose people are offered as its owner."""
        super().__init__(*args, **kwargs)
        postmortem_id = postmortem.pk if postmortem else self.instance.postmortem_id
        if postmortem_id and "owner" in self.fields:
            self.fields["owner"].likely = Postmortem.people_of(postmortem_id)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.render_hidden_fields = True  # the version, which is not in the layout
        # Subclasses may drop fields (a meeting's form keeps the essentials): lay out what is left.
        widths = {"owner": "col-md-4", "priority": "col-md-3", "due_date": "col-md-3"}
        row = [
            Column(n, css_class=widths.get(n, "col-md-2")) for n in ROW_FIELDS if n in self.fields
        ]
        rest = [n for n in ("description", "tracker_url") if n in self.fields]
        self.helper.layout = Layout("title", Row(*row), *rest)
        if "due_date" not in self.fields:
            return
        if self.instance.pk:
            self.fields["due_date"].required = True
            self.fields["due_date"].help_text = "A past date is kept and shown as overdue."
        else:
            today = timezone.localdate()
            defaults = {
                p: default_due_date(p, today).isoformat() for p in settings.ACTION_ITEM_DUE_DAYS
            }
            if "priority" in self.fields:
                # actions.js moves an untouched due date when the priority changes.
                self.fields["priority"].widget.attrs["data-default-due"] = json.dumps(defaults)
            self.fields["due_date"].initial = defaults[self.initial.get("priority", "P2")]

    def clean_owner(self):
        owner = self.cleaned_data.get("owner")
        if owner is None and self.instance.status in OPEN_STATUSES:
            raise forms.ValidationError("An open action item needs an owner.")
        return owner

    def clean(self):
        cleaned = super().clean()
        if "due_date" in self.fields and not cleaned.get("due_date") and not self.instance.pk:
            cleaned["due_date"] = default_due_date(cleaned.get("priority") or Priority.P2)
        return cleaned

    def change_note(self) -> str:
        """What this edit changed, said for the item's history."""
        parts = []
        for name in ("title", "owner", "priority", "due_date", "kind"):
            if name not in self.changed_data:
                continue
            field = self.fields[name]
            before, after = self.initial.get(name), self.cleaned_data.get(name)
            if name == "owner":
                before = field.label_from_instance(field.queryset.get(pk=before)) if before else "—"
                after = field.label_from_instance(after) if after else "—"
            parts.append(f"{field.label or name.capitalize()}: {before or '—'} → {after or '—'}")
        if "description" in self.changed_data:
            parts.append("Description edited")
        if "tracker_url" in self.changed_data:
            parts.append("Tracker link edited")
        return "; ".join(parts)


class StatusForm(VersionedFormMixin, forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(
        required=False,
        max_length=5_000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "Why? (needed for blocked and won't do)"}
        ),
    )

    def __init__(self, *args, item: ActionItem, **kwargs):
        self.instance = self.item = item
        super().__init__(*args, **kwargs)

    def version_of(self, row) -> str:
        # The status it was shown with: lists render a row's buttons without a form.
        return row.status

    def conflict_message(self, saved) -> str:
        return (
            f"Someone changed this item's status to {saved.get_status_display()} meanwhile, "
            "so yours was not saved. Choose again if you still want to change it."
        )

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status in STATUSES_NEEDING_REASON and not cleaned.get("reason", "").strip():
            self.add_error("reason", REASON_REQUIRED)
        if status in OPEN_STATUSES and self.item.owner_id is None:
            self.add_error("status", "Give the item an owner before reopening it.")
        return cleaned

    def save(self, *, by) -> None:
        status, text = self.cleaned_data["status"], self.cleaned_data["reason"]
        if status in STATUSES_NEEDING_REASON:
            self.item.set_status(status, by=by, reason=text)
        else:
            self.item.set_status(status, by=by, note=text)


class BulkForm(forms.Form):
    items = forms.ModelMultipleChoiceField(
        queryset=ActionItem.objects.none(),
        error_messages={
            "required": "Tick the items to change first.",
            # The same for an item that is not there and one the person may not read.
            "invalid_choice": "Item #%(value)s was not found; nothing was changed.",
        },
    )
    action = forms.ChoiceField(choices=[("", "Choose…"), *BULK_ACTIONS.items()])
    owner = PersonField(required=False, label="New owner")
    due_date = forms.DateField(required=False, widget=DateInput(), label="New due date")
    reason = forms.CharField(
        required=False, max_length=5_000, label="Reason", widget=forms.TextInput()
    )
    # When the list was drawn: an item changed after that is skipped, not overwritten.
    loaded_at = forms.DateTimeField(
        widget=forms.HiddenInput,
        initial=lambda: timezone.now().isoformat(),
        error_messages={
            "required": "The list was sent without the time it was loaded, so nothing was "
            "changed. Reload the list and choose again."
        },
    )

    def __init__(self, *args, items=None, user=None, **kwargs):
        """`items`: those the person may read (postmortems.access), among which they tick;
        `user`: the person, offered as the new owner."""
        # Its own ids: the list's filters have an owner and a due date too.
        super().__init__(*args, auto_id="bulk-%s", **kwargs)
        self.fields["owner"].likely = [user] if user else ()
        if items is not None:
            self.fields["items"].queryset = items.select_related("postmortem", "owner")
        style_widgets(self.fields)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "reassign" and not cleaned.get("owner"):
            self.add_error("owner", "Choose the new owner.")
        if action == "move" and not cleaned.get("due_date"):
            self.add_error("due_date", "Choose the new due date.")
        if action == "wont_do" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why these items won't be done.")
        return cleaned


class NoActionsReasonForm(DistinctIdsMixin, VersionedFormMixin, forms.ModelForm):
    no_actions_reason = forms.CharField(
        label="Why no action items are needed",
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 2, "data-lint": "true"}),
    )

    class Meta:
        model = Postmortem
        fields = ["no_actions_reason"]


HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class ReminderPreferenceForm(forms.ModelForm):
    hour = forms.TypedChoiceField(
        label="Send at",
        choices=HOURS,
        coerce=int,
        help_text=ReminderPreference._meta.get_field("hour").help_text,
    )
    time_zone = TimeZoneField()

    class Meta:
        model = ReminderPreference
        fields = ["opted_out", "hour", "time_zone", "webhook_url", "chat_layout", "anniversaries"]
        widgets = {
            "webhook_url": forms.URLInput(
                attrs={"placeholder": "https://hooks.slack.com/services/…"}
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].keep(self.instance.time_zone)

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        # Plain http only for a local test server, with the same switch that lets one be reached.
        if url and not url.startswith("https://") and not delivery.allow_private():
            raise forms.ValidationError("Use an https:// address: the digest lists your items.")
        return url


class VerifyForm(forms.Form):
    """The evidence that a done item's fix worked."""

    evidence_kind = forms.ChoiceField(label="Evidence", choices=EvidenceKind.choices)
    evidence = forms.CharField(
        label="Link or note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A link to a test run or a dashboard, or what a game day showed.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self.fields)

    def save(self, item, *, by) -> bool:
        """Verify `item`; False with the model's refusal as the form's errors."""
        if not self.is_valid():
            return False
        try:
            item.verify(
                by=by,
                kind=self.cleaned_data["evidence_kind"],
                evidence=self.cleaned_data["evidence"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, error)
            return False
        return True
