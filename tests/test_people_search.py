import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:people_pick")


def _found(client, q: str) -> list[dict]:
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return response.json()


def _texts(client, q: str) -> list[str]:
    return [option["text"] for option in _found(client, q)]


def test_it_answers_people_as_picker_options(author_client, reviewer):
    assert _found(author_client, "rui") == [
        {"value": reviewer.pk, "text": "Rui Reviewer (reviewer)"}
    ]


@pytest.mark.parametrize("q", ["Mona", "lisa", "mlisa", "gallery.example", "MONA LISA"])
def test_it_finds_by_first_name_last_name_username_or_email(author_client, q):
    UserFactory(username="mlisa", first_name="Mona", last_name="Lisa", email="m@gallery.example")
    assert _texts(author_client, q) == ["Mona Lisa (mlisa)"]


def test_every_word_must_match_and_the_pickers_own_label_finds_its_person(author_client):
    UserFactory(username="anna", first_name="Anna", last_name="Schmidt")
    UserFactory(username="annak", first_name="Anna", last_name="Kowalski")
    assert _texts(author_client, "anna sch") == ["Anna Schmidt (anna)"]
    assert _texts(author_client, "Anna Kowalski (annak)") == ["Anna Kowalski (annak)"]


def test_someone_without_a_name_is_shown_by_username(author_client):
    UserFactory(username="ci-bot", first_name="", last_name="")
    assert _texts(author_client, "ci-bot") == ["ci-bot"]


def test_it_answers_the_first_twenty_by_name(author_client):
    for n in range(25):
        UserFactory(username=f"sam{n:02d}", first_name="Sam", last_name=f"Tester {n:02d}")
    texts = _texts(author_client, "sam")
    assert texts == [f"Sam Tester {n:02d} (sam{n:02d})" for n in range(20)]


def test_people_who_can_no_longer_sign_in_are_not_found(author_client):
    UserFactory(username="gone", first_name="Gina", last_name="Gone", is_active=False)
    assert _found(author_client, "gina") == []


def test_an_empty_query_suggests_people(author_client, author, reviewer):
    assert _texts(author_client, "") == ["Ada Author (author)", "Rui Reviewer (reviewer)"]


def test_it_needs_a_login(client, reviewer):
    response = client.get(URL, {"q": "rui"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "()", "ü" * 5_000, "a " * 1_000, "😀"])
def test_odd_queries_are_answered(author_client, q):
    assert isinstance(_found(author_client, q), list)


@pytest.mark.parametrize("q", ["%", "_", "'; drop table", "\\"])
def test_wildcards_and_quotes_are_only_characters(author_client, q):
    assert _found(author_client, q) == []
