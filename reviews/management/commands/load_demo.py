"""The demo that `make run` loads: a few people, services and postmortems at every stage.

It lives in reviews, the top app of what it creates, and creates it all as people do: through
the model methods and services the pages call, so the demo obeys the site's rules.
"""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from actions.models import ActionItem, Status
from actions.services import action_item_create
from postmortems.models import (
    ContributingFactor,
    Postmortem,
    PostmortemTemplate,
    Severity,
    TimelineEvent,
)
from postmortems.models import Status as PostmortemStatus
from reviews.models import Comment, Reviewer
from services.models import Service

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "debrief-demo"
TEAM = [
    ("anna", "Anna", "Lindqvist"),
    ("ben", "Ben", "Okafor"),
    ("chloe", "Chloé", "Martin"),
    ("dev", "Dev", "Raman"),
]

# (name, team, SLO target %, window days, description)
SERVICES = [
    ("checkout", "Payments", "99.95", 28, "Basket, checkout pages and order placement."),
    ("payments", "Payments", "99.99", 30, "The gateway client and card processing."),
    ("search", "Discovery", "99.9", 30, "Listing search and autocomplete."),
    ("indexer", "Discovery", "99.5", 28, "Keeps the search index in step with listings."),
    ("auth", "Identity", "99.95", 30, "Login, sessions and tokens."),
]

# Older, shorter incidents so the metrics page has a year of history:
# (title, severity, services, factor categories).
HISTORY = [
    ("Checkout latency after a cache node was replaced", 3, ["checkout"], ["capacity"]),
    ("Card declines from an expired gateway API key", 2, ["payments"], ["configuration"]),
    ("Search timeouts during the spring sale", 2, ["search"], ["capacity", "monitoring"]),
    ("Login loop after a cookie domain change", 2, ["auth"], ["change", "configuration"]),
    ("Index lag after a schema migration", 3, ["indexer"], ["change"]),
    ("Checkout errors from a bad feature flag", 1, ["checkout"], ["configuration", "process"]),
    ("Autocomplete empty after a deploy", 3, ["search"], ["change", "monitoring"]),
    ("Token refresh failures under load", 2, ["auth"], ["capacity"]),
    ("Payment webhooks delayed by a provider incident", 3, ["payments"], ["dependency"]),
    ("Checkout blank page from a CDN rule", 2, ["checkout"], ["configuration"]),
    ("Stale listings after the indexer ran out of disk", 3, ["indexer", "search"], ["capacity"]),
    ("Duplicate charges on retried payments", 1, ["payments", "checkout"], ["tooling"]),
]

# (title, severity, status, zone, days ago, services, summary, impact, lessons, events, factors,
#  action items). Event offsets are minutes after the impact started.
INCIDENTS = [
    {
        "title": "Checkout errors after payment gateway certificate rotation",
        "severity": Severity.SEV1,
        "status": "published",
        "zone": "Europe/Berlin",
        "days_ago": 40,
        "services": ["checkout", "payments"],
        "summary": "For 47 minutes, 38% of checkout attempts failed because the payment gateway "
        "client did not trust the gateway's new intermediate certificate. Rolling the client "
        "back to the previous trust bundle restored checkout.",
        "impact": "- 38% of checkout attempts failed between 14:02 and 14:49 CET.\n"
        "- About 4,100 customers saw an error; 212 contacted support.",
        "figures": (4100, 52000, 212),
        "went_well": "The checkout error-rate alert fired within four minutes.",
        "went_poorly": "The trust bundle lived in a container image that only the payments "
        "team could rebuild, which added 20 minutes.",
        "got_lucky": "The rotation happened on a Tuesday afternoon, not during the sale.",
        "events": [
            (-30, "change", "Gateway provider rotated its intermediate certificate."),
            (0, "impact_start", "Checkout error rate rose from 0.2% to 38%."),
            (4, "detection", "Checkout error-rate alert paged the payments on-call."),
            (9, "escalation", "Incident declared; payments and platform on-call joined."),
            (31, "communication", "Status page updated: degraded checkout."),
            (41, "mitigation", "Rolled the gateway client back to the previous trust bundle."),
            (47, "impact_end", "Error rate back to baseline."),
            (75, "resolution", "Trust bundle now updated from the provider's published chain."),
        ],
        "factors": [
            (
                "dependency",
                "The provider announced the rotation only on its status page, which nobody subscribed to.",
            ),
            ("configuration", "The client pinned an intermediate certificate instead of the root."),
            ("tooling", "Updating the trust bundle needed a full image rebuild."),
        ],
        "actions": [
            (
                "Pin the gateway's root certificate instead of the intermediate",
                "P1",
                "prevent",
                10,
                "done",
            ),
            (
                "Subscribe the payments channel to the provider's status feed",
                "P2",
                "detect",
                -5,
                "open",
            ),
            (
                "Load trust bundles from config so they change without a rebuild",
                "P2",
                "mitigate",
                30,
                "in_progress",
            ),
        ],
    },
    {
        "title": "Search results stale for six hours after indexer queue stalled",
        "severity": Severity.SEV2,
        "status": "in_review",
        "zone": "America/New_York",
        "days_ago": 12,
        "services": ["search", "indexer"],
        "summary": "The indexer stopped consuming its queue after a poison message; search "
        "showed listings up to six hours old until the message was moved aside.",
        "impact": "New and edited listings did not appear in search for up to 6 hours.",
        "figures": (None, None, 37),
        "went_well": "The queue-depth dashboard made the stall obvious once someone looked.",
        "went_poorly": "No alert watched the indexer's consumer lag.",
        "got_lucky": "",
        "events": [
            (0, "impact_start", "A listing with a 9 MB description reached the indexer queue."),
            (340, "detection", "Support reported sellers' complaints about missing listings."),
            (352, "escalation", "Search on-call paged."),
            (371, "mitigation", "Poison message moved to a holding queue; indexer caught up."),
            (395, "resolution", "Index fully caught up."),
        ],
        "factors": [
            ("monitoring", "No alert on consumer lag for the indexer queue."),
            ("tooling", "The queue had no dead-letter topic, so one bad message blocked the rest."),
        ],
        "actions": [
            (
                "Alert when indexer consumer lag exceeds 10 minutes for 5 minutes",
                "P1",
                "detect",
                -3,
                "open",
            ),
            (
                "Add a dead-letter topic after three failed deliveries",
                "P1",
                "prevent",
                -1,
                "blocked",
            ),
        ],
    },
    {
        "title": "Login slowness during database failover drill",
        "severity": Severity.SEV3,
        "status": "draft",
        "zone": "UTC",
        "days_ago": 3,
        "services": ["auth"],
        "summary": "",
        "impact": "",
        "figures": (None, None, None),
        "went_well": "",
        "went_poorly": "",
        "got_lucky": "",
        "events": [
            (0, "impact_start", "Failover drill started; p99 login latency rose to 4 s."),
            (6, "detection", "Latency SLO burn alert."),
            (18, "resolution", "Connection pools re-established; latency normal."),
        ],
        "factors": [],
        "actions": [
            ("Lower the connection pool's reconnect backoff", "P3", "mitigate", 60, "open"),
        ],
    },
]


class Command(BaseCommand):
    help = "Load the demo postmortems and users (only into a site that has no postmortems)."

    def handle(self, *args, **options) -> None:
        users = get_user_model().objects
        demo = users.filter(username=DEMO_USERNAME).first()
        if demo is None:
            demo = users.create_superuser(
                DEMO_USERNAME,
                "demo@example.com",
                DEMO_PASSWORD,
                first_name="Demo",
                last_name="User",
            )
        if not Postmortem.objects.exists():
            self._load(demo)
            self.stdout.write("Loaded the demo postmortems.")
        others = ", ".join(username for username, _, _ in TEAM)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: username “{DEMO_USERNAME}”, password “{DEMO_PASSWORD}” "
                f"(also for {others})"
            )
        )

    @transaction.atomic
    def _load(self, demo) -> None:
        team = [demo]
        # So that one can sign in as a reviewer or an owner, not only as the admin. Hashed
        # once: hashing is slow by design.
        password = make_password(DEMO_PASSWORD)
        for username, first, last in TEAM:
            user, _ = get_user_model().objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "password": password,
                },
            )
            team.append(user)
        template = PostmortemTemplate.objects.filter(is_default=True).first()
        today = timezone.localdate()
        services = {}
        for name, team_name, target, window, description in SERVICES:
            services[name], _ = Service.objects.get_or_create(
                name=name,
                defaults={
                    "team": team_name,
                    "slo_target": Decimal(target),
                    "window_days": window,
                    "description": description,
                },
            )
        self._history(team, template, services)
        for number, data in enumerate(INCIDENTS):
            zone = ZoneInfo(data["zone"])
            local_day = today - timedelta(days=data["days_ago"])
            start = datetime.combine(local_day, datetime.min.time(), zone).replace(
                hour=14, minute=2
            )
            customers, requests, tickets = data["figures"]
            owner = team[number % len(team)]
            postmortem = Postmortem.objects.create(
                title=data["title"],
                severity=data["severity"],
                owner=owner,
                template=template,
                time_zone=data["zone"],
                summary=data["summary"],
                impact=data["impact"],
                customers_affected=customers,
                failed_requests=requests,
                support_tickets=tickets,
                went_well=data["went_well"],
                went_poorly=data["went_poorly"],
                got_lucky=data["got_lucky"],
            )
            postmortem.services.set([services[name] for name in data["services"]])
            postmortem.coauthors.add(demo)
            _write(
                postmortem,
                events=[
                    (start + timedelta(minutes=minutes), kind, text)
                    for minutes, kind, text in data["events"]
                ],
                factors=data["factors"],
            )
            for index, (title, priority, kind, due_in, status) in enumerate(data["actions"]):
                item = action_item_create(
                    by=owner,
                    postmortem=postmortem,
                    title=title,
                    priority=priority,
                    kind=kind,
                    owner=team[(number + index + 1) % len(team)],
                    due_date=today + timedelta(days=due_in),
                )
                reason = "Waiting for the queue library upgrade." if status == "blocked" else ""
                if status != Status.OPEN:
                    item.set_status(status, by=item.owner, reason=reason)
            _review(postmortem, data["status"], reviewer=team[(number + 2) % len(team)])

    def _history(self, team, template, services) -> None:
        """Published incidents of the past year, with key times, factors and action items."""
        rng = random.Random(7)
        now = timezone.now()
        for number, (title, severity, names, categories) in enumerate(HISTORY):
            start = (now - timedelta(days=350 - number * 27)).replace(
                hour=rng.randint(1, 22), minute=rng.choice([0, 12, 27, 41]), second=0, microsecond=0
            )
            detect, mitigate = rng.randint(2, 25), rng.randint(15, 90)
            resolve = detect + mitigate + rng.randint(10, 240)
            affected = " and ".join(names)
            owner = team[number % len(team)]
            postmortem = Postmortem.objects.create(
                title=title,
                severity=severity,
                owner=owner,
                template=template,
                time_zone="UTC",
                summary=f"{title}. Customers were affected for about {detect + mitigate} minutes.",
                impact=f"Requests to {affected} failed for about {detect + mitigate} minutes.",
            )
            postmortem.services.set([services[name] for name in names])
            _write(
                postmortem,
                events=[
                    (start, "impact_start", f"Errors from {affected} started."),
                    (start + timedelta(minutes=detect), "detection", "An alert paged on-call."),
                    (
                        start + timedelta(minutes=detect + mitigate),
                        "mitigation",
                        "The change behind it was rolled back.",
                    ),
                    (start + timedelta(minutes=resolve), "resolution", "The fix was deployed."),
                ],
                factors=[(category, f"{category} factor.") for category in categories],
            )
            due = (start + timedelta(days=rng.choice([14, 28, 42]))).date()
            late = rng.random() < 0.35
            done_at = datetime.combine(
                due + timedelta(days=9 if late else -3), datetime.min.time(), UTC
            )
            item = action_item_create(
                by=owner,
                postmortem=postmortem,
                title=f"Follow up on {title.lower()}",
                priority="P2",
                kind="prevent",
                owner=team[(number + 1) % len(team)],
                due_date=due,
            )
            _review(postmortem, PostmortemStatus.PUBLISHED, reviewer=team[(number + 1) % len(team)])
            # Dated back to the incident, so that "created per week" and "days to close" have
            # a history too.
            created = start + timedelta(days=1)
            ActionItem.objects.filter(pk=item.pk).update(created_at=created)
            item.changes.update(changed_at=created)
            if done_at < now:
                item.complete(by=item.owner)
                ActionItem.objects.filter(pk=item.pk).update(completed_at=done_at)
                item.changes.filter(to_status=Status.DONE).update(changed_at=done_at)


def _write(postmortem: Postmortem, *, events: list[tuple], factors: list[tuple]) -> None:
    """Add timeline events and contributing factors as the postmortem's page does."""
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            postmortem=postmortem,
            occurred_at=occurred_at,
            kind=kind,
            description=text,
            starred=kind not in ("note", "communication"),
        )
        for occurred_at, kind, text in events
    )
    ContributingFactor.objects.bulk_create(
        ContributingFactor(postmortem=postmortem, category=category, description=text)
        for category, text in factors
    )
    postmortem.sync_key_times()
    postmortem.mark_text_changed()


def _review(postmortem: Postmortem, status: str, *, reviewer) -> None:
    """Take a demo postmortem to `status` by the rules of review."""
    if status == PostmortemStatus.DRAFT:
        return
    # Picked and approved as reviewers_set and review_record leave it, without the emails
    # they send: the demo's reviews are in the past.
    picked = Reviewer.objects.create(postmortem=postmortem, user=reviewer)
    postmortem.submit(by=postmortem.owner)
    if status == PostmortemStatus.IN_REVIEW:
        return
    verdict = "Clear timeline; the factors read as conditions, not blame."
    picked.verdict = Reviewer.Verdict.APPROVED
    picked.comment = verdict
    picked.decided_at = timezone.now()
    picked.reviewed_version = postmortem.text_version
    picked.save(update_fields=["verdict", "comment", "decided_at", "reviewed_version"])
    Comment.objects.create(
        postmortem=postmortem, author=reviewer, kind=Comment.Kind.APPROVED, body=verdict
    )
    postmortem.publish(by=postmortem.owner)
