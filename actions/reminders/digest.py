"""What one person's daily digest holds, and how it reads in an email and in a chat."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from actions.models import ReminderItem
from config import chat, emails
from postmortems.models import Severity

Section = ReminderItem.Section


def local_zone(name: str) -> zoneinfo.ZoneInfo:
    """The named zone, or the site's for a name the zone database no longer knows."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Line:
    id: int
    url: str
    title: str
    due_date: date
    priority: str
    owner_name: str
    postmortem: str  # "PM-12 Checkout outage", or empty


@dataclass(frozen=True)
class LateDraft:
    """A draft postmortem past its review deadline, as its owner's digest lists it."""

    id: int
    url: str
    title: str  # empty for a restricted one (access.outbound)
    severity: int
    deadline: datetime

    @property
    def reference(self) -> str:
        return f"PM-{self.id}"


@dataclass(frozen=True)
class WaitingReview:
    """A postmortem in review waiting for this reviewer's verdict for days."""

    id: int
    url: str
    title: str  # empty for a restricted one (access.outbound)
    submitted_at: datetime

    @property
    def reference(self) -> str:
        return f"PM-{self.id}"


class Row(NamedTuple):
    title: str
    url: str
    tag: str
    note: str


class Block(NamedTuple):
    heading: str
    tone: str
    rows: list[Row]


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


@dataclass
class Digest:
    """One person's reminder for one local day."""

    recipient_id: int
    email: str
    name: str
    time_zone: str
    day: date
    webhook_url: str = ""
    chat_layout: str = ""  # config.chat.Layout; empty: detected from the URL
    preferences_url: str = ""
    overdue: list[Line] = field(default_factory=list)
    due_soon: list[Line] = field(default_factory=list)
    escalated: list[Line] = field(default_factory=list)
    drafts: list[LateDraft] = field(default_factory=list)
    reviews: list[WaitingReview] = field(default_factory=list)
    reminder_id: int | None = None  # an earlier row for this day that failed or went stale
    reminder_claim: str = ""  # that row's claim when planned: only then may it be taken over

    def __bool__(self) -> bool:
        return bool(self.overdue or self.due_soon or self.escalated or self.drafts or self.reviews)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return local_zone(self.time_zone)

    def lines(self) -> Iterable[tuple[Line, str]]:
        for section, lines in (
            (Section.OVERDUE, self.overdue),
            (Section.DUE_SOON, self.due_soon),
            (Section.ESCALATED, self.escalated),
        ):
            for line in lines:
                yield line, section

    def summary(self) -> str:
        parts = [
            (len(self.overdue), "overdue"),
            (len(self.due_soon), "due soon"),
            (len(self.escalated), "escalated to you"),
            (len(self.drafts), "late draft" if len(self.drafts) == 1 else "late drafts"),
            (len(self.reviews), "waiting for your review"),
        ]
        return ", ".join(f"{count} {label}" for count, label in parts if count)

    def blocks(self) -> list[Block]:
        """The digest's sections as plain strings, for the email templates and the webhook."""

        def late(line: Line) -> str:
            return f"due {line.due_date:%Y-%m-%d}, {_days((self.day - line.due_date).days)} overdue"

        def source(line: Line) -> str:
            return f" · {line.postmortem}" if line.postmortem else ""

        local = self.zone
        blocks = [
            Block(
                "Overdue",
                "danger",
                [Row(i.title, i.url, i.priority, late(i) + source(i)) for i in self.overdue],
            ),
            Block(
                f"Due in the next {settings.REMINDER_DUE_SOON_DAYS} days",
                "",
                [
                    Row(i.title, i.url, i.priority, f"due {i.due_date:%Y-%m-%d}{source(i)}")
                    for i in self.due_soon
                ],
            ),
            Block(
                f"Overdue for more than {settings.REMINDER_ESCALATE_AFTER_DAYS} days "
                "on postmortems you own",
                "danger",
                [
                    Row(i.title, i.url, i.priority, f"owner {i.owner_name}, {late(i)}{source(i)}")
                    for i in self.escalated
                ],
            ),
            Block(
                "Drafts past their review deadline",
                "",
                [
                    Row(
                        f"{d.reference} {d.title}".strip(),
                        d.url,
                        Severity(d.severity).label,
                        f"review was due {d.deadline.astimezone(local):%Y-%m-%d %H:%M %Z}",
                    )
                    for d in self.drafts
                ],
            ),
            Block(
                f"Waiting for your review for more than {_days(settings.REVIEW_WAITING_DIGEST_DAYS)}",
                "",
                [
                    Row(
                        f"{r.reference} {r.title}".strip(),
                        r.url,
                        "review",
                        f"in review since {r.submitted_at.astimezone(local):%Y-%m-%d}",
                    )
                    for r in self.reviews
                ],
            ),
        ]
        return [block for block in blocks if block.rows]

    def message(self) -> EmailMultiAlternatives:
        return emails.build("reminder", [self.email], {"digest": self, "blocks": self.blocks()})

    def chat_message(self) -> chat.Message:
        """The digest as a chat message, laid out later for the person's webhook."""
        day = f"{self.day:%A} {self.day.day} {self.day:%B %Y}"
        lines = [chat.Line(self.summary())]
        for block in self.blocks():
            lines.append(chat.Line(f"{block.heading} ({len(block.rows)})", heading=True))
            lines += [
                chat.Line(row.title, row.url, f"[{row.tag}] {row.note}") for row in block.rows
            ]
        return chat.Message(
            title=f"Debrief reminder for {day}",
            lines=lines,
            buttons=[
                chat.Link("My items", settings.SITE_URL + reverse("actions:mine")),
                chat.Link("Reminder settings", self.preferences_url),
            ],
            danger=bool(self.overdue or self.escalated),
        )
