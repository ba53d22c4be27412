"""The reliability metrics page: one function per chart, each aggregated in the database.

Every function runs a fixed number of queries whatever the amount of data, and the
expressions stay in native SQL on SQLite too (see services/sql.py). Medians and 90th
percentiles use PostgreSQL's percentile_cont; SQLite has no percentile function, so there
one query fetches only the grouped numbers (a slot and a few minutes per incident or item)
and the percentiles are interpolated the same way in Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from itertools import pairwise
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from actions.models import ActionItem, Status
from postmortems.models import ContributingFactor, Postmortem, Severity
from services.budget import service_budgets
from services.models import Service
from services.sql import (
    DayNumber,
    LocalDate,
    Minutes,
    MonthKey,
    PairList,
    PercentileCont,
    WeekIndex,
    local_midnight,
)

REPEAT_DAYS = 90
ServiceLink = Postmortem.services.through


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    service: Service | None = None
    team: str = ""
    severity: int | None = None
    viewer: Any = None  # the person looking: restricted postmortems they may not read are left out

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: from the start day's midnight to the end day's end."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))

    def incidents(self) -> QuerySet[Postmortem]:
        """Postmortems of the period (dated by impact start, else creation) and the filters."""
        low, high = self.bounds
        queryset = self._readable().annotate(occurred=Coalesce("started_at", "created_at"))
        return self._narrow(queryset.filter(occurred__gte=low, occurred__lt=high))

    def _readable(self) -> QuerySet[Postmortem]:
        postmortems = Postmortem.objects.order_by()
        hidden = self._hidden()
        return postmortems if hidden is None else postmortems.exclude(pk__in=hidden)

    def _hidden(self) -> QuerySet[Postmortem] | None:
        """The restricted postmortems the viewer may not read (None: they may read all).

        The same rule as `visible_to`, but its per-row EXISTS subqueries only run over the
        few restricted rows: the metrics then exclude this small set, which costs little
        over tens of thousands of postmortems and items.
        """
        if self.viewer is None or self.viewer.is_superuser or not self._any_restricted:
            return None
        if not self.viewer.is_authenticated:
            return Postmortem.objects.order_by().values("pk")
        restricted = Postmortem.objects.order_by().filter(restricted=True)
        return restricted.exclude(pk__in=restricted.visible_to(self.viewer).values("pk")).values(
            "pk"
        )

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
            links = ServiceLink.objects.filter(postmortem=OuterRef("pk"), service__team=self.team)
            queryset = queryset.filter(Exists(links))
        return queryset

    def action_items(self) -> QuerySet[ActionItem]:
        """Items of postmortems that match the filters (all items when nothing narrows them).

        The period is not applied here: each chart puts the items on its own time axis.
        """
        items = ActionItem.objects.order_by()
        hidden = self._hidden()
        if hidden is not None:
            # As ActionItem.visible_to: one's own items show whatever their postmortem.
            mine = Q(owner=self.viewer) if self.viewer.is_authenticated else Q(pk__in=[])
            items = items.exclude(Q(postmortem__in=hidden) & ~mine)
        if self.severity or self.service or self.team:
            postmortems = self._narrow(self._readable())
            items = items.filter(postmortem__in=postmortems.values("pk"))
        return items

    def services(self) -> QuerySet[Service]:
        services = Service.objects.all()
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

    def month_of(self, expression) -> MonthKey:
        return MonthKey(expression, first=self.start, last=self.end)

    def week_of(self, expression) -> WeekIndex:
        return WeekIndex(expression, monday=self.weeks()[0], first=self.start, last=self.end)

    def local_date(self, expression) -> LocalDate:
        return LocalDate(expression, first=self.start, last=self.end)


@dataclass
class Chart:
    """A chart's data as rows (for its table and CSV) and how metrics.js should draw it."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list]
    series: list[int]
    kind: str = "bar"
    unit: str = ""
    description: str = ""
    options: dict = field(default_factory=dict)
    # How dates in the first column read on the chart's axis (the table and CSV keep ISO).
    label_format: str = "%b %Y"
    styles: dict[int, dict] = field(default_factory=dict)
    # What the page shows beyond the rows: the repeat factors with their links, totals.
    details: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def element_id(self) -> str:
        return f"chart-data-{self.slug}"

    @property
    def csv_url(self) -> str:
        return reverse("metrics:csv", args=[self.slug])

    def table_body(self) -> SafeString:
        """The data table's rows (dates in ISO, "—" for no value).

        Built here rather than in a template loop: a weekly chart over years has hundreds of
        rows, and the template engine's per-cell cost was a third of the page's time.
        """
        cells = "<td>{}</td>" * (len(self.columns) - 1)
        row = '<tr><th scope="row" class="fw-normal text-nowrap">{}</th>' + cells + "</tr>"
        return format_html_join("\n", row, ([_cell(v) for v in r] for r in self.rows))

    def spec(self) -> dict:
        return {
            "kind": self.kind,
            "unit": self.unit,
            "title": self.title,
            "labels": [_label(row[0], self.label_format) for row in self.rows],
            "datasets": [
                {
                    "label": self.columns[i],
                    "data": [_number(row[i]) for row in self.rows],
                    **self.styles.get(i, {}),
                }
                for i in self.series
            ],
            **self.options,
        }


def _label(value, label_format: str) -> str:
    return value.strftime(label_format) if isinstance(value, date) else str(value)


def _cell(value) -> str:
    if value is None:
        return "—"
    return value.isoformat() if isinstance(value, date) else str(value)


def _number(value) -> float | None:
    return None if value is None else float(value)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# Percentiles ---------------------------------------------------------------------------


def percentile(values: list, fraction: float):
    """percentile_cont in Python: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def grouped_percentiles(
    queryset: QuerySet, group, measures: dict[str, tuple], *, overall: bool = False
) -> dict:
    """{group value: {name: percentile}} for `measures` = {name: (expression, fraction)}.

    The expressions are numbers (NULLs are left out); with `overall`, the key None holds
    the percentiles of all rows. On PostgreSQL one query (two with `overall`); on SQLite
    one query, see the module docstring.
    """
    queryset = queryset.annotate(group=group)
    if connection.vendor == "postgresql":
        aggregates = {
            name: PercentileCont(expression, fraction)
            for name, (expression, fraction) in measures.items()
        }
        found = {row.pop("group"): row for row in queryset.values("group").annotate(**aggregates)}
        if overall:
            found[None] = queryset.aggregate(**aggregates)
        return found
    # One column per distinct expression: a median and a p90 of the same one share it.
    columns: dict[int, tuple[str, object]] = {}
    for expression, _ in measures.values():
        columns.setdefault(id(expression), (f"_{len(columns)}", expression))
    annotations = dict(columns.values())
    samples: dict = defaultdict(lambda: [[] for _ in annotations])
    for group_value, *values in queryset.annotate(**annotations).values_list("group", *annotations):
        lists = samples[group_value]
        for index, value in enumerate(values):
            if value is not None:
                lists[index].append(value)
    if overall:
        samples[None] = [
            [value for lists in list(samples.values()) for value in lists[index]]
            for index in range(len(annotations))
        ]
    position = {key: index for index, key in enumerate(columns)}
    return {
        group_value: {
            name: percentile(lists[position[id(expression)]], fraction)
            for name, (expression, fraction) in measures.items()
        }
        for group_value, lists in samples.items()
    }


# Incidents -----------------------------------------------------------------------------


def incidents_by_month(filters: Filters) -> Chart:
    counts = {
        row.pop("month"): row
        for row in filters.incidents()
        .annotate(month=filters.month_of("occurred"))
        .values("month")
        .annotate(
            **{f"sev{s.value}": Count("pk", filter=Q(severity=s.value)) for s in Severity},
        )
    }
    rows = []
    for month in filters.months():
        found = counts.get(f"{month:%Y-%m}", {})
        rows.append([month, *(found.get(f"sev{s.value}", 0) for s in Severity)])
    return Chart(
        slug="incidents",
        title="Incidents per month by severity",
        columns=["Month", *Severity.labels],
        rows=rows,
        series=[1, 2, 3, 4],
        kind="stacked",
        unit="incidents",
        description="Postmortems dated by when impact started (else when they were written).",
    )


def _since_start(name: str) -> Case:
    return Case(When(**{f"{name}__gte": F("started_at")}, then=Minutes("started_at", name)))


RESPONSE_PHASES = [
    ("detect", "detected_at"),
    ("mitigate", "mitigated_at"),
    ("resolve", "resolved_at"),
]


def response_times(filters: Filters) -> Chart:
    measures = {}
    for phase, moment in RESPONSE_PHASES:
        since_start = _since_start(moment)
        measures[f"{phase}_p50"] = (since_start, 0.5)
        measures[f"{phase}_p90"] = (since_start, 0.9)
    found = grouped_percentiles(filters.incidents(), filters.month_of("occurred"), measures)
    rows = [
        [month, *(_round(found.get(f"{month:%Y-%m}", {}).get(name)) for name in measures)]
        for month in filters.months()
    ]
    columns = ["Month"]
    styles = {}
    for index, (phase, _) in enumerate(RESPONSE_PHASES):
        columns += [f"Time to {phase}, median", f"Time to {phase}, p90"]
        styles[1 + 2 * index] = {"color": index}
        styles[2 + 2 * index] = {"color": index, "dashed": True}
    return Chart(
        slug="response-times",
        title="Time to detect, mitigate and resolve (minutes)",
        columns=columns,
        rows=rows,
        series=list(range(1, 7)),
        kind="lines",
        unit="minutes",
        description="Median (solid) and 90th percentile (dashed) per month, measured from "
        "when impact started.",
        styles=styles,
    )


def error_budgets(filters: Filters, *, now: datetime) -> Chart:
    budgets = service_budgets(list(filters.services()), now=now)
    rows = [
        [
            b.service.name,
            b.service.team,
            b.service.slo_target.normalize(),
            b.service.window_days,
            b.service.budget_minutes.normalize(),
            b.impact_minutes,
            b.consumed,
        ]
        for b in budgets
    ]
    return Chart(
        slug="error-budget",
        title="Error budget consumed in the current window",
        columns=[
            *["Service", "Team", "SLO %", "Window (days)"],
            *["Budget (min)", "Impact (min)", "Consumed %"],
        ],
        rows=rows,
        series=[6],
        kind="budget",
        unit="% of budget",
        description="Customer impact in each service's rolling window up to now, against "
        "its budget; the period filter does not apply.",
    )


# Action items --------------------------------------------------------------------------


def action_items_weekly(filters: Filters) -> Chart:
    low, high = filters.bounds
    items = filters.action_items()

    def per_week(moment: str, queryset: QuerySet) -> dict[int, int]:
        rows = (
            queryset.filter(**{f"{moment}__gte": low, f"{moment}__lt": high})
            .annotate(week=filters.week_of(moment))
            .values("week")
            .annotate(n=Count("pk"))
        )
        return {row["week"]: row["n"] for row in rows}

    created = per_week("created_at", items)
    completed = per_week("completed_at", items.filter(status=Status.DONE))
    rows = [[w, created.get(i, 0), completed.get(i, 0)] for i, w in enumerate(filters.weeks())]
    return Chart(
        slug="action-items",
        title="Action items created and completed per week",
        columns=["Week of", "Created", "Completed"],
        rows=rows,
        series=[1, 2],
        kind="bars",
        unit="items",
        label_format="%d %b %Y",
    )


def _closed_at() -> Coalesce:
    # A won't-do item has no completion time; its last change is when it was closed.
    return Coalesce(
        "completed_at",
        Case(When(status=Status.WONT_DO, then=F("updated_at"))),
        output_field=DateTimeField(),
    )


def open_overdue(filters: Filters, *, today: date) -> Chart:
    """Items open and past due at the end of each week (and now, for the current week).

    An item counts at the end of week k when it was due and created by then and not yet
    closed: it enters in the later of its due week and creation week (earlier weeks fold
    into the first) and leaves in its closing week. One query counts items per (enters,
    leaves) pair; the running total is the series.
    """
    weeks = filters.weeks()
    low, _ = filters.bounds
    after = weeks[-1] + timedelta(weeks=1)
    pairs = (
        filters.action_items()
        .annotate(closed_at=_closed_at())
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=low), due_date__lt=after)
        .annotate(
            enters=Greatest(filters.week_of("due_date"), filters.week_of("created_at"), Value(0)),
            leaves=filters.week_of("closed_at"),
        )
        .values("enters", "leaves")
        .annotate(n=Count("pk"))
    )
    change = [0] * (len(weeks) + 1)
    for pair in pairs:
        enters = pair["enters"]
        leaves = len(weeks) if pair["leaves"] is None else min(pair["leaves"], len(weeks))
        if enters < leaves:
            change[enters] += pair["n"]
            change[leaves] -= pair["n"]
    rows, running = [], 0
    current_week = today - timedelta(days=today.weekday())
    for index, week in enumerate(weeks):
        running += change[index]
        if week < current_week:
            rows.append([week + timedelta(days=6), running])
    if weeks[0] <= current_week < after:
        rows.append([today, filters.action_items().overdue(today).count()])
    return Chart(
        slug="overdue",
        title="Open overdue action items",
        columns=["As of", "Open and overdue"],
        rows=rows,
        series=[1],
        kind="line",
        unit="items",
        description="At the end of each week; the last point is today.",
        label_format="%d %b %Y",
    )


def _days_to_close() -> Minutes:
    return Minutes("created_at", "completed_at")


def follow_through(filters: Filters, *, today: date) -> Chart:
    """Per month: items due that month (past due dates only), done by their due date, and
    the median days from creation to completion of items completed that month."""
    low, high = filters.bounds
    items = filters.action_items()
    due = {
        row.pop("month"): row
        for row in items.filter(due_date__gte=filters.start, due_date__lte=filters.end)
        .filter(due_date__lt=today)
        .annotate(month=filters.month_of("due_date"), done_on=filters.local_date("completed_at"))
        .values("month")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(status=Status.DONE, done_on__lte=F("due_date"))),
        )
    }
    medians = grouped_percentiles(
        items.filter(status=Status.DONE, completed_at__gte=low, completed_at__lt=high),
        filters.month_of("completed_at"),
        {"minutes": (_days_to_close(), 0.5)},
        overall=True,
    )
    rows = []
    for month in filters.months():
        key = f"{month:%Y-%m}"
        counts = due.get(key, {"due": 0, "on_time": 0})
        share = round(100 * counts["on_time"] / counts["due"], 1) if counts["due"] else None
        minutes = medians.get(key, {}).get("minutes")
        rows.append([month, counts["due"], counts["on_time"], share, _days(minutes)])
    due_total = sum(row[1] for row in rows)
    on_time_total = sum(row[2] for row in rows)
    summary = {
        "due": due_total,
        "on_time": on_time_total,
        "on_time_share": round(100 * on_time_total / due_total, 1) if due_total else None,
        "median_days": _days(medians.get(None, {}).get("minutes")),
    }
    return Chart(
        slug="follow-through",
        title="Action items done by their due date, and days to close",
        columns=["Month", "Due", "Done by due date", "% done by due date", "Median days to close"],
        rows=rows,
        series=[3, 4],
        kind="followthrough",
        description="Items by the month they were due (due dates already passed); days to "
        "close by the month items were completed.",
        styles={3: {"axis": "y"}, 4: {"axis": "y2", "type": "line"}},
        summary=summary,
    )


def _days(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 1440, 1)


# Contributing factors ------------------------------------------------------------------


def factor_categories(filters: Filters) -> Chart:
    labels = dict(ContributingFactor.Category.choices)
    rows = (
        ContributingFactor.objects.filter(postmortem__in=filters.incidents().values("pk"))
        .values("category")
        .annotate(incidents=Count("postmortem", distinct=True), factors=Count("pk"))
        .order_by("-incidents", "category")
    )
    return Chart(
        slug="factors",
        title="Contributing factors by category",
        columns=["Category", "Incidents", "Factors"],
        rows=[
            [labels.get(r["category"], r["category"]), r["incidents"], r["factors"]] for r in rows
        ],
        series=[1],
        kind="hbars",
        unit="incidents",
    )


@dataclass
class Repeat:
    service: str
    service_id: int
    category: str
    postmortem_ids: list[int]
    first: date
    last: date
    # The latest few, with their titles and links, for the page.
    shown: list[dict]

    @property
    def count(self) -> int:
        return len(self.postmortem_ids)

    @property
    def references(self) -> str:
        return " ".join(f"PM-{pk}" for pk in self.postmortem_ids)


SHOWN_PER_REPEAT = 8


def repeat_factors(filters: Filters) -> list[Repeat]:
    """The same factor category on the same service in incidents at most 90 days apart.

    Both incidents come from the filtered period. One query fetches, per (service,
    category), the incidents with that factor and their day numbers as one text; a pass over
    each, sorted by day, keeps the incidents whose previous or next one is at most 90 days
    away. Two small queries then name the services and the incidents shown.
    """
    groups = (
        ContributingFactor.objects.filter(postmortem__in=filters.incidents().values("pk"))
        .annotate(service=F("postmortem__services"))
        .filter(service__isnull=False)
        .values("service", "category")
        .annotate(
            pairs=PairList(
                "postmortem",
                DayNumber(Coalesce("postmortem__started_at", "postmortem__created_at")),
            )
        )
        .order_by()
        .values_list("service", "category", "pairs")
    )
    found: dict[tuple[int, str], list[int]] = {}
    for service, category, pairs in groups:
        # Tens of thousands of pairs: split and convert them in bulk, not pair by pair.
        tokens = pairs.replace(":", " ").split()
        # An incident with two factors of a category comes twice.
        entries = dict(zip(map(int, tokens[::2]), map(float, tokens[1::2]), strict=True))
        days = sorted(zip(entries.values(), entries, strict=True))
        near = [later - earlier <= REPEAT_DAYS for (earlier, _), (later, _) in pairwise(days)]
        close = [
            pk
            for (_, pk), after, before in zip(days, [False, *near], [*near, False], strict=True)
            if after or before
        ]
        if close:
            found[service, category] = close
    if not found:
        return []
    names = dict(Service.objects.filter(pk__in={s for s, _ in found}).values_list("pk", "name"))
    shown_ids = {pk for ids in found.values() for pk in [ids[0], *ids[-SHOWN_PER_REPEAT:]]}
    incidents = {
        row["pk"]: row
        for row in Postmortem.objects.filter(pk__in=shown_ids)
        .annotate(occurred=Coalesce("started_at", "created_at"))
        .values("pk", "title", "occurred")
    }
    url = reverse("postmortems:detail", args=[0]).replace("/0/", "/{}/")
    labels = dict(ContributingFactor.Category.choices)
    repeats = []
    for (service, category), ids in found.items():
        shown = [
            {
                "reference": f"PM-{pk}",
                "title": incidents[pk]["title"],
                "day": timezone.localdate(incidents[pk]["occurred"]),
                "url": url.format(pk),
            }
            for pk in ids[-SHOWN_PER_REPEAT:]
        ]
        first = timezone.localdate(incidents[ids[0]]["occurred"])
        repeats.append(
            Repeat(names[service], service, labels[category], ids, first, shown[-1]["day"], shown)
        )
    return sorted(repeats, key=lambda r: (-r.count, r.service, r.category))


def repeat_factors_chart(filters: Filters) -> Chart:
    repeats = repeat_factors(filters)
    return Chart(
        slug="repeats",
        title="Repeat contributing factors",
        columns=["Service", "Category", "Incidents", "Postmortems", "First", "Last"],
        rows=[[r.service, r.category, r.count, r.references, r.first, r.last] for r in repeats],
        series=[],
        kind="table",
        description="The same category on the same service in incidents at most 90 days "
        "apart, among the incidents shown.",
        details=repeats,
    )


# The page ------------------------------------------------------------------------------


def _charts(filters: Filters, now: datetime) -> dict[str, Callable[[], Chart]]:
    today = timezone.localdate(now)
    return {
        "incidents": lambda: incidents_by_month(filters),
        "response-times": lambda: response_times(filters),
        "error-budget": lambda: error_budgets(filters, now=now),
        "action-items": lambda: action_items_weekly(filters),
        "overdue": lambda: open_overdue(filters, today=today),
        "follow-through": lambda: follow_through(filters, today=today),
        "factors": lambda: factor_categories(filters),
        "repeats": lambda: repeat_factors_chart(filters),
    }


def chart(slug: str, filters: Filters, *, now: datetime) -> Chart | None:
    make = _charts(filters, now).get(slug)
    return make() if make else None


def all_charts(filters: Filters, *, now: datetime) -> dict[str, Chart]:
    return {slug: make() for slug, make in _charts(filters, now).items()}
