"""Who may do what, URL by URL: anonymous, outsider, allowed reader, reviewer, co-author,
owner and admin, on an open and on a restricted postmortem."""

import pytest
from django.core import mail
from django.urls import reverse

from actions.models import ActionItem
from postmortems.forms import AccessForm, SummaryForm
from reviews.models import Comment, Reviewer
from reviews.services import comment_notify_mentions
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "allowed", "reviewer", "coauthor", "owner", "admin"]
READERS_OF_RESTRICTED = {"allowed", "reviewer", "coauthor", "owner", "admin"}
EDITORS = {"coauthor", "owner", "admin"}


@pytest.fixture
def people(db):
    return {
        "owner": UserFactory(username="owner"),
        "coauthor": UserFactory(username="coauthor"),
        "reviewer": UserFactory(username="reviewer2"),
        "allowed": UserFactory(username="allowed"),
        "outsider": UserFactory(username="stranger", email="stranger@example.com"),
        "admin": UserFactory(username="root", is_superuser=True, is_staff=True),
    }


def _postmortem(people, *, restricted):
    postmortem = PostmortemFactory(
        owner=people["owner"], restricted=restricted, title="Secret DB leak"
    )
    postmortem.coauthors.add(people["coauthor"])
    postmortem.allowed_users.add(people["allowed"])
    Reviewer.objects.create(postmortem=postmortem, user=people["reviewer"])
    ActionItemFactory(postmortem=postmortem, owner=people["owner"], title="Rotate the leaked key")
    return postmortem


def _client(client, people, role):
    if role != "anonymous":
        client.force_login(people[role])
    return client


READ_URLS = [
    ("postmortems:detail", []),
    ("postmortems:print", []),
    ("postmortems:export", []),
    ("postmortems:section", ["summary"]),
    ("postmortems:timeline", []),
    ("postmortems:factors", []),
    ("postmortems:lint_summary", []),
    ("actions:section", []),
]
WRITE_URLS = [
    ("postmortems:section_edit", ["summary"], {"summary": "Changed"}),
    ("postmortems:event_create", [], {"occurred_at": "2026-03-02T14:00", "kind": "note", "description": "x"}),
    ("postmortems:factor_create", [], {"category": "other", "description": "x"}),
    ("postmortems:timeline_import", [], {"text": "10:00 a: b", "day": "2026-03-02", "confirm": ""}),
    ("postmortems:reviewers", [], {"reviewers": []}),
    ("postmortems:submit", [], {}),
    ("actions:postmortem_create", [], {"title": "Add an alert on lag", "priority": "P2", "kind": "detect"}),
]  # fmt: skip


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
@pytest.mark.parametrize("role", ROLES)
def test_reading(client, people, role, restricted):
    postmortem = _postmortem(people, restricted=restricted)
    client = _client(client, people, role)
    for name, args in READ_URLS:
        response = client.get(reverse(name, args=[postmortem.pk, *args]))
        if role == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"], name
        elif restricted and role not in READERS_OF_RESTRICTED:
            assert response.status_code == 404, name
        else:
            assert response.status_code == 200, name


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
@pytest.mark.parametrize("role", ROLES)
def test_writing(client, people, role, restricted):
    postmortem = _postmortem(people, restricted=restricted)
    client = _client(client, people, role)
    version = SummaryForm(instance=postmortem).saved_version()  # what the summary form carries
    for name, args, data in WRITE_URLS:
        response = client.post(
            reverse(name, args=[postmortem.pk, *args]), {**data, "version": version}
        )
        if role == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"], name
        elif role in EDITORS:
            assert response.status_code in (200, 302, 409), name
        elif restricted and role not in READERS_OF_RESTRICTED:
            assert response.status_code == 404, name
        else:
            assert response.status_code == 403, name
    postmortem.refresh_from_db()
    assert (postmortem.summary == "Changed") == (role in EDITORS)


@pytest.mark.parametrize("role", ["outsider", "allowed"])
def test_comments_and_reviews(client, people, role):
    postmortem = _postmortem(people, restricted=True)
    client.force_login(people[role])
    comment = client.post(reverse("postmortems:comment", args=[postmortem.pk]), {"body": "hi"})
    review = client.post(
        reverse("postmortems:review", args=[postmortem.pk]), {"verdict": "approved"}
    )
    if role == "outsider":
        assert (comment.status_code, review.status_code) == (404, 404)
    else:
        assert (comment.status_code, review.status_code) == (302, 403)


def test_a_restricted_postmortem_is_invisible_to_outsiders_everywhere(client, people):
    secret = _postmortem(people, restricted=True)
    _postmortem(people, restricted=False)
    client.force_login(people["outsider"])
    assert client.get(reverse("postmortems:list")).context["page"].paginator.count == 1
    search = client.get(reverse("postmortems:list"), {"q": secret.reference})
    assert search.context["page"].paginator.count == 0
    items = client.get(reverse("actions:list")).context["page"].paginator.count
    assert items == 1
    csv = b"".join(client.get(reverse("actions:export")).streaming_content).decode()
    assert csv.count("Rotate the leaked key") == 1
    item = ActionItem.objects.get(postmortem=secret)
    assert client.get(reverse("actions:detail", args=[item.pk])).status_code == 404
    assert client.get(reverse("metrics:index")).context["incident_count"] == 1
    client.force_login(people["allowed"])
    assert client.get(reverse("metrics:index")).context["incident_count"] == 2


def test_mentions_do_not_email_people_who_cannot_read_it(people):
    secret = _postmortem(people, restricted=True)
    comment = Comment.objects.create(
        postmortem=secret, author=people["owner"], body="@stranger @allowed"
    )
    people["allowed"].email = "allowed@example.com"
    people["allowed"].save()
    assert comment_notify_mentions(comment_id=comment.pk) == 1
    assert [m.to for m in mail.outbox] == [["allowed@example.com"]]


def test_an_editor_restricts_a_postmortem_from_its_page(client, people):
    postmortem = _postmortem(people, restricted=False)
    client.force_login(people["owner"])
    client.post(
        reverse("postmortems:section_edit", args=[postmortem.pk, "access"]),
        {
            "restricted": "on",
            "allowed_users": [people["allowed"].pk],
            "version": AccessForm(instance=postmortem).saved_version(),
        },
    )
    postmortem.refresh_from_db()
    assert postmortem.restricted
    client.force_login(people["outsider"])
    assert client.get(postmortem.get_absolute_url()).status_code == 404
