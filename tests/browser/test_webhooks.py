import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from actions.services import action_item_create
from tests.browser.conftest import log_in
from tests.factories import PostmortemFactory
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.headers["Debrief-Event"], body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # it listens on loopback
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_staff_subscribe_see_a_delivery_in_the_log_and_redeliver_it(
    page, admin_user, author, receiver, celery_eager
):
    url = f"http://127.0.0.1:{receiver.server_port}/debrief"
    log_in(page, "admin")
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="New subscription").click()
    page.get_by_label("URL").fill(url)
    page.get_by_label("Description").fill("Planning board")
    page.get_by_label("action_item.created: An action item was added.").check()
    page.get_by_role("button", name="Save subscription").click()
    expect(page.get_by_role("heading", name=url)).to_be_visible()
    expect(page.get_by_text("Nothing sent yet")).to_be_visible()
    page.get_by_text("Reveal the signing secret").click()
    secret = Subscription.objects.get().secret
    expect(page.locator("[data-secret]")).to_have_text(secret)

    postmortem = PostmortemFactory(owner=author)
    item = action_item_create(by=author, postmortem=postmortem, title="Alert on lag", owner=author)
    [(event, body)] = receiver.received
    assert event == "action_item.created" and body["data"]["action_item"]["id"] == item.pk

    page.reload()
    row = page.locator("tr[data-delivery]")
    expect(row).to_contain_text("action_item.created")
    expect(row).to_contain_text("Delivered")
    expect(row.locator("td").nth(3)).to_have_text("200")
    expect(row.locator("td").nth(5)).to_have_text("1")

    row.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_text("is being sent again")).to_be_visible()
    page.reload()
    expect(page.locator("tr[data-delivery] td").nth(5)).to_have_text("2")
    page.get_by_text("Payload and attempts").click()
    expect(page.get_by_text("(Redeliver): delivered, HTTP 200")).to_be_visible()
    assert [b["id"] for _, b in receiver.received] == [body["id"]] * 2
