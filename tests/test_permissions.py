"""Who may do what, URL by URL: outsider, allowed reader, reviewer, co-author, owner and admin,
on an open and on a restricted postmortem. (Anonymous visitors are sent to log in by every URL:
test_restricted_matrix.py walks them all.)"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser, Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from actions.models import ActionItem
from actions.reminders import reminders_send
from postmortems import access
from postmortems.forms import AccessForm, SummaryForm
from postmortems.models import ContributingFactor, Postmortem, TimelineEvent
from reviews.models import Comment, Meeting, Reviewer
from reviews.services import comment_notify_mentions
from tests.factories import (
    ActionItemFactory,
    CalendarTokenFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    ServiceFactory,
    TimelineEventFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["outsider", "allowed", "reviewer", "coauthor", "owner", "admin"]
READERS_OF_RESTRICTED = {"allowed", "reviewer", "coauthor", "owner", "admin"}
EDITORS = {"coauthor", "owner", "admin"}


@pytest.fixture
def people(db):
    return {
        "owner": UserFactory(username="owner"),
        "coauthor": UserFactory(username="coauthor"),
        "reviewer": UserFactory(username="reviewer2"),
        "allowed": UserFactory(username="allowed", email="allowed@example.com"),
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
# Each with what an editor is answered: the part of the page it sends them back to, or a page
# and what it says (a chat log is previewed first; the postmortem lacks what review needs).
WRITE_URLS = [
    ("postmortems:section_edit", ["summary"], {"summary": "Changed"}, ""),
    ("postmortems:event_create", [], {"occurred_at": "2026-03-02T14:00", "kind": "note", "description": "Paged"}, "#timeline"),
    ("postmortems:factor_create", [], {"category": "other", "description": "No runbook"}, "#factors"),
    ("postmortems:timeline_import", [], {"text": "10:00 a: b", "day": "2026-03-02"}, (200, "Import 1 event")),
    ("reviews:reviewers", [], {"reviewers": []}, "#review"),
    ("reviews:submit", [], {}, (409, "Not submitted for review yet.")),
    ("actions:postmortem_create", [], {"title": "Add an alert on lag", "priority": "P2", "kind": "detect", "due_date": "2026-12-01"}, "#action-items"),
]  # fmt: skip


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
@pytest.mark.parametrize("role", ROLES)
def test_reading(client, people, role, restricted):
    postmortem = _postmortem(people, restricted=restricted)
    client = _client(client, people, role)
    for name, args in READ_URLS:
        response = client.get(reverse(name, args=[postmortem.pk, *args]))
        if restricted and role not in READERS_OF_RESTRICTED:
            assert response.status_code == 404, name
        else:
            assert response.status_code == 200, name


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
@pytest.mark.parametrize("role", ROLES)
def test_writing(client, people, role, restricted):
    postmortem = _postmortem(people, restricted=restricted)
    client = _client(client, people, role)
    version = SummaryForm(instance=postmortem).saved_version()  # what the summary form carries
    for name, args, data, answer in WRITE_URLS:
        response = client.post(
            reverse(name, args=[postmortem.pk, *args]),
            {**data, "version": version, "owner": people["owner"].pk},
        )
        if role in EDITORS and isinstance(answer, tuple):
            assert response.status_code == answer[0], name
            assert answer[1] in response.content.decode(), name
        elif role in EDITORS:
            assert response.status_code == 302, name
            assert response["Location"] == postmortem.get_absolute_url() + answer, name
        elif restricted and role not in READERS_OF_RESTRICTED:
            assert response.status_code == 404, name
        else:
            assert response.status_code == 403, name
    postmortem.refresh_from_db()
    written = (
        postmortem.summary == "Changed",
        postmortem.events.filter(description="Paged").exists(),
        postmortem.factors.filter(description="No runbook").exists(),
        postmortem.action_items.filter(title="Add an alert on lag").exists(),
    )
    assert written == (role in EDITORS,) * 4
    assert postmortem.status == "draft"


@pytest.mark.parametrize("role", ["outsider", "allowed"])
def test_comments_and_reviews(client, people, role):
    postmortem = _postmortem(people, restricted=True)
    client.force_login(people[role])
    comment = client.post(reverse("reviews:comment", args=[postmortem.pk]), {"body": "hi"})
    review = client.post(reverse("reviews:review", args=[postmortem.pk]), {"verdict": "approved"})
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
    items = client.get(reverse("actions:list"), {"status": ""}).context["page"].paginator.count
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


# What used to leak, each reproduced as issue 14 reported it.

SECRET_TITLE = "Breach of the billing database"
SECRET_ITEM = "Rotate the billing keys"


def _secret(people, **fields):
    secret = PostmortemFactory(owner=people["owner"], restricted=True, title=SECRET_TITLE, **fields)
    secret.allowed_users.add(people["allowed"])
    return secret


def _meeting_with(postmortem, people):
    meeting = Meeting.objects.create(
        title="Weekly review", starts_at=timezone.now(), facilitator=people["owner"]
    )
    meeting.attendance.create(user=people["outsider"])
    meeting.attendance.create(user=people["allowed"])
    meeting.agenda.create(postmortem=postmortem, position=1)
    return meeting


def _ics_description(response) -> str:
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    return str(event.get("description"))


def test_the_meeting_invitation_names_only_what_the_attendee_may_read(client, people):
    secret = _secret(people)
    public = PostmortemFactory(owner=people["owner"], title="Slow search")
    meeting = _meeting_with(secret, people)
    meeting.agenda.create(postmortem=public, position=2)
    url = reverse("reviews:ics", args=[meeting.pk])

    client.force_login(people["outsider"])
    attendee = _ics_description(client.get(url))
    assert f"{public.reference}: Slow search" in attendee
    assert SECRET_TITLE not in attendee and f"{secret.reference}\n" not in attendee

    client.force_login(people["allowed"])
    reader = _ics_description(client.get(url))
    assert f"- {secret.reference}\n" in reader  # named by its reference alone
    assert SECRET_TITLE not in reader


def _bulk_answer(client, item_id: int) -> str:
    response = client.post(
        reverse("actions:bulk"),
        {"items": [item_id], "action": "done", "loaded_at": timezone.now().isoformat()},
        follow=True,
    )
    return " ".join(str(message) for message in response.context["messages"])


def test_bulk_changes_answer_alike_for_a_hidden_item_and_a_missing_one(client, people):
    secret = _secret(people)
    hidden = ActionItemFactory(postmortem=secret, owner=people["owner"], title=SECRET_ITEM)
    client.force_login(people["outsider"])

    answer = _bulk_answer(client, hidden.pk)
    missing = _bulk_answer(client, hidden.pk + 1000)
    assert SECRET_ITEM not in answer
    assert answer.replace(str(hidden.pk), "N") == missing.replace(str(hidden.pk + 1000), "N")
    hidden.refresh_from_db()
    assert hidden.status == "open"


def test_bulk_changes_still_name_the_readable_items_one_may_not_change(client, people):
    item = ActionItemFactory(owner=people["owner"], title="Add a lag alert")
    client.force_login(people["outsider"])
    assert f"Skipped 1 you can't change: #{item.pk} Add a lag alert." in _bulk_answer(
        client, item.pk
    )


NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _budget_of(client, service) -> tuple[str, str, list, str]:
    """The service's consumed budget as the list, its page, the chart and the CSV say it."""
    listed = client.get(reverse("services:list")).context["budgets"]
    page = client.get(reverse("services:detail", args=[service.pk])).context["budget"]
    chart = client.get(reverse("metrics:index")).context["charts"]["error-budget"].rows
    csv_text = client.get(reverse("metrics:csv", args=["error-budget"])).content.decode()
    [consumed] = [str(b.consumed) for b in listed if b.service == service]
    return consumed, str(page.consumed), [row[-1] for row in chart], csv_text.splitlines()[1]


def test_error_budgets_count_only_the_incidents_the_viewer_may_read(client, people):
    service = ServiceFactory(name="billing")
    secret = _secret(people, started_at=NOW - timedelta(days=2))
    secret.mitigated_at = NOW - timedelta(days=2) + timedelta(minutes=60)
    secret.save()
    secret.services.add(service)
    with time_machine.travel(NOW, tick=False):
        client.force_login(people["outsider"])
        outsider = _budget_of(client, service)
        client.force_login(people["allowed"])
        reader = _budget_of(client, service)
    assert outsider[:3] == ("0.0", "0.0", [Decimal("0.0")])
    assert outsider[3].endswith(",0.0,0.0")
    assert reader[:3] == ("138.9", "138.9", [Decimal("138.9")])
    assert reader[3].endswith(",60.0,138.9")


def _feed_summary(client, user) -> tuple[str, str]:
    token = CalendarTokenFactory(user=user)
    response = client.get(reverse("actions:calendar"), {"token": token.key})
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    return str(event.get("summary")), str(event.get("description"))


def test_the_calendar_feed_names_a_restricted_postmortem_by_its_reference(client, people):
    secret = _secret(people)
    theirs = ActionItemFactory(postmortem=secret, owner=people["outsider"], title=SECRET_ITEM)
    summary, description = _feed_summary(client, people["outsider"])
    # Its owner may not read the postmortem: neither title goes to their calendar service.
    assert summary == f"Due: Action item #{theirs.pk} [P2]"
    assert f"From {secret.reference}\n" in description and SECRET_TITLE not in description

    theirs.owner = people["allowed"]
    theirs.save()
    summary, description = _feed_summary(client, people["allowed"])
    assert summary == f"Due: {SECRET_ITEM} [P2]"
    assert SECRET_TITLE not in description


def test_reminders_give_an_items_title_only_to_readers_of_its_postmortem(people):
    secret = _secret(people)
    for role in ("outsider", "allowed"):
        ActionItemFactory(
            postmortem=secret,
            owner=people[role],
            title=f"{SECRET_ITEM} ({role})",
            due_date=date(2026, 3, 9),
        )
    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
        reminders_send()
    bodies = {message.to[0]: message.body for message in mail.outbox}
    outsider, reader = bodies["stranger@example.com"], bodies["allowed@example.com"]
    assert SECRET_ITEM not in outsider and "Action item #" in outsider
    assert f"{SECRET_ITEM} (allowed)" in reader
    assert all(SECRET_TITLE not in body for body in bodies.values())
    assert all(f"· {secret.reference}\n" in body for body in bodies.values())


def test_a_mention_on_a_restricted_postmortem_goes_out_without_its_text(people):
    secret = _secret(people)
    comment = Comment.objects.create(
        postmortem=secret, author=people["owner"], body="@allowed the key was in the log"
    )
    comment_notify_mentions(comment_id=comment.pk)
    [message] = mail.outbox
    text = message.body + message.alternatives[0][0]
    assert secret.reference in message.subject and secret.reference in text
    assert "the key was in the log" not in text and SECRET_TITLE not in text


def test_a_mention_on_an_open_postmortem_quotes_the_comment(people):
    postmortem = PostmortemFactory(owner=people["owner"], title="Slow search")
    comment = Comment.objects.create(
        postmortem=postmortem, author=people["owner"], body="@allowed look at the index"
    )
    comment_notify_mentions(comment_id=comment.pk)
    [message] = mail.outbox
    assert f"{postmortem.reference}: Slow search" in message.body
    assert "look at the index" in message.body


def test_an_item_owner_who_may_not_read_its_postmortem_sees_no_title_of_it(client, people):
    secret = _secret(people)
    theirs = ActionItemFactory(postmortem=secret, owner=people["outsider"], title="Their item")
    client.force_login(people["outsider"])
    pages = [
        client.get(reverse("actions:detail", args=[theirs.pk])).content.decode(),
        client.get(reverse("actions:list"), follow=True).content.decode(),
        b"".join(client.get(reverse("actions:export")).streaming_content).decode(),
    ]
    assert all("Their item" in page and SECRET_TITLE not in page for page in pages)


def test_the_querysets_of_postmortems_access_agree_with_its_predicates(people):
    """readable() and editable() filter in SQL what may_read(), may_edit() and
    may_change_item() say of one row, for every role and every kind of row."""
    rows = []
    for restricted in (False, True):
        postmortem = _postmortem(people, restricted=restricted)
        TimelineEventFactory(postmortem=postmortem)
        ContributingFactorFactory(postmortem=postmortem)
        Comment.objects.create(postmortem=postmortem, author=people["owner"], body="hi")
        ActionItemFactory(postmortem=postmortem, owner=people["outsider"])
        rows.append(postmortem)
    models = [Postmortem, TimelineEvent, ContributingFactor, Comment, Reviewer, ActionItem]
    for role in ROLES:
        user = people.get(role) or AnonymousUser()
        for model in models:
            everything = list(model.objects.all())
            readable = set(access.readable(user, model.objects.all()))
            editable = set(access.editable(user, model.objects.all()))
            for row in everything:
                postmortem = row if model is Postmortem else row.postmortem
                own = model is ActionItem and user.pk == row.owner_id
                may_read = user.is_authenticated and (access.may_read(user, postmortem) or own)
                if model is ActionItem:
                    may_change = access.may_change_item(user, row)
                else:
                    may_change = access.may_edit(user, postmortem)
                assert (row in readable) == may_read, (role, row)
                assert (row in editable) == may_change, (role, row)


def test_readers_of_names_whom_may_read_lets_read(people):
    """The batch answer that reminders and calendar feeds use agrees with may_read()."""
    group = Group.objects.create(name="sre")
    member = UserFactory(username="member")
    member.groups.add(group)
    secret = _postmortem(people, restricted=True)
    secret.allowed_groups.add(group)
    public = _postmortem(people, restricted=False)
    readers = access.readers_of([secret.pk, public.pk])
    assert set(readers) == {secret.pk}  # everyone reads the other
    everyone = [*people.values(), member]
    assert readers[secret.pk] == {user.pk for user in everyone if access.may_read(user, secret)}
    assert member.pk in readers[secret.pk] and people["outsider"].pk not in readers[secret.pk]
