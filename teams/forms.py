from __future__ import annotations

import hashlib

from django import forms
from django.contrib.auth.models import Group

from config.fields import ModelChoiceField, ModelMultipleChoiceField, PeopleField
from config.versioning import VersionedFormMixin, version_of
from teams.models import Team, group_label


class TeamForm(VersionedFormMixin, forms.ModelForm):
    """A team's name, address and members (the members of its group)."""

    members = PeopleField(
        required=False,
        help_text="When the identity provider sends this group, each member's next sign-in "
        "puts them in it or takes them out, whatever is set here.",
    )

    class Meta:
        model = Team
        fields = ["display_name", "slug"]
        labels = {"display_name": "Name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.group.user_set.all())

    def version_of(self, row) -> str:
        # Members belong to the group, not the team's row: they are part of the version too.
        members = sorted(row.group.user_set.values_list("pk", flat=True)) if row.pk else []
        digest = hashlib.sha256(f"{version_of(row, self.versioned_fields())}{members}".encode())
        return digest.hexdigest()[:16]

    def save(self, commit: bool = True) -> Team:
        team = super().save(commit)
        if commit:
            team.group.user_set.set(self.cleaned_data["members"])
        return team


class TeamCreateForm(TeamForm):
    """A new team: on a group the site has already (one the identity provider sends), or on a
    new group of its name."""

    group = ModelChoiceField(
        queryset=Group.objects.filter(team__isnull=True).order_by("name"),
        required=False,
        empty_label="A new group named after the team",
        help_text="Choose the group your identity provider sends to take its members from "
        "there; the people below are added to them.",
    )

    class Meta(TeamForm.Meta):
        fields = ["display_name", "slug", "group"]
        help_texts = {"slug": "Left empty, made from the name."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("display_name")
        if name and cleaned.get("group") is None and Group.objects.filter(name=name).exists():
            self.add_error(
                "group",
                f"There is already a group called “{name}”: choose it here to make it a team.",
            )
        return cleaned


class GroupsField(ModelMultipleChoiceField):
    """Groups, a team named by its display name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Group.objects.select_related("team").order_by("name"))
        super().__init__(**kwargs)

    def label_from_instance(self, group: Group) -> str:
        return group_label(group)
