"""What one person's daily digest holds, and how it reads in an email and in a chat."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from html import escape
from operator import attrgetter
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

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


def _url_maker(name: str) -> Callable[[int], str]:
    """reverse() for a URL that takes one id, resolved once: a digest can link thousands of rows."""
    marker = "2147483647"
    before, after = reverse(name, args=[int(marker)]).split(marker)
    prefix = settings.SITE_URL + before
    return lambda pk: f"{prefix}{pk}{after}"


class Line(NamedTuple):
    """An open action item in an overdue, due-soon or escalated section."""

    id: int
    title: str
    due_date: date
    priority: str
    owner_name: str
    postmortem: str  # "PM-12 Checkout outage", or empty


class _Referenced:
    """A postmortem named by its reference (its title may not leave the site)."""

    __slots__ = ()
    id: int

    @property
    def reference(self) -> str:
        return f"PM-{self.id}"


@dataclass(frozen=True, slots=True)
class LateDraft(_Referenced):
    """A draft postmortem past its review deadline, as its owner's digest lists it."""

    id: int
    url: str
    title: str  # empty for a restricted one (access.outbound)
    severity: int
    deadline: datetime


@dataclass(frozen=True, slots=True)
class WaitingReview(_Referenced):
    """A postmortem in review waiting for this reviewer's verdict for days."""

    id: int
    url: str
    title: str  # empty for a restricted one (access.outbound)
    submitted_at: datetime


class Unverified(NamedTuple):
    """A done prevent or detect item on a postmortem one owns, long without proof it worked."""

    id: int
    title: str  # the postmortem's owner may read it: its title, per access.outbound
    kind: str
    completed_at: datetime
    postmortem: str  # "PM-12 Checkout outage", or "PM-12" for a restricted one


@dataclass(frozen=True, slots=True)
class Anniversary(_Referenced):
    """A postmortem from this week in an earlier year, on a service of one's teams."""

    id: int
    url: str
    title: str  # empty for a restricted one (access.outbound)
    began: date


class Row(NamedTuple):
    title: str
    url: str
    tag: str
    note: str


class Block(NamedTuple):
    heading: str
    tone: str
    rows: list[Row]

    def html(self) -> SafeString:
        # Rows are written here rather than in a template loop: a digest can list hundreds,
        # and a sweep tens of thousands, where the template engine cost more than everything
        # else the sweep does (its escaping is the same: html.escape).
        return mark_safe(
            "".join(
                f'<li style="margin-bottom: 8px;"><a href="{escape(url)}">{escape(title)}</a> '
                f'<span style="color: #6c757d;">[{escape(tag)}]</span><br>'
                f'<span style="color: #6c757d; font-size: 13px;">{escape(note)}</span></li>\n'
                for title, url, tag, note in self.rows
            )
        )

    def text(self) -> str:
        return "".join(
            f"\n- [{tag}] {title}\n  {note}\n  {url}\n" for title, url, tag, note in self.rows
        )


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
    unverified: list[Unverified] = field(default_factory=list)
    anniversaries: list[Anniversary] = field(default_factory=list)
    wants_anniversaries: bool = False
    reminder_id: int | None = None  # an earlier row for this day that failed or went stale
    reminder_claim: str = ""  # that row's claim when planned: only then may it be taken over

    def __bool__(self) -> bool:
        # Anniversaries alone make no digest: they are a reminder, not a task.
        return bool(
            self.overdue
            or self.due_soon
            or self.escalated
            or self.drafts
            or self.reviews
            or self.unverified
        )

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return local_zone(self.time_zone)

    @property
    def day_name(self) -> str:
        """ "Tuesday 10 March 2026": the email and the chat message name the day alike."""
        return f"{self.day:%A} {self.day.day} {self.day:%B %Y}"

    def lines(self) -> Iterable[tuple[Line, str]]:
        for section, lines in (
            (Section.OVERDUE, self.overdue),
            (Section.DUE_SOON, self.due_soon),
            (Section.ESCALATED, self.escalated),
        ):
            for line in lines:
                yield line, section

    def sort_lines(self) -> None:
        """The plan reads its rows unordered: items by due date then priority, fixes to verify
        the longest waiting first."""
        for lines in (self.overdue, self.due_soon, self.escalated):
            lines.sort(key=attrgetter("due_date", "priority", "id"))
        self.unverified.sort(key=attrgetter("completed_at", "id"))

    def summary(self) -> str:
        parts = [
            (len(self.overdue), "overdue"),
            (len(self.due_soon), "due soon"),
            (len(self.escalated), "escalated to you"),
            (len(self.drafts), "late draft" if len(self.drafts) == 1 else "late drafts"),
            (len(self.reviews), "waiting for your review"),
            (
                len(self.unverified),
                "fix to verify" if len(self.unverified) == 1 else "fixes to verify",
            ),
            (len(self.anniversaries), "from this week in earlier years"),
        ]
        return ", ".join(f"{count} {label}" for count, label in parts if count)

    def blocks(self) -> list[Block]:
        """The digest's sections as plain strings, for the email templates and the webhook."""

        def late(line: Line) -> str:
            return f"due {line.due_date}, {_days((self.day - line.due_date).days)} overdue"

        def source(line: Line) -> str:
            return f" · {line.postmortem}" if line.postmortem else ""

        local, item_url = self.zone, _url_maker("actions:detail")
        blocks = [
            Block(
                "Overdue",
                "danger",
                [
                    Row(i.title, item_url(i.id), i.priority, late(i) + source(i))
                    for i in self.overdue
                ],
            ),
            Block(
                f"Due in the next {settings.REMINDER_DUE_SOON_DAYS} days",
                "",
                [
                    Row(i.title, item_url(i.id), i.priority, f"due {i.due_date}{source(i)}")
                    for i in self.due_soon
                ],
            ),
            Block(
                f"Overdue for more than {settings.REMINDER_ESCALATE_AFTER_DAYS} days "
                "on postmortems you own",
                "danger",
                [
                    Row(
                        i.title,
                        item_url(i.id),
                        i.priority,
                        f"owner {i.owner_name}, {late(i)}{source(i)}",
                    )
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
            Block(
                f"Done but not verified after {_days(settings.VERIFY_REMINDER_AFTER_DAYS)}",
                "",
                [
                    Row(
                        u.title,
                        item_url(u.id),
                        u.kind,
                        f"done {u.completed_at.astimezone(local).date()} · {u.postmortem}",
                    )
                    for u in self.unverified
                ],
            ),
            Block(
                "This week in earlier years",
                "",
                [
                    Row(
                        f"{a.reference} {a.title}".strip(),
                        a.url,
                        str(a.began.year),
                        f"began {a.began:%Y-%m-%d}",
                    )
                    for a in self.anniversaries
                ],
            ),
        ]
        return [block for block in blocks if block.rows]

    def message(self) -> EmailMultiAlternatives:
        return emails.build("reminder", [self.email], {"digest": self, "blocks": self.blocks()})

    def chat_message(self) -> chat.Message:
        """The digest as a chat message, laid out later for the person's webhook."""
        lines = [chat.Line(self.summary())]
        for block in self.blocks():
            lines.append(chat.Line(f"{block.heading} ({len(block.rows)})", heading=True))
            lines += [
                chat.Line(row.title, row.url, f"[{row.tag}] {row.note}") for row in block.rows
            ]
        return chat.Message(
            title=f"Debrief reminder for {self.day_name}",
            lines=lines,
            buttons=[
                chat.Link("My items", settings.SITE_URL + reverse("actions:mine")),
                chat.Link("Reminder settings", self.preferences_url),
            ],
            danger=bool(self.overdue or self.escalated),
        )
