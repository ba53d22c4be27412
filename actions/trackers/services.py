"""What changes on which side when an item or its tracker issue changes.

The last change wins: a tracker change newer than the item's last change is applied to the
item; an older one is recorded in the item's history and the item's state is pushed back.
Changes applied from the tracker are never pushed back (no loops), and a delivery older than
the last one applied (a retry, or one overtaken by a later one) changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from actions.models import ActionItem, Status, TrackerConnection, TrackerLink
from actions.trackers import github, gitlab, jira
from actions.trackers.base import BadDelivery, Issue, TrackerError

logger = logging.getLogger(__name__)

CLIENTS = {"github": github, "gitlab": gitlab, "jira": jira}


def client(connection: TrackerConnection):
    return CLIENTS[connection.kind]


def _login(user) -> str | None:
    return user.get_username() if user is not None else None


def tracker_issue_create(*, item: ActionItem, connection: TrackerConnection, link_back: str):
    """Create the issue from the item and link them."""
    body = f"{item.description}\n\nAction item in Debrief: {link_back}".strip()
    issue = client(connection).create(
        connection,
        title=item.title,
        body=body,
        labels=connection.label_list,
        assignee=_login(item.owner),
    )
    return _link(item, connection, issue)


def tracker_issue_link(*, item: ActionItem, connection: TrackerConnection, reference: str):
    """Link an existing issue, given by its number or web address; its state applies."""
    key = client(connection).key_from(reference.strip(), connection)
    if key is None:
        raise ValidationError(f"Give an issue number or an issue address in {connection.project}.")
    issue = client(connection).get(connection, key)
    link = _link(item, connection, issue)
    tracker_apply(link=link, issue=issue, force=True)
    return link


def _link(item, connection, issue: Issue) -> TrackerLink:
    if TrackerLink.objects.filter(connection=connection, key=issue.key).exists():
        raise ValidationError(f"{connection.name} #{issue.key} is already linked to an item.")
    link, _ = TrackerLink.objects.update_or_create(
        item=item,
        defaults={
            "connection": connection,
            "key": issue.key,
            "url": issue.url,
            "state": issue.state,
            "remote_updated_at": issue.updated_at,
            "synced_at": timezone.now(),
        },
    )
    item.note_change(by=None, note=f"Linked to {link}: {issue.url}")
    return link


def tracker_apply(*, link: TrackerLink, issue: Issue, force: bool = False) -> str:
    """Bring the item in step with the issue as the tracker last saw it; says what happened."""
    with transaction.atomic():
        link = TrackerLink.objects.select_for_update().select_related("item").get(pk=link.pk)
        if not force and link.remote_updated_at and issue.updated_at <= link.remote_updated_at:
            return "stale"
        item = link.item
        outcome = "unchanged"
        if _differs(item, issue):
            if not force and item.updated_at > issue.updated_at:
                item.note_change(
                    by=None,
                    note=f"{link} changed at {issue.updated_at:%Y-%m-%d %H:%M:%S} UTC "
                    f"({issue.state}), before this item's last change: the item's state wins.",
                )
                transaction.on_commit(lambda: _enqueue_push(item.pk))
                outcome = "kept"
            else:
                outcome = _take(item, link, issue)
        link.state = issue.state
        link.remote_updated_at = issue.updated_at
        link.synced_at = timezone.now()
        link.save(update_fields=["state", "remote_updated_at", "synced_at", "last_error"])
        return outcome


def _differs(item, issue: Issue) -> bool:
    """Whether the issue says something else than the item about what both sides have."""
    if issue.closed != (item.status == Status.DONE):
        return True
    if issue.due_date and issue.due_date != item.due_date:
        return True
    if not issue.assignee:
        return False
    return issue.assignee != _login(item.owner) and _user(issue.assignee) is not None


def _user(login: str):
    return get_user_model().objects.filter(username=login, is_active=True).first()


def _take(item: ActionItem, link: TrackerLink, issue: Issue) -> str:
    link.last_error = ""
    if issue.assignee and (owner := _user(issue.assignee)) and owner.pk != item.owner_id:
        item.reassign(owner, by=None)
    if issue.due_date and issue.due_date != item.due_date:
        item.move_due_date(issue.due_date, by=None)
    try:
        if issue.closed and item.status != Status.DONE:
            item.complete(by=None, note=f"Closed in {link}.")
        elif not issue.closed and item.status == Status.DONE:
            item.reopen(by=None, note=f"Reopened in {link}.")
    except ValidationError as error:
        link.last_error = "; ".join(error.messages)
        return "refused"
    return "applied"


def tracker_webhook_receive(*, connection: TrackerConnection, headers: Mapping, body: bytes) -> str:
    """Apply one verified delivery; BadDelivery for a body that is not an issue event."""
    issue = client(connection).webhook_issue(connection, headers, body)
    if issue is None:
        return "ignored"
    link = TrackerLink.objects.filter(connection=connection, key=issue.key).first()
    if link is None:
        return "not linked"
    return tracker_apply(link=link, issue=issue)


def _enqueue_push(item_id: int) -> None:
    from actions.tasks import push_tracker_item  # the tasks module imports this one

    push_tracker_item.delay(item_id)


def tracker_item_changed(*, item: ActionItem) -> None:
    """A person changed the item: push it to its linked issue once the change is committed."""
    if TrackerLink.objects.filter(item=item).exists():
        transaction.on_commit(lambda: _enqueue_push(item.pk))


def tracker_push(*, item_id: int) -> str:
    """Make the linked issue show the item's state, owner and due date."""
    link = TrackerLink.objects.select_related("item__owner", "connection").get(item_id=item_id)
    item, connection = link.item, link.connection
    tracker = client(connection)
    try:
        issue = tracker.update(
            connection,
            link.key,
            closed=item.status == Status.DONE,
            assignee=_login(item.owner),
            due_date=item.due_date if tracker.HAS_DUE_DATE else None,
        )
    except TrackerError as error:
        TrackerLink.objects.filter(pk=link.pk).update(last_error=str(error))
        raise
    TrackerLink.objects.filter(pk=link.pk).update(
        state=issue.state,
        remote_updated_at=issue.updated_at,
        synced_at=timezone.now(),
        last_error="",
    )
    return issue.state


def trackers_reconcile() -> dict[str, int]:
    """Fetch every linked issue and apply what a missed webhook would have."""
    counts: dict[str, int] = {}
    links = TrackerLink.objects.filter(connection__enabled=True).select_related("connection")
    for link in links.iterator():
        try:
            issue = client(link.connection).get(link.connection, link.key)
        except (TrackerError, BadDelivery) as error:
            logger.warning("Reconciling %s: %s", link, error)
            TrackerLink.objects.filter(pk=link.pk).update(last_error=str(error))
            outcome = "failed"
        else:
            outcome = tracker_apply(link=link, issue=issue)
            # Nothing new in the tracker, yet it says otherwise: the item changed by a way that
            # pushes nothing (bulk changes, the API), so its state goes to the tracker now.
            if outcome == "stale" and _differs(ActionItem.objects.get(pk=link.item_id), issue):
                transaction.on_commit(lambda item_id=link.item_id: _enqueue_push(item_id))
                outcome = "pushed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
