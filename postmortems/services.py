from __future__ import annotations

from django.db import transaction

from postmortems.chatlog import ChatMessage
from postmortems.lint import postmortem_lint_summary
from postmortems.models import Postmortem, Status, TimelineEvent


@transaction.atomic
def timeline_import(*, postmortem: Postmortem, messages: list[ChatMessage]) -> tuple[int, int]:
    """Add chat messages to the timeline, skipping any already on it. Returns (added, skipped)."""
    existing = set(postmortem.events.values_list("occurred_at", "description"))
    new = [
        TimelineEvent(postmortem=postmortem, occurred_at=m.occurred_at, description=m.description)
        for m in messages
        if (m.occurred_at, m.description) not in existing
    ]
    TimelineEvent.objects.bulk_create(new)
    return len(new), len(messages) - len(new)


class TransitionRefused(Exception):
    """A status change that is not possible yet, with each thing to fix and where it is."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(message for message, _ in problems))
        self.problems = problems  # (message, anchor on the postmortem page)


def review_problems(postmortem: Postmortem) -> list[tuple[str, str]]:
    """What stops this postmortem from going to review, each with a link to where it is."""
    return [
        (
            f"{item.label}: “{item.finding.text}” ({item.finding.category}) is an "
            "unacknowledged linter warning. Reword it or acknowledge it with a reason.",
            item.anchor,
        )
        for item in postmortem_lint_summary(postmortem).blocking
    ]


def postmortem_submit_for_review(*, postmortem: Postmortem, by) -> None:
    if postmortem.status != Status.DRAFT:
        raise TransitionRefused([("Only a draft can be submitted for review.", "")])
    problems = review_problems(postmortem)
    if problems:
        raise TransitionRefused(problems)
    postmortem.status = Status.IN_REVIEW
    postmortem.save(update_fields=["status", "updated_at"])
