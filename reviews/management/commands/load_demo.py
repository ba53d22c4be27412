"""The demo that `make run` loads: a few people, services and postmortems at every stage.

It lives in reviews, the top app of what it creates, and creates it all as people do: through
the model methods and services the pages call, so the demo obeys the site's rules. What it
creates is written down in demo.toml beside this file.
"""

import random
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from actions.models import ActionItem, Status
from actions.services import action_item_create
from postmortems.models import ContributingFactor, Postmortem, PostmortemTemplate, TimelineEvent
from postmortems.models import Status as PostmortemStatus
from postmortems.quality import quality_score_unscored
from reviews.models import Comment, Reviewer
from services.models import Service
from teams.models import Team
from teams.services import team_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "debrief-demo"
# The keys of an incident in demo.toml that are not the postmortem's own fields.
NOT_FIELDS = {"status", "days_ago", "services", "events", "factors", "actions"}
DEMO = tomllib.loads((Path(__file__).parent / "demo.toml").read_text(encoding="utf-8"))


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
            quality_score_unscored()  # so the metrics' quality trend has the demo in it
            self.stdout.write("Loaded the demo postmortems.")
        others = ", ".join(username for username, _, _ in DEMO["team"])
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
        for username, first, last in DEMO["team"]:
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
        people = {user.username: user for user in team}
        teams = {}
        for team_name, members in DEMO["teams"]:
            teams[team_name] = Team.objects.filter(display_name=team_name).first() or team_create(
                display_name=team_name, members=[people[username] for username in members]
            )
        services = {}
        for name, team_name, target, window, description in DEMO["services"]:
            services[name], _ = Service.objects.get_or_create(
                name=name,
                defaults={
                    "team": teams[team_name],
                    "slo_target": target,
                    "window_days": window,
                    "description": description,
                },
            )
        self._history(team, template, services)
        for number, incident in enumerate(DEMO["incident"]):
            fields = {key: value for key, value in incident.items() if key not in NOT_FIELDS}
            local_day = today - timedelta(days=incident["days_ago"])
            start = datetime.combine(local_day, datetime.min.time(), ZoneInfo(fields["time_zone"]))
            start = start.replace(hour=14, minute=2)
            owner = team[number % len(team)]
            postmortem = Postmortem.objects.create(owner=owner, template=template, **fields)
            postmortem.services.set([services[name] for name in incident["services"]])
            postmortem.take_team_from_services()
            postmortem.coauthors.add(demo)
            _write(
                postmortem,
                events=[
                    (start + timedelta(minutes=minutes), kind, text)
                    for minutes, kind, text in incident["events"]
                ],
                factors=incident["factors"],
            )
            for index, (priority, kind, due_in, status, title) in enumerate(incident["actions"]):
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
            _review(postmortem, incident["status"], reviewer=team[(number + 2) % len(team)])

    def _history(self, team, template, services) -> None:
        """Published incidents of the past year, with key times, factors and action items."""
        rng = random.Random(7)
        now = timezone.now()
        for number, (title, severity, names, categories) in enumerate(DEMO["history"]):
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
            postmortem.take_team_from_services()
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
    picked.decide(Reviewer.Verdict.APPROVED, verdict, version=postmortem.text_version)
    Comment.objects.create(
        postmortem=postmortem, author=reviewer, kind=Comment.Kind.APPROVED, body=verdict
    )
    postmortem.publish(by=postmortem.owner)
