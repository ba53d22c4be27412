"""A postmortem's key times (impact started, detected, mitigated, resolved), the durations
derived from them, and the timeline events that set them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst

from postmortems.models.timeline import TimelineEvent


class KeyTimes:
    """Postmortem's key timestamps: what they say, and how the timeline keeps them."""

    def _since_start(self, moment: datetime | None) -> timedelta | None:
        if self.started_at is None or moment is None or moment < self.started_at:
            return None
        return moment - self.started_at

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._since_start(self.detected_at)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self._since_start(self.mitigated_at)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._since_start(self.resolved_at)

    @cached_property
    def impact_duration(self) -> timedelta | None:
        """How long customers were affected (see `PostmortemQuerySet.with_impact`)."""
        impact = type(self).objects.filter(pk=self.pk).with_impact()
        start, end = impact.values_list("impact_start", "impact_end").get()
        if start is None or end is None or end < start:
            return None
        return end - start

    def key_times(self) -> list[tuple[str, datetime | None]]:
        """Each key time with its field's label, in the order an incident goes."""
        fields = map(self._meta.get_field, TimelineEvent.KEY_FIELDS.values())
        return [(capfirst(field.verbose_name), field.value_from_object(self)) for field in fields]

    def timestamp_warnings(self) -> list[str]:
        """Key timestamps that contradict each other, said the way a reviewer would."""
        order = [(label, moment) for label, moment in self.key_times() if moment is not None]
        warnings = []
        for i, (label, moment) in enumerate(order):
            for earlier_label, earlier in order[:i]:
                if moment < earlier:
                    warnings.append(
                        f"{label} ({self._local(moment)}) is before "
                        f"{earlier_label.lower()} ({self._local(earlier)})."
                    )
        return warnings

    def _local(self, moment: datetime) -> str:
        return timezone.localtime(moment, self.tz).strftime("%Y-%m-%d %H:%M")

    def sync_key_times(self) -> None:
        """Let key events of the timeline set the key timestamps they stand for."""
        firsts = self.events.aggregate(
            **{
                field: models.Min("occurred_at", filter=models.Q(kind=kind))
                for kind, field in TimelineEvent.KEY_FIELDS.items()
            }
        )
        changed = []
        for field, first in firsts.items():
            if first is not None and getattr(self, field) != first:
                setattr(self, field, first)
                changed.append(field)
        if changed:
            self.save(update_fields=[*changed, "updated_at"])

    def impact_started_by(self, moment: datetime) -> None:
        """Impact began no later than `moment` (an alert fired then): the earliest one counts."""
        if self.started_at is None or moment < self.started_at:
            self.started_at = moment
            self.save(update_fields=["started_at", "updated_at"])
