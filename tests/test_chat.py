"""Chat layouts: digests, review notices and subscribed events posted to a real receiver on
loopback as Slack Block Kit, Teams Adaptive Cards, Mattermost attachments or plain text, and
never with a restricted postmortem's title."""

import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from actions.models import ReminderPreference
from actions.reminders import reminders_send
from actions.services import action_item_create
from config import chat
from config.events import EVENTS, announce
from reviews.models import Reviewer
from reviews.notifications import notify_review_ready
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    ReminderPreferenceFactory,
    SubscriptionFactory,
    UserFactory,
)
from webhooks import services
from webhooks.forms import SubscriptionForm
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db

MARK = "qzsecret"
LAYOUTS = ["slack", "teams", "mattermost"]


class Receiver(BaseHTTPRequestHandler):
    """Keeps each POST's path, headers and JSON. /teams answers 202 as a Teams Workflows
    webhook does (https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook),
    /broken 500, the rest 200."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, dict(self.headers), body))
        status = {"/teams": 202, "/broken": 500}.get(self.path, 200)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.SITE_URL = "https://debrief.example"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    server.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


# The shape each vendor documents -----------------------------------------------------------


def assert_block_kit(body: dict) -> dict:
    """https://docs.slack.dev/reference/block-kit/blocks: a fallback `text` and `blocks` of
    header (plain_text), section (mrkdwn text or fields) and actions (buttons with a url)."""
    assert isinstance(body["text"], str) and body["text"]
    assert set(body) == {"text", "blocks"}
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds[0] == "header" and kinds[-1] == "actions"
    assert body["blocks"][0]["text"]["type"] == "plain_text"
    assert set(kinds) <= {"header", "section", "actions"} and len(kinds) <= 50
    for block in body["blocks"]:
        if block["type"] == "section":
            parts = [block["text"]] if "text" in block else block["fields"]
            assert all(p["type"] == "mrkdwn" and len(p["text"]) <= 3000 for p in parts)
    buttons = body["blocks"][-1]["elements"]
    assert all(b["type"] == "button" and b["text"]["type"] == "plain_text" for b in buttons)
    assert all(b["url"].startswith("https://debrief.example/") for b in buttons)
    return {
        "title": body["blocks"][0]["text"]["text"],
        "text": "\n".join(
            p["text"]
            for block in body["blocks"]
            if block["type"] == "section"
            for p in ([block["text"]] if "text" in block else block["fields"])
        ),
        "buttons": {b["text"]["text"]: b["url"] for b in buttons},
    }


def assert_adaptive_card(body: dict) -> dict:
    """The message a Teams Workflows webhook posts
    (https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook) holding an
    Adaptive Card (https://adaptivecards.io/explorer/AdaptiveCard.html) of TextBlocks and
    FactSets, with Action.OpenUrl actions (https://adaptivecards.io/explorer/Action.OpenUrl.html)."""
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert {element["type"] for element in card["body"]} <= {"TextBlock", "FactSet"}
    assert all(a["type"] == "Action.OpenUrl" for a in card["actions"])
    texts = []
    for element in card["body"]:
        if element["type"] == "TextBlock":
            assert element["wrap"] is True
            texts.append(element["text"])
        else:
            texts += [f"{f['title']}: {f['value']}" for f in element["facts"]]
    return {
        "title": card["body"][0]["text"],
        "text": "\n".join(texts[1:]),
        "buttons": {a["title"]: a["url"] for a in card["actions"]},
    }


def assert_attachments(body: dict) -> dict:
    """https://developers.mattermost.com/integrate/reference/message-attachments/: fallback,
    color, title with title_link, Markdown text and fields of short/title/value."""
    [attachment] = body["attachments"]
    assert {"fallback", "color", "title", "title_link", "text", "fields"} <= set(attachment)
    assert attachment["fallback"].startswith(attachment["title"])
    assert attachment["color"].startswith("#")
    assert all(set(f) == {"short", "title", "value"} for f in attachment["fields"])
    return {
        "title": attachment["title"],
        "text": "\n".join(
            [attachment["text"]] + [f"{f['title']}: {f['value']}" for f in attachment["fields"]]
        ),
        "buttons": {"title": attachment["title_link"]},
    }


SHAPES = {
    "slack": assert_block_kit,
    "teams": assert_adaptive_card,
    "mattermost": assert_attachments,
}


# Which layout --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "layout"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", "slack"),
        ("https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi", "teams"),
        ("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual", "teams"),
        ("https://default1a2b.3c.environment.api.powerplatform.com/powerautomate/x", "teams"),
        ("https://chat.example.com/hooks/xxx-generatedkey-xxx", "mattermost"),
        ("https://hooks.slack.com.evil.example/services/x", "mattermost"),
    ],
)
def test_the_webhook_address_picks_the_layout(url, layout):
    assert chat.detect(url) == layout


def test_an_explicit_layout_wins_over_the_address():
    message = chat.Message("Hello", buttons=[chat.Link("Open", "https://debrief.example/")])
    slack_url = "https://hooks.slack.com/services/T000/B000/XXXX"
    assert "attachments" in chat.render(message, "mattermost", slack_url)
    assert chat.render(message, "", slack_url)["blocks"][0]["type"] == "header"
    assert chat.render(message, "text", slack_url) == {
        "text": "Hello\nOpen: https://debrief.example/"
    }


def test_the_preferences_form_saves_the_layout(author_client, author):
    data = {
        "hour": "9",
        "time_zone": "UTC",
        "webhook_url": "https://contoso.webhook.office.com/webhookb2/abc",
        "chat_layout": "teams",
    }
    assert author_client.post("/actions/preferences/", data).status_code == 302
    assert ReminderPreference.objects.get(user=author).chat_layout == "teams"
    page = author_client.get("/actions/preferences/").content.decode()
    assert "Microsoft Teams (Adaptive Card)" in page and "Detect from the URL" in page


# Digests --------------------------------------------------------------------------------------


def digest_to(url: str, layout: str):
    user = UserFactory(username="ana", first_name="Ana", last_name="")
    ReminderPreferenceFactory(user=user, webhook_url=url, chat_layout=layout)
    item = ActionItemFactory(
        postmortem=None, owner=user, title="Fix <ana> & co", due_date=date(2026, 3, 1)
    )
    secret = PostmortemFactory(owner=user, restricted=True, title=f"{MARK}-title")
    ActionItemFactory(postmortem=secret, owner=user, title="Rotate keys", due_date=date(2026, 3, 2))
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        assert reminders_send().sent == 1
    return item


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_digest_is_laid_out_for_the_chosen_tool(receiver, layout):
    path = "/teams" if layout == "teams" else "/hook"
    item = digest_to(f"{receiver.url}{path}", layout)

    [(_, headers, body)] = receiver.received
    seen = SHAPES[layout](body)
    assert seen["title"] == "Debrief reminder for Tuesday 10 March 2026"
    assert "2 overdue" in seen["text"] and "9 days overdue" in seen["text"]
    item_url = f"https://debrief.example/actions/{item.pk}/"
    link = {
        "slack": f"<{item_url}|Fix &lt;ana&gt; &amp; co>",
        "teams": f"[Fix <ana> & co]({item_url})",
        "mattermost": f"[Fix <ana> & co]({item_url})",
    }[layout]
    assert link in seen["text"]
    assert MARK not in json.dumps(body)
    assert headers["User-Agent"] == "Debrief reminders"
    assert ReminderPreference.objects.get().user.reminders.get().webhook_status == "sent"


def test_a_digest_to_an_unknown_host_goes_as_mattermost_attachments(receiver):
    digest_to(f"{receiver.url}/hook", "")
    [(_, _, body)] = receiver.received
    assert assert_attachments(body)["buttons"]["title"] == "https://debrief.example/actions/mine/"


def test_plain_text_has_no_markup(receiver):
    item = digest_to(f"{receiver.url}/hook", "text")
    [(_, _, body)] = receiver.received
    assert list(body) == ["text"]
    assert (
        f"- Fix <ana> & co [P2] due 2026-03-01, 9 days overdue https://debrief.example/actions/{item.pk}/"
        in body["text"]
    )


# Review notices ------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_review_notice_of_a_restricted_postmortem_shows_no_title(receiver, author, layout):
    secret = PostmortemFactory(owner=author, restricted=True, title=f"{MARK}-title")
    for name in ("rita", "rob"):
        user = UserFactory(username=name)
        ReminderPreferenceFactory(
            user=user, webhook_url=f"{receiver.url}/{name}", chat_layout=layout
        )
        Reviewer.objects.create(postmortem=secret, user=user)

    assert notify_review_ready(postmortem_id=secret.pk) == 2

    assert sorted(path for path, _, _ in receiver.received) == ["/rita", "/rob"]
    for _, headers, body in receiver.received:
        seen = SHAPES[layout](body)
        assert seen["title"] == f"PM-{secret.pk} is ready for your review"
        assert (
            f"https://debrief.example/postmortems/{secret.pk}/#review" in seen["buttons"].values()
        )
        assert MARK not in json.dumps(body)
        assert headers["User-Agent"] == "Debrief reviews"


# Subscribed events ---------------------------------------------------------------------------


def send_all() -> None:
    for delivery in Delivery.objects.all():
        services.delivery_send(delivery_id=str(delivery.pk))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_published_postmortem_is_announced_in_the_channel(receiver, author, layout):
    SubscriptionFactory(url=f"{receiver.url}/channel", format=layout, events=list(EVENTS))
    postmortem = PostmortemFactory(owner=author, title="Checkout outage", severity=2)

    announce("postmortem.published", postmortem)
    send_all()

    [(_, headers, body)] = receiver.received
    seen = SHAPES[layout](body)
    assert seen["title"] == f"Published: PM-{postmortem.pk} Checkout outage"
    assert "Owner: " in seen["text"] or "*Owner*" in seen["text"]
    assert f"https://debrief.example/postmortems/{postmortem.pk}/" in seen["buttons"].values()
    assert "Debrief-Signature" not in headers  # a chat service has nothing to check it with
    assert Delivery.objects.get().status == "succeeded"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_submitted_postmortem_asks_its_reviewers_by_name(receiver, author, reviewer, layout):
    SubscriptionFactory(
        url=f"{receiver.url}/channel", format=layout, events=["postmortem.submitted"]
    )
    postmortem = PostmortemFactory(owner=author, title="Checkout outage")
    Reviewer.objects.create(postmortem=postmortem, user=reviewer)

    announce("postmortem.submitted", postmortem)
    send_all()

    [(_, _, body)] = receiver.received
    seen = SHAPES[layout](body)
    assert seen["title"] == f"Review requested: PM-{postmortem.pk} Checkout outage"
    assert reviewer.username in seen["text"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_overdue_item_is_flagged_red(receiver, author, layout):
    SubscriptionFactory(
        url=f"{receiver.url}/channel", format=layout, events=["action_item.overdue"]
    )
    item = ActionItemFactory(owner=author, title="Add a canary", due_date=date(2026, 3, 1))

    announce("action_item.overdue", item, today=date(2026, 3, 4))
    send_all()

    [(_, _, body)] = receiver.received
    seen = SHAPES[layout](body)
    assert seen["title"] == "Overdue: Add a canary"
    assert "3 days past its due date." in seen["text"]
    assert f"https://debrief.example/actions/{item.pk}/" in seen["buttons"].values()
    red = {
        "slack": lambda: body["blocks"][-1]["elements"][0]["style"] == "danger",
        "teams": lambda: True,  # a card has no colour bar; the title says it
        "mattermost": lambda: body["attachments"][0]["color"] == "#c62828",
    }
    assert red[layout]()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_event_of_a_restricted_postmortem_shows_its_title(receiver, author, layout):
    reviewer = UserFactory(username="rita")
    SubscriptionFactory(url=f"{receiver.url}/channel", format=layout, events=list(EVENTS))
    secret = PostmortemFactory(owner=author, restricted=True, title=f"{MARK}-title")
    Reviewer.objects.create(postmortem=secret, user=reviewer, verdict="approved")
    item = action_item_create(by=author, postmortem=secret, title=f"{MARK}-item", owner=author)
    item.set_status("blocked", by=author, reason=f"{MARK}-reason")
    announce("action_item.overdue", item, today=item.due_date + timedelta(days=2))
    for event in ("postmortem.created", "postmortem.submitted", "postmortem.published"):
        announce(event, secret)
    announce("review.verdict", Reviewer.objects.get())

    send_all()

    assert len(receiver.received) == 7
    titles = []
    for _, _, body in receiver.received:
        seen = SHAPES[layout](body)
        titles.append(seen["title"])
        assert MARK not in json.dumps(body)
        assert f"PM-{secret.pk}" in json.dumps(body) or f"Action item #{item.pk}" in json.dumps(
            body
        )
    [asked] = [b for _, _, b in receiver.received if "Review requested" in json.dumps(b)]
    assert reviewer.username not in json.dumps(asked)  # who reviews it is not said either


def test_a_chat_subscription_that_fails_is_retried_and_logged(receiver, author):
    subscription = SubscriptionFactory(
        url=f"{receiver.url}/broken", format="slack", events=["postmortem.published"]
    )
    announce("postmortem.published", PostmortemFactory(owner=author))

    send_all()

    delivery = Delivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.error) == (
        "pending",
        1,
        "HTTP 500 Internal Server Error",
    )
    assert delivery.next_attempt_at is not None
    assert "blocks" in receiver.received[0][2]


def test_a_slack_or_teams_address_cannot_take_signed_json():
    data = {
        "url": "https://hooks.slack.com/services/T000/B000/XXXX",
        "format": "json",
        "events": ["postmortem.published"],
        "active": "on",
    }
    form = SubscriptionForm(data)
    assert not form.is_valid()
    assert form.errors["format"] == ["This is a Slack address: pick the Slack message format."]
    assert SubscriptionForm(data | {"format": "slack"}).is_valid()


def test_staff_point_a_subscription_at_a_teams_channel(admin_user, client):
    client.force_login(admin_user)
    url = "https://default1a2b.3c.environment.api.powerplatform.com/powerautomate/automations/x"
    data = {"url": url, "format": "teams", "events": ["action_item.overdue"], "active": "on"}

    response = client.post("/webhooks/new/", data)

    subscription = Subscription.objects.get()
    assert response["Location"] == f"/webhooks/{subscription.pk}/"
    assert subscription.format == "teams"
    page = client.get(response["Location"]).content.decode()
    assert "Microsoft Teams message (Adaptive Card)" in page
    plain = client.post(
        "/webhooks/new/", data | {"url": "https://hooks.example.com/x", "format": ""}
    )
    assert Subscription.objects.get(url="https://hooks.example.com/x").format == "json"
    assert plain.status_code == 302
