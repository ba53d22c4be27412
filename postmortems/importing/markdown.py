"""A postmortem in Markdown, in the shape of the Google SRE workbook's template, read into parts.

The template's sections (matched by heading, in any order and at any heading level):
title (the first `#` heading), Date, Authors, Status, Summary, Impact, Root Causes, Trigger,
Resolution, Detection, Action Items (a table: action item | type | owner | bug), Lessons
Learned (What went well / What went wrong / Where we got lucky), Timeline (a day line such as
`2026-03-02 (all times UTC)` then one `HH:MM text` line per event). Whatever cannot be read is
said in `problems`, never dropped silently.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FIELD_LINE = re.compile(r"^\s*(?:[-+]\s+)?([A-Za-z ]+?)\s*:\s*(.+)$")
DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")
ZONE = re.compile(r"all times (?:are |in )?([A-Za-z_/+\-0-9]+)", re.IGNORECASE)
EVENT = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(\d{1,2}):(\d{2})(?::\d{2})?(?:\*\*|__)?\s*[-–—:]?\s*(.+)$"
)
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")

# Sections of the template and the part of a Debrief postmortem each one fills.
SECTIONS = {
    "summary": "summary",
    "impact": "impact",
    "root causes": "root_causes",
    "root cause": "root_causes",
    "contributing factors": "root_causes",
    "trigger": "trigger",
    "resolution": "resolution",
    "detection": "detection",
    "action items": "actions",
    "lessons learned": "lessons",
    "what went well": "went_well",
    "what went wrong": "went_poorly",
    "what went poorly": "went_poorly",
    "where we got lucky": "got_lucky",
    "timeline": "timeline",
}
ACTION_TYPES = {
    "prevent": "prevent",
    "prevention": "prevent",
    "detect": "detect",
    "detection": "detect",
    "mitigate": "mitigate",
    "mitigation": "mitigate",
    "repair": "mitigate",
    "process": "process",
}
# Words of a timeline line that make it a key event; the template marks them in capitals.
EVENT_KINDS = [
    ("impact_start", ("outage begins", "impact begins", "impact start")),
    ("detection", ("detected", "paged", "alert fired", "alert fires", "alerted")),
    ("mitigation", ("mitigated", "mitigation")),
    ("resolution", ("outage ends", "incident ends", "resolved", "impact ends")),
]
TRIGGER_CHANGE_WORDS = ("deploy", "release", "rollout", "roll out", "push", "change", "config")
MAX_TITLE = 200


@dataclass
class ImportedEvent:
    line: int
    occurred_at: datetime  # naive, in `ImportedPostmortem.time_zone`
    kind: str
    description: str


@dataclass
class ImportedAction:
    line: int
    title: str
    kind: str
    owner: str  # as written; matched to a person later
    bug: str  # a link, or the text of the cell


@dataclass
class ImportedPostmortem:
    name: str  # the file's name, or "pasted text"
    title: str = ""
    day: date | None = None
    authors: list[str] = field(default_factory=list)
    status: str = ""
    severity: int | None = None
    time_zone: str = "UTC"
    summary: str = ""
    impact: str = ""
    went_well: str = ""
    went_poorly: str = ""
    got_lucky: str = ""
    factors: list[tuple[str, str]] = field(default_factory=list)  # (category, description)
    events: list[ImportedEvent] = field(default_factory=list)
    actions: list[ImportedAction] = field(default_factory=list)
    kept_in_summary: list[str] = field(default_factory=list)  # headings with no place of their own
    problems: list[str] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return bool(self.title)


def _sections(lines: list[str]) -> tuple[str, list[tuple[str, int, list[str]]], list[str]]:
    """The title, the sections as (heading, first line number, lines), and the lines before."""
    title, sections, preamble = "", [], []
    current: list[str] | None = None
    for number, line in enumerate(lines, 1):
        match = HEADING.match(line)
        if match and not title and len(match.group(1)) == 1:
            title = match.group(2).strip()
            continue
        if match:
            current = []
            sections.append((match.group(2).strip(), number + 1, current))
        elif current is None:
            preamble.append(line)
        else:
            current.append(line)
    return title, sections, preamble


def _text(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _bullets(lines: list[str]) -> list[str]:
    """The items of a list, or the paragraphs when the text is not a list."""
    text = _text(lines)
    if not text:
        return []
    if any(BULLET.match(line) for line in lines):
        items: list[str] = []
        for line in lines:
            if BULLET.match(line):
                items.append(BULLET.sub("", line).strip())
            elif line.strip() and items:
                items[-1] += " " + line.strip()
        return [item for item in items if item]
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _read_fields(doc: ImportedPostmortem, lines: list[str], start: int) -> None:
    """Date, Authors, Status, Severity: lines of the preamble (or sections of their own)."""
    for offset, line in enumerate(lines):
        match = FIELD_LINE.match(line.replace("*", ""))
        if not match:
            continue
        name, value = match.group(1).strip().lower(), match.group(2).strip().strip("*").strip()
        _read_field(doc, name, value, start + offset)


def _read_field(doc: ImportedPostmortem, name: str, value: str, number: int) -> None:
    if name == "date":
        found = DAY.search(value)
        try:
            doc.day = date.fromisoformat(found.group(1)) if found else None
        except ValueError:
            doc.day = None
        if doc.day is None:
            doc.problems.append(f"Line {number}: the date “{value}” is not YYYY-MM-DD.")
    elif name in ("authors", "author"):
        doc.authors = [a.strip() for a in re.split(r",|;|\band\b", value) if a.strip()]
    elif name == "status":
        doc.status = value
    elif name == "severity":
        found = re.search(r"([1-4])", value)
        if found:
            doc.severity = int(found.group(1))
        else:
            doc.problems.append(f"Line {number}: the severity “{value}” is not SEV1 to SEV4.")


def _time_zone(doc: ImportedPostmortem, text: str, number: int) -> None:
    found = ZONE.search(text)
    if not found:
        return
    name = found.group(1).strip(").,")
    if name.upper() in ("UTC", "GMT", "Z"):
        doc.time_zone = "UTC"
    elif name in zoneinfo.available_timezones():
        doc.time_zone = name
    else:
        doc.problems.append(
            f"Line {number}: “{name}” is not a time zone name (such as Europe/Berlin); "
            "the timeline is read as UTC."
        )


def _event_kind(text: str) -> str:
    lowered = text.lower()
    for kind, words in EVENT_KINDS:
        if any(word in lowered for word in words):
            return kind
    return "note"


def _read_timeline(doc: ImportedPostmortem, lines: list[str], start: int) -> None:
    day = doc.day
    for offset, line in enumerate(lines):
        number = start + offset
        if not line.strip():
            continue
        event = EVENT.match(line)
        if event is None:
            found = DAY.search(line)
            if found:
                try:
                    day = date.fromisoformat(found.group(1))
                except ValueError:
                    doc.problems.append(f"Line {number}: “{found.group(1)}” is not a date.")
                _time_zone(doc, line, number)
            elif ZONE.search(line):
                _time_zone(doc, line, number)
            else:
                shown = BULLET.sub("", line).strip()[:80]
                doc.problems.append(f"Line {number}: “{shown}” has no time (HH:MM).")
            continue
        hour, minute, text = int(event.group(1)), int(event.group(2)), event.group(3).strip()
        if day is None:
            doc.problems.append(
                f"Line {number}: “{line.strip()[:80]}” has no day: give the document a "
                "Date or put a day line (YYYY-MM-DD) above the timeline."
            )
            continue
        if hour > 23 or minute > 59:
            doc.problems.append(f"Line {number}: {hour}:{minute:02d} is not a time of day.")
            continue
        when = datetime.combine(day, time(hour, minute))
        doc.events.append(ImportedEvent(number, when, _event_kind(text), text))


def _read_actions(doc: ImportedPostmortem, lines: list[str], start: int) -> None:
    rows = [(start + i, line) for i, line in enumerate(lines) if line.strip().startswith("|")]
    if not rows:
        if _text(lines):
            doc.problems.append(
                f"Line {start}: the action items are not a table "
                "(| Action item | Type | Owner | Bug |) and were not read."
            )
        return
    header = [cell.lower() for cell in _cells(rows[0][1])]

    def column(*names: str) -> int | None:
        return next((i for i, cell in enumerate(header) if any(n in cell for n in names)), None)

    title, kind, owner, bug = column("action"), column("type"), column("owner"), column("bug")
    if title is None:
        doc.problems.append(
            f"Line {rows[0][0]}: the action items table has no “Action item” column."
        )
        return
    for number, line in rows[1:]:
        cells = _cells(line)
        if all(set(cell) <= set("-: ") for cell in cells):
            continue  # the separator row under the header

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        text = LINK.sub(r"\1", cell(title)).strip()
        if not text:
            doc.problems.append(f"Line {number}: an action item with no text was not read.")
            continue
        written = cell(kind).lower().strip()
        chosen = ACTION_TYPES.get(written, "prevent")
        if written and written not in ACTION_TYPES:
            doc.problems.append(
                f"Line {number}: the type “{cell(kind)}” is not prevent, detect, mitigate or "
                "process; the item is imported as prevent."
            )
        bug_cell = cell(bug)
        link = LINK.search(bug_cell)
        doc.actions.append(
            ImportedAction(
                number,
                text[:MAX_TITLE],
                chosen,
                LINK.sub(r"\1", cell(owner)).strip(),
                link.group(2) if link else bug_cell.strip(),
            )
        )


def _factors(doc: ImportedPostmortem, part: str, lines: list[str]) -> None:
    for text in _bullets(lines):
        category = "other"
        if part == "trigger":
            lowered = text.lower()
            category = "change" if any(w in lowered for w in TRIGGER_CHANGE_WORDS) else "other"
            text = f"Trigger: {text}"
        doc.factors.append((category, text))


def parse_postmortem(text: str, *, name: str = "pasted text") -> ImportedPostmortem:
    """Read one postmortem; what could not be read is in its `problems`."""
    doc = ImportedPostmortem(name=name)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title, sections, preamble = _sections(lines)
    doc.title = title[:MAX_TITLE]
    if not title:
        doc.problems.append("No title: the document needs a first-level heading (# Title).")
        return doc
    if len(title) > MAX_TITLE:
        doc.problems.append(f"The title was cut to {MAX_TITLE} characters.")
    _read_fields(doc, preamble, 2)
    summary_extra: list[str] = []
    for heading, start, body in sections:
        key = re.sub(r"\s+", " ", heading.lower().strip(" :*"))
        part = SECTIONS.get(key)
        if key in ("date", "authors", "author", "status", "severity"):
            _read_field(doc, key, _text(body), start)
        elif part in ("summary", "impact", "went_well", "went_poorly", "got_lucky"):
            setattr(doc, part, _text(body))
        elif part in ("root_causes", "trigger"):
            _factors(doc, part, body)
        elif part in ("resolution", "detection"):
            if _text(body):
                summary_extra.append(f"**{heading.strip(' :')}.** {_text(body)}")
        elif part == "actions":
            _read_actions(doc, body, start)
        elif part == "timeline":
            _time_zone(doc, heading, start - 1)
            _read_timeline(doc, body, start)
        elif _text(body):  # Lessons Learned, and any other heading
            doc.kept_in_summary.append(heading)
            summary_extra.append(f"**{heading.strip(' :')}.** {_text(body)}")
    doc.summary = "\n\n".join(part for part in [doc.summary, *summary_extra] if part)
    return doc
