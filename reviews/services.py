from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from email.mime.text import MIMEText
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from actions.models import OPEN_STATUSES, ActionItem
from config import emails
from config.events import announce
from config.fields import person_name
from postmortems import access
from postmortems.models import Postmortem, Status
from reviews.ics import meeting_invitation
from reviews.models import (
    AgendaItem,
    Attendance,
    Comment,
    Invitation,
    Meeting,
    Reviewer,
)
from reviews.outbound import outbound_agenda

MAX_MENTIONS = 20


class ReviewRefused(Exception):
    """A review or a choice of reviewers that the rules do not allow, said for a person."""


def postmortem_submit_for_review(*, postmortem: Postmortem, by) -> None:
    """Submit the draft (Postmortem.submit); its reviewers hear of it once that commits."""
    from reviews.tasks import notify_review_ready

    postmortem.submit(by=by)
    transaction.on_commit(lambda: notify_review_ready.delay(postmortem.pk))


def postmortem_text_changed(*, postmortem: Postmortem, **_) -> None:
    """A published postmortem's reviewers hear of a change, once its author paused editing."""
    from reviews.tasks import notify_changed_after_publication

    if postmortem.updated_after_publication:
        args = (postmortem.pk, postmortem.text_version)
        delay = settings.REVIEW_CHANGE_NOTICE_DELAY_SECONDS
        transaction.on_commit(
            lambda: notify_changed_after_publication.apply_async(args, countdown=delay)
        )


def reviewers_set(*, postmortem: Postmortem, users) -> None:
    keep = {user.pk for user in users}
    if postmortem.owner_id in keep:
        raise ReviewRefused(
            f"{person_name(postmortem.owner)} owns this postmortem and can't review it: approvals "
            "come from someone else."
        )
    postmortem.reviewers.exclude(user__in=keep).delete()
    existing = set(postmortem.reviewers.values_list("user_id", flat=True))
    added = sorted(keep - existing)
    Reviewer.objects.bulk_create(Reviewer(postmortem=postmortem, user_id=pk) for pk in added)
    if added:
        from reviews.tasks import notify_reviewers_picked

        transaction.on_commit(lambda: notify_reviewers_picked.delay(postmortem.pk, added))


@transaction.atomic
def review_record(
    *, postmortem: Postmortem, user, verdict: str, comment: str, version: int
) -> Reviewer:
    """Record a verdict on `version` of the text: the version the reviewer read.

    A verdict on a version older than the current one is kept, and shows as one for an
    earlier version; it never counts for text the reviewer has not seen.
    """
    if user.pk == postmortem.owner_id:
        raise ReviewRefused("You own this postmortem: approvals come from someone else.")
    reviewer = postmortem.reviewers.select_for_update().get(user=user)
    postmortem.refresh_from_db(fields=["text_version", "text_changed_at"])
    if version > postmortem.text_version:
        raise ReviewRefused("That version of the text does not exist; reload the page.")
    reviewer.decide(verdict, comment, version=version)
    kind = Comment.Kind.APPROVED if verdict == Reviewer.Verdict.APPROVED else Comment.Kind.CHANGES
    comment_create(postmortem=postmortem, author=user, body=comment, kind=kind)
    announce("review.verdict", reviewer)
    from reviews.tasks import notify_verdict

    transaction.on_commit(lambda: notify_verdict.delay(reviewer.pk))
    return reviewer


def comment_create(*, postmortem: Postmortem, author, body: str, kind: str = "comment") -> Comment:
    from reviews.tasks import notify_mentions

    comment = Comment.objects.create(postmortem=postmortem, author=author, body=body, kind=kind)
    if comment.mentioned_usernames():
        transaction.on_commit(lambda: notify_mentions.delay(comment.pk))
    return comment


def comment_notify_mentions(*, comment_id: int) -> int:
    """Email each person @mentioned in a comment (not its author). Returns how many."""
    comment = Comment.objects.select_related("postmortem", "author").get(pk=comment_id)
    names = sorted(comment.mentioned_usernames())[:MAX_MENTIONS]
    if not names:
        return 0
    recipients = (
        get_user_model()
        .objects.filter(reduce(or_, (Q(username__iexact=name) for name in names)))
        .filter(is_active=True)
        .exclude(email="")
        .exclude(pk=comment.author_id)
    )
    readers = [user for user in recipients if access.may_read(user, comment.postmortem)]
    out = access.outbound(comment.postmortem, reader=True)
    for user in readers:
        context = {"comment": comment, "recipient": user, "postmortem": out}
        emails.send("mention", [user.email], {**context, "body": out.text(comment.body)})
    return len(readers)


# Meetings


def suggested_agenda(user, today: date | None = None) -> QuerySet[Postmortem]:
    """Postmortems in review, and published ones whose action items are overdue."""
    today = today or timezone.localdate()
    overdue = ActionItem.objects.filter(
        postmortem=OuterRef("pk"), status__in=OPEN_STATUSES, due_date__lt=today
    )
    return (
        access.readable_postmortems(user)
        .annotate(has_overdue=Exists(overdue))
        .filter(Q(status=Status.IN_REVIEW) | Q(status=Status.PUBLISHED, has_overdue=True))
        .order_by("-status", "-created_at")
    )


@transaction.atomic
def meeting_create(*, data: dict, attendees, agenda, facilitator) -> Meeting:
    meeting = Meeting.objects.create(facilitator=facilitator, **data)
    people = {facilitator, *attendees}
    Attendance.objects.bulk_create(Attendance(meeting=meeting, user=user) for user in people)
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, postmortem=postmortem, position=index)
        for index, postmortem in enumerate(agenda, start=1)
    )
    return meeting


def _calendar_state(meeting: Meeting) -> tuple:
    """What an invitation shows: a change to any of it is sent as an update."""
    return (
        meeting.title,
        meeting.starts_at,
        meeting.duration_minutes,
        meeting.location,
        sorted(meeting.attendance.values_list("user_id", flat=True)),
        list(meeting.agenda.values_list("postmortem_id", flat=True)),
    )


@transaction.atomic
def meeting_update(*, meeting: Meeting, data: dict, attendees, agenda) -> bool:
    """Change a planned meeting; returns whether an update goes out to calendars.

    A change to what an invitation shows raises its SEQUENCE; once invitations went out, it
    also emails an update to everyone invited, and a cancellation to those taken off the list.
    """
    # From the database: a bound ModelForm has already put the new values on `meeting`.
    before = _calendar_state(Meeting.objects.select_for_update().get(pk=meeting.pk))
    for name, value in data.items():
        setattr(meeting, name, value)
    people = {meeting.facilitator_id, *(user.pk for user in attendees)}
    invited = set(meeting.attendance.values_list("user_id", flat=True))
    meeting.attendance.exclude(user_id__in=people).delete()
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, user_id=pk) for pk in people - invited
    )
    # Kept items keep their place (and any notes); new ones go at the end.
    wanted = [postmortem.pk for postmortem in agenda]
    meeting.agenda.exclude(postmortem_id__in=wanted).delete()
    kept = set(meeting.agenda.values_list("postmortem_id", flat=True))
    last = max(meeting.agenda.values_list("position", flat=True), default=0)
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, postmortem_id=pk, position=last + index)
        for index, pk in enumerate((pk for pk in wanted if pk not in kept), start=1)
    )
    changed = _calendar_state(meeting) != before
    if changed:
        meeting.sequence += 1
    meeting.save(update_fields=[*data, "sequence"])
    notify = changed and meeting.invitations.exists()
    if notify:
        meeting_invite(meeting=meeting, removed=invited - people)
    return notify


def meeting_invite(*, meeting: Meeting, removed: Iterable[int] = ()) -> None:
    """Email the invitation once the transaction commits (cancellations to `removed`)."""
    from reviews.tasks import send_meeting_invitation

    removed_ids = sorted(removed)
    transaction.on_commit(lambda: send_meeting_invitation.delay(meeting.pk, removed_ids))


def _invited(meeting: Meeting) -> list:
    """Everyone invited who has an email address, the facilitator too, by address."""
    people = {meeting.facilitator, *meeting.attendees.all()}
    return sorted((user for user in people if user.email), key=lambda user: user.email)


def meeting_send_invitation(*, meeting_id: int, removed_ids: Iterable[int] = ()) -> int:
    """Email the meeting's .ics to everyone invited, and a cancellation to each removed
    person who had been invited. Records each message; returns how many were sent."""
    meeting = Meeting.objects.select_related("facilitator").get(pk=meeting_id)
    had_invitation = meeting.invitations.filter(method=Invitation.Method.REQUEST)
    dropped = (
        get_user_model()
        .objects.filter(pk__in=removed_ids)
        .filter(pk__in=had_invitation.values("user_id"))
        .exclude(pk__in=meeting.attendance.values("user_id"))
        .exclude(email="")
    )
    context = {"meeting": meeting, "agenda": outbound_agenda(meeting)}
    request = meeting_invitation(meeting)
    sent = [(user, Invitation.Method.REQUEST, request) for user in _invited(meeting)]
    sent += [
        (user, Invitation.Method.CANCEL, meeting_invitation(meeting, method="CANCEL", to=[user]))
        for user in dropped
    ]
    messages = [
        _invitation_email(meeting, user, method, ics, context) for user, method, ics in sent
    ]
    if messages:
        get_connection().send_messages(messages)
    Invitation.objects.bulk_create(
        Invitation(
            meeting=meeting, user=user, email=user.email, method=method, sequence=meeting.sequence
        )
        for user, method, _ in sent
    )
    return len(messages)


def _invitation_email(
    meeting: Meeting, user, method: str, ics: bytes, context: dict
) -> EmailMultiAlternatives:
    context = {**context, "recipient": user, "cancelled": method == Invitation.Method.CANCEL}
    message = emails.build("meeting-invitation", [user.email], context)
    if meeting.facilitator.email:
        message.reply_to = [meeting.facilitator.email]
    # Calendar programs act on text/calendar with its method named in the part's header.
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
    return message


@transaction.atomic
def meeting_end(*, meeting: Meeting) -> None:
    from reviews.tasks import send_meeting_summary

    meeting.ended_at = timezone.now()
    meeting.save(update_fields=["ended_at"])
    announce("meeting.ended", meeting)
    transaction.on_commit(lambda: send_meeting_summary.delay(meeting.pk))


def meeting_send_summary(*, meeting_id: int) -> int:
    """Email the meeting's decisions and new action items to everyone invited.

    Each person gets their own copy, without the restricted postmortems they may not read,
    and with what leaves the site as access.outbound says.
    """
    meeting = Meeting.objects.select_related("facilitator").get(pk=meeting_id)
    present = [a.user for a in meeting.attendance.select_related("user") if a.attended]
    agenda = list(meeting.agenda.select_related("postmortem"))
    items = list(meeting.action_items.select_related("owner", "postmortem"))
    messages = []
    for person in _invited(meeting):
        readable = set(
            access.readable_postmortems(person)
            .filter(pk__in=[a.postmortem_id for a in agenda + items if a.postmortem_id])
            .values_list("pk", flat=True)
        )
        context = {
            "meeting": meeting,
            "present": present,
            "agenda": [_summary_entry(a) for a in agenda if a.postmortem_id in readable],
            "action_items": [
                _summary_item(i, reader=i.postmortem_id in readable)
                for i in items
                if i.postmortem_id is None or i.postmortem_id in readable or i.owner == person
            ],
        }
        messages.append(emails.build("meeting-summary", [person.email], context))
    if messages:
        get_connection().send_messages(messages)
    return len(messages)


def _summary_entry(entry: AgendaItem) -> dict:
    out = access.outbound(entry.postmortem, reader=True)
    return {"name": out.name, "url": out.url, "decision": out.text(entry.decision), "out": out}


def _summary_item(item: ActionItem, *, reader: bool) -> dict:
    out = access.outbound(item.postmortem, reader=reader)
    return {"item": item, "title": out.item_title(item.pk, item.title), "reference": out.reference}
