import pytest
from django.urls import reverse

from postmortems.models import Status
from reviews.models import Comment, Reviewer, Transition
from reviews.services import TransitionRefused, postmortem_publish
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db


def _post(client, name, postmortem, data=None):
    return client.post(reverse(f"postmortems:{name}", args=[postmortem.pk]), data or {})


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
        postmortem_publish(postmortem=complete_postmortem, by=complete_postmortem.owner)
    Reviewer.objects.filter(user=outsider).update(verdict="approved")
    postmortem_publish(postmortem=complete_postmortem, by=complete_postmortem.owner)


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
