from __future__ import annotations

from django import forms

from config import delivery
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
        fields = ["url", "description", "events", "active"]
        widgets = {
            "url": forms.URLInput(attrs={"placeholder": "https://hooks.example.com/debrief"})
        }
        help_texts = {
            "url": "Debrief POSTs each event here as JSON, signed with this subscription's secret.",
            "active": "Untick to stop sending without losing the subscription and its log.",
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        # Plain http only for a local test server, with the switch that lets one be reached.
        if not url.startswith("https://") and not delivery.allow_private():
            raise forms.ValidationError("Use an https:// address: payloads are signed, not secret.")
        return url

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [name for name in EVENTS if name in chosen]
