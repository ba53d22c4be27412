from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from actions.models import ActionItem
from postmortems.models import Postmortem, TimelineEvent
from reviews.models import Meeting
from services.models import Service

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", postmortems=5, action_items=20, users=3, stdout=out, **options)
    return out.getvalue()


def test_it_fills_an_empty_site_with_the_numbers_asked_for():
    output = _seed()
    assert Postmortem.objects.count() == 5
    assert ActionItem.objects.count() == 20
    assert get_user_model().objects.count() == 3
    assert "Seeded 3 users" in output and " s." in output
    for postmortem in Postmortem.objects.all():
        kinds = set(postmortem.events.values_list("kind", flat=True))
        assert set(TimelineEvent.KEY_FIELDS) <= kinds
        assert postmortem.events.count() >= 13
        assert postmortem.factors.exists() and postmortem.services.exists()
        first_impact = postmortem.events.filter(kind="impact_start").first()
        assert postmortem.started_at == first_impact.occurred_at
    assert Service.objects.filter(slo_target__lt=100).count() == Service.objects.count() > 0
    assert Meeting.objects.get().agenda.exists()


def test_it_refuses_a_site_that_already_has_postmortems(postmortem):
    with pytest.raises(CommandError, match="--force"):
        _seed()
    assert Postmortem.objects.count() == 1


def test_force_adds_to_a_site_even_twice(postmortem):
    _seed(force=True)
    _seed(force=True)
    assert Postmortem.objects.count() == 11
    assert ActionItem.objects.count() == 40


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
