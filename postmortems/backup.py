"""A portable archive of every postmortem: JSON of the data, plus each document as Markdown."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, time
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

# 2: people and groups as records, with every field but the password; history, drafts,
# calendar feeds and reminders carried. Format 1 archives still restore.
FORMAT_VERSION = 2
READABLE_FORMATS = {1, 2}
DATA_FILE = "debrief.json"

# In dependency order: what each model points at comes before it.
MODELS = [
    "auth.Group",
    "auth.User",
    "teams.Team",
    "services.Service",
    "postmortems.PostmortemTemplate",
    "postmortems.LintTerm",
    "postmortems.QualityWeights",
    "postmortems.AlertSource",
    "postmortems.Postmortem",
    "postmortems.HistoricalPostmortem",
    "postmortems.TimelineEvent",
    "postmortems.HistoricalTimelineEvent",
    "postmortems.AlertGroup",
    "postmortems.AlertReceipt",
    "postmortems.ContributingFactor",
    "postmortems.HistoricalContributingFactor",
    "postmortems.Interview",
    "postmortems.ProposedEvent",
    "postmortems.ExternalVersion",
    "postmortems.Recurrence",
    "postmortems.LintAcknowledgement",
    "postmortems.Draft",
    "actions.ActionItem",
    "actions.HistoricalActionItem",
    "actions.StatusChange",
    "actions.CalendarToken",
    "actions.ReminderPreference",
    "actions.Reminder",
    "actions.ReminderItem",
    "reviews.Reviewer",
    "reviews.Comment",
    "reviews.Transition",
    "reviews.Meeting",
    "reviews.Attendance",
    "reviews.AgendaItem",
    "reviews.Invitation",
]
# Not carried: the log of reminder sweeps means nothing on another site; passwords stay where
# they were set.
DROPPED_FIELDS = {"auth.user": {"password"}}
# People and groups are named by username and name, so that they match the target site's own.
NAMED_BY_NATURAL_KEY = {"auth.Group", "auth.User"}


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds: the history is ordered by them."""

    def default(self, o):
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


class ArchiveError(Exception):
    pass


def markdown_export(postmortem, *, short: bool = False) -> tuple[str, str]:
    """The postmortem as a Markdown document, and the file name to download it under.

    The short version keeps only the starred timeline events; its name says so, so that both
    can sit in one folder.
    """
    events = postmortem.events.all()
    with timezone.override(postmortem.tz):
        text = render_to_string(
            "postmortems/postmortem_export.md",
            {
                "postmortem": postmortem,
                "events": events.filter(starred=True) if short else events,
                "short": short,
                "factors": postmortem.factors.all(),
                "action_items": postmortem.action_items.select_related("owner"),
            },
        )
    name = f"{postmortem.reference}-{slugify(postmortem.title)[:60]}{'-short' if short else ''}.md"
    return text, name


def archive_data() -> dict:
    records = []
    for label in MODELS:
        model = apps.get_model(label)
        records.extend(
            serializers.serialize(
                "python",
                model._default_manager.order_by("pk"),
                use_natural_foreign_keys=True,
                use_natural_primary_keys=label in NAMED_BY_NATURAL_KEY,
            )
        )
    for record in records:
        for name in DROPPED_FIELDS.get(record["model"], ()):
            record["fields"].pop(name, None)
    return json.loads(json.dumps({"format": FORMAT_VERSION, "records": records}, cls=_Encoder))


def postmortems_export(*, path: Path) -> int:
    """Write the archive to `path`; returns the number of postmortems in it."""
    from postmortems.models import Postmortem

    postmortems = Postmortem.objects.select_related("owner").prefetch_related("services")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(DATA_FILE, json.dumps(archive_data(), indent=1, ensure_ascii=False))
        for postmortem in postmortems:
            text, name = markdown_export(postmortem)
            archive.writestr(f"postmortems/{name}", text)
    return len(postmortems)


def _create_format_1_users(rows: list[dict]) -> None:
    users = get_user_model().objects
    existing = set(users.values_list("username", flat=True))
    for row in rows:
        if row["username"] not in existing:
            user = users.model(**row)
            user.set_unusable_password()
            user.save()


def _settings_of_someone_here(obj) -> bool:
    """A person's own row (reminder settings, calendar feed) that this site already has for them."""
    for field in obj._meta.concrete_fields:
        if field.one_to_one and field.related_model is get_user_model():
            user_id = getattr(obj, field.attname)
            return type(obj)._default_manager.filter(**{field.attname: user_id}).exists()
    return False


def _read(path: Path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read(DATA_FILE))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise ArchiveError(f"{path} is not a Debrief archive: {error}") from error
    if data.get("format") not in READABLE_FORMATS:
        raise ArchiveError(f"{path} has archive format {data.get('format')}, not {FORMAT_VERSION}.")
    return data


@transaction.atomic
def postmortems_import(*, path: Path) -> int:
    """Restore an archive into a site that has no postmortems yet; returns how many."""
    from postmortems.models import Postmortem

    data = _read(path)
    if Postmortem.objects.exists():
        raise ArchiveError("This site already has postmortems; restore into an empty site.")
    _create_format_1_users(data.get("users", []))
    objects = serializers.deserialize("python", data["records"], handle_forward_references=True)
    for item in objects:
        if isinstance(item.object, Group | get_user_model()) and item.object.pk is not None:
            continue  # already on this site: its own account and settings stay as they are
        if _settings_of_someone_here(item.object):
            continue
        if isinstance(item.object, get_user_model()):
            item.object.set_unusable_password()  # set by "forgot password" or an admin
        item.save()
    # Rows kept their ids; the sequences of PostgreSQL must move past them.
    models = [apps.get_model(label) for label in MODELS]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return Postmortem.objects.count()
