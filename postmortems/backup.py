"""A portable archive of every postmortem: JSON of the data, plus each document as Markdown."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

FORMAT_VERSION = 1
DATA_FILE = "debrief.json"
USER_FIELDS = ["username", "first_name", "last_name", "email", "is_active"]

# In dependency order: what each model points at comes before it.
MODELS = [
    "services.Service",
    "postmortems.PostmortemTemplate",
    "postmortems.LintTerm",
    "postmortems.Postmortem",
    "postmortems.TimelineEvent",
    "postmortems.ContributingFactor",
    "postmortems.LintAcknowledgement",
    "actions.ActionItem",
    "actions.StatusChange",
    "reviews.Reviewer",
    "reviews.Comment",
    "reviews.Transition",
    "reviews.Meeting",
    "reviews.Attendance",
    "reviews.AgendaItem",
]


class ArchiveError(Exception):
    pass


def _models():
    return [apps.get_model(label) for label in MODELS]


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
    users = get_user_model().objects.order_by("username").values(*USER_FIELDS)
    records = []
    for model in _models():
        records.extend(
            json.loads(
                serializers.serialize(
                    "json", model._default_manager.order_by("pk"), use_natural_foreign_keys=True
                )
            )
        )
    for record in records:
        # The page cache's counter means nothing on another site (postmortems/page_cache.py).
        record["fields"].pop("revision", None)
    return {"format": FORMAT_VERSION, "users": list(users), "records": records}


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


def _read(path: Path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read(DATA_FILE))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise ArchiveError(f"{path} is not a Debrief archive: {error}") from error
    if data.get("format") != FORMAT_VERSION:
        raise ArchiveError(f"{path} has archive format {data.get('format')}, not {FORMAT_VERSION}.")
    return data


@transaction.atomic
def postmortems_import(*, path: Path) -> int:
    """Restore an archive into a site that has no postmortems yet; returns how many."""
    from postmortems.models import Postmortem

    data = _read(path)
    if Postmortem.objects.exists():
        raise ArchiveError("This site already has postmortems; restore into an empty site.")
    users = get_user_model().objects
    existing = set(users.values_list("username", flat=True))
    for row in data["users"]:
        if row["username"] not in existing:
            user = users.model(**row)
            user.set_unusable_password()  # people set a password by "forgot password" or an admin
            user.save()
    objects = serializers.deserialize(
        "json", json.dumps(data["records"]), handle_forward_references=True
    )
    for item in objects:
        item.save()
    # Rows kept their ids; the sequences of PostgreSQL must move past them.
    statements = connection.ops.sequence_reset_sql(no_style(), _models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return Postmortem.objects.count()
