from datetime import UTC, datetime

import pytest
from django.urls import reverse

from postmortems.models import Status, TransitionRefused
from reviews.models import Comment, Reviewer, Transition
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db


def _post(client, name, postmortem, data=None):
    return client.post(reverse(f"reviews:{name}", args=[postmortem.pk]), data or {})


def _in_review(client, postmortem, reviewer):
    Reviewer.objects.create(postmortem=postmortem, user=reviewer)
    assert _post(client, "submit", postmortem).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW


def test_submitting_an_empty_draft_lists_everything_missing_with_links(author_client, author):
    postmortem = PostmortemFactory(owner=author, summary="")
    response = _post(author_client, "submit", postmortem)
    assert response.status_code == 409
    body = response.content.decode()
    for message, anchor in [
        ("Write the summary.", "#section-summary"),
        ("Write the impact statement.", "#section-impact"),
        ("Add at least one timeline event.", "#timeline"),
        ("Add at least one contributing factor.", "#factors"),
        ("Add at least one action item, or record why none is needed.", "#action-items"),
    ]:
        assert f'<a href="{anchor}">{message}</a>' in body
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT


def test_a_recorded_reason_stands_in_for_action_items(author_client, author):
    postmortem = PostmortemFactory(owner=author, summary="")
    postmortem.no_actions_reason = "The vendor fixed it; nothing for us to change."
    postmortem.save()
    body = _post(author_client, "submit", postmortem).content.decode()
    assert "action item" not in body.split("Fix these first")[1].split("</ul>")[0]


def test_a_complete_draft_goes_to_review_and_the_change_is_recorded(
    author_client, author, complete_postmortem
):
    assert _post(author_client, "submit", complete_postmortem).status_code == 302
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.IN_REVIEW
    transition = Transition.objects.get()
    assert (transition.from_status, transition.to_status, transition.by) == (
        "draft",
        "in_review",
        author,
    )
    assert Comment.objects.get(kind="status").body == "Moved to in review."


def test_publishing_needs_an_approval(author_client, reviewer, complete_postmortem):
    _in_review(author_client, complete_postmortem, reviewer)
    response = _post(author_client, "publish", complete_postmortem)
    assert response.status_code == 409
    assert "It needs 1 more approval." in response.content.decode()


def test_a_reviewer_approves_and_the_owner_publishes(
    author_client, client, reviewer, complete_postmortem
):
    _in_review(author_client, complete_postmortem, reviewer)
    client.force_login(reviewer)
    _post(
        client,
        "review",
        complete_postmortem,
        {"verdict": "approved", "comment": "Clear.", "version": 1},
    )
    assert Reviewer.objects.get().verdict == "approved"
    assert Comment.objects.filter(kind="approved", author=reviewer, body="Clear.").exists()
    client.force_login(complete_postmortem.owner)
    assert _post(client, "publish", complete_postmortem).status_code == 302
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.PUBLISHED


def test_the_number_of_approvals_is_configurable(
    settings, author_client, reviewer, complete_postmortem, outsider
):
    settings.POSTMORTEM_APPROVALS_REQUIRED = 2
    _in_review(author_client, complete_postmortem, reviewer)
    Reviewer.objects.filter(user=reviewer).update(verdict="approved")
    Reviewer.objects.create(postmortem=complete_postmortem, user=outsider)
    with pytest.raises(TransitionRefused, match="1 more approval"):
        complete_postmortem.publish(by=complete_postmortem.owner)
    Reviewer.objects.filter(user=outsider).update(verdict="approved")
    complete_postmortem.publish(by=complete_postmortem.owner)


def test_requested_changes_block_publishing_and_need_a_comment(
    author_client, client, reviewer, complete_postmortem
):
    _in_review(author_client, complete_postmortem, reviewer)
    client.force_login(reviewer)
    _post(
        client, "review", complete_postmortem, {"verdict": "changes", "comment": "", "version": 1}
    )
    assert Reviewer.objects.get().verdict == "pending"
    _post(
        client,
        "review",
        complete_postmortem,
        {"verdict": "changes", "comment": "Add the DNS TTL.", "version": 1},
    )
    assert Reviewer.objects.get().verdict == "changes"
    client.force_login(complete_postmortem.owner)
    response = _post(client, "publish", complete_postmortem)
    assert "A reviewer has requested changes" in response.content.decode()


def test_only_picked_reviewers_can_approve(
    outsider_client, author_client, reviewer, complete_postmortem
):
    _in_review(author_client, complete_postmortem, reviewer)
    response = _post(
        outsider_client, "review", complete_postmortem, {"verdict": "approved", "version": 1}
    )
    assert response.status_code == 403
    assert not Reviewer.objects.filter(verdict="approved").exists()


def test_back_to_draft_needs_a_reason_and_clears_approvals(
    author_client, reviewer, complete_postmortem
):
    _in_review(author_client, complete_postmortem, reviewer)
    Reviewer.objects.update(verdict="approved")
    response = _post(author_client, "return_to_draft", complete_postmortem, {"reason": ""})
    assert "Say why it goes back to draft." in response.content.decode()
    _post(author_client, "return_to_draft", complete_postmortem, {"reason": "Timeline is wrong."})
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.DRAFT
    assert Reviewer.objects.get().verdict == "pending"
    assert Transition.objects.last().reason == "Timeline is wrong."


def test_the_owner_picks_reviewers(author_client, reviewer, outsider, complete_postmortem):
    _post(
        author_client, "reviewers", complete_postmortem, {"reviewers": [reviewer.pk, outsider.pk]}
    )
    assert set(complete_postmortem.reviewers.values_list("user__username", flat=True)) == {
        "reviewer",
        "outsider",
    }
    _post(author_client, "reviewers", complete_postmortem, {"reviewers": [reviewer.pk]})
    assert list(complete_postmortem.reviewers.values_list("user__username", flat=True)) == [
        "reviewer"
    ]


def test_outsiders_cannot_move_or_staff_a_postmortem(
    outsider_client, outsider, complete_postmortem
):
    assert _post(outsider_client, "submit", complete_postmortem).status_code == 403
    response = _post(
        outsider_client, "reviewers", complete_postmortem, {"reviewers": [outsider.pk]}
    )
    assert response.status_code == 403
    assert not Reviewer.objects.exists()


# The model's transitions, as load_demo and the views call them.


def _problems(refusal) -> list[str]:
    return [message for message, _ in refusal.value.problems]


def test_submit_refuses_an_incomplete_draft_and_changes_nothing(author):
    postmortem = PostmortemFactory(owner=author, summary="")
    with pytest.raises(TransitionRefused) as refusal:
        postmortem.submit(by=author)
    assert "Write the summary." in _problems(refusal)
    assert ("Add at least one timeline event.", "#timeline") in refusal.value.problems
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT
    assert not Transition.objects.exists() and not Comment.objects.exists()


def test_submit_refuses_what_is_not_a_draft(author):
    postmortem = PostmortemFactory(owner=author, status=Status.IN_REVIEW)
    with pytest.raises(TransitionRefused, match="Only a draft can be submitted for review"):
        postmortem.submit(by=author)


def test_submit_moves_a_complete_draft_to_review_and_records_who(author, complete_postmortem):
    complete_postmortem.submit(by=author)
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.IN_REVIEW
    move = complete_postmortem.transitions.get()
    assert (move.from_status, move.to_status, move.by, move.reason) == (
        "draft",
        "in_review",
        author,
        "",
    )
    assert complete_postmortem.comments.get().body == "Moved to in review."


def test_publish_refuses_a_draft(author, complete_postmortem):
    with pytest.raises(TransitionRefused, match="Only a postmortem in review can be published"):
        complete_postmortem.publish(by=author)


def test_publish_names_each_approval_given_to_an_earlier_version(
    author, reviewer, complete_postmortem
):
    complete_postmortem.submit(by=author)
    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer, verdict="approved")
    complete_postmortem.mark_text_changed()
    with pytest.raises(TransitionRefused) as refusal:
        complete_postmortem.publish(by=author)
    needed, stale = _problems(refusal)
    assert needed == "It needs 1 more approval."
    assert stale.startswith("Rui Reviewer approved an earlier version: the text changed since")
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.IN_REVIEW


def test_publish_refuses_while_changes_are_requested(
    author, reviewer, outsider, complete_postmortem
):
    complete_postmortem.submit(by=author)
    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer, verdict="approved")
    Reviewer.objects.create(postmortem=complete_postmortem, user=outsider, verdict="changes")
    with pytest.raises(TransitionRefused) as refusal:
        complete_postmortem.publish(by=author)
    assert _problems(refusal) == ["A reviewer has requested changes; address them first."]


def test_publish_records_the_version_and_the_moment_published(
    author, reviewer, complete_postmortem, time_machine
):
    time_machine.move_to(datetime(2026, 3, 9, 12, 0, tzinfo=UTC), tick=False)
    complete_postmortem.submit(by=author)
    complete_postmortem.mark_text_changed()
    Reviewer.objects.create(
        postmortem=complete_postmortem, user=reviewer, verdict="approved", reviewed_version=2
    )
    complete_postmortem.publish(by=author)
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.PUBLISHED
    assert complete_postmortem.published_version == 2
    assert complete_postmortem.published_at == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert not complete_postmortem.updated_after_publication
    assert complete_postmortem.transitions.last().to_status == "published"


def test_return_to_draft_refuses_a_draft_and_a_blank_reason(author, complete_postmortem):
    with pytest.raises(TransitionRefused, match="It is already a draft"):
        complete_postmortem.return_to_draft(by=author, reason="Wrong timeline.")
    complete_postmortem.submit(by=author)
    with pytest.raises(TransitionRefused, match="Say why it goes back to draft"):
        complete_postmortem.return_to_draft(by=author, reason="   ")
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.IN_REVIEW


def test_return_to_draft_records_the_reason_and_clears_verdicts(
    author, reviewer, complete_postmortem
):
    complete_postmortem.submit(by=author)
    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer, verdict="approved")
    complete_postmortem.return_to_draft(by=author, reason=" Timeline is wrong. ")
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.DRAFT
    assert complete_postmortem.transitions.last().reason == "Timeline is wrong."
    assert complete_postmortem.comments.last().body == "Moved to draft. Reason: Timeline is wrong."
    reviewer_row = complete_postmortem.reviewers.get()
    assert (reviewer_row.verdict, reviewer_row.decided_at) == ("pending", None)
