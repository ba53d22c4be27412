"""config.delivery.request: any method, the answer's headers and body, read up to a bound."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config import delivery


class Server(BaseHTTPRequestHandler):
    def do_PATCH(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = b"x" * 5000 if self.path == "/big" else b'{"got": ' + body + b"}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-Id", "r-1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with ThreadingHTTPServer(("127.0.0.1", 0), Server) as running:
        threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True).start()
        yield f"http://127.0.0.1:{running.server_port}"
        running.shutdown()


def test_it_returns_the_status_headers_and_body(server):
    answer = delivery.request("PATCH", f"{server}/x", b"[1]", {"X-A": "b"}, 5)

    assert answer.status == 200 and answer.ok
    assert answer.headers["x-request-id"] == "r-1"
    assert answer.json() == {"got": [1]}


def test_an_answer_over_the_bound_is_refused(server):
    with pytest.raises(delivery.DeliveryError, match="larger than 1000 bytes"):
        delivery.request("PATCH", f"{server}/big", b"[]", {}, 5, limit=1000)


def test_internal_addresses_are_refused_unless_allowed(server, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(delivery.Refused, match=r"internal address 127\.0\.0\.1"):
        delivery.request("PATCH", f"{server}/x", b"[]", {}, 5)
