"""What the metrics are drawn from: the period, service, team and severity a reader chose,
and the restricted postmortems hidden from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any

from django.db.models import DateField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from actions.models import ActionItem
from postmortems import access
from postmortems.models import Postmortem, PostmortemKind
from services.models import Service
from teams.models import Team

ServiceLink = Postmortem.services.through


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    service: Service | None = None
    team: Team | None = None
    severity: int | None = None
    viewer: Any = None  # the person looking: restricted postmortems they may not read are left out

    @property
    def zone(self) -> tzinfo:
        """Months, weeks and days are the reader's: the site's zone, or the one activated."""
        return timezone.get_current_timezone()

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: from the start day's midnight to the end day's end."""
        return (
            datetime.combine(self.start, time.min, self.zone),
            datetime.combine(self.end + timedelta(days=1), time.min, self.zone),
        )

    def during(self, moment: str) -> Q:
        """Rows whose `moment` falls in the period."""
        low, high = self.bounds
        return Q(**{f"{moment}__gte": low, f"{moment}__lt": high})

    def incidents(self) -> QuerySet[Postmortem]:
        """Incidents of the period and the filters: near misses are counted apart."""
        return self.postmortems().exclude(kind=PostmortemKind.NEAR_MISS)

    def postmortems(self) -> QuerySet[Postmortem]:
        """Postmortems of the period (dated by impact start, else creation) and the filters."""
        # The date spelled out rather than filtered on `occurred`, so that PostgreSQL sizes
        # the result from the columns' statistics and picks the plans for that many rows.
        dated = self.during("started_at") | Q(self.during("created_at"), started_at__isnull=True)
        queryset = self._readable().filter(dated)
        return self._narrow(queryset.annotate(occurred=Coalesce("started_at", "created_at")))

    def _readable(self) -> QuerySet[Postmortem]:
        postmortems = Postmortem.objects.order_by()
        hidden = self.hidden()
        return postmortems if hidden is None else postmortems.exclude(pk__in=hidden)

    def hidden(self) -> QuerySet[Postmortem] | None:
        """The restricted postmortems the viewer may not read (None: they may read all)."""
        if self.viewer is None or self.viewer.is_superuser or not self._any_restricted:
            return None
        return access.hidden_postmortems(self.viewer).values("pk")

    def audience(self) -> tuple:
        """What sets the viewer's numbers apart from others': the restricted postmortems
        hidden from them and, when there are any, who they are (their own items still count).
        """
        hidden = self.hidden()
        if hidden is None:
            return ()
        if not self.viewer.is_authenticated:
            return ("anonymous",)
        ids = list(hidden.order_by("pk").values_list("pk", flat=True))
        return (self.viewer.pk, *ids) if ids else ()

    @cached_property
    def _any_restricted(self) -> bool:
        # One cheap query spares every chart's planner a subquery that usually finds nothing.
        return Postmortem.objects.filter(restricted=True).exists()

    def _narrow(self, queryset: QuerySet[Postmortem]) -> QuerySet[Postmortem]:
        if self.severity:
            queryset = queryset.filter(severity=self.severity)
        if self.service:
            links = ServiceLink.objects.filter(postmortem=OuterRef("pk"), service=self.service)
            queryset = queryset.filter(Exists(links))
        if self.team:
            # A team's postmortems are those it owns; one that no team owns (saved before teams,
            # or with no service of a team) counts for the teams of its services.
            links = ServiceLink.objects.filter(postmortem=OuterRef("pk"), service__team=self.team)
            queryset = queryset.filter(Q(team=self.team) | Q(Exists(links), team__isnull=True))
        return queryset

    def action_items(self) -> QuerySet[ActionItem]:
        """Items of postmortems that match the filters (all items when nothing narrows them).

        The period is not applied here: each chart puts the items on its own time axis.
        """
        items = ActionItem.objects.order_by()
        hidden = self.hidden()
        if hidden is not None:
            # As ActionItem.visible_to: one's own items show whatever their postmortem.
            mine = Q(owner=self.viewer) if self.viewer.is_authenticated else Q(pk__in=[])
            items = items.exclude(Q(postmortem__in=hidden) & ~mine)
        if self.severity or self.service or self.team:
            postmortems = self._narrow(self._readable())
            items = items.filter(postmortem__in=postmortems.values("pk"))
        return items

    def services(self) -> QuerySet[Service]:
        services = Service.objects.select_related("team")
        if self.service:
            services = services.filter(pk=self.service.pk)
        if self.team:
            services = services.filter(team=self.team)
        return services

    def months(self) -> list[date]:
        """The first days of the months in the period."""
        first, months = self.start.replace(day=1), []
        while first <= self.end:
            months.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return months

    def weeks(self) -> list[date]:
        """The Mondays of the weeks in the period."""
        monday = self.start - timedelta(days=self.start.weekday())
        return [monday + timedelta(weeks=n) for n in range((self.end - monday).days // 7 + 1)]

    def month_of(self, moment) -> TruncMonth:
        """The first day of the reader's month in which a moment (a DateTimeField) falls."""
        return TruncMonth(moment, output_field=DateField(), tzinfo=self.zone)

    def week_of(self, moment) -> TruncWeek:
        """The Monday of the reader's week in which a moment falls."""
        return TruncWeek(moment, output_field=DateField(), tzinfo=self.zone)

    def day_of(self, moment) -> TruncDate:
        return TruncDate(moment, tzinfo=self.zone)
