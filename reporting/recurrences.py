"""How often a fixed contributing factor came back: confirmed recurrences after fix."""

from __future__ import annotations

from datetime import date

from reporting.charts import Chart
from reporting.filters import Filters


def recurrence_rate_chart(filters: Filters, figures: dict[date, dict]) -> Chart:
    """Per month, the incidents of the period, those with at least one confirmed recurrence
    after fix, and the share of them (from charts.incident_figures)."""
    found = {month: (row["incidents"], row["recurred"]) for month, row in figures.items()}
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
