"""Previews that write nothing, and imports that create what the preview showed, at once:
action items from CSV here, postmortems written in Markdown in markdown.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from actions.importing.people import People
from actions.importing.tables import (
    Unreadable,
    normalize,
    parse_date,
    parse_datetime,
    rows,
    unquote,
)
from actions.models import (
    ActionItem,
    Kind,
    Priority,
    Status,
    StatusChange,
    default_due_date,
)
from postmortems import access
from postmortems.models import Postmortem

MAX_TITLE = 200
PREVIEW_MAX_AGE = 3600  # seconds a preview may be confirmed for


# Carrying a preview to its confirmation ---------------------------------------------------


def preview_seal(payload: object, *, kind: str, user) -> str:
    """What was previewed, signed for this person and this import: the confirm re-reads it.

    A hidden field rather than the session: nothing is stored server-side for previews never
    confirmed, several tabs can preview at once, and the signature (salted with the person's
    id) means the confirm cannot carry text someone else previewed or was altered since.
    Permissions are checked again on confirm, so an old preview cannot outlive a lost right.
    """
    return signing.dumps(payload, salt=f"debrief.import.{kind}.{user.pk}", compress=True)


def preview_unseal(token: str, *, kind: str, user) -> object:
    try:
        return signing.loads(
            token, salt=f"debrief.import.{kind}.{user.pk}", max_age=PREVIEW_MAX_AGE
        )
    except signing.BadSignature:
        raise Unreadable(
            "The preview is more than an hour old or was changed, so nothing was imported: "
            "upload the file again."
        ) from None


# Action items ---------------------------------------------------------------------------


# What of a row is not the item's: where it came from, and what the preview says of it.
NOT_ITEM = ("line", "errors", "notes")


@dataclass
class ItemRow:
    """One action item to create, or why it will not be."""

    line: int
    title: str = ""
    postmortem: Postmortem | None = None
    owner: object = None
    due_date: date | None = None
    priority: str = Priority.P2
    kind: str = Kind.PREVENT
    status: str = Status.OPEN
    reason: str = ""
    description: str = ""
    tracker_url: str = ""
    completed_at: datetime | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    def set_tracker_url(self, url: str) -> None:
        """Links the item to `url`, or notes why the link written is left out."""
        if not url:
            return
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            self.notes.append(f"the link “{url[:60]}” is not a web address and is left out")
            return
        self.tracker_url = url[:500]

    def item(self, *, by) -> ActionItem:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in NOT_ITEM}
        return ActionItem(**values, created_by=by)


@dataclass
class ItemsPreview:
    rows: list[ItemRow]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def creatable(self) -> list[ItemRow]:
        return [row for row in self.rows if not row.errors]

    @property
    def skipped(self) -> int:
        return len(self.rows) - len(self.creatable)


def _choice(written: str, choices: list[tuple[str, str]]) -> str | None:
    """The value of a choice written as its value or its label, in any case."""
    wanted = normalize(written.replace("'", ""))
    for value, label in choices:
        if wanted in (normalize(value), normalize(label.replace("'", ""))):
            return value
        if wanted == normalize(label.split("–")[0]):
            return value
    return None


def _title(row: ItemRow, text: str) -> None:
    text = " ".join(text.split())
    if not text:
        row.errors.append("no title")
    elif len(text) > MAX_TITLE:
        row.notes.append(f"title cut to {MAX_TITLE} characters")
    row.title = text[:MAX_TITLE]


def _due(row: ItemRow, written: str) -> None:
    if written:
        row.due_date = parse_date(written)
        if row.due_date is None:
            row.errors.append(f"the due date “{written}” is not a date (YYYY-MM-DD)")
    else:
        row.due_date = default_due_date(row.priority)
        row.notes.append(f"no due date: due {row.due_date:%Y-%m-%d}, by its priority")


ACTION_COLUMNS = {
    "postmortem": ("postmortem", "postmortem reference", "reference", "pm"),
    "title": ("title", "action item", "summary"),
    "owner": ("owner", "assignee"),
    "due_date": ("due date", "due"),
    "status": ("status",),
    "kind": ("kind", "type"),
    "priority": ("priority",),
    "description": ("description",),
    "tracker_url": ("tracker url", "link", "bug", "url"),
    "reason": ("reason",),
}
# Columns of the site's own export that an import deliberately leaves to the site.
EXPORT_ONLY = {"id", "overdue", "postmortem title", "services", "created at", "completed at"}


def action_csv_preview(*, text: str, by) -> ItemsPreview:
    """Read a CSV of action items; each row is checked as the confirm would create it."""
    header, body = rows(text)
    columns: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(header):
        key = next((k for k, names in ACTION_COLUMNS.items() if normalize(name) in names), None)
        if key and key not in columns:
            columns[key] = index
        elif normalize(name) not in EXPORT_ONLY and name:
            ignored.append(name)
    if "title" not in columns:
        raise Unreadable("The file has no “title” column: see the columns the README lists.")
    people = People()
    editable = access.editable_postmortems(by)
    previews = []
    for line, cells in body:

        def cell(key: str, cells: list[str] = cells) -> str:
            index = columns.get(key)
            return unquote(cells[index]) if index is not None and index < len(cells) else ""

        row = ItemRow(line=line, description=cell("description"), reason=cell("reason"))
        _title(row, cell("title"))
        if reference := cell("postmortem"):
            row.postmortem = editable.by_reference(reference)
            if row.postmortem is None:
                row.errors.append(f"{reference} is not a postmortem you may edit")
        for key, choices in (
            ("priority", Priority.choices),
            ("kind", Kind.choices),
            ("status", Status.choices),
        ):
            if cell(key):
                value = _choice(cell(key), choices)
                if value is None:
                    names = ", ".join(label for _, label in choices)
                    row.errors.append(f"the {key} “{cell(key)}” is not one of: {names}")
                else:
                    setattr(row, key, value)
        _due(row, cell("due_date"))
        if cell("owner"):
            row.owner, why = people.match(cell("owner"))
            if row.owner is None:
                row.errors.append(f"unknown owner: {why}")
        elif row.status not in (Status.DONE, Status.WONT_DO):
            row.errors.append("an open item needs an owner")
        if row.status in (Status.BLOCKED, Status.WONT_DO) and not row.reason:
            row.errors.append("say why it is blocked or won't be done (a reason column)")
        if row.status == Status.DONE:
            row.completed_at = timezone.now()
        row.set_tracker_url(cell("tracker_url"))
        previews.append(row)
    return ItemsPreview(previews, ignored)


JIRA_DONE = {"done", "closed", "resolved"}
JIRA_PRIORITY = {"highest": "P1", "high": "P1", "medium": "P2", "low": "P3", "lowest": "P3"}
JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")


def _jira_keys_on(postmortem: Postmortem) -> set[str]:
    """Jira keys already imported into the postmortem, from their link or their note."""
    keys = set()
    for url, description in postmortem.action_items.values_list("tracker_url", "description"):
        for text in (url.rsplit("/browse/", 1)[-1] if "/browse/" in url else "", description):
            found = re.match(r"(?:Jira )?([A-Z][A-Z0-9_]+-\d+)", text)
            if found:
                keys.add(found.group(1))
    return keys


def jira_csv_preview(*, text: str, by, postmortem: Postmortem, jira_url: str = "") -> ItemsPreview:
    """Read Jira's "Export CSV (all fields)" into action items of `postmortem`.

    Done, Closed and Resolved tickets arrive done; every other status, open. The key is kept as
    the item's link (with the Jira address) and at the head of its description.
    """
    header, body = rows(text)
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(header):  # multi-value fields repeat their column
        columns.setdefault(normalize(name), []).append(index)
    if "summary" not in columns or "issue key" not in columns:
        raise Unreadable(
            "This does not look like a Jira export: it needs the Summary and Issue key "
            "columns (Jira: Filters → Export → Export CSV (all fields))."
        )
    people = People()
    seen = _jira_keys_on(postmortem)
    base = jira_url.rstrip("/")
    previews = []
    for line, cells in body:

        def values(name: str, cells: list[str] = cells) -> list[str]:
            found = [unquote(cells[i]) for i in columns.get(name, []) if i < len(cells)]
            return [value for value in found if value]

        def cell(name: str) -> str:
            found = values(name)
            return found[0] if found else ""

        key = cell("issue key")
        row = ItemRow(line=line, postmortem=postmortem)
        _title(row, cell("summary"))
        if not JIRA_KEY.match(key):
            row.errors.append(f"the issue key “{key}” is not a Jira key such as OPS-12")
        elif key in seen:
            row.errors.append(f"{key} is already on {postmortem.reference}")
        seen.add(key)
        row.priority = JIRA_PRIORITY.get(cell("priority").lower(), Priority.P2)
        status = cell("status")
        row.status = Status.DONE if status.lower() in JIRA_DONE else Status.OPEN
        _due(row, cell("due date"))
        assignee = cell("assignee")
        if assignee:
            row.owner, why = people.match(assignee)
            if row.owner is None:
                row.notes.append(f"assignee not matched: {why}")
        if row.owner is None and row.status == Status.OPEN:
            row.owner = by
            row.notes.append("you will own it")
        if row.status == Status.DONE:
            resolved = parse_datetime(cell("resolved"))
            row.completed_at = (
                timezone.make_aware(resolved) if resolved is not None else timezone.now()
            )
        parts = [f"Jira {key} ({status or 'no status'})."]
        if cell("description"):
            parts.append(cell("description"))
        if values("labels"):
            parts.append("Labels: " + ", ".join(values("labels")))
        row.description = "\n\n".join(parts)
        if base and JIRA_KEY.match(key):
            row.set_tracker_url(f"{base}/browse/{key}")
        previews.append(row)
    return ItemsPreview(previews)


def items_import(*, preview: ItemsPreview, by, source: str) -> list[ActionItem]:
    """Create the rows of the preview that have no errors, all or none."""
    with transaction.atomic():
        rows = [row.item(by=by) for row in preview.creatable]
        items = bulk_create_with_history(rows, ActionItem, default_user=by)
        StatusChange.objects.bulk_create(
            StatusChange(
                item=item,
                changed_by=by,
                from_status="",
                to_status=item.status,
                note=f"Imported {source}",
            )
            for item in items
        )
    return items
