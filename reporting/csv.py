"""A chart's rows as a CSV download."""

from __future__ import annotations

import csv

from django.http import HttpResponse

from config.csv import csv_safe
from reporting.charts import Chart
from reporting.filters import Filters


def chart_csv(chart: Chart, filters: Filters) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{chart.slug}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(chart.columns)
    for row in chart.rows:
        writer.writerow([csv_safe(value) for value in row])
    return response
