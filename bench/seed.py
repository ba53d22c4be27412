"""Fill an empty database with N realistic postmortems, M action items and U users.

Usage: .venv/bin/python bench/seed.py [--postmortems N] [--action-items M] [--users U]
       [--years 3] [--seed 7] [--force]

The data `make bench` measures (bench/run.py and bench/bench_metrics.py call `seed_site` on
their throwaway databases). Run by hand, it fills the site's own database (DATABASE_URL, else
debrief.sqlite3), migrated and empty, to try Debrief at the scale of years of incidents.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import django

if __name__ == "__main__":  # run by hand: the site's own settings and database
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import DateTimeField, Expression, F, OuterRef, Subquery, Value
from django.utils import timezone

from actions.models import (
    OPEN_STATUSES,
    ActionItem,
    Priority,
    ReminderPreference,
    Status,
    StatusChange,
)
from actions.models import Kind as ItemKind
from postmortems.models import (
    ContributingFactor,
    Postmortem,
    PostmortemTemplate,
    TimelineEvent,
)
from postmortems.models import Status as PostmortemStatus
from reviews.models import AgendaItem, Attendance, Comment, Meeting, Reviewer
from services.models import Service
from teams.models import Team
from teams.services import team_create

BATCH = 500  # postmortems per transaction; their events and items go in the same one

FIRST = "Anna Ben Chloé Dev Elif Farid Grace Hiro Ines Jonas Kofi Lena Mateo Nadia Omar Priya "
FIRST += "Quinn Rosa Sven Tariq Uma Vera Wen Xavier Yara Zoë".replace("Zoë", "Zoe")
LAST = "Lindqvist Okafor Martin Raman Kaya Haddad Kim Tanaka Costa Weber Mensah Novak Silva "
LAST += "Rahman Farouk Patel Byrne Alvarez Berg Aziz Iyer Horvat Zhang Dubois Nasser Ito"
ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo"]
TEAMS = ["Payments", "Discovery", "Identity", "Platform", "Growth", "Data", "Messaging"]
SERVICES = [
    ("checkout", "Payments"), ("payments", "Payments"), ("invoicing", "Payments"),
    ("search", "Discovery"), ("indexer", "Discovery"), ("recommendations", "Discovery"),
    ("auth", "Identity"), ("sessions", "Identity"), ("sso", "Identity"),
    ("api-gateway", "Platform"), ("dns", "Platform"), ("kubernetes", "Platform"),
    ("postgres-main", "Platform"), ("object-storage", "Platform"), ("cdn", "Platform"),
    ("signup", "Growth"), ("referrals", "Growth"), ("experiments", "Growth"),
    ("warehouse", "Data"), ("events-pipeline", "Data"), ("reporting", "Data"),
    ("email", "Messaging"), ("push", "Messaging"), ("webhooks", "Messaging"),
]  # fmt: skip
SYMPTOMS = [
    "Elevated 5xx errors", "Slow page loads", "Login failures", "Stale results",
    "Delayed emails", "Dropped webhooks", "Partial outage", "Timeouts", "Duplicate charges",
    "Missing data", "Failed deploys", "Queue backlog",
]  # fmt: skip
TRIGGERS = [
    "a configuration change", "a certificate rotation", "a database failover",
    "a provider outage", "a traffic spike", "a schema migration", "a feature flag rollout",
    "a DNS change", "a node pool upgrade", "disk exhaustion", "a dependency upgrade",
    "an expired credential", "a cache eviction storm", "a bad deploy",
]  # fmt: skip
METRICS = ["error rate", "p99 latency", "queue depth", "consumer lag", "CPU saturation"]
EVENTS = {
    TimelineEvent.Kind.CHANGE: [
        "Deployed {service} build {n} to production.",
        "Rolled out {trigger} to 10% of {service} traffic.",
        "Merged the change that enabled the new {service} connection pool.",
    ],
    TimelineEvent.Kind.IMPACT_START: [
        "{service} {metric} rose from 0.2% to {pct}%.",
        "First customer requests to {service} started failing.",
    ],
    TimelineEvent.Kind.DETECTION: [
        "The {metric} alert for {service} paged the on-call engineer.",
        "Support reported {n} tickets about {service}.",
        "A synthetic check against {service} failed three times in a row.",
    ],
    TimelineEvent.Kind.ESCALATION: [
        "Incident declared; {team} on-call joined the call.",
        "Paged the {team} secondary to help with {service}.",
    ],
    TimelineEvent.Kind.COMMUNICATION: [
        "Status page updated: degraded {service}.",
        "Posted an update in #incidents: investigating {service} {metric}.",
        "Customer success notified the largest affected accounts.",
    ],
    TimelineEvent.Kind.NOTE: [
        "Dashboards showed {metric} on {service} at {pct}% of its usual level.",
        "Logs showed connection resets between {service} and its database.",
        "Compared the last two deploys of {service}; only the configuration differed.",
        "Restarted one {service} pod to test the hypothesis; no change.",
        "Found the runbook for {service}; its dashboard link was out of date.",
    ],
    TimelineEvent.Kind.MITIGATION: [
        "Rolled {service} back to the previous release.",
        "Shifted traffic away from the affected zone.",
        "Raised the {service} connection limit from 100 to 400.",
    ],
    TimelineEvent.Kind.IMPACT_END: ["{service} {metric} back to baseline."],
    TimelineEvent.Kind.RESOLUTION: [
        "Fixed configuration deployed to {service}; rollback reverted.",
        "Provider confirmed the fix; {service} back on the primary route.",
    ],
}
FACTORS = {
    "change": "The change to {service} was rolled out to every region at once.",
    "configuration": "A default in the {service} configuration differed between staging and production.",
    "capacity": "{service} ran at 80% of its connection limit on an ordinary day.",
    "dependency": "{service} had no timeout on calls to its upstream provider.",
    "monitoring": "No alert watched the {metric} of {service}.",
    "process": "The runbook for {service} did not cover a failover.",
    "tooling": "Rolling back {service} needed a full image rebuild.",
    "communication": "The status page was updated 30 minutes after impact started.",
    "other": "The incident overlapped with a planned maintenance window.",
}
ACTIONS = [
    ("Alert on {service} {metric} above its SLO threshold", ItemKind.DETECT),
    ("Add a timeout to calls from {service} to its dependencies", ItemKind.PREVENT),
    ("Stage {service} configuration changes by region", ItemKind.PREVENT),
    ("Write a failover runbook for {service}", ItemKind.PROCESS),
    ("Make {service} rollbacks one command", ItemKind.MITIGATE),
    ("Load-test {service} at twice peak traffic", ItemKind.PREVENT),
    ("Add a dashboard panel for {service} {metric}", ItemKind.DETECT),
    ("Automate certificate renewal for {service}", ItemKind.PREVENT),
]
DUE_DAYS = settings.ACTION_ITEM_DUE_DAYS


class SeedRefused(Exception):
    """Seeding would mix with the data of a site in use."""


def seed_site(
    *,
    postmortems: int,
    action_items: int,
    users: int,
    years: float = 3,
    seed: int = 7,
    force: bool = False,
) -> dict[str, int]:
    """Seed the database; returns how many rows of each kind were added."""
    if not force and (
        Postmortem.objects.exists() or ActionItem.objects.exists() or Service.objects.exists()
    ):
        raise SeedRefused(
            "The database already holds postmortems, action items or services. "
            "Seed an empty database, or pass --force to add to it."
        )
    seeder = Seeder(random.Random(seed), years=years)
    return seeder.run(postmortems=postmortems, items=action_items, users=users)


def create_backdated(
    rows: list[models.Model], field: str, *, since: Expression, since_of: Callable
) -> None:
    """bulk_create `rows`, keeping the past times given in their `auto_now_add` `field`.

    Creating stamps such a field "now". Each time is put back as `since` (an expression over
    the row; `since_of` is its value in Python) plus an offset, one UPDATE per distinct offset:
    few, as the seed draws offsets in whole hours or days.
    """
    if not rows:
        return
    model = type(rows[0])
    moments = [getattr(row, field) for row in rows]
    model.objects.bulk_create(rows, batch_size=2000)
    by_offset = defaultdict(list)
    for row, moment in zip(rows, moments, strict=True):
        setattr(row, field, moment)
        by_offset[moment - since_of(row)].append(row.pk)
    for offset, pks in by_offset.items():
        model.objects.filter(pk__in=pks).update(**{field: since + offset})


def value_of(model: type[models.Model], field: str, ref: str) -> Subquery:
    """`field` of the `model` row that the updated row's `ref` points to."""
    return Subquery(model.objects.filter(pk=OuterRef(ref)).values(field))


class Seeder:
    def __init__(self, rng: random.Random, *, years: float) -> None:
        self.rng = rng
        self.now = timezone.now()
        self.minutes = int(years * 365 * 24 * 60)
        self.counts: dict[str, int] = {}

    def count(self, name: str, rows: list) -> list:
        self.counts[name] = self.counts.get(name, 0) + len(rows)
        return rows

    def run(self, *, postmortems: int, items: int, users: int) -> dict[str, int]:
        rng = self.rng
        self.users = self.make_users(max(users, 1))
        self.services = self.make_services()
        self.template = PostmortemTemplate.objects.filter(is_default=True).first()
        # Every item goes to a postmortem, but for a few that came from audits or game days.
        per_postmortem = [0] * max(postmortems, 1)
        loose = 0
        for _ in range(items):
            if rng.random() < 0.02 or not postmortems:
                loose += 1
            else:
                per_postmortem[rng.randrange(postmortems)] += 1
        for start in range(0, postmortems, BATCH):
            with transaction.atomic():
                self.make_postmortems(per_postmortem[start : start + BATCH])
        with transaction.atomic():
            self.save_items(
                [self.item(None, rng.choice(self.services)) for _ in range(loose)],
                since=Value(self.now, output_field=DateTimeField()),
                since_of=lambda item: self.now,
            )
        self.make_meeting()
        # Planner statistics, as a database that grew over years would have: right after a bulk
        # load PostgreSQL guesses "1 row" and picks nested loops over whole tables. Its VACUUM
        # also marks the pages all-visible, as autovacuum would, so that index-only scans work
        # (SQLite's compacts the file). Neither runs inside a transaction, as in the tests.
        with connection.cursor() as cursor:
            if not connection.in_atomic_block:
                cursor.execute("VACUUM")
            cursor.execute("ANALYZE")
        return self.counts

    def make_users(self, count: int) -> list:
        User = get_user_model()
        unusable = make_password(None)  # nobody logs in as a seeded user
        first, last = FIRST.split(), LAST.split()
        people = []
        for n in range(count):
            given, family = first[n % len(first)], last[(n // len(first)) % len(last)]
            people.append(
                User(
                    username=f"{given}.{family}.{n}".lower(),
                    first_name=given,
                    last_name=family,
                    email=f"{given}.{family}.{n}@example.com".lower(),
                    password=unusable,
                )
            )
        # With --force, a second run makes the same usernames: keep the people already there.
        User.objects.bulk_create(
            self.count("users", people), batch_size=1000, ignore_conflicts=True
        )
        users = list(User.objects.filter(username__in=[u.username for u in people]))
        preferences = [
            ReminderPreference(
                user=user, time_zone=self.rng.choice(ZONES), hour=self.rng.choice([8, 9, 10])
            )
            for user in users
            if self.rng.random() < 0.3
        ]
        ReminderPreference.objects.bulk_create(
            self.count("reminder preferences", preferences), ignore_conflicts=True
        )
        return users

    def make_services(self) -> list[Service]:
        teams = {team.display_name: team for team in Team.objects.filter(display_name__in=TEAMS)}
        for name in TEAMS:
            if name not in teams:
                teams[name] = team_create(display_name=name)
        services = [
            Service(
                name=name,
                team=teams[team],
                description=f"The {name} service, run by the {team} team.",
                slo_target=self.rng.choice(["99.5", "99.9", "99.95", "99.99"]),
                window_days=self.rng.choice([28, 30]),
            )
            for name, team in SERVICES
            if not Service.objects.filter(name__iexact=name).exists()
        ]
        Service.objects.bulk_create(self.count("services", services))
        names = [name for name, _ in SERVICES]
        return list(Service.objects.filter(name__in=names).select_related("team"))

    def words(self, service: Service, template: str) -> str:
        return template.format(
            service=service.name,
            team=service.team,
            metric=self.rng.choice(METRICS),
            trigger=self.rng.choice(TRIGGERS),
            pct=self.rng.randint(5, 90),
            n=self.rng.randint(2, 900),
        )

    def make_postmortems(self, item_counts: list[int]) -> None:
        rng = self.rng
        postmortems, plans = [], []
        for count in item_counts:
            started = self.now - timedelta(minutes=rng.randint(60, self.minutes))
            detect = rng.randint(1, 45)
            mitigate = detect + rng.randint(5, 240)
            resolve = mitigate + rng.randint(10, 600)
            services = rng.sample(self.services, rng.choice([1, 1, 1, 2, 3]))
            service, symptom, trigger = services[0], rng.choice(SYMPTOMS), rng.choice(TRIGGERS)
            age = self.now - started
            status = PostmortemStatus.PUBLISHED
            if age < timedelta(days=10):
                status = rng.choice([PostmortemStatus.DRAFT, PostmortemStatus.IN_REVIEW])
            customers = rng.randint(10, 50_000)
            postmortems.append(
                Postmortem(
                    title=f"{symptom} in {service.name} after {trigger}",
                    severity=rng.choice([1, 2, 2, 3, 3, 3, 4]),
                    status=status,
                    owner_id=rng.choice(self.users).pk,
                    # As Postmortem.take_team_from_services: its first service's team, by name.
                    team_id=min(services, key=lambda s: s.name).team_id,
                    template=self.template,
                    time_zone=rng.choice(ZONES),
                    started_at=started,
                    detected_at=started + timedelta(minutes=detect),
                    mitigated_at=started + timedelta(minutes=mitigate),
                    resolved_at=started + timedelta(minutes=resolve),
                    summary=(
                        f"For {mitigate} minutes, {symptom.lower()} affected {service.name} "
                        f"after {trigger}. The {rng.choice(METRICS)} alert fired after {detect} "
                        f"minutes, and **{self.words(service, rng.choice(EVENTS['mitigation']))}"
                        f"** restored service.\n\n"
                        f"{self.words(service, rng.choice(list(FACTORS.values())))}"
                    ),
                    impact=(
                        f"- About {customers:,} customers saw errors or delays.\n"
                        f"- {rng.randint(1, 60)}% of requests to `{service.name}` failed.\n"
                        f"- {rng.randint(0, 300)} support tickets were opened."
                    ),
                    customers_affected=customers,
                    failed_requests=customers * rng.randint(2, 40),
                    support_tickets=rng.randint(0, 300),
                    went_well=f"The {service.team} on-call had the right access from the start.",
                    went_poorly=self.words(service, rng.choice(list(FACTORS.values()))),
                    got_lucky="The incident happened outside peak hours."
                    if rng.random() < 0.4
                    else "",
                    no_actions_reason=""
                    if count
                    else "Covered by the actions of an earlier incident.",
                    created_at=min(self.now, started + timedelta(hours=6 * rng.randint(1, 12))),
                )
            )
            plans.append((services, count, (detect, mitigate, resolve)))
        create_backdated(
            self.count("postmortems", postmortems),
            "created_at",
            since=F("started_at"),
            since_of=lambda postmortem: postmortem.started_at,
        )
        created = {postmortem.pk: postmortem.created_at for postmortem in postmortems}
        postmortem_created = value_of(Postmortem, "created_at", "postmortem_id")
        links, events, factors, reviewers, comments = [], [], [], [], []
        Link = Postmortem.services.through
        for postmortem, (services, _, marks) in zip(postmortems, plans, strict=True):
            links += [Link(postmortem_id=postmortem.pk, service_id=s.pk) for s in services]
            events += self.timeline(postmortem, services[0], marks)
            for category in rng.sample(list(FACTORS), rng.randint(1, 4)):
                text = self.words(services[0], FACTORS[category])
                factors.append(
                    ContributingFactor(
                        postmortem_id=postmortem.pk, category=category, description=text
                    )
                )
            if postmortem.status != PostmortemStatus.DRAFT:
                reviewer = rng.choice(self.users)
                published = postmortem.status == PostmortemStatus.PUBLISHED
                reviewers.append(
                    Reviewer(
                        postmortem_id=postmortem.pk,
                        user_id=reviewer.pk,
                        verdict="approved" if published else "pending",
                        decided_at=postmortem.created_at + timedelta(days=2) if published else None,
                    )
                )
            for n in range(rng.choice([0, 0, 1, 2, 3])):
                comments.append(
                    Comment(
                        postmortem_id=postmortem.pk,
                        author_id=rng.choice(self.users).pk,
                        body=f"Could we also look at the {rng.choice(METRICS)} of "
                        f"{services[0].name}? It moved {n + 1} minutes before the alert.",
                        created_at=postmortem.created_at + timedelta(hours=n + 1),
                    )
                )
        Link.objects.bulk_create(self.count("service links", links), batch_size=2000)
        TimelineEvent.objects.bulk_create(self.count("timeline events", events), batch_size=2000)
        ContributingFactor.objects.bulk_create(self.count("factors", factors), batch_size=2000)
        Reviewer.objects.bulk_create(self.count("reviewers", reviewers), batch_size=2000)
        create_backdated(
            self.count("comments", comments),
            "created_at",
            since=postmortem_created,
            since_of=lambda comment: created[comment.postmortem_id],
        )
        items = []
        for postmortem, (services, count, _) in zip(postmortems, plans, strict=True):
            for _ in range(count):
                items.append(self.item(postmortem, services[0]))
        self.save_items(
            items, since=postmortem_created, since_of=lambda item: created[item.postmortem_id]
        )

    def timeline(self, postmortem: Postmortem, service: Service, marks: tuple) -> list:
        """About 20 events: the key moments at the postmortem's key times, notes between them."""
        rng = self.rng
        detect, mitigate, resolve = marks
        K = TimelineEvent.Kind
        plan = [
            (-rng.randint(5, 90), K.CHANGE),
            (0, K.IMPACT_START),
            (detect, K.DETECTION),
            (detect + rng.randint(1, 10), K.ESCALATION),
            (mitigate, K.MITIGATION),
            (mitigate + rng.randint(0, 20), K.IMPACT_END),
            (resolve, K.RESOLUTION),
        ]
        for _ in range(rng.randint(6, 20)):
            kind = rng.choice([K.NOTE, K.NOTE, K.NOTE, K.COMMUNICATION, K.CHANGE, K.ESCALATION])
            plan.append((rng.randint(detect, mitigate), kind))
        return [
            TimelineEvent(
                postmortem_id=postmortem.pk,
                occurred_at=postmortem.started_at + timedelta(minutes=offset),
                kind=kind,
                description=self.words(service, rng.choice(EVENTS[kind])),
                starred=kind in TimelineEvent.KEY_FIELDS,
            )
            for offset, kind in sorted(plan)
        ]

    def item(self, postmortem: Postmortem | None, service: Service) -> ActionItem:
        rng = self.rng
        if postmortem:
            created = min(self.now, postmortem.created_at + timedelta(hours=6 * rng.randint(0, 20)))
        else:
            created = self.now - timedelta(days=rng.randint(1, 400))
        priority = rng.choice([Priority.P1, Priority.P2, Priority.P2, Priority.P3])
        due = (created + timedelta(days=DUE_DAYS[priority])).date()
        title, kind = rng.choice(ACTIONS)
        # Older items are mostly closed; a share of every age is still open, some overdue.
        age_days = (self.now - created).days
        closed_odds = min(0.9, age_days / 200)
        roll = rng.random()
        status, reason, completed = Status.OPEN, "", None
        if roll < closed_odds * 0.9:
            status = Status.DONE
            completed = min(
                self.now, created + timedelta(days=rng.randint(1, DUE_DAYS[priority] + 30))
            )
        elif roll < closed_odds:
            status, reason = Status.WONT_DO, "Superseded by the platform-wide timeout policy."
        elif roll < closed_odds + 0.05:
            status, reason = Status.BLOCKED, "Waiting for the provider's new API."
        elif roll < closed_odds + 0.2:
            status = Status.IN_PROGRESS
        owner = rng.choice(self.users)
        return ActionItem(
            postmortem_id=postmortem.pk if postmortem else None,
            title=self.words(service, title),
            description=f"See the {service.name} dashboard; agree the threshold with {service.team}."
            if rng.random() < 0.5
            else "",
            owner_id=owner.pk,
            created_by_id=postmortem.owner_id if postmortem else owner.pk,
            due_date=due,
            priority=priority,
            kind=kind,
            status=status,
            reason=reason,
            completed_at=completed,
            created_at=created,
            # As on a site whose daily sweeps told webhooks of each item the day it fell due,
            # so the first timed sweep does not announce years of overdue items at once.
            overdue_announced_for=due
            if status in OPEN_STATUSES and due < self.now.date()
            else None,
        )

    def save_items(self, items: list[ActionItem], *, since: Expression, since_of: Callable) -> None:
        create_backdated(
            self.count("action items", items), "created_at", since=since, since_of=since_of
        )
        changes = {"created_at": [], "completed_at": []}  # by the time of the item they follow
        for item in items:
            if self.rng.random() >= 0.3:  # "some status history": a third have it
                continue
            changes["created_at"].append(
                StatusChange(
                    item_id=item.pk,
                    changed_by_id=item.created_by_id,
                    from_status="",
                    to_status=Status.OPEN,
                    note="Created",
                    changed_at=item.created_at,
                )
            )
            if item.status != Status.OPEN:
                follows = "completed_at" if item.completed_at else "created_at"
                changes[follows].append(
                    StatusChange(
                        item_id=item.pk,
                        changed_by_id=item.owner_id,
                        from_status=Status.OPEN,
                        to_status=item.status,
                        note=item.reason,
                        changed_at=item.completed_at
                        or min(self.now, item.created_at + timedelta(days=3)),
                    )
                )
        of_item = {item.pk: item for item in items}
        for follows, rows in changes.items():
            create_backdated(
                self.count("status changes", rows),
                "changed_at",
                since=value_of(ActionItem, follows, "item_id"),
                since_of=lambda change, follows=follows: getattr(of_item[change.item_id], follows),
            )

    def make_meeting(self) -> None:
        """Next week's review meeting: the postmortems in review, then recent published ones."""
        agenda = list(
            Postmortem.objects.filter(status=PostmortemStatus.IN_REVIEW).order_by("-created_at")[:4]
        )
        agenda += Postmortem.objects.filter(status=PostmortemStatus.PUBLISHED).order_by(
            "-created_at"
        )[: 8 - len(agenda)]
        if not agenda:
            return
        meeting = Meeting.objects.create(
            title="Weekly postmortem review",
            starts_at=self.now.replace(minute=0, second=0, microsecond=0) + timedelta(days=7),
            location="https://meet.example.com/postmortem-review",
            facilitator=self.users[0],
        )
        attendees = self.rng.sample(self.users, min(8, len(self.users)))
        Attendance.objects.bulk_create(Attendance(meeting=meeting, user=u) for u in attendees)
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, postmortem=pm, position=n) for n, pm in enumerate(agenda)
        )
        self.counts["meetings"] = 1
        self.counts["agenda items"] = len(agenda)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postmortems", type=int, default=10_000)
    parser.add_argument("--action-items", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--years", type=float, default=3, help="spread of incident dates")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="seed a non-empty database")
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        counts = seed_site(
            postmortems=args.postmortems,
            action_items=args.action_items,
            users=args.users,
            years=args.years,
            seed=args.seed,
            force=args.force,
        )
    except SeedRefused as refusal:
        print(refusal, file=sys.stderr)
        return 1
    summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"Seeded {summary} in {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
