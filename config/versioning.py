"""Optimistic locking for edit forms: a stale form never overwrites someone else's change.

A form carries the version of the fields it edits (a hash of their saved values) as it
was when the form was opened. If those fields changed since, saving is refused, and the
form shows the saved text next to the person's own, which stays in the form.
"""

from __future__ import annotations

import hashlib
import json

from django import forms


def version_of(instance, names) -> str:
    values = {}
    for name in names:
        field = instance._meta.get_field(name)
        value = field.value_from_object(instance) if instance.pk else None
        if field.many_to_many:
            value = sorted(str(getattr(v, "pk", v)) for v in value or [])
        values[name] = value
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


class VersionedFormMixin:
    """For ModelForms: refuse to save over changes made since the form was opened."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.fields["version"].initial = self.saved_version()
        self.conflicts: list[tuple[str, object]] = []

    def _model_fields(self) -> list[str]:
        names = {f.name for f in self.instance._meta.get_fields()}
        return [name for name in self.fields if name in names]

    def saved_version(self) -> str:
        return version_of(self.instance, self._model_fields())

    def clean(self):
        cleaned = super().clean()
        submitted = self.data.get(self.add_prefix("version"))
        current = self.saved_version()
        if self.instance.pk and submitted and submitted != current:
            self.conflicts = [
                (self.fields[name].label or name, getattr(self.instance, name))
                for name in self._model_fields()
                if not self.fields[name].widget.is_hidden
                and not self.instance._meta.get_field(name).many_to_many
            ]
            # Saving again on purpose, after reading theirs, is a decision to overwrite.
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = current
            raise forms.ValidationError(
                "Someone saved a change to this while you were editing. Their version is "
                "shown below and yours is still in the form: merge them, then save again.",
                code="conflict",
            )
        return cleaned
