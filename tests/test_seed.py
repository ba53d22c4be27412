from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from actions.models import ActionItem, StatusChange
from bench.seed import SeedRefused, seed_site
from postmortems.models import Postmortem, TimelineEvent
from reviews.models import Comment, Meeting
from services.models import Service

pytestmark = pytest.mark.django_db


def _seed(**options) -> dict[str, int]:
    return seed_site(postmortems=5, action_items=20, users=3, **options)


def test_it_fills_an_empty_site_with_the_numbers_asked_for():
    counts = _seed()
    assert Postmortem.objects.count() == counts["postmortems"] == 5
    assert ActionItem.objects.count() == counts["action items"] == 20
    assert get_user_model().objects.count() == counts["users"] == 3
    for postmortem in Postmortem.objects.all():
        kinds = set(postmortem.events.values_list("kind", flat=True))
        assert set(TimelineEvent.KEY_FIELDS) <= kinds
        assert postmortem.events.count() >= 13
        assert postmortem.factors.exists() and postmortem.services.exists()
        first_impact = postmortem.events.filter(kind="impact_start").first()
        assert postmortem.started_at == first_impact.occurred_at
    assert Service.objects.filter(slo_target__lt=100).count() == Service.objects.count() > 0
    assert Meeting.objects.get().agenda.exists()


def test_rows_keep_the_past_times_they_were_given():
    """Creating stamps "now"; the seed puts back the times its story of each row tells."""
    _seed(years=2)
    for postmortem in Postmortem.objects.all():
        created = postmortem.created_at
        assert postmortem.started_at < created <= postmortem.started_at + timedelta(hours=72)
        for comment in Comment.objects.filter(postmortem=postmortem):
            assert created < comment.created_at <= created + timedelta(hours=3)
        for item in postmortem.action_items.all():
            assert created <= item.created_at <= created + timedelta(hours=120)
    changes = StatusChange.objects.select_related("item")
    for change in changes.filter(note="Created"):
        assert change.changed_at == change.item.created_at
    for change in changes.exclude(note="Created"):
        if change.item.completed_at:
            assert change.changed_at == change.item.completed_at
        else:
            assert change.item.created_at < change.changed_at
            assert change.changed_at <= change.item.created_at + timedelta(days=3)
    assert changes.filter(note="Created").exists() and changes.exclude(note="Created").exists()


def test_it_refuses_a_site_that_already_has_postmortems(postmortem):
    with pytest.raises(SeedRefused, match="--force"):
        _seed()
    assert Postmortem.objects.count() == 1


def test_force_adds_to_a_site_even_twice(postmortem):
    created = postmortem.created_at
    _seed(force=True)
    _seed(force=True)
    assert Postmortem.objects.count() == 11
    assert ActionItem.objects.count() == 40
    postmortem.refresh_from_db()
    assert postmortem.created_at == created


def test_every_page_renders_with_seeded_data(client):
    _seed()
    meeting = Meeting.objects.get()
    client.force_login(meeting.facilitator)
    postmortem = Postmortem.objects.first()
    for url in [
        reverse("postmortems:list"),
        reverse("postmortems:list") + "?q=after",
        postmortem.get_absolute_url(),
        reverse("actions:list") + "?status=not_closed",
        reverse("actions:mine"),
        reverse("metrics:index"),
        reverse("reviews:present", args=[meeting.pk]),
    ]:
        assert client.get(url).status_code == 200, url
