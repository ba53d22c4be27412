from datetime import UTC, datetime

import pytest
from django.urls import reverse

from postmortems.models import Postmortem, PostmortemTemplate
from tests.factories import PostmortemFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_list_is_newest_first_and_paginated(author_client, author):
    PostmortemFactory.create_batch(26, owner=author)
    newest = PostmortemFactory(owner=author, title="Newest of all")
    response = author_client.get(reverse("postmortems:list"))
    page = response.context["page"]
    assert page.object_list[0] == newest
    assert page.paginator.count == 27 and len(page.object_list) == 25
    assert "Page 1 of 2" in response.content.decode()


def test_the_list_filters_by_status_severity_service_and_dates(author_client, author):
    match = PostmortemFactory(
        owner=author, status="published", severity=1, started_at=datetime(2026, 5, 3, tzinfo=UTC)
    )
    match.services.set([ServiceFactory(name="checkout")])
    other = PostmortemFactory(owner=author, status="draft", severity=1)
    other.services.set([ServiceFactory(name="search")])
    response = author_client.get(
        reverse("postmortems:list"),
        {
            "status": "published",
            "severity": "1",
            "service": "Checkout",
            "started_after": "2026-05-01",
            "started_before": "2026-05-31",
        },
    )
    assert list(response.context["page"]) == [match]


def test_an_invalid_filter_date_gets_a_message_not_an_error(author_client):
    response = author_client.get(reverse("postmortems:list"), {"started_after": "2026-02-31"})
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()


def test_creating_a_postmortem_uses_the_default_template_and_the_incident_time_zone(
    author_client, author
):
    response = author_client.get(reverse("postmortems:create"))
    default = PostmortemTemplate.objects.get(is_default=True)
    assert response.context["form"]["template"].initial == default
    response = author_client.post(
        reverse("postmortems:create"),
        {
            "title": "Checkout errors",
            "severity": "1",
            "template": default.pk,
            "time_zone": "Europe/Berlin",
            "started_at": "2026-03-02T14:00",
            "new_services": "checkout, payments",
        },
    )
    postmortem = Postmortem.objects.get()
    assert response["Location"] == postmortem.get_absolute_url()
    assert postmortem.owner == author
    assert postmortem.started_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert sorted(s.name for s in postmortem.services.all()) == ["checkout", "payments"]
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert default.summary_guidance in page
    assert "2026-03-02 14:00" in page


def test_bad_input_on_create_keeps_what_was_typed(author_client):
    response = author_client.post(
        reverse("postmortems:create"),
        {"title": "Kept title", "severity": "9", "time_zone": "Mars/Olympus", "started_at": "soon"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"severity", "time_zone", "started_at"}
    assert 'value="Kept title"' in response.content.decode()
    assert not Postmortem.objects.exists()


def test_a_time_that_the_clocks_skip_is_refused_clearly(author_client):
    response = author_client.post(
        reverse("postmortems:create"),
        {
            "title": "DST",
            "severity": "3",
            "time_zone": "Europe/Berlin",
            "started_at": "2026-03-29T02:30",
        },
    )
    assert "does not exist in Europe/Berlin" in response.content.decode()


def test_a_time_that_happens_twice_is_refused_clearly(author_client):
    response = author_client.post(
        reverse("postmortems:create"),
        {
            "title": "DST",
            "severity": "3",
            "time_zone": "Europe/Berlin",
            "started_at": "2026-10-25T02:30",
        },
    )
    assert "happened twice in Europe/Berlin" in response.content.decode()


def test_an_unknown_postmortem_is_a_404(author_client):
    assert author_client.get(reverse("postmortems:detail", args=[999999])).status_code == 404
    assert author_client.get("/postmortems/abc/").status_code == 404


def test_the_document_renders_sanitized_markdown(author_client, author):
    postmortem = PostmortemFactory(owner=author, summary="**Bold** <script>alert(1)</script>")
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_the_print_page_has_the_whole_document(author_client, postmortem):
    page = author_client.get(reverse("postmortems:print", args=[postmortem.pk])).content.decode()
    assert postmortem.title in page and "Contributing factors" in page
