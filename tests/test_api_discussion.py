"""The API's comments, meetings and services: the discussion of a postmortem one may read,
meetings whose agendas leave out the postmortems one may not."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from reviews.models import AgendaItem, Comment, Meeting
from tests.api import ApiClient
from tests.factories import PostmortemFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_comments_are_listed_and_added_with_mentions_emailed(
    author, reviewer, postmortem, django_capture_on_commit_callbacks, celery_eager
):
    api = ApiClient(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(f"/postmortems/{postmortem.pk}/comments", {"body": "Looks good @author"})
    assert made.status_code == 201 and made.json()["author"] == "reviewer"
    assert [m.to for m in mail.outbox] == [[author.email]]
    listed = api.get(f"/postmortems/{postmortem.pk}/comments").json()
    assert [c["body"] for c in listed["results"]] == ["Looks good @author"]
    assert api.post(f"/postmortems/{postmortem.pk}/comments", {"body": ""}).status_code == 422


def test_the_discussion_of_a_restricted_postmortem_is_not_there_for_outsiders(author, outsider):
    secret = PostmortemFactory(owner=author, restricted=True)
    Comment.objects.create(postmortem=secret, author=author, body="Keys were rotated")
    api = ApiClient(outsider)
    assert api.get(f"/postmortems/{secret.pk}/comments").status_code == 404
    assert api.post(f"/postmortems/{secret.pk}/comments", {"body": "hi"}).status_code == 404
    assert Comment.objects.filter(postmortem=secret).count() == 1


def test_a_meetings_agenda_leaves_out_what_you_may_not_read(author, outsider):
    secret = PostmortemFactory(owner=author, restricted=True, title="Secret breach")
    public = PostmortemFactory(owner=author, title="Slow search")
    meeting = Meeting.objects.create(
        title="Weekly review", starts_at=timezone.now() + timedelta(days=1), facilitator=author
    )
    AgendaItem.objects.create(meeting=meeting, postmortem=secret, position=1, notes="Keys")
    AgendaItem.objects.create(meeting=meeting, postmortem=public, position=2)
    outside = ApiClient(outsider).get(f"/meetings/{meeting.pk}").json()
    assert [entry["title"] for entry in outside["agenda"]] == ["Slow search"]
    listed = ApiClient(outsider).get("/meetings").json()["results"][0]
    assert [entry["postmortem"] for entry in listed["agenda"]] == [public.pk]
    inside = ApiClient(author).get(f"/meetings/{meeting.pk}").json()
    assert [entry["title"] for entry in inside["agenda"]] == ["Secret breach", "Slow search"]
    assert ApiClient(author).get("/meetings/4242").status_code == 404


def test_services_are_listed_by_name(author):
    ServiceFactory(name="search")
    payments = TeamFactory(display_name="Payments")
    checkout = ServiceFactory(name="checkout", slo_target="99.950", team=payments)
    api = ApiClient(author)
    listed = api.get("/services").json()["results"]
    assert [(s["name"], s["team"]) for s in listed] == [("checkout", "Payments"), ("search", None)]
    assert api.get(f"/services/{checkout.pk}").json()["slo_target"] == "99.950"
