import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from actions.models import ActionItem
from postmortems.models import Postmortem
from reviews.models import Reviewer

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once_with_a_working_login(capsys):
    call_command("load_demo")
    call_command("load_demo")
    output = capsys.readouterr().out
    assert output.count("Loaded the demo postmortems.") == 1
    assert "Demo login: username “demo”, password “debrief-demo”" in output
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="demo", password="debrief-demo") is not None

    assert Postmortem.objects.count() >= 3
    assert set(Postmortem.objects.values_list("status", flat=True)) == {
        "draft",
        "in_review",
        "published",
    }
    assert ActionItem.objects.overdue(timezone.localdate()).exists()
    published = Postmortem.objects.filter(status="published")
    assert published.filter(events__isnull=False, factors__isnull=False).exists()
    for postmortem in published:
        assert Reviewer.objects.get(postmortem=postmortem).verdict == "approved"


def test_the_demo_goes_through_review_by_the_rules_people_follow():
    call_command("load_demo", stdout=io.StringIO())
    for postmortem in Postmortem.objects.exclude(status="draft"):
        assert postmortem.review_problems() == [], postmortem
        moves = list(postmortem.transitions.values_list("from_status", "to_status"))
        assert moves[0] == ("draft", "in_review")
    for postmortem in Postmortem.objects.filter(status="published"):
        assert postmortem.published_at is not None
        assert postmortem.published_version == postmortem.text_version
        assert postmortem.comments.filter(body="Moved to published.").exists()
