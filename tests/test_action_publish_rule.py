import pytest
from django.urls import reverse

from actions.forms import NoActionsReasonForm
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Add at least one action item, or record why none is needed."
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "action-items"}


def test_a_postmortem_without_items_or_reason_cannot_be_published(postmortem):
    assert postmortem.missing_action_items == MESSAGE


def test_one_item_is_enough(postmortem):
    ActionItemFactory(postmortem=postmortem)
    assert postmortem.missing_action_items is None


def test_a_recorded_reason_is_enough_but_blank_space_is_not(postmortem):
    postmortem.no_actions_reason = "   "
    assert postmortem.missing_action_items == MESSAGE
    postmortem.no_actions_reason = "A one-off vendor outage; nothing on our side to change."
    assert postmortem.missing_action_items is None


def test_the_page_says_what_is_missing(author_client, postmortem):
    body = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert MESSAGE in body and "No action items needed? Record why" in body


def test_an_author_records_and_clears_the_reason_in_place(author_client, postmortem):
    url = reverse("actions:no_actions_reason", args=[postmortem.pk])
    version = NoActionsReasonForm(instance=postmortem).saved_version()
    body = author_client.post(
        url, {"no_actions_reason": "Vendor outage, nothing to change.", "version": version}, **HTMX
    ).content.decode()
    assert "Vendor outage, nothing to change." in body and MESSAGE not in body
    postmortem.refresh_from_db()
    assert postmortem.no_actions_reason == "Vendor outage, nothing to change."

    version = NoActionsReasonForm(instance=postmortem).saved_version()
    body = author_client.post(
        url, {"no_actions_reason": "", "version": version}, **HTMX
    ).content.decode()
    postmortem.refresh_from_db()
    assert postmortem.no_actions_reason == "" and MESSAGE in body


def test_outsiders_cannot_record_the_reason(outsider_client, postmortem):
    response = outsider_client.post(
        reverse("actions:no_actions_reason", args=[postmortem.pk]), {"no_actions_reason": "x"}
    )
    assert response.status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.no_actions_reason == ""
