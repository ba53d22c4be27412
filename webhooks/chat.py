"""An event as a chat message, for a subscription whose format is a chat layout.

Built from the payload's `data` after `payloads.redacted`, so it says no more than the JSON
would: a restricted postmortem is its reference and link, its items are numbers.
"""

from __future__ import annotations

from actions.models import Status as ItemStatus
from config.chat import Line, Link, Message
from postmortems.models import Severity
from reviews.models import Reviewer


def _name(pm: dict) -> str:
    return pm["reference"] if pm["restricted"] else f"{pm['reference']} {pm['title']}"


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _postmortem_facts(pm: dict) -> list[tuple[str, str]]:
    if pm["restricted"]:
        return []
    # A near miss has no severity (null in the payload).
    facts = [("Severity", _label(Severity, pm["severity"]))] if pm.get("severity") else []
    return facts + ([("Owner", pm["owner"])] if pm.get("owner") else [])


def _item_facts(item: dict) -> list[tuple[str, str]]:
    facts = [("Due", item["due_date"]), ("Status", _label(ItemStatus, item["status"]))]
    return facts + [(key.capitalize(), item[key]) for key in ("owner", "priority") if item.get(key)]


def _item_lines(item: dict) -> list[Line]:
    pm = item.get("postmortem")
    return [Line(f"From {_name(pm)}", pm["url"])] if pm else []


def _reviewers(pm: dict) -> str:
    """Who is asked to review a readable postmortem; nothing for a restricted one."""
    if pm["restricted"]:
        return ""
    names = Reviewer.objects.filter(postmortem_id=pm["id"]).values_list("user__username", flat=True)
    return ", ".join(sorted(names))


def _postmortem(event: str, data: dict) -> Message:
    pm = data["postmortem"]
    name = _name(pm)
    facts = _postmortem_facts(pm)
    if event == "postmortem.submitted":
        reviewers = _reviewers(pm)
        return Message(
            title=f"Review requested: {name}",
            lines=[Line("A draft was submitted and waits for its reviewers' verdicts.")],
            facts=facts + ([("Reviewers", reviewers)] if reviewers else []),
            buttons=[Link("Review it", pm["url"] + "#review")],
        )
    title, words, button = {
        "postmortem.created": (f"New postmortem: {name}", "A postmortem was created.", "Open it"),
        "postmortem.published": (
            f"Published: {name}",
            "The postmortem was published: read what happened and what follows.",
            "Read it",
        ),
        "postmortem.updated": (f"Updated: {name}", "Its text changed.", "Open it"),
    }[event]
    return Message(title=title, lines=[Line(words)], facts=facts, buttons=[Link(button, pm["url"])])


def _action_item(event: str, data: dict) -> Message:
    item = data["action_item"]
    lines = _item_lines(item)
    danger = False
    if event == "action_item.overdue":
        days = data["days_overdue"]
        title = f"Overdue: {item['title']}"
        lines.insert(0, Line(f"{days} day{'' if days == 1 else 's'} past its due date."))
        danger = True
    elif event == "action_item.status_changed":
        before = _label(ItemStatus, data["from_status"])
        after = _label(ItemStatus, data["to_status"])
        title = f"{item['title']}: {before} → {after}"
    else:
        title = f"New action item: {item['title']}"
    return Message(
        title=title,
        lines=lines,
        facts=_item_facts(item),
        buttons=[Link("Open the item", item["url"])],
        danger=danger,
    )


def _verdict(event: str, data: dict) -> Message:
    pm = data["postmortem"]
    verb = "approved" if data["verdict"] == Reviewer.Verdict.APPROVED else "requested changes to"
    return Message(
        title=f"{data['reviewer'] or 'A reviewer'} {verb} {_name(pm)}",
        facts=_postmortem_facts(pm),
        buttons=[Link("Open the review", pm["url"] + "#review")],
    )


def _meeting(event: str, data: dict) -> Message:
    meeting = data["meeting"]
    agenda = [Line(_name(pm), pm["url"]) for pm in meeting["postmortems"]]
    return Message(
        title=f"Review meeting ended: {meeting['title']}",
        lines=[Line("On the agenda", heading=True), *agenda] if agenda else [],
        buttons=[Link("Open the meeting", meeting["url"])],
    )


_BUILDERS = {
    "postmortem": _postmortem,
    "action_item": _action_item,
    "review": _verdict,
    "meeting": _meeting,
}


def event_message(event: str, data: dict) -> Message:
    """The chat message for an event's (already redacted) payload data."""
    return _BUILDERS[event.split(".")[0]](event, data)
