"""Postmortems written in Markdown elsewhere: previewed (nothing written), then created as drafts
with their timeline, factors and action items, all at once."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from actions.importing.people import People
from actions.importing.services import ItemRow, ItemsPreview, items_import
from actions.models import default_due_date
from postmortems.importing import ImportedPostmortem, parse_postmortem
from postmortems.models import ContributingFactor, Postmortem, TimelineEvent


@dataclass
class PostmortemPreview:
    doc: ImportedPostmortem
    coauthors: list = field(default_factory=list)
    not_matched: list[str] = field(default_factory=list)
    actions: list[ItemRow] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.doc.problems + self.not_matched

    def events(self) -> list[tuple[datetime, str, str]]:
        """(when, kind as the timeline names it, what) of each event to create."""
        return [
            (e.occurred_at, TimelineEvent.Kind(e.kind).label, e.description)
            for e in self.doc.events
        ]


def markdown_preview(*, documents: list[tuple[str, str]], by) -> list[PostmortemPreview]:
    """Read each (name, text) and match its people: the importer owns what is created."""
    people = People()
    previews = []
    for name, text in documents:
        doc = parse_postmortem(text, name=name)
        preview = PostmortemPreview(doc)
        for author in doc.authors:
            person, why = people.match(author)
            if person is None:
                preview.not_matched.append(f"Author not matched: {why}.")
            elif person != by and person not in preview.coauthors:
                preview.coauthors.append(person)
        for action in doc.actions:
            row = ItemRow(line=action.line, title=action.title, kind=action.kind)
            row.owner, why = people.match(action.owner)
            if row.owner is None:
                row.owner = by
                row.notes.append(f"owner not matched ({why}): you will own it")
                preview.not_matched.append(f"Line {action.line}: owner not matched: {why}.")
            row.due_date = default_due_date(row.priority)
            if action.bug.startswith(("http://", "https://")):
                row.set_tracker_url(action.bug)
            elif action.bug:
                row.description = f"Bug: {action.bug}"
            if action.owner and row.owner == by and why:
                row.description = f"Owner in the document: {action.owner}\n\n{row.description}"
            preview.actions.append(row)
        previews.append(preview)
    return previews


def postmortems_import(*, previews: list[PostmortemPreview], by) -> list[Postmortem]:
    """Create a draft postmortem, owned by `by`, for each readable document: all or none."""
    created = []
    with transaction.atomic():
        for preview in previews:
            doc = preview.doc
            if not doc.readable:
                continue
            postmortem = Postmortem.objects.create(
                title=doc.title,
                severity=doc.severity or 3,
                owner=by,
                time_zone=doc.time_zone,
                summary=doc.summary,
                impact=doc.impact,
                went_well=doc.went_well,
                went_poorly=doc.went_poorly,
                got_lucky=doc.got_lucky,
            )
            postmortem.coauthors.set(preview.coauthors)
            zone = zoneinfo.ZoneInfo(doc.time_zone)
            bulk_create_with_history(
                [
                    TimelineEvent(
                        postmortem=postmortem,
                        occurred_at=event.occurred_at.replace(tzinfo=zone),
                        kind=event.kind,
                        description=event.description,
                    )
                    for event in doc.events
                ],
                TimelineEvent,
                default_user=by,
            )
            bulk_create_with_history(
                [
                    ContributingFactor(postmortem=postmortem, category=category, description=text)
                    for category, text in doc.factors
                ],
                ContributingFactor,
                default_user=by,
            )
            for row in preview.actions:
                row.postmortem = postmortem
            items_import(preview=ItemsPreview(preview.actions), by=by, source=f"from {doc.name}")
            postmortem.sync_key_times()
            created.append(postmortem)
    return created
