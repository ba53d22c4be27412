from __future__ import annotations

import zoneinfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from config.events import announce
from config.fields import is_id
from postmortems.models.key_times import KeyTimes
from postmortems.models.review import ReviewWorkflow, Status
from postmortems.models.timeline import TimelineEvent
from postmortems.signals import text_changed


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(value)s” is not a time zone name. Use an IANA name such as Europe/Berlin.",
            params={"value": value},
        )


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Severity(models.IntegerChoices):
    SEV1 = 1, "SEV1"
    SEV2 = 2, "SEV2"
    SEV3 = 3, "SEV3"
    SEV4 = 4, "SEV4"


SEVERITY_DEFINITIONS = {
    Severity.SEV1: "Critical: a full outage, data loss or a security breach affecting many customers.",
    Severity.SEV2: "Major: a key feature is down or badly degraded for many customers.",
    Severity.SEV3: "Minor: limited or partial impact, and a workaround exists.",
    Severity.SEV4: "Low: no customer impact; an internal problem.",
}


# The narrative texts of a postmortem, by the section of its page that holds each.
NARRATIVE_SECTIONS = {
    "summary": "summary",
    "impact": "impact",
    "could_have_happened": "impact",
    "went_well": "lessons",
    "went_poorly": "lessons",
    "got_lucky": "lessons",
}


class PostmortemKind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    NEAR_MISS = "near_miss", "Near miss"


NEAR_MISS_DEFINITION = (
    "Nothing reached customers, and it has no severity: written up for what could have happened."
)


class PostmortemTemplate(models.Model):
    """The sections of a new postmortem, each with the guidance shown while writing it."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    is_default = models.BooleanField(default=False)
    summary_guidance = models.TextField(blank=True)
    impact_guidance = models.TextField(blank=True)
    timeline_guidance = models.TextField(blank=True)
    factors_guidance = models.TextField(blank=True)
    went_well_guidance = models.TextField(blank=True)
    went_poorly_guidance = models.TextField(blank=True)
    got_lucky_guidance = models.TextField(blank=True)
    could_have_happened_guidance = models.TextField(blank=True)
    actions_guidance = models.TextField(blank=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_postmortem_template",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PostmortemQuerySet(models.QuerySet):
    def search(self, query: str) -> PostmortemQuerySet:
        query = query.strip()
        if not query:
            return self
        condition = (
            models.Q(title__icontains=query)
            | models.Q(summary__icontains=query)
            | models.Q(impact__icontains=query)
        )
        reference = query.upper().removeprefix("PM-")
        if reference.isdigit() and is_id(reference):
            condition |= models.Q(pk=int(reference))
        return self.filter(condition)

    def by_reference(self, reference: str) -> Postmortem | None:
        """The one written as "PM-12" or "12", if it is among these."""
        number = str(reference).upper().removeprefix("PM-").strip()
        return self.filter(pk=int(number)).first() if number.isdigit() and is_id(number) else None

    def with_impact(self) -> PostmortemQuerySet:
        """Annotates when customer impact started and ended (`impact_start`, `impact_end`).

        From the first impact-start event (else "impact started") to the last impact-end event
        (else "mitigated"): the one definition error budgets and `impact_duration` use.
        """
        events = TimelineEvent.objects.filter(postmortem=models.OuterRef("pk")).order_by()
        first_start = events.filter(kind=TimelineEvent.Kind.IMPACT_START).order_by("occurred_at")
        last_end = events.filter(kind=TimelineEvent.Kind.IMPACT_END).order_by("-occurred_at")
        return self.annotate(
            impact_start=Coalesce(
                models.Subquery(first_start.values("occurred_at")[:1]), "started_at"
            ),
            impact_end=Coalesce(
                models.Subquery(last_end.values("occurred_at")[:1]), "mitigated_at"
            ),
        )

    def hidden_from(self, user) -> PostmortemQuerySet:
        """The restricted postmortems `user` may not read.

        The rule of `visible_to`, with its per-row subqueries run over the few restricted rows
        only: excluding this small set is cheap over tens of thousands of rows.
        """
        restricted = self.filter(restricted=True).order_by()
        return restricted.exclude(pk__in=restricted.visible_to(user).values("pk"))

    def visible_to(self, user) -> PostmortemQuerySet:
        """What `user` may read: everything not restricted, and restricted ones they are part of."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()

        def linked(rows, **to_user) -> models.Exists:
            """A row of `rows` (a through table, the reviewers) ties the postmortem to `user`."""
            return models.Exists(rows.filter(postmortem=models.OuterRef("pk"), **to_user))

        return self.filter(
            models.Q(restricted=False)
            | models.Q(owner=user)
            | linked(Postmortem.coauthors.through.objects, user=user)
            | linked(Postmortem.allowed_users.through.objects, user=user)
            | linked(Postmortem.allowed_groups.through.objects, group__user=user)
            | linked(apps.get_model("reviews", "Reviewer").objects, user=user)
        )


class Postmortem(KeyTimes, ReviewWorkflow, models.Model):
    title = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=10,
        choices=PostmortemKind.choices,
        default=PostmortemKind.INCIDENT,
        help_text="A near miss: nothing reached customers; it has no severity.",
    )
    # Empty exactly for near misses (a constraint below says so).
    severity = models.PositiveSmallIntegerField(
        choices=Severity.choices,
        default=Severity.SEV3,
        null=True,
        blank=True,
        help_text=" ".join(f"{s.label}: {d}" for s, d in SEVERITY_DEFINITIONS.items())
        + " A near miss has none.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_postmortems"
    )
    coauthors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="coauthored_postmortems"
    )
    template = models.ForeignKey(
        PostmortemTemplate, null=True, blank=True, on_delete=models.SET_NULL
    )
    time_zone = models.CharField(
        "incident time zone",
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="Times on this postmortem are entered and shown in this zone.",
    )
    started_at = models.DateTimeField("impact started", null=True, blank=True)
    detected_at = models.DateTimeField("detected", null=True, blank=True)
    mitigated_at = models.DateTimeField("mitigated", null=True, blank=True)
    resolved_at = models.DateTimeField("resolved", null=True, blank=True)
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    customers_affected = models.PositiveIntegerField(null=True, blank=True)
    failed_requests = models.PositiveBigIntegerField(null=True, blank=True)
    support_tickets = models.PositiveIntegerField(null=True, blank=True)
    services = models.ManyToManyField(
        "services.Service", blank=True, related_name="postmortems", verbose_name="affected services"
    )
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postmortems",
        verbose_name="owning team",
        help_text="Left empty, the team of its first affected service that has one.",
    )
    went_well = models.TextField("what went well", blank=True)
    went_poorly = models.TextField("what went poorly", blank=True)
    got_lucky = models.TextField("where we got lucky", blank=True)
    could_have_happened = models.TextField(
        "what could have happened",
        blank=True,
        help_text="A near miss's impact statement: what it would have done to customers.",
    )
    # What quality.postmortem_quality() last found, kept for the metrics' trend per team.
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    restricted = models.BooleanField(
        default=False,
        help_text="Only its owner, co-authors, reviewers and the people and groups below can "
        "see it: it is hidden from everyone else's lists, search, exports, feeds, emails and "
        "metrics.",
    )
    allowed_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name="people who may read it",
    )
    allowed_groups = models.ManyToManyField(
        Group, blank=True, related_name="+", verbose_name="groups who may read it"
    )
    no_actions_reason = models.TextField(
        "why there are no action items",
        blank=True,
        help_text="Needed to publish a postmortem that has no action items.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The text reviewers approve: the sections, the timeline and the contributing factors. Not
    # who may read it, nor action items (follow-up tracking). Moved by `mark_text_changed()`.
    text_version = models.PositiveIntegerField(default=1, editable=False)
    text_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_version = models.PositiveIntegerField(
        default=1, editable=False, help_text="The text's version when it was last published."
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PostmortemQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "text_version",
            "text_changed_at",
            "published_version",
            "published_at",
            "quality_score",
        ]
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="postmortem_newest_first"),
            # The few restricted ones, found without reading all: every list hides some.
            models.Index(
                fields=["id"], condition=models.Q(restricted=True), name="postmortem_restricted"
            ),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["severity", "-created_at"]),
            # The latest change, which the metrics' cache key is made of.
            models.Index(fields=["updated_at"]),
            # Every column the metrics read of the postmortems of a period: they scan this
            # rather than the table's wide rows (the text), four times per page.
            models.Index(
                fields=["started_at", "created_at"],
                include=[
                    *["id", "kind", "severity", "team", "quality_score"],
                    *["detected_at", "mitigated_at", "resolved_at"],
                ],
                name="postmortem_metrics",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=PostmortemKind.NEAR_MISS, severity__isnull=True)
                | models.Q(~models.Q(kind=PostmortemKind.NEAR_MISS), severity__isnull=False),
                name="severity_unless_near_miss",
                violation_error_message="An incident has a severity; a near miss has none.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("postmortems:detail", args=[self.pk])

    @classmethod
    def people_of(cls, pk: int) -> models.QuerySet:
        """Its owner and co-authors, as a query of people run only when read: whom a form that
        picks someone for this postmortem offers first."""
        owner = cls.objects.filter(pk=pk).values("owner")
        coauthors = cls.coauthors.through.objects.filter(postmortem=pk).values("user")
        return get_user_model().objects.filter(models.Q(pk__in=owner) | models.Q(pk__in=coauthors))

    @property
    def reference(self) -> str:
        return f"PM-{self.pk}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_near_miss(self) -> bool:
        return self.kind == PostmortemKind.NEAR_MISS

    @property
    def severity_definition(self) -> str:
        if self.severity is None:
            return NEAR_MISS_DEFINITION
        return SEVERITY_DEFINITIONS[Severity(self.severity)]

    @property
    def severity_label(self) -> str:
        """Its SEV, or "Near miss" for one, which has none."""
        return (
            PostmortemKind.NEAR_MISS.label
            if self.severity is None
            else Severity(self.severity).label
        )

    def clean(self) -> None:
        super().clean()
        self.kind = self.kind or PostmortemKind.INCIDENT
        if self.is_near_miss:
            self.severity = None  # the form may still carry the severity it had as an incident
        elif self.severity is None:
            raise ValidationError({"severity": "Choose a severity: only a near miss has none."})

    def can_view(self, user) -> bool:
        if not self.restricted or user.is_superuser:
            return True
        return Postmortem.objects.filter(pk=self.pk).visible_to(user).exists()

    def can_edit(self, user) -> bool:
        if not user.is_authenticated:
            return False
        if user.is_superuser or user.pk == self.owner_id:
            return True
        # .all() rather than a query of its own: the document page prefetches the co-authors.
        return any(coauthor.pk == user.pk for coauthor in self.coauthors.all())

    def take_team_from_services(self) -> None:
        """With no owning team, take the team of its first affected service (in the order the
        page lists them) that has one. Called after the services are saved."""
        if self.team_id is not None:
            return
        first = self.services.filter(team__isnull=False).order_by("name").first()
        if first is not None:
            self.team_id = first.team_id
            self.save(update_fields=["team", "updated_at"])

    def mark_text_changed(self) -> None:
        """Record a change to the text: approvals given before are now for an earlier version.

        Every save path of the text calls this; `text_changed` tells the apps above (the
        reviewers of a published postmortem hear of the change).
        """
        now = timezone.now()
        # An update, not save(): the version moves even when two people save at once, and no
        # copy of the other fields read earlier is written back (or into the history).
        Postmortem.objects.filter(pk=self.pk).update(
            text_version=models.F("text_version") + 1, text_changed_at=now, updated_at=now
        )
        self.refresh_from_db(fields=["text_version", "text_changed_at", "updated_at"])
        text_changed.send(sender=Postmortem, postmortem=self)
        announce("postmortem.updated", self)

    @property
    def updated_after_publication(self) -> bool:
        return self.status == Status.PUBLISHED and self.text_version != self.published_version

    @cached_property
    def guidance(self) -> dict[str, str]:
        """The template's guidance for each section, for the empty sections of the page."""
        if self.template is None:
            return {}
        guidance = {
            field.name.removesuffix("_guidance"): field.value_from_object(self.template)
            for field in PostmortemTemplate._meta.fields
            if field.name.endswith("_guidance")
        }
        if self.is_near_miss:  # its impact section asks what could have happened
            guidance["impact"] = guidance["could_have_happened"]
        return guidance
