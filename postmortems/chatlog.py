"""Turn a pasted chat log into timeline events: plain Python, no Django."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

MAX_LINES = 2000

_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?))?"
)
_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})[ T]"
_LINE_FORMATS = [
    # [10:42 AM] Name: text   |   [2024-05-01 10:42:03] Name: text
    re.compile(rf"^\[(?:{_DATE})?{_TIME}\]\s*(?P<author>[^:]{{1,80}}?):\s*(?P<text>.+)$"),
    # 10:42 <name> text   (IRC)
    re.compile(rf"^(?:{_DATE})?{_TIME}\s+<(?P<author>[^>]{{1,80}})>\s*(?P<text>.+)$"),
    # 10:42 name: text   |   2024-05-01 10:42 name: text   |   10:42 - name: text
    re.compile(rf"^(?:{_DATE})?{_TIME}\s+(?:[-–—]\s+)?(?P<author>[^:]{{1,80}}?):\s*(?P<text>.+)$"),
]
# A time that goes back by more than this means the log crossed midnight.
_ROLLOVER = timedelta(hours=1)


@dataclass
class ChatMessage:
    line: int
    occurred_at: datetime
    author: str
    text: str

    @property
    def description(self) -> str:
        return f"{self.author}: {self.text}"


@dataclass
class ChatLog:
    messages: list[ChatMessage] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, why)


def _parse_time(match: re.Match) -> time | None:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def parse_chat_log(text: str, *, day: date, tz: tzinfo) -> ChatLog:
    """Parse `text` whose times are wall-clock times in `tz`, starting on `day`.

    Indented lines continue the message above them; every other line that is not a
    message is reported as a problem, never dropped silently.
    """
    log = ChatLog()
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        log.problems.append((MAX_LINES + 1, "", f"Only the first {MAX_LINES} lines are read."))
        lines = lines[:MAX_LINES]
    current_day = day
    previous: datetime | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        match = next((m for fmt in _LINE_FORMATS if (m := fmt.match(line))), None)
        if match is None:
            if raw[:1].isspace() and log.messages:
                log.messages[-1].text += "\n" + line
            else:
                log.problems.append(
                    (number, raw, "No time and name found (expected “HH:MM name: text”).")
                )
            continue
        clock = _parse_time(match)
        if clock is None:
            log.problems.append((number, raw, "The time is not a valid time of day."))
            continue
        if match["date"]:
            try:
                current_day = date.fromisoformat(match["date"])
            except ValueError:
                log.problems.append((number, raw, "The date is not a valid date."))
                continue
        moment = datetime.combine(current_day, clock)
        if not match["date"] and previous is not None and moment < previous - _ROLLOVER:
            current_day += timedelta(days=1)
            moment += timedelta(days=1)
        previous = moment
        log.messages.append(
            ChatMessage(
                line=number,
                occurred_at=moment.replace(tzinfo=tz),
                author=match["author"].strip(),
                text=match["text"].strip(),
            )
        )
    return log


# Words that propose a kind for an imported line (kinds are TimelineEvent.Kind values). The
# team's own words come from the CHAT_IMPORT_PHRASES setting and win over these.
KIND_PHRASES: dict[str, tuple[str, ...]] = {
    "impact_start": ("impact started", "outage started", "started failing", "went down"),
    "detection": (
        "alert fired",
        "alert firing",
        "alerts firing",
        "alerted",
        "paged",
        "got paged",
        "page fired",
        "detected",
        "noticed",
    ),
    "escalation": (
        "escalated",
        "escalating",
        "paging",
        "declared an incident",
        "incident declared",
    ),
    "communication": ("status page", "statuspage", "customers informed", "informed customers"),
    "change": ("deployed", "deploying", "rolling back", "rolling out", "reverting", "merged"),
    "mitigation": (
        "rolled back",
        "rollback done",
        "rollback complete",
        "reverted",
        "mitigated",
        "failed over",
        "workaround in place",
    ),
    "impact_end": ("recovered", "back to normal", "error rate normal", "impact ended"),
    "resolution": ("resolved", "all clear", "incident closed", "closing the incident"),
}
# A phrase right after one of these words is denied ("not resolved yet"), so it proposes nothing.
_NEGATIONS = ("not", "no", "never", "isn't", "isn’t", "wasn't", "wasn’t", "hasn't", "hasn’t")


def _normal(phrase: str) -> str:
    return " ".join(phrase.lower().split())


class KindVocabulary:
    """Proposes a timeline kind for a chat message from whole words and phrases in it."""

    def __init__(self, *mappings: Mapping[str, Iterable[str]], default: str = "note"):
        """`mappings` of kind → phrases; a phrase in a later mapping wins over an earlier one."""
        self.default = default
        self.kind_of = {
            _normal(phrase): kind
            for mapping in mappings
            for kind, phrases in mapping.items()
            for phrase in phrases
        }
        # Longest first, so that at one position "alert fired" wins over "alert".
        alternatives = sorted(self.kind_of, key=len, reverse=True)
        words = "|".join(r"\s+".join(map(re.escape, p.split())) for p in alternatives if p)
        negations = "|".join(map(re.escape, _NEGATIONS))
        self._pattern = re.compile(
            rf"(?<![\w’'])(?:(?P<negation>{negations})(?:\s+yet)?\s+)?(?P<phrase>{words})(?![\w’'])"
            if words
            else r"(?!)",
            re.IGNORECASE,
        )

    def propose(self, text: str) -> str:
        """The kind of the first phrase in `text` that is not denied, else the default."""
        for match in self._pattern.finditer(text):
            if not match["negation"]:
                return self.kind_of[_normal(match["phrase"])]
        return self.default
