import pytest
from django.urls import reverse

from tests.factories import ContributingFactorFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(postmortem):
    event = TimelineEventFactory(postmortem=postmortem)
    factor = ContributingFactorFactory(postmortem=postmortem)
    pk = postmortem.pk
    return [
        "/",
        reverse("postmortems:list"),
        reverse("postmortems:create"),
        reverse("postmortems:detail", args=[pk]),
        reverse("postmortems:print", args=[pk]),
        reverse("postmortems:export", args=[pk]),
        reverse("postmortems:section", args=[pk, "summary"]),
        reverse("postmortems:section_edit", args=[pk, "summary"]),
        reverse("postmortems:timeline", args=[pk]),
        reverse("postmortems:timeline_import", args=[pk]),
        reverse("postmortems:event_edit", args=[pk, event.pk]),
        reverse("postmortems:factors", args=[pk]),
        reverse("postmortems:factor_edit", args=[pk, factor.pk]),
    ]


def test_every_page_sends_anonymous_visitors_to_the_login_page(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_anonymous_posts_change_nothing(client, postmortem):
    response = client.post(
        reverse("postmortems:section_edit", args=[postmortem.pk, "summary"]),
        {"summary": "overwritten"},
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary != "overwritten"


def test_the_login_page_and_healthz_are_open(client):
    assert client.get(reverse("login")).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_user_logs_in_with_the_form_and_lands_on_the_postmortems(client, author):
    response = client.post(
        reverse("login"), {"username": "author", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("postmortems:list")
