from __future__ import annotations

from django import forms

from config import chat, delivery
from config.events import EVENTS
from config.versioning import VersionedFormMixin
from webhooks.models import Subscription


class SubscriptionForm(VersionedFormMixin, forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {meaning}") for name, meaning in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one event."},
    )

    class Meta:
        model = Subscription
        fields = ["url", "description", "format", "events", "active"]
        widgets = {
            "url": forms.URLInput(attrs={"placeholder": "https://hooks.example.com/debrief"})
        }
        help_texts = {
            "url": (
                "Debrief POSTs each event here: as JSON signed with this subscription's "
                "secret, or as a chat message (see Format)."
            ),
            "active": "Untick to stop sending without losing the subscription and its log.",
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        # Plain http only for a local test server, with the switch that lets one be reached.
        if not url.startswith("https://") and not delivery.allow_private():
            raise forms.ValidationError("Use an https:// address: payloads are signed, not secret.")
        return url

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out (an API client, an older form): the signed JSON subscriptions always had.
        self.fields["format"].required = False

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or Subscription.Format.JSON

    def clean(self):
        cleaned = super().clean()
        url, chosen = cleaned.get("url"), cleaned.get("format")
        # Slack and Teams reject Debrief's own JSON; say so now rather than in a failed log.
        layout = chat.detect(url) if url else chat.Layout.MATTERMOST
        if chosen == Subscription.Format.JSON and layout != chat.Layout.MATTERMOST:
            tool = chat.Layout(layout).label.split(" (")[0]
            self.add_error("format", f"This is a {tool} address: pick the {tool} message format.")
        return cleaned

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [name for name in EVENTS if name in chosen]
