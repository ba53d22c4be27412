"""Turning a source's delivery into draft postmortems and their timelines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction

from config.events import announce
from postmortems.alerts import alertmanager, generic, opsgenie, pagerduty
from postmortems.alerts.base import KINDS, Happening, Incident, PayloadError, Transition
from postmortems.models import (
    AlertGroup,
    AlertReceipt,
    AlertSource,
    Postmortem,
    PostmortemTemplate,
    Severity,
    Status,
    TimelineEvent,
)
from services.models import Service

Kind = AlertSource.Kind
READERS: dict[str, Callable[[dict, AlertSource], list[Incident]]] = {
    Kind.ALERTMANAGER: alertmanager.read,
    Kind.GRAFANA: alertmanager.read,
    Kind.PAGERDUTY: pagerduty.read,
    Kind.OPSGENIE: opsgenie.read,
    Kind.GENERIC: generic.read,
}


class SourceNotReady(Exception):
    """The site cannot take the delivery yet (no one to own the draft): the sender retries."""


@dataclass
class Intake:
    """What a delivery did, as the sender is answered."""

    postmortems: list[str] = field(default_factory=list)
    added: int = 0
    repeated: int = 0
    # Postmortems past draft: people are reviewing their text, so alerts no longer change it.
    left_alone: list[str] = field(default_factory=list)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _link(url: str) -> str:
    """Only a web address becomes a link: a payload's `javascript:` never reaches an href."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return ""
    return url if len(url) <= 500 else ""


def alerts_receive(*, source: AlertSource, body: bytes) -> Intake:
    """Read a delivery of `source` and record it; nothing is kept if any part is unreadable."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PayloadError(f"The body is not JSON: {error}.") from None
    if not isinstance(payload, dict):
        raise PayloadError("The body must be a JSON object.")
    incidents = READERS[source.kind](payload, source)
    try:
        return _record_all(source=source, incidents=incidents)
    except IntegrityError:
        # Two deliveries of a new group at once: the one whose insert lost on the unique key
        # finds, this time, the group the other one made.
        return _record_all(source=source, incidents=incidents)


@transaction.atomic
def _record_all(*, source: AlertSource, incidents: list[Incident]) -> Intake:
    intake = Intake()
    for incident in incidents:
        _record(source=source, incident=incident, intake=intake)
    return intake


def _owner(source: AlertSource):
    if source.default_owner_id and source.default_owner.is_active:
        return source.default_owner
    admin = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk")
    if not admin.exists():
        raise SourceNotReady(
            "No one can own the draft: give the source a default owner in the admin."
        )
    return admin.first()


def _group(*, source: AlertSource, incident: Incident) -> AlertGroup:
    key_hash = _hash(incident.key)
    group = (
        AlertGroup.objects.select_for_update()
        .select_related("postmortem")
        .filter(source=source, key_hash=key_hash)
        .first()
    )
    if group is not None:
        group.source = source  # the one in hand: not a join, which FOR UPDATE would lock too
        return group
    postmortem = Postmortem.objects.create(
        title=incident.title[:200] or "Alert",
        severity=source.severity_for(incident.severity_values) or Severity.SEV3,
        owner=_owner(source),
        template=PostmortemTemplate.objects.filter(is_default=True).first(),
    )
    announce("postmortem.created", postmortem)
    return AlertGroup.objects.create(
        source=source, key_hash=key_hash, group_key=incident.key, postmortem=postmortem
    )


def _record(*, source: AlertSource, incident: Incident, intake: Intake) -> None:
    group = _group(source=source, incident=incident)
    postmortem = group.postmortem
    intake.postmortems.append(postmortem.reference)
    if postmortem.status != Status.DRAFT:
        intake.left_alone.append(postmortem.reference)
        return
    receipts = {r.key_hash: r for r in group.receipts.select_related("event")}
    outcomes = [
        _note(group=group, happening=happening, receipts=receipts)
        for happening in incident.happenings
    ]
    added, moved = outcomes.count("added"), outcomes.count("moved")
    intake.repeated += outcomes.count("repeated")
    intake.added += added
    triggers = [h.occurred_at for h in incident.happenings if h.transition == Transition.TRIGGERED]
    postmortem.sync_key_times()
    if triggers:
        postmortem.impact_started_by(min(triggers))
    _absorb(postmortem=postmortem, source=source, incident=incident)
    if added or moved:
        postmortem.mark_text_changed()


def _note(*, group: AlertGroup, happening: Happening, receipts: dict[str, AlertReceipt]) -> str:
    """Put `happening` on the timeline unless it is there already: "added", "moved" or
    "repeated". `receipts` (by key hash) are the group's, and gain the new one."""
    key_hash = _hash(happening.key)
    receipt = receipts.get(key_hash)
    description = f"{group.source.name}: {happening.description}"
    if receipt is None:
        event = TimelineEvent.objects.create(
            postmortem=group.postmortem,
            occurred_at=happening.occurred_at,
            kind=KINDS[happening.transition],
            description=description,
            source_url=_link(happening.url),
            starred=happening.transition in (Transition.TRIGGERED, Transition.RESOLVED),
        )
        receipts[key_hash] = AlertReceipt.objects.create(
            group=group, key_hash=key_hash, key=happening.key, event=event
        )
        return "added"
    # One resolution an incident: the latest one reported, whatever order they came in.
    if (
        happening.transition == Transition.RESOLVED
        and receipt.event is not None
        and happening.occurred_at > receipt.event.occurred_at
    ):
        receipt.event.occurred_at = happening.occurred_at
        receipt.event.description = description
        receipt.event.save(update_fields=["occurred_at", "description"])
        return "moved"
    return "repeated"


def _absorb(*, postmortem: Postmortem, source: AlertSource, incident: Incident) -> None:
    """A more severe alert raises the severity; named services and responders are added.
    A draft its owner made a near miss keeps no severity."""
    severity = source.severity_for(incident.severity_values)
    if severity is not None and postmortem.severity is not None and severity < postmortem.severity:
        postmortem.severity = severity
        postmortem.save(update_fields=["severity", "updated_at"])
    names = {name.strip().lower() for name in incident.services if name.strip()}
    if names:
        postmortem.services.add(
            *Service.objects.annotate(lower=models.functions.Lower("name")).filter(lower__in=names)
        )
        postmortem.take_team_from_services()
    emails = {e.strip() for e in incident.responder_emails if "@" in e}
    if emails:
        people = get_user_model().objects.filter(
            reduce(or_, (models.Q(email__iexact=e) for e in emails)), is_active=True
        )
        postmortem.coauthors.add(*people.exclude(pk=postmortem.owner_id))
