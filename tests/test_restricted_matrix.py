"""Every URL of the site, walked as everyone who may not read a restricted postmortem.

A restricted postmortem carries a marker in every text of it and of its rows: fields, timeline,
factors, action items, comments, reviews, agenda entries and meeting notes. Each URL of the
resolver is requested with the ids of that postmortem's own objects (a URL whose arguments
cannot be mapped fails the test, so a URL added later is covered or noticed), by GET and by
POST with its forms filled, each with and without htmx, following redirects to the flash
messages. No answer to the roles below may hold the marker, and no row of the postmortem may
change. The same GETs by its reader (or, for editing pages, its owner) must show the marker, or
the walk proves nothing (the API's lists and objects included). Emails, chat webhooks and webhook subscriptions' payloads sent on the
way, by a reminder sweep, by a mention and by the end of the meeting follow
`postmortems.access.outbound`, and so does the webhook delivery log staff read. Anonymous visitors
are sent to the login page by every URL but the few open ones, and every admin page needs staff.
Alert intake needs no login by design: without its source's secret everyone is refused. An
outside version is read without login by whoever has its secret link; a restricted postmortem
has none (it cannot be shared outside), so the link walked is the public one's.
The API (/api/v1/) never redirects: anonymous callers get 401 from every operation (405 for a
method a URL does not have), and only its OpenAPI document and docs page answer them.
"""

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from icalendar import Calendar

from accounts.services import api_token_create
from actions.models import ActionItem, CalendarToken, StatusChange, TrackerConnection, TrackerLink
from actions.reminders import reminders_send
from config.events import announce
from postmortems.forms import SECTIONS
from postmortems.models import (
    AlertGroup,
    AlertReceipt,
    ContributingFactor,
    Draft,
    ExternalVersion,
    Interview,
    LintAcknowledgement,
    Postmortem,
    ProposedEvent,
    Recurrence,
    TimelineEvent,
)
from postmortems.outside import external_version_build
from reviews.models import AgendaItem, Attendance, Comment, Meeting, Reviewer, Transition
from tests.factories import (
    ActionItemFactory,
    AlertSourceFactory,
    CalendarTokenFactory,
    PostmortemFactory,
    ReminderPreferenceFactory,
    ServiceFactory,
    SubscriptionFactory,
    TeamFactory,
    UserFactory,
)
from webhooks import services as webhook_services
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

MARK = "qzsecret"  # in every text of the restricted postmortem: "qzsecret-title", …
ROLES = ["anonymous", "outsider", "other_reader", "other_reviewer", "attendee"]
METHODS = ["GET", "GET htmx", "POST", "POST htmx"]

# URLs with no argument that show the restricted postmortem to its reader: checked too.
LISTS_SHOWING_IT = {
    "postmortems:list",
    "postmortems:pick",
    "actions:list",
    "actions:export",
    "actions:mine",
    "actions:calendar",
    "services:detail",
    "teams:detail",
    "api:list_postmortems",
    "api:list_items",
}
# The admin's own login and logout answer anyone; every other admin page needs staff.
ADMIN_OPEN = {"admin:login", "admin:logout"}
# Alert intake, posted to by monitoring systems: no login, no session, the source's secret as
# the key. Without it every role, signed in or not, is refused: 401 to a POST, 405 otherwise.
# Tracker webhooks (GitHub, GitLab, Jira) likewise, with the connection's webhook secret.
SIGNED_BY_SENDER = {"alerts:receive", "trackers:webhook"}
# The only URLs that answer without a login; every other one sends anonymous visitors to log
# in. The calendar feed is read by calendar apps, with its secret token as the key. Single
# sign-on starts and ends before there is a login (both answer 404 while it is off, as here).
# An outside version of a published postmortem is read at its secret link.
ANONYMOUS_OPEN = {
    "login",
    "healthz",
    "shared",
    "actions:calendar",
    "accounts:oidc_authenticate",
    "accounts:oidc_callback",
    *SIGNED_BY_SENDER,
}
# Pages for admins only outside the Django admin: every role gets 403.
ADMIN_ONLY = {"accounts:audit", "accounts:audit_export"}
# The API answers for itself, with no login page: its schema and docs are open (they hold no
# data), its root is a 404, and every operation wants a token or a session.
API_OPEN = {"api:openapi-json": 200, "api:openapi-view": 200, "api:api-root": 404}
API_ANONYMOUS = {401, 405}
# Pages that sign the person out: the walk signs them in again after each.
SIGNING_OUT = {"logout", "admin:logout"}
# GET pages of the postmortem's objects that show none of its text, and why.
SHOW_NO_TEXT = {
    ("postmortems:section", "details"): "severity, key times and services: no text",
    ("postmortems:section", "access"): "who may read it: people, not text",
    ("postmortems:section_edit", "access"): "the same, as a form",
    "postmortems:lint_summary": "the linter's findings; the marker is blameless wording",
    "actions:status": "the status form, opened in place: the item's statuses, no text",
    "reviews:review_panel": "reviewers and verdicts: people; their comments are in the discussion",
    "reviews:ics": "names it by its reference alone (access.outbound), checked below",
    "reviews:add_action": "an empty form for a new action item",
    "metrics:csv": "numbers; the repeat factors and budgets have no text of it",
    "services:edit": "the service's own form",
    "teams:edit": "the team's own form, for staff: its name and members",
    "webhooks:detail": "staff only; its log shows what access.outbound lets leave, checked below",
    "webhooks:edit": "staff only; the subscription's own form",
    "api:get_service": "the service's own fields",
    "shared": "the outside version of the public postmortem: a restricted one has none",
    "postmortems:outside_preview": "a restricted postmortem has no outside version to preview",
}


# The site's URLs and their arguments ---------------------------------------------------


def _patterns(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern)


ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _values(name: str, route: str, argument: str, objects: dict) -> list[str] | None:
    """The values to put in `argument` of a URL: the restricted postmortem's objects."""
    space = name.split(":")[0] if ":" in name else ""
    if space == "admin":
        return _admin_values(route, argument, objects)
    if space == "api" and argument == "pk":
        return [str(_api_object(route, objects).pk)]
    by_name = {
        ("postmortems", "pk"): [objects["postmortem"].pk],
        ("postmortems", "row_id"): [objects["event" if "/timeline/" in route else "factor"].pk],
        ("postmortems", "section"): list(SECTIONS),
        ("postmortems", "recurrence_id"): [objects["recurrence"].pk],
        ("actions", "pk"): [
            objects["postmortem"].pk if "postmortem/<int:pk>" in route else objects["item"].pk
        ],
        ("reviews", "pk"): [
            objects["postmortem"].pk if route.startswith("postmortems/") else objects["meeting"].pk
        ],
        ("reviews", "item_id"): [objects["agenda"].pk],
        ("services", "pk"): [objects["service"].pk],
        ("teams", "slug"): [objects["team"].slug],
        ("accounts", "pk"): [objects["token"].pk],
        ("metrics", "chart"): objects["charts"],
        ("alerts", "slug"): [objects["alert_source"].slug],
        ("webhooks", "pk"): [objects["subscription"].pk],
        ("trackers", "pk"): [objects["tracker"].pk],
        ("webhooks", "delivery_id"): [objects["delivery"].pk],
        ("postmortems", "interview_id"): [objects["interview"].pk],
        ("postmortems", "proposal_id"): [objects["proposal"].pk],
        # No outside version of a restricted postmortem can exist: the public one's.
        ("postmortems", "version_id"): [objects["outside_version"].pk],
        ("", "token"): [objects["outside_token"]],
    }
    values = by_name.get((space, argument))
    return None if values is None else [str(value) for value in values]


def _api_object(route: str, objects: dict):
    """The restricted postmortem's object an API route names by its `pk`."""
    for prefix, name in [
        ("api/v1/action-items/", "item"),
        ("api/v1/meetings/", "meeting"),
        ("api/v1/services/", "service"),
        ("api/v1/postmortems/", "postmortem"),
    ]:
        if route.startswith(prefix):
            return objects[name]
    raise KeyError(route)


def _admin_values(route: str, argument: str, objects: dict) -> list[str] | None:
    """The admin is for staff: every role is sent to its login. Its objects are the
    restricted postmortem's rows where the admin has them."""
    if argument in ("object_id", "id"):
        parts = route.split("/")
        try:
            model = apps.get_model(parts[1], parts[2])
        except (LookupError, IndexError):  # /admin/r/<content type>/<id>/: the postmortem's
            model = Postmortem
        row = next((o for o in objects.values() if type(o) is model), objects["postmortem"])
        return [str(row.pk)]
    if argument == "content_type_id":
        return [str(ContentType.objects.get_for_model(Postmortem).pk)]
    if argument == "app_label":
        return ["postmortems"]
    if argument == "url":
        return ["postmortems/postmortem/"]
    return None


def _urls(objects: dict) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(name, the argument values as one label, path) of every URL, and the unmapped ones."""
    urls, unmapped = [], []
    for name, route in _patterns():
        paths = [("", route)]
        for match in ARGUMENT.finditer(route):
            argument = match.group(2) or match.group(3)
            values = _values(name, route, argument, objects)
            if values is None:
                unmapped.append(f"{name} {route} ({argument})")
                paths = []
                break
            paths = [
                # Labelled by the names among the values (sections, charts), not the ids.
                (
                    label if value.isdigit() else f"{label} {value}".strip(),
                    path.replace(match.group(0), value, 1),
                )
                for label, path in paths
                for value in values
            ]
        for label, path in paths:
            path = "/" + path.lstrip("^").rstrip("$").replace("\\", "")
            urls.append((name, label, path))
    return urls, unmapped


# The restricted postmortem, its rows, and the people ----------------------------------


def _people() -> dict:
    people = {
        name: UserFactory(username=name, email=f"{name}@example.com")
        for name in ["owner", "reader", "outsider", "other_reader", "other_reviewer", "attendee"]
    }
    people["admin"] = UserFactory(username="root", is_staff=True, is_superuser=True)
    return people


def _mark(field: str) -> str:
    return f"{MARK}-{field}"


def _world(people: dict, hooks: str) -> dict:
    """The restricted postmortem with a marker in every text, on a meeting's agenda."""
    now = timezone.now()
    # The team that owns it: the team's page lists the postmortems it owns.
    team = TeamFactory(display_name="Billing team")
    service = ServiceFactory(name="billing", team=team)
    secret = PostmortemFactory(
        team=team,
        owner=people["owner"],
        restricted=True,
        status="in_review",
        title=_mark("title"),
        summary=_mark("summary"),
        impact=_mark("impact"),
        went_well=_mark("went-well"),
        went_poorly=_mark("went-poorly"),
        got_lucky=_mark("got-lucky"),
        no_actions_reason=_mark("no-actions-reason"),
        started_at=now - timedelta(days=3),
        mitigated_at=now - timedelta(days=3) + timedelta(minutes=30),
    )
    secret.allowed_users.add(people["reader"])
    secret.services.add(service)
    event = TimelineEvent.objects.create(
        postmortem=secret,
        occurred_at=now - timedelta(days=3),
        kind="detection",
        description=_mark("event"),
        source_url=f"https://chat.example/{_mark('event-link')}",
    )
    factor = ContributingFactor.objects.create(
        postmortem=secret, category="monitoring", description=_mark("factor")
    )
    item = ActionItemFactory(
        postmortem=secret,
        owner=people["reader"],
        title=_mark("item"),
        description=_mark("item-description"),
        tracker_url=f"https://tracker.example/{_mark('item-link')}",
        due_date=timezone.localdate() - timedelta(days=10),
    )
    item.note_change(by=people["owner"], note=_mark("item-history"))
    comment = Comment.objects.create(postmortem=secret, author=people["owner"], body=_mark("c"))
    reviewer = Reviewer.objects.create(
        postmortem=secret, user=people["owner"], comment=_mark("review")
    )
    Transition.objects.create(
        postmortem=secret, from_status="draft", to_status="in_review", reason=_mark("move")
    )
    LintAcknowledgement.objects.create(
        postmortem=secret, location="summary", rule="x", text=_mark("ack"), reason=_mark("why")
    )
    Draft.objects.create(postmortem=secret, user=people["owner"], field="summary", text=_mark("d"))
    # Shared interview notes: its readers see them, nobody else.
    interview = Interview.objects.create(
        postmortem=secret,
        facilitator=people["owner"],
        participant=people["reader"],
        interviewed_at=now - timedelta(days=2),
        knew=_mark("interview-knew"),
        saw=_mark("interview-saw"),
        made_sense=_mark("interview-sense"),
        shared=True,
    )
    proposal = ProposedEvent.objects.create(
        interview=interview, occurred_at=now - timedelta(days=3), description=_mark("proposal")
    )

    public = PostmortemFactory(owner=people["owner"], title="Slow search")
    Reviewer.objects.create(postmortem=public, user=people["other_reviewer"])
    # Its factor came back after the fix of a public postmortem's like one: a suggestion that
    # only its owner may decide on.
    recurrence = Recurrence.objects.create(
        new_factor=factor,
        earlier_factor=ContributingFactor.objects.create(
            postmortem=public, category="monitoring", description="No lag alert"
        ),
    )
    other = PostmortemFactory(owner=people["owner"], restricted=True, title="Another secret")
    other.allowed_users.add(people["other_reader"])

    meeting = Meeting.objects.create(
        title="Weekly review", starts_at=now + timedelta(days=1), facilitator=people["reader"]
    )
    for name in ("reader", "attendee"):
        Attendance.objects.create(meeting=meeting, user=people[name])
    agenda = AgendaItem.objects.create(
        meeting=meeting,
        postmortem=secret,
        position=1,
        notes=_mark("agenda-notes"),
        decision=_mark("agenda-decision"),
    )
    AgendaItem.objects.create(meeting=meeting, postmortem=public, position=2)
    public.status = "published"
    public.save(update_fields=["status"])
    outside_version = external_version_build(
        version=ExternalVersion(postmortem=public, created_by=people["owner"]), removed=[]
    )
    outside_token = outside_version.release(by=people["owner"])
    meeting.action_items.add(item)
    # A monitoring source whose alerts opened the restricted postmortem.
    alert_source = AlertSourceFactory(
        kind="generic", slug="monitoring", default_owner=people["owner"]
    )
    group = AlertGroup.objects.create(
        source=alert_source, key_hash="0" * 64, group_key=_mark("alert-group"), postmortem=secret
    )
    AlertReceipt.objects.create(group=group, key_hash="1" * 64, key=_mark("alert"), event=event)
    token, _ = api_token_create(
        user=people["owner"], name="owner's", scope="write", expires_in_days=None
    )
    # A tracker the restricted item is linked to; no secret set, so no delivery is taken.
    tracker = TrackerConnection.objects.create(name="GitHub", kind="github", project="acme/web")
    TrackerLink.objects.create(
        item=item, connection=tracker, key="7", url="https://github.com/acme/web/issues/7"
    )

    # Each role owns something to be reminded of, with a calendar to subscribe to.
    for name in ("reader", *ROLES[1:]):
        ActionItemFactory(
            postmortem=public,
            owner=people[name],
            title=f"Item of {name}",
            due_date=timezone.localdate() - timedelta(days=1),
        )
        CalendarTokenFactory(user=people[name])
    # A webhook subscribed to every event, and a delivery about the restricted postmortem.
    subscription = SubscriptionFactory(url=f"{hooks}/webhook-subscriber")
    announce("postmortem.updated", secret)
    return {
        "subscription": subscription,
        "delivery": Delivery.objects.get(),
        "postmortem": secret,
        "event": event,
        "factor": factor,
        "recurrence": recurrence,
        "item": item,
        "comment": comment,
        "reviewer": reviewer,
        "meeting": meeting,
        "agenda": agenda,
        "service": service,
        "team": team,
        "public": public,
        "alert_source": alert_source,
        "token": token,
        "tracker": tracker,
        "interview": interview,
        "proposal": proposal,
        "outside_version": outside_version,
        "outside_token": outside_token,
    }


def _snapshot(secret: Postmortem, meeting: Meeting) -> dict:
    """Every row of the restricted postmortem and of its children, and their histories."""
    rows: dict = {}

    def add(queryset):
        for row in queryset.order_by("pk").values():
            rows[queryset.model._meta.label, row[queryset.model._meta.pk.attname]] = row

    add(Postmortem.objects.filter(pk=secret.pk))
    for model in (
        TimelineEvent,
        ContributingFactor,
        ActionItem,
        Comment,
        Reviewer,
        Transition,
        LintAcknowledgement,
        Draft,
        AgendaItem,
        Interview,
        ExternalVersion,
    ):
        add(model.objects.filter(postmortem=secret))
    add(ProposedEvent.objects.filter(interview__postmortem=secret))
    add(StatusChange.objects.filter(item__postmortem=secret))
    add(Recurrence.objects.filter(new_factor__postmortem=secret))
    add(AlertGroup.objects.filter(postmortem=secret))
    add(AlertReceipt.objects.filter(group__postmortem=secret))
    add(Meeting.objects.filter(pk=meeting.pk))
    add(Attendance.objects.filter(meeting=meeting))
    add(Meeting.action_items.through.objects.filter(meeting=meeting))
    for field in ("coauthors", "allowed_users", "allowed_groups", "services"):
        add(getattr(Postmortem, field).through.objects.filter(postmortem=secret))
    for model in (Postmortem, TimelineEvent, ContributingFactor, ActionItem):
        key = {"id": secret.pk} if model is Postmortem else {"postmortem": secret}
        rows[model._meta.label, "history"] = model.history.filter(**key).count()
    return rows


def _filled(name: str, objects: dict, people: dict, role) -> dict:
    """Every field a form of the site may ask for, filled with valid values (no marker)."""
    secret, agenda = objects["postmortem"], objects["agenda"]
    someone = (role or people["outsider"]).pk
    data = {
        "title": "Filled title",
        "severity": "2",
        "time_zone": "UTC",
        "summary": "Filled summary.",
        "impact": "Filled impact.",
        "went_well": "Filled.",
        "went_poorly": "Filled.",
        "got_lucky": "Filled.",
        "started_at": "2026-03-02T14:00",
        "allowed_users": [someone],
        "occurred_at": "2026-03-02T14:30",
        "kind": "prevent" if name.startswith(("actions:", "reviews:")) else "note",
        "description": "Filled description.",
        "source_url": "https://example.com/filled",
        "category": "other",
        "text": "14:02 anna: filled",
        "day": "2026-03-02",
        "confirm": "1",
        "field": "summary",
        "location": "summary",
        "rule": "filled",
        "reason": "Filled reason.",
        "reviewers": [someone],
        "verdict": "approved",
        "comment": "Filled comment.",
        "body": "Filled comment @owner",
        "owner": someone,
        "priority": "P2",
        "due_date": "2026-12-01",
        "status": "done",
        "items": [objects["item"].pk],
        "action": "done",
        "no_actions_reason": "Filled.",
        "tracker_url": "https://example.com/t",
        "notes": "Filled notes.",
        "decisions": "Filled decisions.",
        "present": [someone],
        "starts_at": "2026-12-01T10:00",
        "duration_minutes": "60",
        "attendees": [someone],
        "agenda": [secret.pk],
        "name": "filled-service",
        "team": objects["team"].pk,
        "slo_target": "99.9",
        "window_days": "30",
        "hour": "9",
        "participant": someone,
        "interviewed_at": "2026-03-03T10:00",
        "knew": "Filled.",
        "saw": "Filled.",
        "made_sense": "Filled.",
        "removed_sections": ["impact"],
        f"agenda-{agenda.pk}-notes": "Filled notes.",
        f"agenda-{agenda.pk}-decision": "Filled decision.",
    }
    for field in ("title", "owner", "priority", "due_date", "kind"):
        data[f"action-{agenda.pk}-{field}"] = data[field]
    return data


# Requests ---------------------------------------------------------------------------------


def _text(response) -> str:
    """Everything an answer shows: its body, headers, the redirects it went through."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    parts = [body.decode(errors="replace"), *(f"{k}: {v}" for k, v in response.items())]
    parts += [url for url, _ in getattr(response, "redirect_chain", [])]
    return "\n".join(parts)


def _request(client: Client, method: str, path: str, data: dict, query: dict, follow=True):
    headers = {"HX-Request": "true"} if "htmx" in method else {}
    if method.startswith("GET"):
        return client.get(path, query, follow=follow, headers=headers)
    return client.post(path, data, follow=follow, headers=headers)


def _query(name: str, objects: dict, user) -> dict:
    """Query strings that point list pages at the restricted postmortem."""
    if name == "actions:calendar":
        token = CalendarToken.objects.filter(user=user).first() if user else None
        return {"token": token.key if token else ""}
    if name in ("postmortems:list", "postmortems:pick", "reviews:waiting"):
        return {"q": objects["postmortem"].reference}
    if name == "api:list_postmortems":
        return {"q": objects["postmortem"].reference}
    if name in ("actions:list", "actions:export", "api:list_items"):
        return {"postmortem": objects["postmortem"].pk}
    if name == "metrics:index":
        return {"service": objects["service"].pk}
    return {}


class Hooks(BaseHTTPRequestHandler):
    """A chat webhook on loopback that keeps every body posted to it."""

    received: list[tuple[str, str]] = []

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        body = json.loads(raw)
        # A chat message's text, or a webhook subscription's whole payload.
        self.received.append((self.path, body.get("text") or raw.decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hooks(settings):
    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = True
    Hooks.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _outbound_leaks(readers: set[str]) -> list[str]:
    """Emails and webhook bodies that say more of the postmortem than access.outbound allows:
    its action items' titles, to its readers only; nothing else of it, to anyone."""
    sent = [
        (m.to[0].split("@")[0], f"{m.subject}\n{m.body}\n{m.alternatives[0][0]}")
        for m in mail.outbox
    ]
    sent += [(path.strip("/"), text) for path, text in Hooks.received]
    leaks = []
    for person, text in sent:
        found = set(re.findall(rf"{MARK}-[\w-]+", text))
        allowed = {_mark("item")} if person in readers else set()
        if found - allowed:
            leaks.append(f"to {person}: {sorted(found - allowed)}")
    return leaks


@pytest.fixture
def site(hooks):
    """The people, the restricted postmortem and its neighbours, and every URL to walk."""
    people = _people()
    objects = _world(people, hooks)
    for name in ("reader", *ROLES[1:], "owner"):
        ReminderPreferenceFactory(user=people[name], webhook_url=f"{hooks}/{name}")
    reader = Client()
    reader.force_login(people["reader"])
    objects["charts"] = list(reader.get("/metrics/").context["charts"])
    urls, unmapped = _urls(objects)
    assert not unmapped, f"URLs whose arguments this test cannot map: {unmapped}"
    assert {name for name, _, _ in urls} >= SIGNED_BY_SENDER, "an intake URL was renamed"
    return people, objects, urls, reader


# One test per role, so that parallel test workers share the walk.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", ROLES)
def test_no_url_email_or_webhook_shows_a_restricted_postmortem_to(role, site, celery_eager):
    people, objects, urls, _ = site
    secret, meeting = objects["postmortem"], objects["meeting"]
    before = _snapshot(secret, meeting)
    leaks, admin_open, anonymous_wrong, unsigned_taken, requests = [], [], [], [], 0
    not_refused = []
    user = people.get(role)
    client, signed_out = Client(), True
    for name, label, path in urls:
        methods = METHODS[::2] if name.startswith("admin:") else METHODS
        for method in methods:
            if user is not None and (signed_out or name in SIGNING_OUT):
                client.force_login(user)
            signed_out = name in SIGNING_OUT
            data = _filled(name, objects, people, user)
            query = _query(name, objects, user)
            if name.startswith("admin:"):
                # Not followed: the admin's login page says nothing of the postmortem.
                response = _request(client, method, path, data, query, follow=False)
                to_login = response.get("Location", "").startswith(("/admin/login/", "/login/"))
                if name not in ADMIN_OPEN and not to_login:
                    admin_open.append(f"{method} {path}")
            else:
                response = _request(client, method, path, data, query)
                first = response.redirect_chain[0][0] if response.redirect_chain else ""
                to_login = first.startswith("/login/?next=")
                if name.startswith("api:"):
                    expected = {API_OPEN[name]} if name in API_OPEN else API_ANONYMOUS
                    if user is None and (first or response.status_code not in expected):
                        anonymous_wrong.append(f"{method} {path}: {response.status_code} {first}")
                elif user is None and to_login == (name in ANONYMOUS_OPEN):
                    anonymous_wrong.append(f"{method} {path}: {response.status_code} {first}")
                refused = 401 if method.startswith("POST") else 405
                if name in SIGNED_BY_SENDER and response.status_code != refused:
                    unsigned_taken.append(f"{method} {path}: {response.status_code}")
                if user is not None and name in ADMIN_ONLY and response.status_code != 403:
                    not_refused.append(f"{method} {path}: {response.status_code}")
            requests += 1
            if MARK in _text(response).lower():
                leaks.append(f"{method} {path} ({name} {label})")
            assert response.status_code < 500, (method, path)
    assert not admin_open, f"admin pages that answered without a staff login: {admin_open}"
    assert not anonymous_wrong, f"answers to anonymous visitors, not the login: {anonymous_wrong}"
    assert not unsigned_taken, f"alert intake not refused without a secret: {unsigned_taken}"
    assert not not_refused, f"admin-only pages that answered a non-admin: {not_refused}"
    assert not leaks, f"{len(leaks)} answers showed the restricted postmortem: {leaks}"
    assert _snapshot(secret, meeting) == before, "the role changed the restricted postmortem"
    assert not _outbound_leaks(readers=set()), "mail or webhooks sent while walking leaked"
    print(f"\n{role}: {len(urls)} URLs × {len(METHODS)} methods: {requests} requests")


def test_its_readers_see_it_on_every_page_so_the_walk_proves_something(site):
    people, objects, urls, reader = site
    secret, meeting = objects["postmortem"], objects["meeting"]
    route_of = dict(_patterns())
    blind = []
    owner = Client()
    owner.force_login(people["owner"])
    shown = 0
    for name, label, path in urls:
        exempt = SHOW_NO_TEXT.get((name, label)) or SHOW_NO_TEXT.get(name)
        has_arguments = ARGUMENT.search(route_of[name]) is not None
        if name.startswith("admin:") or exempt or not (has_arguments or name in LISTS_SHOWING_IT):
            continue
        query = _query(name, objects, people["reader"])
        response = _request(reader, "GET", path, {}, query)
        if response.status_code == 405:
            continue
        if response.status_code == 403:
            response = _request(owner, "GET", path, {}, query)
        shown += 1
        if response.status_code != 200 or MARK not in _text(response).lower():
            blind.append(f"{path} ({name}): {response.status_code}")
    assert not blind, f"its readers do not see it there, so the walk proves nothing: {blind}"
    assert shown > 20
    invitation = Calendar.from_ical(reader.get(f"/reviews/{meeting.pk}/invite.ics").content)
    (event,) = invitation.walk("VEVENT")
    assert f"- {secret.reference}\n" in str(event.get("description"))
    admin = Client()
    admin.force_login(people["admin"])
    change = f"/admin/postmortems/postmortem/{secret.pk}/change/"
    assert MARK in admin.get(change).content.decode()


def test_what_leaves_the_site_names_it_only_to_its_readers(
    site, celery_eager, django_capture_on_commit_callbacks
):
    """A reminder sweep, a mention, the end of the meeting, and the webhooks they announce."""
    people, objects, _, reader = site
    secret, meeting = objects["postmortem"], objects["meeting"]
    noon = datetime.combine(timezone.localdate(), datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(noon + timedelta(hours=12), tick=False):
        assert reminders_send().sent == 6  # the reader, the owner and the four roles
    mentions = " ".join(f"@{name}" for name in people)
    with django_capture_on_commit_callbacks(execute=True):
        reader.post(f"/postmortems/{secret.pk}/comments/", {"body": f"{_mark('m')} {mentions}"})
        reader.post(f"/reviews/{meeting.pk}/end/", {"confirm": "1"})
    with time_machine.travel(noon + timedelta(hours=13), tick=False):
        for delivery in Delivery.objects.filter(status="pending"):  # the sweep's, not sent yet
            webhook_services.delivery_send(delivery_id=str(delivery.pk))
    assert set(Delivery.objects.filter(status="succeeded").values_list("event", flat=True)) >= {
        "postmortem.updated",
        "action_item.overdue",
        "meeting.ended",
    }
    admin = Client()
    admin.force_login(people["admin"])
    log = admin.get(f"/webhooks/{objects['subscription'].pk}/").content.decode()
    assert str(objects["delivery"].pk) in log and MARK not in log
    readers = {"reader", "owner", "root"}
    sent_to = {m.to[0].split("@")[0] for m in mail.outbox}
    assert {"reader", "owner", "attendee", "outsider"} <= sent_to
    assert {path.strip("/") for path, _ in Hooks.received} >= {
        "reader",
        "owner",
        "outsider",
        "webhook-subscriber",
    }
    assert any(_mark("item") in text for _, text in Hooks.received)  # to its reader
    assert not _outbound_leaks(readers), _outbound_leaks(readers)


# The imports take no arguments in their URLs: the postmortem is named in the uploaded file or
# the form, so the walk above cannot point them at it. Uploads that name it do here.
IMPORTS = {"imports:markdown", "imports:action_csv", "imports:jira"}


@pytest.mark.parametrize("role", ROLES[1:])
def test_imports_naming_it_are_answered_as_for_a_postmortem_that_does_not_exist(role, site):
    from django.core.files.uploadedfile import SimpleUploadedFile

    people, objects, urls, _ = site
    secret, meeting = objects["postmortem"], objects["meeting"]
    assert {name for name, _, _ in urls} >= IMPORTS, "an import URL was renamed"
    before = _snapshot(secret, meeting)
    client = Client()
    client.force_login(people[role])
    items = f"postmortem,title,owner\n{secret.reference},Filled,{role}\n"
    jira = "Summary,Issue key,Status\nFilled,OPS-1,Done\n"
    answers = [
        client.post(
            "/import/action-items/",
            {"file": SimpleUploadedFile("a.csv", items.encode()), "preview": "1"},
        ),
        client.post(
            "/import/jira/",
            {
                "file": SimpleUploadedFile("j.csv", jira.encode()),
                "postmortem": secret.reference,
                "preview": "1",
            },
        ),
    ]
    for answer in answers:
        page = answer.content.decode()
        assert f"{secret.reference} is not a postmortem you may edit" in page
        assert MARK not in page.lower()
        assert 'name="confirm"' not in page  # nothing to confirm
    assert "No row can be imported" in answers[0].content.decode()
    assert _snapshot(secret, meeting) == before
