"""Optimistic locking for edit forms: a stale form never overwrites someone else's change.

A form carries the version of the fields it edits (a hash of their saved values) as it
was when the form was opened. If those fields changed since, saving is refused, and the
form shows the saved text next to the person's own, which stays in the form. A form sent
without a version (a script, a page from before versions) is refused the same way.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django import forms
from django.db import transaction

CONFLICT = (
    "Someone saved a change to this while you were editing. Their version is shown below "
    "and yours is still in the form: merge them, then save again."
)
MISSING = (
    "This form was sent without the version of what it changes, so saving it could overwrite "
    "someone else's change. Nothing was saved: the saved version is shown below and yours is "
    "still in the form. Save again to keep yours."
)
GONE = "This was deleted while you were editing it. Nothing was saved."


def version_of(instance, names) -> str:
    values = {}
    for name in names:
        field = instance._meta.get_field(name)
        value = field.value_from_object(instance) if instance.pk else None
        if field.many_to_many:
            value = sorted(str(getattr(v, "pk", v)) for v in value or [])
        elif isinstance(value, Decimal):
            value = value.normalize()  # 99.9 as typed and 99.900 as stored are one value
        values[name] = value
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


class VersionedFormMixin:
    """For forms that change `self.instance`: refuse to save over changes made since the form
    was opened. Views save with `save_if_current()`, or validate and save inside one
    `transaction.atomic()`, so that the row stays locked from the check to the save."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflicts: list[tuple[str, object]] = []
        if self.instance.pk:  # a form that creates a row has no version to carry
            self.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.fields["version"].initial = self.saved_version()

    def versioned_fields(self) -> list[str]:
        names = {f.name for f in self.instance._meta.get_fields()}
        return [name for name in self.fields if name in names]

    def version_of(self, row) -> str:
        return version_of(row, self.versioned_fields())

    def saved_version(self) -> str:
        return self.version_of(self.instance)

    def conflict_message(self, saved) -> str:
        return CONFLICT

    def _saved_row(self):
        rows = type(self.instance)._default_manager
        if transaction.get_connection().in_atomic_block:
            rows = rows.select_for_update()
        return rows.filter(pk=self.instance.pk).first()

    def clean(self):
        cleaned = super().clean()
        cleaned.pop("version", None)  # not data: views pass cleaned_data on as fields
        if not self.instance.pk:
            return cleaned  # a new row: nobody else's change to lose
        # Read again, not the instance the view fetched: the check must see what the save
        # would overwrite.
        saved = self._saved_row()
        if saved is None:
            self.add_error(None, forms.ValidationError(GONE, code="gone"))
            return cleaned
        submitted = self.data.get(self.add_prefix("version"), "")
        current = self.version_of(saved)
        if submitted == current:
            return cleaned
        self.conflicts = [
            (self[name].label, _shown(saved, name))
            for name in self.versioned_fields()
            if not self.fields[name].widget.is_hidden
        ]
        # Saving again on purpose, after reading theirs, is a decision to overwrite.
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current
        if not submitted:
            self.add_error(None, forms.ValidationError(MISSING, code="missing_version"))
        else:
            self.add_error(
                None, forms.ValidationError(self.conflict_message(saved), code="conflict")
            )
        return cleaned

    def save_if_current(self, **kwargs) -> bool:
        """Validate and save in one transaction; False, with the reasons in the form, if not."""
        with transaction.atomic():
            if not self.is_valid():
                return False
            self.save(**kwargs)
            return True

    def save(self, commit: bool = True):
        if not (commit and self.instance.pk):
            return super().save(commit)
        if self.errors:
            raise ValueError("The form did not validate: nothing to save.")
        # Only this form's fields: a change saved meanwhile to the others (another section,
        # the item's status) stays.
        names = [
            field.name
            for field in self.instance._meta.concrete_fields
            if field.name in self.fields or getattr(field, "auto_now", False)
        ]
        self.instance.save(update_fields=names)
        self._save_m2m()
        return self.instance


def _shown(row, name: str) -> object:
    """A field's saved value as a person reads it."""
    field = row._meta.get_field(name)
    if field.many_to_many:
        return ", ".join(str(value) for value in getattr(row, name).all())
    if field.choices:
        return getattr(row, f"get_{name}_display")()
    return getattr(row, name)
