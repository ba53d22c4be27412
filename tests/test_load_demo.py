import io
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from actions.models import ActionItem, StatusChange
from postmortems.models import Postmortem
from reviews.models import Reviewer, Transition

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
        moves = list(postmortem.transitions.values_list("from_status", "to_status", "by"))
        expected = [("draft", "in_review", postmortem.owner_id)]
        if postmortem.status == "published":
            expected.append(("in_review", "published", postmortem.owner_id))
            assert postmortem.published_at is not None
            assert postmortem.published_version == postmortem.text_version
            assert postmortem.reviewers.current_approvals().exists()
            assert not postmortem.updated_after_publication
            assert postmortem.comments.filter(body="Moved to published.").exists()
        assert moves == expected, postmortem
    drafts = Postmortem.objects.filter(status="draft")
    assert drafts.exists() and not Transition.objects.filter(postmortem__in=drafts).exists()


def test_action_items_carry_their_history_and_a_past():
    call_command("load_demo", stdout=io.StringIO())
    for item in ActionItem.objects.all():
        changes = list(item.changes.order_by("changed_at", "pk"))
        assert changes[0].note == "Created"
        assert timedelta(0) <= changes[0].changed_at - item.created_at < timedelta(minutes=1)
        assert changes[-1].to_status == item.status
        if item.status == "done":
            assert item.completed_at >= item.created_at
            assert abs(changes[-1].changed_at - item.completed_at) < timedelta(minutes=1)
    year_ago = timezone.now() - timedelta(days=300)
    assert ActionItem.objects.filter(created_at__lt=year_ago, completed_at__isnull=False).exists()
    assert StatusChange.objects.filter(to_status="blocked").exclude(note="").exists()
