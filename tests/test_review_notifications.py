"""Reviewers hear when they are picked, when a postmortem is ready and when a published one
changes; owners hear each verdict. By email and chat webhook, never with restricted text."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.urls import reverse

from postmortems.models import Status
from reviews.models import Reviewer
from reviews.services import (
    postmortem_submit_for_review,
    review_record,
    reviewers_set,
)
from tests.factories import ReminderPreferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Payroll export leaked"


@pytest.fixture
def run_tasks(celery_eager, django_capture_on_commit_callbacks):
    """Run what the services enqueue after commit, in process."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


class Chat(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self):
        self.received.append(
            json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"]
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def chat(settings):
    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = True  # the test's server is on loopback
    Chat.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Chat)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Chat.received
    server.shutdown()
    server.server_close()


def _everything_sent(chat_messages=()) -> str:
    return "\n".join(
        [m.subject + m.body + m.alternatives[0][0] for m in mail.outbox] + list(chat_messages)
    )


def test_picked_reviewers_are_told_once_by_email_and_chat(run_tasks, complete_postmortem, chat):
    url, received = chat
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    ReminderPreferenceFactory(user=ana, webhook_url=url, chat_layout="text")

    run_tasks(reviewers_set, postmortem=complete_postmortem, users=[ana])
    run_tasks(reviewers_set, postmortem=complete_postmortem, users=[ana, ben])

    assert [m.to for m in mail.outbox] == [["ana@example.com"], ["ben@example.com"]]
    first = mail.outbox[0]
    assert first.subject == f"Ada Author asked you to review PM-{complete_postmortem.pk}: " + (
        complete_postmortem.title
    )
    assert f"/postmortems/{complete_postmortem.pk}/#review" in first.body
    assert len(received) == 1 and received[0].startswith("Ada Author asked you to review")


def test_submitting_tells_every_reviewer(run_tasks, author, complete_postmortem):
    reviewers = [UserFactory(username=name) for name in ("ana", "ben")]
    Reviewer.objects.bulk_create(
        Reviewer(postmortem=complete_postmortem, user=r) for r in reviewers
    )

    run_tasks(postmortem_submit_for_review, postmortem=complete_postmortem, by=author)

    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "ben@example.com"]
    assert all("is ready for your review" in m.subject for m in mail.outbox)


def test_the_owner_hears_each_verdict_with_its_comment(run_tasks, reviewer, complete_postmortem):
    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer)

    run_tasks(
        review_record,
        postmortem=complete_postmortem,
        user=reviewer,
        verdict=Reviewer.Verdict.CHANGES,
        comment="Quantify the impact in orders.",
        version=complete_postmortem.text_version,
    )

    message = mail.outbox[-1]
    assert message.to == ["author@example.com"]
    assert message.subject.startswith("Rui Reviewer requested changes to PM-")
    assert "Quantify the impact in orders." in message.body


def test_a_published_postmortem_edited_afterwards_tells_its_reviewers_once(
    run_tasks, author, reviewer, complete_postmortem
):
    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer)
    postmortem_submit_for_review(postmortem=complete_postmortem, by=author)
    review_record(
        postmortem=complete_postmortem, user=reviewer, verdict="approved", comment="", version=1
    )
    complete_postmortem.publish(by=author)
    mail.outbox.clear()

    def two_saves_in_a_row():  # the first notice is due only after the second save
        complete_postmortem.mark_text_changed()
        complete_postmortem.mark_text_changed()

    run_tasks(two_saves_in_a_row)

    assert len(mail.outbox) == 1, "… make one notice, for the latest version"
    message = mail.outbox[0]
    assert message.to == ["reviewer@example.com"]
    assert message.subject.endswith("changed after publication")
    assert f"/postmortems/{complete_postmortem.pk}/history/?since=" in message.body


def test_nothing_is_sent_when_a_draft_changes(run_tasks, reviewer, complete_postmortem):
    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer)
    run_tasks(complete_postmortem.mark_text_changed)
    assert mail.outbox == []


def test_restricted_postmortems_are_named_by_reference_only(
    run_tasks, author, reviewer, complete_postmortem, chat
):
    url, received = chat
    complete_postmortem.title = SECRET
    complete_postmortem.restricted = True
    complete_postmortem.save()
    ReminderPreferenceFactory(user=reviewer, webhook_url=url, chat_layout="text")

    run_tasks(reviewers_set, postmortem=complete_postmortem, users=[reviewer])
    run_tasks(postmortem_submit_for_review, postmortem=complete_postmortem, by=author)
    run_tasks(
        review_record,
        postmortem=complete_postmortem,
        user=reviewer,
        verdict="changes",
        comment=f"Say more about the {SECRET}.",
        version=complete_postmortem.text_version,
    )

    assert len(mail.outbox) == 3 and len(received) == 2
    sent = _everything_sent(received)
    assert f"PM-{complete_postmortem.pk}" in sent
    assert SECRET not in sent


def test_waiting_for_my_review_lists_what_i_owe_and_the_navbar_counts_it(
    client, author, reviewer, complete_postmortem
):
    from tests.factories import PostmortemFactory

    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer)
    postmortem_submit_for_review(postmortem=complete_postmortem, by=author)
    approved = PostmortemFactory(owner=author, status=Status.IN_REVIEW, title="Already approved")
    Reviewer.objects.create(postmortem=approved, user=reviewer, verdict="approved")
    stale = PostmortemFactory(owner=author, status=Status.IN_REVIEW, title="Changed since")
    Reviewer.objects.create(postmortem=stale, user=reviewer, verdict="approved")
    stale.mark_text_changed()
    draft = PostmortemFactory(owner=author, title="Still a draft")
    Reviewer.objects.create(postmortem=draft, user=reviewer)

    client.force_login(reviewer)
    body = client.get(reverse("reviews:waiting")).content.decode()

    waiting = body.split("Picked as reviewer")[0]
    assert complete_postmortem.title in waiting and "Changed since" in waiting
    assert "Approved an earlier version" in waiting
    assert "Already approved" not in body
    assert "Still a draft" in body.split("Picked as reviewer")[1]
    assert '>To review <span class="badge rounded-pill text-bg-danger">2<' in body


@pytest.mark.django_db(transaction=True)
def test_the_notice_goes_through_a_real_worker(celery_app, author, reviewer, complete_postmortem):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        reviewers_set(postmortem=complete_postmortem, users=[reviewer])
        for _ in range(100):
            if mail.outbox:
                break
            threading.Event().wait(0.1)
    assert [m.to for m in mail.outbox] == [["reviewer@example.com"]]
