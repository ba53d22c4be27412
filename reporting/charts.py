"""The reliability metrics: one function per chart, each a fixed number of ORM queries.

Counts, medians and 90th percentiles are aggregated in the database; a few counts are summed
here from finer ones (weeks from days), or tallied as rows load where grouping cost more.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Avg, Case, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Greatest, TruncWeek
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from actions.models import OPEN_STATUSES, Status
from postmortems.models import ContributingFactor, PostmortemKind, Recurrence, Severity
from reporting.budgets import service_budgets
from reporting.filters import Filters
from reporting.percentiles import Percentile


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


def _since(start: str, end: str) -> CombinedExpression:
    return F(end) - F(start)


# Incidents -----------------------------------------------------------------------------


RESPONSE_PHASES = [
    ("detect", "detected_at"),
    ("mitigate", "mitigated_at"),
    ("resolve", "resolved_at"),
]


def incident_figures(filters: Filters) -> dict[date, dict]:
    """What the incident charts show of each month, in one pass over the period's postmortems:
    postmortems by severity, near misses (apart), and of incidents, their number, those that
    recurred after fix, and the median and p90 time from impact start to each phase (a phase
    recorded before impact started is left out). Months with none are missing."""
    incident = ~Q(kind=PostmortemKind.NEAR_MISS)
    confirmed = Recurrence.objects.filter(
        new_factor__postmortem=OuterRef("pk"), status=Recurrence.Status.CONFIRMED
    )
    measures = {
        **{f"sev{s.value}": Count("pk", filter=Q(severity=s.value)) for s in Severity},
        "near_misses": Count("pk", filter=~incident),
        "incidents": Count("pk", filter=incident),
        "recurred": Count("pk", filter=incident & Q(Exists(confirmed))),
    }
    for phase, moment in RESPONSE_PHASES:
        reached = Q(incident, **{f"{moment}__gte": F("started_at")})
        since_start = Case(When(reached, then=_since("started_at", moment)))
        measures[f"{phase}_p50"] = Percentile(since_start, 0.5)
        measures[f"{phase}_p90"] = Percentile(since_start, 0.9)
    return {
        row.pop("month"): row
        for row in filters.postmortems()
        .values(month=filters.month_of("occurred"))
        .annotate(**measures)
    }


def incidents_by_month(filters: Filters, figures: dict[date, dict]) -> Chart:
    rows = []
    for month in filters.months():
        found = figures.get(month, {})
        rows.append([month, *(found.get(f"sev{s.value}", 0) for s in Severity)])
    near_misses = sum(found["near_misses"] for found in figures.values())
    return Chart(
        slug="incidents",
        title="Incidents per month by severity",
        columns=["Month", *Severity.labels],
        rows=rows,
        series=[1, 2, 3, 4],
        kind="stacked",
        unit="incidents",
        description="Postmortems dated by when impact started (else when they were written). "
        "Near misses are counted apart.",
        summary={"near_misses": near_misses},
    )


def response_times(filters: Filters, figures: dict[date, dict]) -> Chart:
    """Per month, the median and p90 minutes from impact start to each phase."""
    rows = []
    for month in filters.months():
        row = [month]
        for phase, _ in RESPONSE_PHASES:
            values = figures.get(month, {})
            row += [_minutes(values.get(f"{phase}_p50")), _minutes(values.get(f"{phase}_p90"))]
        rows.append(row)
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


def quality_by_team(filters: Filters) -> Chart:
    """Per month, the average review quality score of the postmortems each team owns, as
    last computed (postmortems/quality.py); near misses count too."""
    found = (
        filters.postmortems()
        .filter(quality_score__isnull=False)
        .values("team__display_name", month=filters.month_of("occurred"))
        .annotate(average=Avg("quality_score"))
    )
    averages = {(row["month"], row["team__display_name"] or ""): row["average"] for row in found}
    teams = sorted({team for _, team in averages}, key=lambda name: (not name, name.lower()))
    rows = [
        [month, *(_rounded(averages.get((month, team))) for team in teams)]
        for month in filters.months()
    ]
    return Chart(
        slug="quality",
        title="Review quality score by owning team",
        columns=["Month", *(team or "No team" for team in teams)],
        rows=rows,
        series=list(range(1, len(teams) + 1)),
        kind="lines",
        unit="score",
        description="The monthly average score (0 to 100) of each team's postmortems, "
        "dated like the incidents.",
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def error_budgets(filters: Filters, *, now: datetime) -> Chart:
    # When nothing is hidden from the viewer, every incident counts without asking who looks.
    viewer = None if filters.hidden() is None else filters.viewer
    budgets = service_budgets(list(filters.services()), now=now, viewer=viewer)
    rows = [
        [
            b.service.name,
            str(b.service.team or ""),
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


def incident_factors(filters: Filters) -> list[tuple[int, str, int]]:
    """How many contributing factors of each category each incident of the period has:
    (postmortem, category, factors) rows, which the factor and repeat charts share.

    Counted here: an incident rarely has two factors of one category, so grouping in the
    database would take longer than the join itself and return about as many rows.
    """
    pairs = (
        ContributingFactor.objects.filter(postmortem__in=filters.incidents().values("pk"))
        .order_by()
        .values_list("postmortem", "category")
    )
    return [(postmortem, category, n) for (postmortem, category), n in Counter(pairs).items()]


def factor_categories(factors: list[tuple[int, str, int]]) -> Chart:
    labels = dict(ContributingFactor.Category.choices)
    incidents, counts = Counter(), Counter()
    for _, category, n in factors:
        incidents[category] += 1
        counts[category] += n
    ordered = sorted(incidents, key=lambda category: (-incidents[category], category))
    return Chart(
        slug="factors",
        title="Contributing factors by category",
        columns=["Category", "Incidents", "Factors"],
        rows=[[labels.get(c, c), incidents[c], counts[c]] for c in ordered],
        series=[1],
        kind="hbars",
        unit="incidents",
    )


# Action items --------------------------------------------------------------------------


def action_items_weekly(filters: Filters) -> Chart:
    """Items created and completed in each week of the period: one count per moment, each
    read from that moment's index. Counted per day and summed into weeks here: the database
    finds a moment's day for less than its week, and a year has only 365 days."""
    items = filters.action_items()
    counts: dict[str, Counter] = {}
    for moment in ("created_at", "completed_at"):
        weekly = counts[moment] = Counter()
        days = items.filter(filters.during(moment)).values_list(filters.day_of(moment))
        for day, n in days.annotate(n=Count("*")):
            weekly[day - timedelta(days=day.weekday())] += n
    return Chart(
        slug="action-items",
        title="Action items created and completed per week",
        columns=["Week of", "Created", "Completed"],
        rows=[
            [week, counts["created_at"].get(week, 0), counts["completed_at"].get(week, 0)]
            for week in filters.weeks()
        ],
        series=[1, 2],
        kind="bars",
        unit="items",
        label_format="%d %b %Y",
    )


def open_overdue(filters: Filters, *, today: date) -> Chart:
    """Items open and past due at the end of each week (and now, for the current week).

    An item counts at the end of a week when it was due and created by then and not yet
    closed: it enters in the later of its due week and creation week (earlier weeks fold
    into the first) and leaves in its closing week (after the last one while still open).
    Two queries count items per (enters, leaves) pair; the running total is the series.
    Items closed before the period, or by their due date, never count: they are left out.
    The same queries count the items open and overdue today, among those due before `after`.
    """
    weeks = filters.weeks()
    low, _ = filters.bounds
    after = weeks[-1] + timedelta(weeks=1)

    def closed_late(moment: str) -> Q:
        return Q(**{f"{moment}__gte": low}) & Q(**{f"{moment}__date__gt": F("due_date")})

    # The done items apart (completed_at is set exactly when an item is done), read from the
    # index on completion times alone; then the open items and the dropped ones, whose last
    # change is when they were closed, by status. Those are one range of the status index,
    # which holds the columns read: an OR of two ranges would read every item's row instead.
    # The second also counts the items overdue today (none is done).
    dropped = Q(status=Status.WONT_DO)
    kinds = [
        (closed_late("completed_at"), F("completed_at"), Value(0)),
        (
            Q(status__in=[*OPEN_STATUSES, Status.WONT_DO]) & (~dropped | closed_late("updated_at")),
            Case(When(dropped, then=F("updated_at"))),
            Count("due_date", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
        ),
    ]
    enters = TruncWeek(Greatest("due_date", filters.day_of("created_at")))
    change, overdue_now = [0] * (len(weeks) + 1), 0
    for late, closed_at, overdue_today in kinds:
        items = filters.action_items().filter(late, due_date__lt=after)
        pairs = items.values_list(enters, filters.week_of(closed_at)).annotate(
            n=Count("*"), now=overdue_today
        )
        for entered, left, n, now in pairs:
            overdue_now += now
            entered = max((entered - weeks[0]).days // 7, 0)
            left = len(weeks) if left is None else min((left - weeks[0]).days // 7, len(weeks))
            if entered < left:
                change[entered] += n
                change[left] -= n
    rows, running = [], 0
    current_week = today - timedelta(days=today.weekday())
    for index, week in enumerate(weeks):
        running += change[index]
        if week < current_week:
            rows.append([week + timedelta(days=6), running])
    if weeks[0] <= current_week < after:  # then today is before `after`: all were counted
        rows.append([today, overdue_now])
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


def _minutes(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 60, 1)


def _days(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 86400, 1)


def follow_through(filters: Filters, *, today: date) -> Chart:
    """Per month: items due that month (past due dates only), done by their due date, and
    the median days from creation to completion of items completed that month."""
    items = filters.action_items()
    on_time = Q(status=Status.DONE, completed_at__date__lte=F("due_date"))
    # Per due date, summed into months here: fewer than 400 rows a year, and no truncation.
    # Counting due dates rather than ids: the due-date index then answers alone.
    due: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, n, done in (
        items.filter(due_date__gte=filters.start, due_date__lte=filters.end, due_date__lt=today)
        .values_list("due_date")
        .annotate(n=Count("due_date"), on_time=Count("due_date", filter=on_time))
    ):
        month = due[day.replace(day=1)]
        month[0] += n
        month[1] += done
    # completed_at is set exactly when an item is done (a check constraint says so).
    closed = items.filter(filters.during("completed_at"))
    time_to_close = _since("created_at", "completed_at")
    median = Percentile(time_to_close, 0.5)
    medians = dict(closed.values_list(filters.month_of("completed_at")).annotate(median=median))
    medians[None] = closed.aggregate(median=median)["median"]
    rows = []
    for month in filters.months():
        n, done = due.get(month, (0, 0))
        share = round(100 * done / n, 1) if n else None
        rows.append([month, n, done, share, _days(medians.get(month))])
    due_total = sum(row[1] for row in rows)
    on_time_total = sum(row[2] for row in rows)
    summary = {
        "due": due_total,
        "on_time": on_time_total,
        "on_time_share": round(100 * on_time_total / due_total, 1) if due_total else None,
        "median_days": _days(medians.get(None)),
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
