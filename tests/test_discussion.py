import pytest
from django.core import mail
from django.urls import reverse

from reviews.models import Comment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _comment(client, postmortem, body, **headers):
    return client.post(reverse("reviews:comment", args=[postmortem.pk]), {"body": body}, **headers)


def test_anyone_signed_in_comments_and_markdown_is_sanitized(outsider_client, postmortem):
    response = _comment(
        outsider_client, postmortem, "**Good** <img src=x onerror=alert(1)>", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<strong>Good</strong>" in body and "onerror" not in body
    assert Comment.objects.get().author.username == "outsider"


def test_an_empty_comment_is_refused_with_a_message(outsider_client, postmortem):
    response = _comment(outsider_client, postmortem, "   ", HTTP_HX_REQUEST="true")
    assert "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_mentions_email_the_people_mentioned_through_celery(
    outsider_client, postmortem, celery_eager, django_capture_on_commit_callbacks
):
    UserFactory(username="maria", email="maria@example.com")
    UserFactory(username="nobody-mentioned", email="quiet@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        _comment(outsider_client, postmortem, "@Maria can you check the TTL? cc @ghost")
    assert [m.to for m in mail.outbox] == [["maria@example.com"]]
    message = mail.outbox[0]
    assert postmortem.reference in message.subject
    assert "can you check the TTL?" in message.body
    assert f"/postmortems/{postmortem.pk}/#comment-" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_the_author_is_not_emailed_about_their_own_mention(
    outsider_client, postmortem, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _comment(outsider_client, postmortem, "Note to self, @outsider")
    assert mail.outbox == []
