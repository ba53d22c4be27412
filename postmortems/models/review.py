"""The review of a postmortem: draft → in review → published, and back to draft with a reason."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from config.events import announce
from config.fields import person_name


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


NO_ACTIONS_MESSAGE = "Add at least one action item, or record why none is needed."


class TransitionRefused(Exception):
    """A status change that is not possible yet, with each thing to fix and where it is."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(message for message, _ in problems))
        self.problems = problems  # (message, anchor on the postmortem page)


class ReviewWorkflow:
    """Postmortem's status changes, the checks that gate them, and when review is due."""

    @property
    def review_deadline(self) -> datetime | None:
        """When a draft's review is due: calendar days, or business days counted in its zone.
        The deadlines go by severity, so a near miss (none) has no deadline."""
        if self.resolved_at is None or self.severity is None:
            return None
        if self.severity in settings.REVIEW_DEADLINE_DAYS:
            return self.resolved_at + timedelta(days=settings.REVIEW_DEADLINE_DAYS[self.severity])
        business_days = settings.REVIEW_DEADLINE_BUSINESS_DAYS.get(self.severity)
        if business_days is None:
            return None
        moment = self.resolved_at.astimezone(self.tz)
        while business_days:
            moment += timedelta(days=1)  # wall-clock arithmetic: the same local time, DST or not
            if moment.weekday() < 5:
                business_days -= 1
        return moment

    # The rows a move writes (transitions, comments, reviewers) belong to the reviews app:
    # they are reached through their reverse relations, as this app imports no app above it.

    @property
    def missing_action_items(self) -> str | None:
        """What stops publishing for want of action items; None when nothing does."""
        if self.no_actions_reason.strip() or self.action_items.exists():
            return None
        return NO_ACTIONS_MESSAGE

    def review_problems(self) -> list[tuple[str, str]]:
        """What the postmortem still lacks for review, each with a link to where to fix it."""
        from postmortems.lint import postmortem_lint_summary  # it imports this module

        problems = []
        if not self.summary.strip():
            problems.append(("Write the summary.", "#section-summary"))
        if self.is_near_miss:
            if not self.could_have_happened.strip():
                problems.append(("Write what could have happened.", "#section-impact"))
        elif not self.impact.strip():
            problems.append(("Write the impact statement.", "#section-impact"))
        if not self.events.exists():
            problems.append(("Add at least one timeline event.", "#timeline"))
        if not self.factors.exists():
            problems.append(("Add at least one contributing factor.", "#factors"))
        if message := self.missing_action_items:
            problems.append((message, "#action-items"))
        problems.extend(
            (
                f"{item.label}: “{item.finding.text}” ({item.finding.category}) is an "
                "unacknowledged linter warning. Reword it or acknowledge it with a reason.",
                item.anchor,
            )
            for item in postmortem_lint_summary(self).blocking
        )
        return problems

    @property
    def approvals_needed(self) -> int:
        approved = self.reviewers.current_approvals().count()
        return max(settings.POSTMORTEM_APPROVALS_REQUIRED - approved, 0)

    def publish_problems(self) -> list[tuple[str, str]]:
        """What stands between a postmortem in review and its publication."""
        problems = self.review_problems()
        if needed := self.approvals_needed:
            problems.append(
                (f"It needs {needed} more approval{'s' if needed > 1 else ''}.", "#review")
            )
            problems.extend(
                (
                    f"{person_name(reviewer.user)} approved an earlier version: the text changed "
                    f"since {_when(reviewer.decided_at)}. Their approval counts again once "
                    "they approve this version.",
                    "#review",
                )
                for reviewer in self.reviewers.stale_approvals().select_related("user")
            )
        if self.reviewers.filter(verdict=self.reviewers.model.Verdict.CHANGES).exists():
            problems.append(("A reviewer has requested changes; address them first.", "#review"))
        return problems

    @transaction.atomic
    def submit(self, by) -> None:
        """Send a complete draft to its reviewers."""
        if self.status != Status.DRAFT:
            raise TransitionRefused([("Only a draft can be submitted for review.", "")])
        if problems := self.review_problems():
            raise TransitionRefused(problems)
        self._move(Status.IN_REVIEW, by=by)
        announce("postmortem.submitted", self)

    @transaction.atomic
    def publish(self, by) -> None:
        """Publish the text as approved: the approvals must be for the version published."""
        if self.status != Status.IN_REVIEW:
            raise TransitionRefused([("Only a postmortem in review can be published.", "")])
        # Locked, so that the version the approvals are checked against is the one published.
        locked = type(self).objects.select_for_update().only("text_version").get(pk=self.pk)
        self.text_version = locked.text_version
        if problems := self.publish_problems():
            raise TransitionRefused(problems)
        self._move(
            Status.PUBLISHED,
            by=by,
            published_version=self.text_version,
            published_at=timezone.now(),
        )
        announce("postmortem.published", self)

    @transaction.atomic
    def return_to_draft(self, by, reason: str) -> None:
        if self.status == Status.DRAFT:
            raise TransitionRefused([("It is already a draft.", "")])
        if not reason.strip():
            raise TransitionRefused([("Say why it goes back to draft.", "#review")])
        self._move(Status.DRAFT, by=by, reason=reason.strip())
        # Approvals were given to the text as it was; the next review starts afresh.
        self.reviewers.update(verdict=self.reviewers.model.Verdict.PENDING, decided_at=None)

    def _move(self, to: str, *, by, reason: str = "", **fields) -> None:
        """Move to status `to`, setting `fields` in the same save; record who, when and why."""
        previous = self.status
        self.status = to
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "updated_at", *fields])
        self.transitions.create(from_status=previous, to_status=to, by=by, reason=reason)
        body = f"Moved to {Status(to).label.lower()}." + (f" Reason: {reason}" if reason else "")
        self.comments.create(author=by, kind=self.comments.model.Kind.STATUS, body=body)


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "then"
