"""A version of a published postmortem to share outside: redacted, reviewed, revocable."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from postmortems.models import ExternalVersion, Interview, TimelineEvent
from postmortems.models.external import token_hash
from postmortems.outside import external_version_build, is_internal, remove_internal_links
from reviews.models import Reviewer
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {
        "owner": UserFactory(username="olga", first_name="Olga", last_name="Owner"),
        "coauthor": UserFactory(username="cass", first_name="Cass", last_name="Writer"),
        "reviewer": UserFactory(username="rex", first_name="Rex", last_name="Checker"),
        "responder": UserFactory(username="bea", first_name="Bea", last_name="Pager"),
        "bystander": UserFactory(username="nemo", first_name="Nemo", last_name="Elsewhere"),
    }


@pytest.fixture
def published(people, settings):
    settings.SITE_URL = "https://debrief.corp.example"
    settings.INTERNAL_HOSTS = ["corp.example", "grafana.internal.example"]
    postmortem = PostmortemFactory(
        owner=people["owner"],
        status="published",
        title="Checkout errors after Olga's deploy",
        summary=(
            "Bea Pager saw the alert; @cass paged Rex Checker. Nemo Elsewhere was on leave. "
            "See [the runbook](https://wiki.corp.example/runbooks/checkout) and "
            "https://grafana.internal.example/d/abc and [status](https://status.example.com/x) "
            "and [PM-3](/postmortems/3/) and http://10.1.2.3:8080/admin and http://intranet/x."
        ),
        impact="4,100 checkouts failed over 47 minutes.",
        went_well="Rollback took two minutes.",
        went_poorly="The dashboard was slow.",
        got_lucky="It happened at night.",
    )
    postmortem.coauthors.add(people["coauthor"])
    Reviewer.objects.create(postmortem=postmortem, user=people["reviewer"])
    Interview.objects.create(
        postmortem=postmortem,
        facilitator=people["owner"],
        participant=people["responder"],
        interviewed_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    Interview.objects.create(
        postmortem=postmortem,
        facilitator=people["owner"],
        participant_name="Dana Vendor",
        interviewed_at=datetime(2026, 3, 4, tzinfo=UTC),
    )
    TimelineEvent.objects.create(
        postmortem=postmortem,
        occurred_at=datetime(2026, 3, 2, 14, 5, tzinfo=UTC),
        description="Dana Vendor reported the errors to bea",
        source_url="https://chat.corp.example/archives/123",
    )
    ActionItemFactory(postmortem=postmortem, owner=people["responder"], title="Add a canary")
    return postmortem


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _version(postmortem, removed=()) -> ExternalVersion:
    version = ExternalVersion(postmortem=postmortem, created_by=postmortem.owner)
    return external_version_build(version=version, removed=list(removed))


def test_people_are_named_by_their_roles_in_every_text(published):
    content = _version(published).content
    summary = content["summary"]
    assert content["title"] == "Checkout errors after Incident owner's deploy"
    assert summary.startswith("Responder 1 saw the alert; Author paged Reviewer.")
    assert "a colleague was on leave" in summary
    assert content["timeline"][0]["text"] == "Responder 2 reported the errors to Responder 1"
    assert content["action_items"][0]["owner"] == "Responder 1"
    text = str(content).lower()
    for name in ("olga", "cass", "rex", "bea", "nemo", "dana", "pager", "checker"):
        assert name not in text


def test_usernames_of_others_that_are_words_stay_words(published):
    UserFactory(username="deploy", first_name="", last_name="")
    published.impact = "The deploy stalled; @deploy was paged."
    published.save()
    assert _version(published).content["impact"] == "The deploy stalled; a colleague was paged."


def test_internal_links_are_removed_and_others_kept(published):
    content = _version(published).content
    summary = content["summary"]
    assert "[status](https://status.example.com/x)" in summary
    for internal in ("wiki.corp", "grafana.internal", "/postmortems/3/", "10.1.2.3", "intranet"):
        assert internal not in summary
    assert "the runbook and (internal link removed)" in summary
    assert content["timeline"][0]["link"] == ""  # the chat, a subdomain of an internal host
    assert is_internal("https://debrief.corp.example/postmortems/1/")
    assert is_internal("http://[fd00::1]/x") and is_internal("http://192.168.0.4/")
    assert not is_internal("https://example.org/status") and not is_internal("mailto:a@b.example")
    assert remove_internal_links("![graph](http://127.0.0.1/g.png)") == "(graph)"
    assert remove_internal_links("[x]: https://wiki.corp.example/a\nNext") == "Next"


def test_chosen_sections_are_removed(published):
    content = _version(published, removed=["impact", "timeline", "lessons"]).content
    assert "impact" not in content and "timeline" not in content and "lessons" not in content
    assert "summary" in content and "factors" in content and "action_items" in content


def test_editors_draft_and_preview_it_with_the_linters_findings(published):
    published.went_poorly = "Cass should have caught the slow dashboard."
    published.save()
    client = _client(published.owner)
    response = client.post(
        reverse("postmortems:outside", args=[published.pk]), {"removed_sections": ["impact"]}
    )
    version = ExternalVersion.objects.get()
    assert response.url == version.get_absolute_url()
    assert version.state == "draft" and version.removed_sections == ["impact"]
    preview = client.get(version.get_absolute_url())
    body = preview.content.decode()
    assert preview.context["findings"], "the linter found nothing to show"
    assert "What went poorly" in body and "should have" in body
    assert "4,100 checkouts" not in body  # the removed section
    # Rebuilt without it, the impact comes back.
    client.post(version.get_absolute_url(), {})
    assert "4,100 checkouts" in client.get(version.get_absolute_url()).content.decode()


def test_it_is_released_at_an_unguessable_link_read_without_login(published):
    version = _version(published)
    client = _client(published.owner)
    response = client.post(
        reverse("postmortems:outside_release", args=[published.pk, version.pk]), follow=True
    )
    (message,) = [str(m) for m in response.context["messages"]]
    link = message.split(": ", 1)[1]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    version.refresh_from_db()
    assert version.state == "released" and token not in version.token_hash
    page = Client().get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Responder 1 saw the alert" in body and "Olga" not in body
    assert 'href="/static/css/outside.css"' in body or "outside.css" in body
    assert page["Referrer-Policy"] == "no-referrer"
    assert "sessionid" not in page.cookies and "csrftoken" not in page.cookies
    # One character changed (never to itself: a token may already end in "A").
    other = token[:-1] + ("B" if token.endswith("A") else "A")
    assert Client().get(link.replace(token, other)).status_code == 404
    # A second release of the same version is refused: one link per version.
    again = client.post(reverse("postmortems:outside_release", args=[published.pk, version.pk]))
    assert again.status_code == 302
    assert ExternalVersion.objects.get().token_hash == version.token_hash


def test_a_draft_is_not_served(published):
    version = _version(published)
    token = "a" * 43
    version.token_hash = token_hash(token)  # even with a link's hash, a draft is not served
    version.save()
    assert Client().get(reverse("shared", args=[token])).status_code == 404


def test_a_revoked_link_answers_not_found(published):
    version = _version(published)
    token = version.release(by=published.owner)
    url = reverse("shared", args=[token])
    assert Client().get(url).status_code == 200
    _client(published.owner).post(
        reverse("postmortems:outside_revoke", args=[published.pk, version.pk])
    )
    version.refresh_from_db()
    assert version.state == "revoked" and version.revoked_at
    assert Client().get(url).status_code == 404


def test_restricted_or_unpublished_postmortems_cannot_be_shared_outside(published, people):
    client = _client(published.owner)
    url = reverse("postmortems:outside", args=[published.pk])
    version = _version(published)
    token = version.release(by=published.owner)
    published.restricted = True
    published.save()
    assert Client().get(reverse("shared", args=[token])).status_code == 404
    response = client.post(url, {"removed_sections": []})
    assert "that is not restricted" in response.content.decode()
    assert ExternalVersion.objects.count() == 1
    draft = PostmortemFactory(owner=published.owner, status="draft")
    response = client.post(reverse("postmortems:outside", args=[draft.pk]), {})
    assert "Only a published postmortem" in response.content.decode()
    assert not draft.external_versions.exists()


def test_only_editors_make_or_release_them(published, people):
    version = _version(published)
    release = reverse("postmortems:outside_release", args=[published.pk, version.pk])
    assert _client(people["reviewer"]).post(release).status_code == 403
    assert _client(people["bystander"]).get(version.get_absolute_url()).status_code == 403
    version.refresh_from_db()
    assert version.state == "draft"
