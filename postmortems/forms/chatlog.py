"""Pasting a chat log into the timeline: the log, then the kind chosen for each new line."""

from __future__ import annotations

import hashlib
import html

from django import forms
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from postmortems.chatlog import KIND_PHRASES, ChatMessage, KindVocabulary
from postmortems.models import TimelineEvent


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


class TimelineImportForm(forms.Form):
    """The kind chosen for each new line of a previewed chat log, proposed from its words."""

    previewed = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, messages: list[ChatMessage], repeats: dict[int, str]):
        lines = [(m.line, m.occurred_at.isoformat(), m.description) for m in messages]
        fingerprint = hashlib.sha256(repr(lines).encode()).hexdigest()[:32]
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
