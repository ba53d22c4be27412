"""Approvals belong to the version of the text the reviewer read."""

import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from postmortems.models import Status, TransitionRefused
from reviews.models import Reviewer
from reviews.services import ReviewRefused, review_record
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db

# Hours apart: a session ends after 12 idle hours.
WRITTEN = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
APPROVED = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
EDITED = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


REVIEWS = {"review", "reviewers", "review_panel", "publish"}


def _url(name, postmortem, *args):
    app = "reviews" if name in REVIEWS else "postmortems"
    return reverse(f"{app}:{name}", args=[postmortem.pk, *args])


def _version_in(client, url) -> str:
    """The version an edit form carries, as the browser would send it back."""
    match = re.search(r'name="version" value="([^"]*)"', client.get(url).content.decode())
    return match.group(1) if match else ""


def _save_section(client, postmortem, section, **data):
    url = _url("section_edit", postmortem, section)
    return client.post(url, {**data, "version": _version_in(client, url)})


def _in_review_and_approved(postmortem, reviewer):
    Reviewer.objects.create(postmortem=postmortem, user=reviewer)
    postmortem.status = Status.IN_REVIEW
    postmortem.save()
    review_record(
        postmortem=postmortem,
        user=reviewer,
        verdict="approved",
        comment="",
        version=postmortem.text_version,
    )


def _approval(postmortem) -> Reviewer:
    return Reviewer.objects.select_related("postmortem").get(postmortem=postmortem)


@pytest.fixture
def approved(author, reviewer, time_machine):
    """A postmortem in review with one approval of its text as it is.

    The clock stays at the approval: a test moves it on (going back would end the sessions).
    """
    time_machine.move_to(WRITTEN, tick=False)
    postmortem = PostmortemFactory(owner=author, impact="Checkout failed for 47 minutes.")
    TimelineEventFactory(postmortem=postmortem)
    ContributingFactorFactory(postmortem=postmortem)
    ActionItemFactory(postmortem=postmortem, owner=author)
    time_machine.move_to(APPROVED, tick=False)
    _in_review_and_approved(postmortem, reviewer)
    return postmortem


def _edit_summary(client, postmortem):
    _save_section(client, postmortem, "summary", summary="The cache expired all keys at once.")


def _edit_details(client, postmortem):
    _save_section(
        client, postmortem, "details", title="Renamed", severity="2", time_zone="UTC",
        started_at="2026-03-02T14:00",
    )  # fmt: skip


def _add_event(client, postmortem):
    client.post(
        _url("event_create", postmortem),
        {"occurred_at": "2026-03-02T14:20", "kind": "note", "description": "Paged the DBA."},
    )


def _edit_event(client, postmortem):
    event = postmortem.events.get()
    url = _url("event_edit", postmortem, event.pk)
    client.post(
        url,
        {
            "occurred_at": "2026-03-02T14:05",
            "kind": "note",
            "description": "Dashboards showed 5xx from the batch endpoint.",
            "version": _version_in(client, url),
        },
    )


def _delete_event(client, postmortem):
    client.post(_url("event_delete", postmortem, postmortem.events.get().pk))


def _add_factor(client, postmortem):
    client.post(
        _url("factor_create", postmortem),
        {"category": "capacity", "description": "The pool had 10 connections."},
    )


def _edit_factor(client, postmortem):
    factor = postmortem.factors.get()
    url = _url("factor_edit", postmortem, factor.pk)
    client.post(
        url,
        {
            "category": "monitoring",
            "description": "No alert watched the queue.",
            "version": _version_in(client, url),
        },
    )


def _delete_factor(client, postmortem):
    client.post(_url("factor_delete", postmortem, postmortem.factors.get().pk))


def _import_chat(client, postmortem):
    data = {"text": "14:02 anna: error rate at 38%", "day": "2026-03-02"}
    kinds = client.post(_url("timeline_import", postmortem), {**data, "preview": ""}).context[
        "kinds"
    ]
    proposed = {name: kinds[name].value() for name in kinds.fields}
    response = client.post(_url("timeline_import", postmortem), {**data, **proposed, "confirm": ""})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "edit",
    [
        _edit_summary,
        _edit_details,
        _add_event,
        _edit_event,
        _delete_event,
        _add_factor,
        _edit_factor,
        _delete_factor,
        _import_chat,
    ],
)
def test_every_change_to_the_text_leaves_approvals_for_an_earlier_version(
    author_client, approved, edit
):
    assert not _approval(approved).is_stale
    edit(author_client, approved)
    assert _approval(approved).is_stale
    assert Reviewer.objects.current_approvals().count() == 0


def _restrict(client, postmortem):
    _save_section(client, postmortem, "access", restricted="on")


def _add_action_item(client, postmortem):
    ActionItemFactory(postmortem=postmortem, owner=postmortem.owner)


def _save_summary_unchanged(client, postmortem):
    _save_section(client, postmortem, "summary", summary=postmortem.summary)


@pytest.mark.parametrize("edit", [_restrict, _add_action_item, _save_summary_unchanged])
def test_who_may_read_it_action_items_and_unchanged_saves_keep_approvals(
    author_client, approved, edit
):
    edit(author_client, approved)
    assert not _approval(approved).is_stale
    assert Reviewer.objects.current_approvals().count() == 1


def test_the_page_shows_an_approval_for_an_earlier_version_with_a_link_to_the_changes(
    author_client, approved, time_machine
):
    time_machine.move_to(EDITED, tick=False)
    _edit_summary(author_client, approved)
    body = author_client.get(approved.get_absolute_url()).content.decode()
    assert "for an earlier version — changed since" in body
    approved_on = _approval(approved).decided_at
    assert f'<time datetime="{approved_on.isoformat()}">2026-03-09 10:00</time>' in body
    assert "0 approvals, 1 more needed to publish" in body

    link = re.search(r'href="([^"]*/history/\?since=[^"]*)">what changed', body).group(1)
    history = author_client.get(link.replace("&amp;", "&")).content.decode()
    assert "Only the changes since" in history
    assert "The cache expired all keys at once." in history
    assert "Timeline event" not in history  # created before the approval


def test_the_review_panel_redraws_itself_after_an_edit_in_place(author_client, approved):
    page = author_client.get(approved.get_absolute_url()).content.decode()
    panel_url = _url("review_panel", approved)
    assert f'hx-get="{panel_url}" hx-trigger="documentChanged from:body"' in page
    assert "for an earlier version" not in author_client.get(panel_url).content.decode()
    author_client.post(
        _url("section_edit", approved, "impact"),
        {
            "impact": "Checkout failed.",
            "version": _version_in(author_client, _url("section_edit", approved, "impact")),
        },
        HTTP_HX_REQUEST="true",
    )
    assert "for an earlier version" in author_client.get(panel_url).content.decode()


def test_publishing_refuses_approvals_of_an_earlier_version_and_says_why(
    author_client, approved, time_machine
):
    time_machine.move_to(EDITED, tick=False)
    _edit_summary(author_client, approved)
    response = author_client.post(_url("publish", approved))
    assert response.status_code == 409
    body = response.content.decode()
    assert "It needs 1 more approval." in body
    assert "Rui Reviewer approved an earlier version: the text changed since 2026-03-09 10:00." in (
        body
    )
    approved.refresh_from_db()
    assert approved.status == Status.IN_REVIEW


def test_a_renewed_approval_counts_again(author_client, client, reviewer, approved):
    _edit_summary(author_client, approved)
    client.force_login(reviewer)
    page = client.get(approved.get_absolute_url()).content.decode()
    version = re.search(r'name="version" value="(\d+)"', page.split('id="my-review"')[1]).group(1)
    client.post(_url("review", approved), {"verdict": "approved", "version": version})
    assert not _approval(approved).is_stale
    approved.publish(by=approved.owner)
    approved.refresh_from_db()
    assert approved.status == Status.PUBLISHED


def test_an_approval_sent_from_a_page_read_before_an_edit_is_for_that_earlier_version(
    author_client, client, reviewer, approved
):
    read = approved.text_version
    _edit_summary(author_client, approved)
    client.force_login(reviewer)
    response = client.post(
        _url("review", approved), {"verdict": "approved", "version": read}, follow=True
    )
    assert "The text changed while you were reviewing" in response.content.decode()
    assert _approval(approved).is_stale
    with pytest.raises(TransitionRefused, match="1 more approval"):
        approved.publish(by=approved.owner)


def test_a_review_that_does_not_say_which_version_it_read_is_refused(client, reviewer, approved):
    client.force_login(reviewer)
    response = client.post(_url("review", approved), {"verdict": "changes", "comment": "TTL?"})
    assert response.status_code == 302
    assert _approval(approved).verdict == "approved"
    page = client.get(response["Location"]).content.decode()
    assert "the form did not say which version of the text you read" in page


def test_a_published_postmortem_edited_in_place_says_so_on_its_page_list_and_exports(
    author_client, approved, time_machine
):
    approved.publish(by=approved.owner)
    pages = {
        "page": approved.get_absolute_url(),
        "list": reverse("postmortems:list"),
        "export": _url("export", approved),
        "short export": _url("export", approved) + "?version=short",
    }
    for url in pages.values():
        assert "Updated after publication" not in author_client.get(url).content.decode()

    time_machine.move_to(EDITED, tick=False)
    _add_event(author_client, approved)
    since = "?since=2026-03-09T10%3A00%3A00%2B00%3A00"
    for where, url in pages.items():
        body = author_client.get(url).content.decode()
        assert "Updated after publication on 2026-03-09" in _text(body), where
        assert f"/postmortems/{approved.pk}/history/{since}" in body, where
    approved.refresh_from_db()
    assert approved.status == Status.PUBLISHED
    assert _approval(approved).is_stale


def test_the_history_shows_the_changes_since_a_moment_and_all_for_an_unreadable_one(
    author_client, approved, time_machine
):
    time_machine.move_to(EDITED, tick=False)
    _edit_summary(author_client, approved)
    history = _url("history", approved)
    since = author_client.get(history, {"since": APPROVED.isoformat()}).content.decode()
    assert "The cache expired all keys at once." in since
    assert "No alert watched the error rate" not in since  # the factor, added before
    for unreadable in ["2026-13-45T99:00", "yesterday", ""]:
        response = author_client.get(history, {"since": unreadable})
        assert response.status_code == 200
        assert "No alert watched the error rate" in response.content.decode()


# The owner's own approval


def test_the_owner_cannot_pick_themselves_as_a_reviewer(
    author_client, author, reviewer, postmortem
):
    response = author_client.post(
        _url("reviewers", postmortem), {"reviewers": [author.pk, reviewer.pk]}, follow=True
    )
    assert (
        "Ada Author owns this postmortem and can&#x27;t review it: approvals come from someone "
        "else." in response.content.decode()
    )
    assert not Reviewer.objects.exists()


def test_an_owner_who_is_somehow_a_reviewer_cannot_approve(author_client, author):
    postmortem = PostmortemFactory(owner=author, status=Status.IN_REVIEW)
    Reviewer.objects.create(postmortem=postmortem, user=author)  # from before the rule
    response = author_client.post(
        _url("review", postmortem),
        {"verdict": "approved", "version": postmortem.text_version},
        follow=True,
    )
    assert "approvals come from someone else" in response.content.decode()
    assert Reviewer.objects.get().verdict == "pending"
    with pytest.raises(ReviewRefused):
        review_record(postmortem=postmortem, user=author, verdict="approved", comment="", version=1)
    Reviewer.objects.update(verdict="approved")
    assert Reviewer.objects.current_approvals().count() == 0


def test_the_admin_cannot_make_the_owner_a_reviewer_either(postmortem, author):
    with pytest.raises(ValidationError, match="approvals come from someone else"):
        Reviewer(postmortem=postmortem, user=author).full_clean()
