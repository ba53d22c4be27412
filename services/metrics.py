"""The reliability metrics page: one function per chart, each aggregated in the database.

Every function runs a fixed number of queries whatever the amount of data, and the
expressions stay in native SQL on SQLite too (see services/sql.py). Where SQLite falls short,
one pass over the rows sends each list of values as one text (TextList), far faster than a
row per value: counts (`tallies`), as a GROUP BY sorts every row on SQLite, which has no hash
aggregation; and the numbers medians and 90th percentiles are taken from
(`grouped_percentiles`), interpolated as PostgreSQL's percentile_cont would, which SQLite
lacks (on PostgreSQL too, this beats percentile_cont sorting every group).

The page's charts are kept in the cache, under a key that changes with the data
(`cached_charts`).
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, partial
from itertools import compress
from typing import Any

from django.core.cache import cache
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
from postmortems import access
from postmortems.models import ContributingFactor, Postmortem, Severity, TimelineEvent
from services.budget import service_budgets
from services.models import Service
from services.sql import (
    LocalDate,
    LocalDay,
    Minutes,
    MonthStart,
    TextList,
    WeekIndex,
    day_of,
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

    def during(self, moment: str) -> Q:
        """Rows whose `moment` falls in the period."""
        low, high = self.bounds
        return Q(**{f"{moment}__gte": low, f"{moment}__lt": high})

    def incidents(self) -> QuerySet[Postmortem]:
        """Postmortems of the period (dated by impact start, else creation) and the filters."""
        # The date spelled out rather than filtered on `occurred`, so that PostgreSQL sizes
        # the result from the columns' statistics and picks the plans for that many rows.
        dated = self.during("started_at") | Q(self.during("created_at"), started_at__isnull=True)
        queryset = self._readable().filter(dated)
        return self._narrow(queryset.annotate(occurred=Coalesce("started_at", "created_at")))

    def _readable(self) -> QuerySet[Postmortem]:
        postmortems = Postmortem.objects.order_by()
        hidden = self._hidden()
        return postmortems if hidden is None else postmortems.exclude(pk__in=hidden)

    def _hidden(self) -> QuerySet[Postmortem] | None:
        """The restricted postmortems the viewer may not read (None: they may read all)."""
        if self.viewer is None or self.viewer.is_superuser or not self._any_restricted:
            return None
        return access.hidden_postmortems(self.viewer).values("pk")

    def audience(self) -> tuple:
        """What sets the viewer's numbers apart from others': the restricted postmortems
        hidden from them and, when there are any, who they are (their own items still count).
        """
        hidden = self._hidden()
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

    def month_of(self, expression) -> MonthStart:
        return MonthStart(expression, first=self.start, last=self.end)

    def week_of(self, expression) -> WeekIndex:
        return WeekIndex(expression, monday=self.weeks()[0], first=self.start, last=self.end)

    def local_date(self, expression) -> LocalDate:
        return LocalDate(expression, first=self.start, last=self.end)

    def local_day(self, expression) -> LocalDay:
        return LocalDay(expression, first=self.start, last=self.end)


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
    """{group value: {name: percentile}} for `measures` = {name: (expression, fraction)}, in
    one query.

    The expressions are numbers (NULLs are left out); with `overall`, the key None holds
    the percentiles of all rows. See the module docstring.
    """
    # One text per distinct expression: a median and a p90 of the same one share it.
    columns: dict[int, tuple[str, object]] = {}
    for expression, _ in measures.values():
        columns.setdefault(id(expression), (f"_{len(columns)}", expression))
    texts = {name: TextList(expression) for name, expression in columns.values()}
    samples = {
        row.pop("group"): {name: _numbers(text) for name, text in row.items()}
        for row in queryset.annotate(group=group).values("group").annotate(**texts)
    }
    if overall:
        samples[None] = {
            name: [n for values in list(samples.values()) for n in values[name]] for name in texts
        }
    return {
        group_value: {
            name: percentile(values[columns[id(expression)][0]], fraction)
            for name, (expression, fraction) in measures.items()
        }
        for group_value, values in samples.items()
    }


def _numbers(text: str | None) -> list[float]:
    return list(map(float, text.split())) if text else []


def tallies(queryset: QuerySet, **lists: TextList) -> dict[str, Counter]:
    """How many rows have each value of each list's expression(s), in one pass over them.

    The values are texts; a list of several expressions gives tuples of them. On SQLite each
    list arrives as one text, counted here: a GROUP BY per list would read every row again
    and sort them all, as SQLite has no hash aggregation. PostgreSQL groups by all the lists
    at once (their values together stay few) in a hash table, faster than building texts.
    """
    if connection.vendor == "postgresql":
        return _grouped_tallies(queryset, lists)
    counts = {}
    for name, text in queryset.aggregate(**lists).items():
        counted = Counter(text.split()) if text else Counter()
        if len(lists[name].source_expressions) > 1:
            counted = Counter({tuple(value.split(":")): n for value, n in counted.items()})
        counts[name] = counted
    return counts


def _grouped_tallies(queryset: QuerySet, lists: dict[str, TextList]) -> dict[str, Counter]:
    if len(lists) == 1:
        # The one list's filter is the query's: no CASE around every value.
        ((name, text_list),) = lists.items()
        if text_list.filter:
            queryset = queryset.filter(text_list.filter)
        lists = {name: TextList(*text_list.source_expressions)}
    values, spans = {}, {}
    for name, text_list in lists.items():
        first = len(values)
        for expression in text_list.source_expressions:
            when = text_list.filter
            values[f"_{len(values)}"] = Case(When(when, then=expression)) if when else expression
        spans[name] = slice(first, len(values))
    counts = {name: Counter() for name in lists}
    for *row, n in queryset.annotate(**values).values_list(*values).annotate(_n=Count("*")):
        for name, span in spans.items():
            key = row[span]
            if None not in key:
                counts[name][tuple(map(str, key)) if len(key) > 1 else str(key[0])] += n
    return counts


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
        found = counts.get(month, {})
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
        [month, *(_round(found.get(month, {}).get(name)) for name in measures)]
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
    budgets = service_budgets(list(filters.services()), now=now, viewer=filters.viewer)
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
    counts = tallies(
        filters.action_items(),
        created=TextList(filters.week_of("created_at"), filter=filters.during("created_at")),
        completed=TextList(filters.week_of("completed_at"), filter=filters.during("completed_at")),
    )
    rows = [
        [week, counts["created"][str(index)], counts["completed"][str(index)]]
        for index, week in enumerate(filters.weeks())
    ]
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


NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def _closed_at() -> Coalesce:
    # A won't-do item has no completion time; its last change is when it was closed. An
    # open item closes "never", after any week.
    return Coalesce(
        "completed_at",
        Case(When(status=Status.WONT_DO, then=F("updated_at"))),
        Value(NEVER),
        output_field=DateTimeField(),
    )


def open_overdue(filters: Filters, *, today: date) -> Chart:
    """Items open and past due at the end of each week (and now, for the current week).

    An item counts at the end of week k when it was due and created by then and not yet
    closed: it enters in the later of its due week and creation week (earlier weeks fold
    into the first) and leaves in its closing week (after the last one while still open).
    One query counts items per (enters, leaves) pair; the running total is the series.
    """
    weeks = filters.weeks()
    low, _ = filters.bounds
    after = weeks[-1] + timedelta(weeks=1)
    pairs = TextList(
        Greatest(filters.week_of("due_date"), filters.week_of("created_at"), Value(0)),
        filters.week_of("closed_at"),
        filter=Q(closed_at__gte=low, due_date__lt=after),
    )
    items = filters.action_items().annotate(closed_at=_closed_at())
    change = [0] * (len(weeks) + 1)
    for (entered, left), n in tallies(items, pairs=pairs)["pairs"].items():
        entered, left = int(entered), min(int(left), len(weeks))
        if entered < left:
            change[entered] += n
            change[left] -= n
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


def follow_through(filters: Filters, *, today: date) -> Chart:
    """Per month: items due that month (past due dates only), done by their due date, and
    the median days from creation to completion of items completed that month."""
    items = filters.action_items()
    done_in_time = Q(status=Status.DONE) & Q(done_on__lte=F("due_date"))
    due = tallies(
        items.annotate(done_on=filters.local_date("completed_at")),
        due=TextList(
            filters.month_of("due_date"),
            Case(When(done_in_time, then=1), default=0),
            filter=Q(due_date__gte=filters.start, due_date__lte=filters.end, due_date__lt=today),
        ),
    )["due"]
    # completed_at is set exactly when an item is done (a check constraint says so).
    medians = grouped_percentiles(
        items.filter(filters.during("completed_at")),
        filters.month_of("completed_at"),
        {"minutes": (Minutes("created_at", "completed_at"), 0.5)},
        overall=True,
    )
    rows = []
    for month in filters.months():
        late, on_time = due[str(month), "0"], due[str(month), "1"]
        share = round(100 * on_time / (late + on_time), 1) if late + on_time else None
        minutes = medians.get(month, {}).get("minutes")
        rows.append([month, late + on_time, on_time, share, _days(minutes)])
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
    # The latest few, with their titles and links, for the repeats the page lists.
    shown: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.postmortem_ids)

    @property
    def references(self) -> str:
        return " ".join(map("PM-{}".format, self.postmortem_ids))


SHOWN_REPEATS, SHOWN_PER_REPEAT = 15, 8


def repeat_factors(filters: Filters) -> list[Repeat]:
    """The same factor category on the same service in incidents at most 90 days apart.

    Both incidents come from the filtered period. One query fetches every incident's local
    day number, another the incidents of each (service, category), both as texts; a pass
    over each, sorted by day, keeps the incidents whose previous or next one is at most 90
    days away. Two small queries then name the services and, for the most repeated, the
    incidents the page lists.
    """
    incidents = filters.incidents()
    days = _pairs(incidents.aggregate(days=TextList("pk", filters.local_day("occurred")))["days"])
    groups = (
        ContributingFactor.objects.filter(postmortem__in=incidents.values("pk"))
        .annotate(service=F("postmortem__services"))
        .filter(service__isnull=False)
        .values("service", "category")
        .annotate(ids=TextList("postmortem"))
        .order_by()
        .values_list("service", "category", "ids")
    )
    found: dict[tuple[int, str], list[int]] = {}
    within_reach = partial(operator.ge, REPEAT_DAYS)
    for service, category, ids in groups:
        # An incident with two factors of a category comes twice; one written between the
        # two queries has no day. Tens of thousands of incidents in all: map() and
        # compress() rather than loops in Python.
        ordered = sorted(set(map(int, ids.split())) & days.keys(), key=days.__getitem__)
        when = list(map(days.__getitem__, ordered))
        near = list(map(within_reach, map(operator.sub, when[1:], when)))
        close = list(compress(ordered, map(operator.or_, [False, *near], [*near, False])))
        if close:
            found[service, category] = close
    if not found:
        return []
    names = dict(Service.objects.filter(pk__in={s for s, _ in found}).values_list("pk", "name"))
    labels = dict(ContributingFactor.Category.choices)
    repeats = sorted(
        (
            Repeat(names[s], s, labels[c], ids, day_of(days[ids[0]]), day_of(days[ids[-1]]))
            for (s, c), ids in found.items()
        ),
        key=lambda r: (-r.count, r.service, r.category),
    )
    listed = repeats[:SHOWN_REPEATS]
    titles = dict(
        Postmortem.objects.filter(
            pk__in={pk for r in listed for pk in r.postmortem_ids[-SHOWN_PER_REPEAT:]}
        ).values_list("pk", "title")
    )
    url = reverse("postmortems:detail", args=[0]).replace("/0/", "/{}/")
    for repeat in listed:
        repeat.shown = [
            {
                "reference": f"PM-{pk}",
                "title": titles.get(pk, ""),  # "": deleted since
                "day": day_of(days[pk]),
                "url": url.format(pk),
            }
            for pk in repeat.postmortem_ids[-SHOWN_PER_REPEAT:]
        ]
    return repeats


def _pairs(text: str | None) -> dict[int, float]:
    """{key: value} from TextList's "key:value …"; tens of thousands are split in bulk."""
    tokens = text.replace(":", " ").split() if text else []
    return dict(zip(map(int, tokens[::2]), map(float, tokens[1::2]), strict=True))


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
        details=repeats[:SHOWN_REPEATS],
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
    """One chart: the page's copy when it is cached (the usual case for a CSV), else afresh."""
    make = _charts(filters, now).get(slug)
    if make is None:
        return None
    charts = cache.get(cache_key(filters, now=now))
    return charts[slug] if charts else make()


def all_charts(filters: Filters, *, now: datetime) -> dict[str, Chart]:
    return {slug: make() for slug, make in _charts(filters, now).items()}


# The cache -----------------------------------------------------------------------------

CACHE_SECONDS = 5 * 60


def cached_charts(filters: Filters, *, now: datetime) -> dict[str, Chart]:
    """all_charts(), kept for a few minutes under a key made of all they depend on: the
    filters, what the viewer may not see, today's date and a stamp of the data. A change to
    the data changes the key, so the next page load computes the charts afresh.
    """
    key = cache_key(filters, now=now)
    charts = cache.get(key)
    if charts is None:
        charts = all_charts(filters, now=now)
        cache.set(key, charts, CACHE_SECONDS)
    return charts


def cache_key(filters: Filters, *, now: datetime) -> str:
    parts = (
        filters.start,
        filters.end,
        getattr(filters.service, "pk", None),
        filters.team,
        filters.severity,
        filters.audience(),
        timezone.localdate(now),
        timezone.get_current_timezone_name(),
        data_stamp(),
    )
    return "metrics:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def data_stamp() -> tuple:
    """Values that change whenever anything the charts read changes, in two cheap queries.

    The latest id of a table moves with every row added, in bulk too; the latest history id
    with every save and delete through the models (django-simple-history records each).
    QuerySet.update() bypasses both: Debrief uses it on these tables only for what the
    charts do not read, or just after inserting the rows (load_demo). Each is one lookup in
    a primary key. The postmortems' links to services keep no history, so they are counted
    as well, and the few services are read whole.
    """
    tracked = [Postmortem, TimelineEvent, ContributingFactor, ActionItem]
    latest = [(model, model._meta.pk.column) for model in [*tracked, ServiceLink]]
    latest += [(model.history.model, "history_id") for model in tracked]
    quote = connection.ops.quote_name
    columns = [f"(SELECT MAX({quote(c)}) FROM {quote(m._meta.db_table)})" for m, c in latest]
    columns.append(f"(SELECT COUNT(*) FROM {quote(ServiceLink._meta.db_table)})")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}")
        stamp = cursor.fetchone()
    services = Service.objects.order_by("pk").values_list(
        "pk", "name", "team", "slo_target", "window_days"
    )
    return (*stamp, *services)
