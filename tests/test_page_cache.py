"""A postmortem's page is drawn once per reader and kept until anything on it changes."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Status
from postmortems.chatlog import parse_chat_log
from postmortems.models import LintAcknowledgement, LintTerm
from postmortems.services import timeline_import
from reviews.models import Comment, Reviewer
from reviews.services import reviewers_set
from tests import factories

pytestmark = pytest.mark.django_db


def view(client, postmortem) -> tuple[str, int]:
    """The page's text and how many queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(postmortem.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


@pytest.fixture
def reading(author_client, postmortem):
    """The page seen before, so that it is in the cache."""
    view(author_client, postmortem)  # the first visit sets the CSRF cookie
    first, drawn = view(author_client, postmortem)
    again, cached = view(author_client, postmortem)
    assert again == first
    assert cached < drawn / 3, (cached, drawn)
    return author_client


def test_a_page_seen_again_is_not_drawn_again(author_client, postmortem):
    factories.TimelineEventFactory(postmortem=postmortem)
    view(author_client, postmortem)
    first, _ = view(author_client, postmortem)
    with CaptureQueriesContext(connection) as queries:
        second, _ = view(author_client, postmortem)
    assert second == first
    # The session, the user and the postmortem with its revisions: nothing of the document.
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert 'FROM "postmortems_postmortem"' in sql
    for table in ("postmortems_timelineevent", "actions_actionitem", "reviews_comment"):
        assert f'FROM "{table}"' not in sql


def _rename_owner(postmortem):
    postmortem.owner.first_name = "Adaline"
    postmortem.owner.save()
    return "Adaline"


def _edit_summary(postmortem):
    postmortem.summary = "Queue consumers stalled behind a slow partition."
    postmortem.save()
    return "stalled behind a slow partition"


def _add_event(postmortem):
    factories.TimelineEventFactory(postmortem=postmortem, description="Paged the storage team")
    return "Paged the storage team"


def _import_chat_log(postmortem):
    log = parse_chat_log(
        "10:42 ana: replica lag alarm fired\n", day=timezone.localdate(), tz=postmortem.tz
    )
    timeline_import(postmortem=postmortem, messages=log.messages)
    return "replica lag alarm fired"


def _add_factor(postmortem):
    factories.ContributingFactorFactory(postmortem=postmortem, description="No canary stage")
    return "No canary stage"


def _close_action_item(postmortem):
    item = factories.ActionItemFactory(postmortem=postmortem, title="Add a canary stage")
    item.status = Status.DONE
    item.completed_at = timezone.now()
    item.save()
    return "Add a canary stage"


def _comment(postmortem):
    Comment.objects.create(postmortem=postmortem, author=postmortem.owner, body="Looks thorough")
    return "Looks thorough"


def _rename_a_service(postmortem):
    service = postmortem.services.create(name="billing-api", slo_target="99.9")
    service.name = "invoicing-api"
    service.save()
    return "invoicing-api"


CHANGES = [
    _edit_summary,
    _add_event,
    _import_chat_log,
    _add_factor,
    _close_action_item,
    _comment,
    _rename_owner,
    _rename_a_service,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__.strip("_"))
def test_every_change_shows_on_the_next_view(reading, postmortem, change):
    expected = change(postmortem)
    page, _ = view(reading, postmortem)
    assert expected in page


def test_people_and_services_linked_from_either_side_show(author_client, postmortem, reviewer):
    service = factories.ServiceFactory(name="billing-api")
    view(author_client, postmortem)
    view(author_client, postmortem)
    service.postmortems.add(postmortem)
    assert "billing-api" in view(author_client, postmortem)[0]
    reviewer.coauthored_postmortems.add(postmortem)
    assert "Co-authors: Rui Reviewer" in view(author_client, postmortem)[0]
    reviewers_set(postmortem=postmortem, users=[reviewer])
    assert 'class="list-inline-item reviewer' in view(author_client, postmortem)[0]


def test_a_deleted_event_leaves_the_page(reading, postmortem):
    event = factories.TimelineEventFactory(postmortem=postmortem, description="Short-lived note")
    assert "Short-lived note" in view(reading, postmortem)[0]
    postmortem.events.filter(pk=event.pk).delete()
    assert "Short-lived note" not in view(reading, postmortem)[0]


def test_a_new_lint_term_and_its_acknowledgement_show(reading, postmortem):
    postmortem.summary = "The gremlin took the cluster down."
    postmortem.save()
    assert "gremlin" not in _findings(view(reading, postmortem)[0])
    LintTerm.objects.create(phrase="gremlin", message="Name the condition, not a creature.")
    assert "gremlin" in _findings(view(reading, postmortem)[0])
    LintAcknowledgement.objects.create(
        postmortem=postmortem,
        location="summary",
        rule="custom.gremlin",
        text="gremlin",
        reason="A quotation from the status page",
        acknowledged_by=postmortem.owner,
    )
    assert "A quotation from the status page" in view(reading, postmortem)[0]


def _findings(page: str) -> str:
    found = re.search(r'<section id="lint".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_a_verdict_shows(reading, postmortem, reviewer):
    reviewers_set(postmortem=postmortem, users=[reviewer])
    assert "verdict-approved" not in view(reading, postmortem)[0]
    verdict = postmortem.reviewers.get()
    verdict.verdict = Reviewer.Verdict.APPROVED
    verdict.save()
    assert "verdict-approved" in view(reading, postmortem)[0]


def test_readers_never_see_each_others_page(reading, postmortem, outsider):
    other = Client()
    other.force_login(outsider)
    view(other, postmortem)
    page, _ = view(other, postmortem)
    assert "You are reading this postmortem" in page
    assert "You are reading this postmortem" not in view(reading, postmortem)[0]


def test_forms_on_a_cached_page_carry_a_token_that_works(postmortem, author):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(author)
    view(browser, postmortem)
    page, _ = view(browser, postmortem)  # from the cache
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        reverse("reviews:comment", args=[postmortem.pk]),
        {"body": "Posted from a cached page", "csrfmiddlewaretoken": token},
    )
    assert response.status_code in (200, 302)
    assert "Posted from a cached page" in view(browser, postmortem)[0]


def test_a_waiting_message_is_shown_not_a_cached_page(reading, postmortem):
    response = reading.post(reverse("reviews:comment", args=[postmortem.pk]), {"body": ""})
    assert response.status_code == 302
    page = reading.get(response.url).content.decode()
    assert "The comment was empty or too long" in page


def test_an_item_becomes_overdue_when_the_day_changes(author_client, postmortem):
    today = timezone.localdate()
    factories.ActionItemFactory(postmortem=postmortem, due_date=today)
    evening = timezone.localtime().replace(hour=22, minute=0)
    with time_machine.travel(evening, tick=False):
        # Signed in that evening: a session from hours before may have expired by then.
        author_client.force_login(postmortem.owner)
        view(author_client, postmortem)
        assert "Overdue" not in view(author_client, postmortem)[0]
    with time_machine.travel(evening + timedelta(hours=4), tick=False):
        assert "Overdue" in view(author_client, postmortem)[0]
