"""The API of postmortems: the document with its timeline, factors and services; the linter."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from config.events import announce
from config.restapi import (
    DEFAULT_LIMIT,
    Day,
    Id,
    Invalid,
    Limit,
    Moment,
    Text,
    etag,
    page_of,
    paginate,
    require_if_match,
)
from postmortems import access
from postmortems.filters import PostmortemFilter
from postmortems.forms import MAX_TEXT
from postmortems.lint import MAX_LINT_CHARS, lint_text
from postmortems.models import ContributingFactor, Postmortem, TimelineEvent
from services.models import Service

router = Router(tags=["postmortems"])

SeverityNumber = Annotated[int, Field(ge=1, le=4, description="1 (SEV1, critical) to 4.")]
EventKind = Literal[tuple(TimelineEvent.Kind.values)]  # type: ignore[valid-type]
FactorCategory = Literal[tuple(ContributingFactor.Category.values)]  # type: ignore[valid-type]
StatusName = Literal["draft", "in_review", "published"]
KindName = Literal["incident", "near_miss"]
# Fields outside the text reviewers approve (as on the page: postmortems.views.NOT_REVIEWED).
NOT_REVIEWED = {"restricted"}


# Schemas -----------------------------------------------------------------------------------


class EventIn(Schema):
    occurred_at: Moment
    kind: EventKind = "note"
    description: Text(10_000, 1)
    source_url: Text(500) = ""
    starred: bool = False


class EventOut(Schema):
    id: int
    occurred_at: datetime
    kind: str
    description: str
    source_url: str
    starred: bool


class FactorIn(Schema):
    category: FactorCategory
    description: Text(10_000, 1)


class FactorOut(Schema):
    id: int
    category: str
    description: str


class PostmortemSummary(Schema):
    model_config = ConfigDict(populate_by_name=True)  # list rows are dicts with the names
    id: int
    reference: str
    title: str
    kind: str = Field(description="incident or near_miss.")
    severity: int | None = Field(description="1 to 4; null for a near miss.")
    status: str
    owner: str = Field(alias="owner.username", description="The owner's username.")
    restricted: bool
    started_at: datetime | None
    created_at: datetime
    updated_at: datetime
    url: str = Field(alias="get_absolute_url", description="Its page on the site.")
    services: list[str]


# What a list reads of each row; _summaries makes the rest.
MADE = ("reference", "owner", "url", "services")
SUMMARY_COLUMNS = [name for name in PostmortemSummary.model_fields if name not in MADE]


class PostmortemDetail(PostmortemSummary):
    @staticmethod
    def resolve_services(postmortem: Postmortem) -> list[str]:
        return [service.name for service in postmortem.services.all()]

    time_zone: str
    detected_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    summary: str
    impact: str
    customers_affected: int | None
    failed_requests: int | None
    support_tickets: int | None
    went_well: str
    went_poorly: str
    got_lucky: str
    no_actions_reason: str
    coauthors: list[str]
    text_version: int
    published_at: datetime | None
    timeline: list[EventOut] = Field(alias="events")
    factors: list[FactorOut]

    @staticmethod
    def resolve_coauthors(postmortem: Postmortem) -> list[str]:
        return [user.username for user in postmortem.coauthors.all()]


class PostmortemIn(Schema):
    title: Text(200, 1)
    kind: KindName = "incident"
    severity: SeverityNumber | None = Field(3, description="Ignored for a near miss.")
    time_zone: Text(64) = Field(default_factory=lambda: settings.TIME_ZONE)
    started_at: Moment | None = None
    summary: Text(MAX_TEXT) = ""
    impact: Text(MAX_TEXT) = ""
    went_well: Text(MAX_TEXT) = ""
    went_poorly: Text(MAX_TEXT) = ""
    got_lucky: Text(MAX_TEXT) = ""
    could_have_happened: Text(MAX_TEXT) = ""
    restricted: bool = False
    services: list[Text(100, 1)] = Field(default=[], max_length=50)
    timeline: list[EventIn] = Field(default=[], max_length=1000)
    factors: list[FactorIn] = Field(default=[], max_length=100)


Count = Field(default=None, ge=0, le=2_147_483_647)


class PostmortemPatch(Schema):
    title: Text(200, 1) = None
    kind: KindName = None
    severity: SeverityNumber = None
    time_zone: Text(64) = None
    started_at: Moment | None = None
    detected_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = None
    summary: Text(MAX_TEXT) = None
    impact: Text(MAX_TEXT) = None
    customers_affected: int | None = Count
    failed_requests: int | None = Field(default=None, ge=0, le=9_223_372_036_854_775_807)
    support_tickets: int | None = Count
    went_well: Text(MAX_TEXT) = None
    went_poorly: Text(MAX_TEXT) = None
    got_lucky: Text(MAX_TEXT) = None
    could_have_happened: Text(MAX_TEXT) = None
    no_actions_reason: Text(MAX_TEXT) = None
    restricted: bool = None
    services: list[Text(100, 1)] = Field(default=None, max_length=50)


# What PATCH changes, and so what its ETag is the version of; text_version moves with the
# timeline and the factors, which are added through their own endpoints.
VERSIONED = [*PostmortemPatch.model_fields, "text_version"]


class PostmortemFilters(Schema):
    q: Text(200) | None = Field(None, description="Search in title, summary and impact; PM-42.")
    status: StatusName | None = None
    kind: KindName | None = None
    severity: SeverityNumber | None = None
    service: Text(100) | None = Field(None, description="A service's name.")
    started_after: Day | None = None
    started_before: Day | None = None


class LintIn(Schema):
    text: Text(MAX_LINT_CHARS)
    kind: Literal["text", "action"] = Field(
        "text", description="`action` checks an action item's title (is it something to do?)."
    )


class FindingOut(Schema):
    start: int
    end: int
    line: int
    column: int
    rule: str
    category: str
    severity: str
    message: str
    suggestion: str | None
    text: str
    rewrite: str | None = None


class LintOut(Schema):
    findings: list[FindingOut]


# Helpers -----------------------------------------------------------------------------------


def _detail(postmortem: Postmortem) -> Postmortem:
    return (
        Postmortem.objects.select_related("owner")
        .prefetch_related("services", "coauthors", "events", "factors")
        .get(pk=postmortem.pk)
    )


def _save_rows(postmortem: Postmortem, events: list[EventIn], factors: list[FactorIn]) -> None:
    for model, name, rows in [
        (TimelineEvent, "timeline", events),
        (ContributingFactor, "factors", factors),
    ]:
        for index, values in enumerate(rows):
            row = model(postmortem=postmortem, **values.dict())
            try:
                row.full_clean(exclude=["postmortem"])
            except ValidationError as error:
                raise Invalid.from_django(error, f"{name}.{index}.") from None
            row.save()
    if events:
        postmortem.sync_key_times()


def _set_services(postmortem: Postmortem, names: list[str]) -> None:
    postmortem.services.set(Service.objects.named(dict.fromkeys(names)))


# Endpoints ---------------------------------------------------------------------------------


@router.get("/postmortems", response=page_of(PostmortemSummary), summary="List postmortems")
def list_postmortems(
    request: HttpRequest,
    filters: Query[PostmortemFilters],
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Newest first, with the list page's filters. Restricted postmortems you may not read
    are not there."""
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = PostmortemFilter(data, queryset=access.readable_postmortems(request))
    if not filterset.is_valid():
        raise Invalid.from_form(filterset.form)
    # Rows as values, the listed columns only: 50 model instances with their narrative texts
    # and prefetched managers cost more than the queries (bench/run.py, issue 18).
    rows = filterset.qs.values(*SUMMARY_COLUMNS, "owner__username")
    return paginate(request, rows, cursor=cursor, limit=limit, shape=_summaries)


def _summaries(rows: list[dict]) -> list[dict]:
    names = defaultdict(list)
    links = Postmortem.services.through.objects.filter(postmortem__in=[r["id"] for r in rows])
    for pk, name in links.order_by("service__name").values_list("postmortem", "service__name"):
        names[pk].append(name)
    return [
        {
            **row,
            "owner": row["owner__username"],
            "reference": f"PM-{row['id']}",
            "url": reverse("postmortems:detail", args=[row["id"]]),
            "services": names[row["id"]],
        }
        for row in rows
    ]


@router.get("/postmortems/{pk}", response=PostmortemDetail, summary="Get a postmortem")
def get_postmortem(request: HttpRequest, pk: Id, response: HttpResponse):
    """With its timeline and contributing factors. The ETag header is what PATCH needs."""
    postmortem = _detail(access.get_postmortem_for_read(request, pk))
    response["ETag"] = etag(postmortem, VERSIONED)
    return postmortem


@router.post("/postmortems", response={201: PostmortemDetail}, summary="Create a postmortem")
def create_postmortem(request: HttpRequest, payload: PostmortemIn, response: HttpResponse):
    """You are its owner. Services are named; a name the site does not know yet is added,
    as on the New postmortem form."""
    data = payload.dict(exclude={"services", "timeline", "factors"})
    postmortem = Postmortem(owner=request.user, **data)
    postmortem.full_clean(exclude=["owner"])  # refused: config.api answers 422
    with transaction.atomic():
        postmortem.save()
        _set_services(postmortem, payload.services)
        _save_rows(postmortem, payload.timeline, payload.factors)
        postmortem.take_team_from_services()
        announce("postmortem.created", postmortem)
    postmortem = _detail(postmortem)
    response["ETag"] = etag(postmortem, VERSIONED)
    response["Location"] = request.build_absolute_uri(f"/api/v1/postmortems/{postmortem.pk}")
    return Status(201, postmortem)


@router.patch("/postmortems/{pk}", response=PostmortemDetail, summary="Change a postmortem")
def update_postmortem(
    request: HttpRequest, pk: Id, payload: PostmortemPatch, response: HttpResponse
):
    """Only the fields sent change. Needs `If-Match` with the ETag of a GET: a stale one
    gets 412, none 428. Owners, co-authors and admins may change it."""
    changes = payload.dict(exclude_unset=True)
    with transaction.atomic():
        postmortem = access.get_postmortem_for_edit(request, pk, lock=True)
        require_if_match(request, etag(postmortem, VERSIONED))
        names = changes.pop("services", None)
        for name, value in changes.items():
            setattr(postmortem, name, value)
        postmortem.full_clean(exclude=["owner"])  # refused: config.api answers 422
        # A new kind sets the severity too (a near miss has none): saved together.
        also = ["severity"] if "kind" in changes else []
        postmortem.save(update_fields=[*{*changes, *also}, "updated_at"])
        if names is not None:
            _set_services(postmortem, names)
        if set(changes) - NOT_REVIEWED:
            postmortem.mark_text_changed()
    postmortem = _detail(postmortem)
    response["ETag"] = etag(postmortem, VERSIONED)
    return postmortem


@router.post("/postmortems/{pk}/timeline", response={201: EventOut}, summary="Add a timeline event")
def add_event(request: HttpRequest, pk: Id, payload: EventIn):
    """Events of the kinds impact start, detection, mitigation and resolution set the key
    times, as on the page."""
    with transaction.atomic():
        postmortem = access.get_postmortem_for_edit(request, pk)
        _save_rows(postmortem, [payload], [])
        postmortem.mark_text_changed()
    return Status(201, postmortem.events.order_by("-id").first())


@router.post(
    "/postmortems/{pk}/factors", response={201: FactorOut}, summary="Add a contributing factor"
)
def add_factor(request: HttpRequest, pk: Id, payload: FactorIn):
    with transaction.atomic():
        postmortem = access.get_postmortem_for_edit(request, pk)
        _save_rows(postmortem, [], [payload])
        postmortem.mark_text_changed()
    return Status(201, postmortem.factors.order_by("-id").first())


@router.post("/lint", response=LintOut, summary="Check a text with the blameless linter")
def lint(request: HttpRequest, payload: LintIn):
    """The findings the editor shows while typing: offsets count Unicode code points."""
    findings = lint_text(payload.text, action_item=payload.kind == "action")
    return {"findings": [finding.to_dict() for finding in findings]}
