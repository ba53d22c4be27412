import csv
import io
import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ContributingFactorFactory, PostmortemFactory, ServiceFactory

SHOTS = os.environ.get("SCREENSHOTS")

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS = ["incidents", "response-times", "error-budget", "action-items", "overdue", "factors"]

# Whether a canvas has a Chart.js chart with data, and how many of its pixels are painted.
PAINTED = """canvas => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return {datasets: chart ? chart.data.datasets.length : 0, painted};
}"""


def test_the_metrics_page_draws_every_chart_and_downloads_its_csv(page, author):
    checkout = ServiceFactory(name="checkout", slo_target=Decimal("99.9"), window_days=30)
    now = timezone.now()
    for days_ago, minutes in ((40, 30), (20, 21.6), (5, 60)):
        start = now - timedelta(days=days_ago)
        postmortem = PostmortemFactory(
            owner=author,
            severity=1 + days_ago % 3,
            started_at=start,
            detected_at=start + timedelta(minutes=4),
            mitigated_at=start + timedelta(minutes=minutes),
            resolved_at=start + timedelta(minutes=minutes + 30),
        )
        postmortem.services.add(checkout)
        ContributingFactorFactory(postmortem=postmortem, category="configuration")

    log_in(page, "author")
    page.get_by_role("link", name="Metrics").click()
    expect(page.get_by_role("heading", name="Reliability metrics")).to_be_visible()
    for slug in CHARTS:
        canvas = page.locator(f'canvas[data-chart="chart-data-{slug}"]')
        expect(canvas).to_have_attribute("data-drawn", re.compile(r"\d+"))
        drawn = canvas.evaluate(PAINTED)
        assert drawn["datasets"] >= 1 and drawn["painted"] > 500, f"{slug}: {drawn}"
    # The budget chart carries the 100% line as a second dataset.
    budget = page.locator('canvas[data-chart="chart-data-error-budget"]').evaluate(PAINTED)
    assert budget["datasets"] == 2
    expect(page.locator('[data-repeat="checkout:Configuration"]')).to_contain_text("PM-")
    page.screenshot(path="/tmp/shot-metrics.png", full_page=True) if SHOTS else None

    card = page.locator("#error-budget")
    card.get_by_text("Data table").click()
    expect(card.get_by_role("table")).to_contain_text("checkout")
    with page.expect_download() as download_info:
        card.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("error-budget-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "Service" and rows[1][0] == "checkout"
    assert rows[1][-1] == "188.9"  # (21.6 + 60) min of 43.2; 40 days ago is outside


def test_choosing_a_service_filters_the_charts(page, author):
    ServiceFactory(name="checkout")
    ServiceFactory(name="search")
    log_in(page, "author")
    page.goto("/metrics/")
    page.get_by_label("Service").select_option(label="search")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('canvas[data-chart="chart-data-error-budget"]')).to_have_attribute(
        "data-drawn", "2"
    )
    assert "service=" in page.url
    csv_link = page.locator("#incidents").get_by_role("link", name="CSV")
    assert "service=" in csv_link.get_attribute("href")
