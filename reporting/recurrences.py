"""How often a fixed contributing factor came back: confirmed recurrences after fix."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef

from postmortems.models import Recurrence
from reporting.charts import Chart
from reporting.filters import Filters


def recurrence_rate_chart(filters: Filters) -> Chart:
    """Per month, the postmortems of the period, those with at least one confirmed recurrence
    after fix, and the share of them. One query."""
    confirmed = Recurrence.objects.filter(
        new_factor__postmortem=OuterRef("pk"), status=Recurrence.Status.CONFIRMED
    )
    found = {
        row["month"]: (row["total"], row["recurred"])
        for row in filters.incidents()
        .values(month=filters.month_of("occurred"))
        .annotate(
            total=Count("pk"),
            recurred=Count("pk", filter=Exists(confirmed)),
        )
    }
    rows = []
    for month in filters.months():
        total, recurred = found.get(month, (0, 0))
        rows.append([month, total, recurred, round(100 * recurred / total, 1) if total else None])
    total = sum(row[1] for row in rows)
    recurred = sum(row[2] for row in rows)
    return Chart(
        slug="recurrences",
        title="Recurrence after fix",
        columns=["Month", "Postmortems", "Confirmed recurrences", "Rate (%)"],
        rows=rows,
        series=[3],
        kind="line",
        unit="%",
        description="Share of postmortems with a contributing factor confirmed to have come "
        "back after an earlier postmortem's action items were all done.",
        summary={
            "postmortems": total,
            "recurred": recurred,
            "rate": round(100 * recurred / total, 1) if total else None,
        },
    )
