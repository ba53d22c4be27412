"""Forms that pick people carry the chosen and a few likely people; the picker finds the rest."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from actions.models import ActionItem
from reviews.models import Reviewer
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

PICKER = f'data-picker-url="{reverse("accounts:people_pick")}"'


def _everyone_else(count: int) -> None:
    get_user_model().objects.bulk_create(
        get_user_model()(username=f"extra{n}", first_name="Extra", last_name=f"Person {n}")
        for n in range(count)
    )


def _options(html: str) -> int:
    return html.count("<option")


def _select(html: str, attribute: str) -> str:
    """The first <select> with `attribute` (`name="owner"`), with its options."""
    return re.search(rf"<select[^>]*{attribute}[^>]*>.*?</select>", html, re.S).group(0)


def _postmortem_page(client, postmortem) -> str:
    return client.get(postmortem.get_absolute_url()).content.decode()


def _actions_page(client) -> str:
    return client.get(reverse("actions:list"), {"status": "not_closed"}).content.decode()


def test_an_editors_postmortem_page_does_not_grow_with_the_number_of_people(
    author_client, postmortem
):
    before = _postmortem_page(author_client, postmortem)
    _everyone_else(300)
    after = _postmortem_page(author_client, postmortem)
    assert "Extra Person" not in after
    assert _options(after) == _options(before)
    assert len(after) == len(before)


def test_the_action_list_does_not_grow_with_the_number_of_people(author_client, postmortem):
    ActionItemFactory(postmortem=postmortem)
    before = _actions_page(author_client)
    _everyone_else(300)
    after = _actions_page(author_client)
    assert "Extra Person" not in after
    assert _options(after) == _options(before)
    assert len(after) == len(before)


def test_a_new_items_owner_is_offered_from_the_postmortems_people(
    author_client, author, reviewer, outsider, postmortem
):
    postmortem.coauthors.add(reviewer)
    owner = _select(_postmortem_page(author_client, postmortem), 'name="owner"')
    assert PICKER in owner
    assert f'<option value="{author.pk}" selected>Ada Author (author)</option>' in owner
    assert f'<option value="{reviewer.pk}">Rui Reviewer (reviewer)</option>' in owner
    assert "Otto Outsider" not in owner


def test_anyone_active_may_be_picked_though_not_offered(author_client, outsider, postmortem):
    url = reverse("actions:postmortem_create", args=[postmortem.pk])
    data = {"title": "Alert on checkout errors", "owner": outsider.pk, "priority": "P2"}
    data |= {"kind": "mitigate"}
    author_client.post(url, data)
    assert ActionItem.objects.get(title="Alert on checkout errors").owner == outsider


@pytest.mark.parametrize("who", ["inactive", "unknown"])
def test_an_inactive_or_unknown_person_is_refused_with_a_field_error(
    author_client, postmortem, who
):
    gone = UserFactory(username="gone", is_active=False)
    url = reverse("actions:postmortem_create", args=[postmortem.pk])
    data = {"title": "Alert on checkout errors", "priority": "P2", "kind": "mitigate"}
    data["owner"] = gone.pk if who == "inactive" else 10**9
    response = author_client.post(url, data, HTTP_HX_REQUEST="true")
    assert "Select a valid choice" in response.content.decode()
    assert not ActionItem.objects.filter(title="Alert on checkout errors").exists()


def test_the_owner_filter_shows_the_chosen_person_and_the_reader(
    author_client, author, reviewer, outsider, postmortem
):
    ActionItemFactory(postmortem=postmortem, owner=reviewer)
    html = author_client.get(reverse("actions:list"), {"owner": reviewer.pk}).content.decode()
    owner = _select(html, 'id="id_owner"')
    assert PICKER in owner
    assert f'<option value="{reviewer.pk}" selected>Rui Reviewer (reviewer)</option>' in owner
    assert f'<option value="{author.pk}">Ada Author (author)</option>' in owner
    assert "Otto Outsider" not in owner
    new_owner = _select(html, 'id="bulk-owner"')
    assert PICKER in new_owner
    assert _options(new_owner) == 2  # "---------" and the reader
    assert f'<option value="{author.pk}">Ada Author (author)</option>' in new_owner


def test_a_postmortems_co_authors_and_readers_show_as_chosen(
    author_client, reviewer, outsider, postmortem
):
    postmortem.coauthors.add(reviewer)
    postmortem.allowed_users.add(outsider)
    for section, name, person in [
        ("details", "coauthors", reviewer),
        ("access", "allowed_users", outsider),
    ]:
        url = reverse("postmortems:section_edit", args=[postmortem.pk, section])
        chosen = _select(author_client.get(url).content.decode(), f'name="{name}"')
        assert PICKER in chosen
        assert _options(chosen) == 1
        assert f'<option value="{person.pk}" selected>' in chosen


def test_reviewers_are_offered_from_those_who_reviewed_lately_but_never_the_owner(
    author_client, author, reviewer, outsider, postmortem
):
    other = PostmortemFactory(owner=outsider)
    Reviewer.objects.create(postmortem=other, user=reviewer)
    Reviewer.objects.create(postmortem=PostmortemFactory(owner=reviewer), user=author)
    reviewers = _select(_postmortem_page(author_client, postmortem), 'name="reviewers"')
    assert PICKER in reviewers
    assert f'<option value="{reviewer.pk}">Rui Reviewer (reviewer)</option>' in reviewers
    assert "Ada Author" not in reviewers and "Otto Outsider" not in reviewers


def test_an_interviews_participant_is_offered_from_the_postmortems_people(
    author_client, reviewer, outsider, postmortem
):
    postmortem.coauthors.add(reviewer)
    url = reverse("postmortems:interviews", args=[postmortem.pk])
    participant = _select(author_client.get(url).content.decode(), 'name="participant"')
    assert PICKER in participant
    assert "Ada Author (author)" in participant and "Rui Reviewer (reviewer)" in participant
    assert "Otto Outsider" not in participant
