import re
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from postmortems.alerts.base import Incident
from postmortems.alerts.services import _absorb  # the one place an alert sets a severity
from postmortems.models import Postmortem, PostmortemKind, PostmortemTemplate, TransitionRefused
from postmortems.quality import postmortem_quality
from reporting import charts as metrics
from reporting.filters import Filters
from tests import factories
from tests.api import ApiClient

pytestmark = pytest.mark.django_db

HALF_YEAR = Filters(start=date(2026, 1, 1), end=date(2026, 6, 15))


def _near_miss(**fields) -> Postmortem:
    return factories.PostmortemFactory(kind=PostmortemKind.NEAR_MISS, severity=None, **fields)


def test_a_near_miss_is_created_from_the_new_postmortem_page(author_client):
    page = author_client.get(reverse("postmortems:create")).content.decode()
    assert 'value="near_miss"' in page
    response = author_client.post(
        reverse("postmortems:create"),
        {
            "title": "Expired certificate caught in staging",
            "kind": "near_miss",
            "severity": "2",  # left from the form's default: a near miss has none
            "time_zone": "UTC",
        },
    )
    postmortem = Postmortem.objects.get()
    assert response["Location"] == postmortem.get_absolute_url()
    assert (postmortem.kind, postmortem.severity) == ("near_miss", None)


def test_an_incident_without_a_severity_is_refused_with_a_message(author_client):
    response = author_client.post(
        reverse("postmortems:create"),
        {"title": "Checkout errors", "kind": "incident", "severity": "", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    assert "Choose a severity: only a near miss has none." in response.content.decode()
    assert not Postmortem.objects.exists()


def test_the_database_refuses_a_near_miss_with_a_severity_or_an_incident_without_one(author):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PostmortemFactory(kind=PostmortemKind.NEAR_MISS, severity=2, owner=author)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PostmortemFactory(severity=None, owner=author)


def test_making_an_incident_a_near_miss_clears_its_severity_and_back_needs_one(author):
    postmortem = factories.PostmortemFactory(owner=author, severity=2)
    postmortem.kind = PostmortemKind.NEAR_MISS
    postmortem.full_clean()
    assert postmortem.severity is None
    postmortem.kind = PostmortemKind.INCIDENT
    with pytest.raises(ValidationError, match="Choose a severity"):
        postmortem.full_clean()


def test_its_submit_gate_asks_for_what_could_have_happened_not_an_impact_statement(author):
    postmortem = _near_miss(owner=author, impact="")
    factories.TimelineEventFactory(postmortem=postmortem)
    factories.ContributingFactorFactory(postmortem=postmortem)
    factories.ActionItemFactory(postmortem=postmortem, owner=author)
    with pytest.raises(TransitionRefused) as refused:
        postmortem.submit(by=author)
    assert refused.value.problems == [("Write what could have happened.", "#section-impact")]
    postmortem.could_have_happened = "Every card payment for 3 hours, about 12,000 orders."
    postmortem.submit(by=author)
    assert postmortem.status == "in_review"


def test_an_incident_still_needs_its_impact_statement(author):
    postmortem = factories.PostmortemFactory(owner=author, impact="")
    messages = [message for message, _ in postmortem.review_problems()]
    assert "Write the impact statement." in messages
    assert "Write what could have happened." not in messages


def test_review_deadlines_by_severity_do_not_apply_to_a_near_miss(settings):
    settings.REVIEW_DEADLINE_DAYS = {1: 3}
    resolved = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    incident = factories.PostmortemFactory(severity=1, resolved_at=resolved)
    near_miss = _near_miss(resolved_at=resolved)
    assert incident.review_deadline is not None
    assert near_miss.review_deadline is None


def test_its_impact_section_asks_what_could_have_happened(author_client, author):
    postmortem = _near_miss(owner=author, could_have_happened="An outage of 2 hours.")
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "What could have happened" in page
    assert "An outage of 2 hours." in page
    assert "customers affected" not in page
    form = author_client.get(
        reverse("postmortems:section_edit", args=[postmortem.pk, "impact"])
    ).content.decode()
    assert 'name="could_have_happened"' in form
    assert 'name="impact"' not in form and 'name="customers_affected"' not in form


def test_saving_its_impact_section_keeps_what_could_have_happened(author_client, author):
    postmortem = _near_miss(owner=author)
    form = author_client.get(reverse("postmortems:section_edit", args=[postmortem.pk, "impact"]))
    version = re.search(r'name="version" value="(\w+)"', form.content.decode())[1]
    author_client.post(
        reverse("postmortems:section_edit", args=[postmortem.pk, "impact"]),
        {"could_have_happened": "Card payments down for 3 hours.", "version": version},
    )
    postmortem.refresh_from_db()
    assert postmortem.could_have_happened == "Card payments down for 3 hours."


def test_the_default_template_guides_what_could_have_happened_and_where_we_got_lucky():
    template = PostmortemTemplate.objects.get(is_default=True)
    assert "near miss" in template.could_have_happened_guidance
    assert template.got_lucky_guidance
    near_miss = _near_miss(template=template)
    assert near_miss.guidance["impact"] == template.could_have_happened_guidance


def test_lists_exports_and_badges_name_it_a_near_miss(author_client, author):
    postmortem = _near_miss(owner=author, title="Disk nearly full on the primary")
    listing = author_client.get(reverse("postmortems:list") + "?kind=near_miss")
    assert "Disk nearly full on the primary" in listing.content.decode()
    assert ">Near miss</span>" in listing.content.decode()
    incidents = author_client.get(reverse("postmortems:list") + "?kind=incident")
    assert "Disk nearly full on the primary" not in incidents.content.decode()
    export = author_client.get(reverse("postmortems:export", args=[postmortem.pk]))
    assert "- Severity: Near miss (" in export.content.decode()
    assert "## What could have happened" in export.content.decode()
    printed = author_client.get(reverse("postmortems:print", args=[postmortem.pk]))
    assert printed.status_code == 200


def test_metrics_count_near_misses_apart_from_incidents(author_client):
    started = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    factories.PostmortemFactory(severity=2, started_at=started)
    _near_miss(started_at=started)
    _near_miss(started_at=started)
    chart = metrics.incidents_by_month(HALF_YEAR, metrics.incident_figures(HALF_YEAR))
    march = next(row for row in chart.rows if row[0] == date(2026, 3, 1))
    assert march[1:] == [0, 1, 0, 0]
    assert chart.summary["near_misses"] == 2
    page = author_client.get(
        reverse("metrics:index") + "?start=2026-01-01&end=2026-06-15"
    ).content.decode()
    assert '<div class="fs-4" data-stat="incidents">1</div>' in page
    assert '<span data-stat="near-misses">2</span> near misses' in page


def test_incident_charts_leave_near_misses_out():
    _near_miss(started_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    assert not HALF_YEAR.incidents().exists()
    assert HALF_YEAR.postmortems().count() == 1


def test_a_near_miss_quantifies_what_could_have_happened(author):
    postmortem = _near_miss(owner=author, could_have_happened="Payments would have stopped.")
    check = next(c for c in postmortem_quality(postmortem).checks if c.name == "impact_quantified")
    assert check.missing == "Put numbers in what could have happened."
    postmortem.could_have_happened = "Payments would have stopped for 40 minutes."
    check = next(c for c in postmortem_quality(postmortem).checks if c.name == "impact_quantified")
    assert check.passed


def test_an_alert_on_a_near_miss_draft_leaves_it_without_a_severity(author):
    postmortem = _near_miss(owner=author)
    source = factories.AlertSourceFactory(default_owner=author)
    incident = Incident(key="group-1", title="Disk full", severity_values=["critical"])
    _absorb(postmortem=postmortem, source=source, incident=incident)
    postmortem.refresh_from_db()
    assert postmortem.severity is None


def test_the_api_creates_a_near_miss_and_turns_an_incident_into_one(author):
    api = ApiClient(author)
    created = api.post(
        "/postmortems",
        {"title": "Certificate renewed in time", "kind": "near_miss", "severity": 2},
    )
    assert created.status_code == 201, created.content
    assert (created.json()["kind"], created.json()["severity"]) == ("near_miss", None)

    incident = factories.PostmortemFactory(owner=author, severity=2)
    etag = api.get(f"/postmortems/{incident.pk}")["ETag"]
    changed = api.patch(f"/postmortems/{incident.pk}", {"kind": "near_miss"}, {"If-Match": etag})
    assert changed.status_code == 200, changed.content
    incident.refresh_from_db()
    assert (incident.kind, incident.severity) == ("near_miss", None)
    assert {row["kind"] for row in api.get("/postmortems").json()["results"]} == {"near_miss"}
    factories.PostmortemFactory(owner=author, severity=1)
    listed = api.get("/postmortems", {"kind": "incident"}).json()["results"]
    assert [row["severity"] for row in listed] == [1]
