"""Telling people about reviews: picked as a reviewer, a postmortem ready for review, a
verdict for its owner, and a published postmortem changed after its reviewers approved it.

Each notice goes by email and, when the person set one, to their chat webhook. What a notice
says of a postmortem follows the site's rule for what leaves it (`postmortems.access.outbound`):
a restricted postmortem is named by its reference and link only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from actions.models import ReminderPreference
from config import chat, delivery, emails
from config.fields import person_name
from postmortems.access import outbound
from postmortems.models import Postmortem, Status
from reviews.models import Reviewer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    subject: str
    lines: list[str]
    url: str
    action: str  # the link's words: "Review it", "See what changed"

    def chat_message(self) -> chat.Message:
        return chat.Message(
            title=self.subject,
            lines=[chat.Line(line) for line in self.lines],
            buttons=[chat.Link(self.action, self.url)],
        )


def _deliver(users, notice: Notice) -> int:
    """Email each person the notice, and post it to their chat webhook if they set one."""
    people = [user for user in users if user.is_active and user.email]
    hooks = {
        user_id: (url, layout)
        for user_id, url, layout in ReminderPreference.objects.filter(user__in=people)
        .exclude(webhook_url="")
        .values_list("user_id", "webhook_url", "chat_layout")
    }
    for user in people:
        emails.send("review-notice", [user.email], {"notice": notice, "recipient": user})
        if hook := hooks.get(user.pk):
            url, layout = hook
            try:
                delivery.post_chat(
                    url,
                    notice.chat_message(),
                    layout=layout,
                    timeout=settings.REMINDER_WEBHOOK_TIMEOUT,
                    agent="Debrief reviews",
                )
            except Exception as exc:  # a chat service being down never loses the email
                logger.warning("Review notice webhook of %s failed: %s", user.username, exc)
    return len(people)


def notify_reviewers_picked(*, postmortem_id: int, user_ids: list[int]) -> int:
    """Tell newly picked reviewers what they were asked to review."""
    postmortem = Postmortem.objects.select_related("owner").get(pk=postmortem_id)
    out = outbound(postmortem, reader=True)
    ready = postmortem.status == Status.IN_REVIEW
    notice = Notice(
        subject=f"{person_name(postmortem.owner)} asked you to review {out.name}",
        lines=[
            "It is in review now." if ready else "You will hear again when it is submitted.",
            "Approve it, or request changes, from the Review panel on its page.",
        ],
        url=out.url + "#review",
        action="Review it",
    )
    return _deliver(get_user_model().objects.filter(pk__in=user_ids), notice)


def notify_review_ready(*, postmortem_id: int) -> int:
    """Tell every reviewer that a postmortem was submitted and waits for their verdict."""
    postmortem = Postmortem.objects.select_related("owner").get(pk=postmortem_id)
    out = outbound(postmortem, reader=True)
    notice = Notice(
        subject=f"{out.name} is ready for your review",
        lines=[f"{person_name(postmortem.owner)} submitted it for review."],
        url=out.url + "#review",
        action="Review it",
    )
    reviewers = get_user_model().objects.filter(reviews__postmortem=postmortem)
    return _deliver(reviewers, notice)


def notify_verdict(*, reviewer_id: int) -> int:
    """Tell a postmortem's owner a reviewer's verdict."""
    reviewer = Reviewer.objects.select_related("postmortem__owner", "user").get(pk=reviewer_id)
    postmortem = reviewer.postmortem
    out = outbound(postmortem, reader=True)
    verb = "approved" if reviewer.verdict == Reviewer.Verdict.APPROVED else "requested changes to"
    comment = out.text(reviewer.comment.strip())
    notice = Notice(
        subject=f"{person_name(reviewer.user)} {verb} {out.name}",
        lines=[f"“{comment}”"] if comment else [],
        url=out.url + "#review",
        action="Open it",
    )
    return _deliver([postmortem.owner], notice)


def notify_changed_after_publication(*, postmortem_id: int, version: int) -> int:
    """Tell the reviewers of a published postmortem that its text changed since publication.

    Sent for the latest version only: several saves in a row make one notice.
    """
    postmortem = Postmortem.objects.select_related("owner").get(pk=postmortem_id)
    if postmortem.text_version != version or not postmortem.updated_after_publication:
        return 0
    out = outbound(postmortem, reader=True)
    since = quote(postmortem.published_at.isoformat()) if postmortem.published_at else ""
    history = reverse("postmortems:history", args=[postmortem.pk])
    notice = Notice(
        subject=f"{out.name} changed after publication",
        lines=["You reviewed it; its text has changed since it was published."],
        url=f"{settings.SITE_URL}{history}?since={since}",
        action="See what changed",
    )
    reviewers = get_user_model().objects.filter(reviews__postmortem=postmortem)
    return _deliver(reviewers, notice)
