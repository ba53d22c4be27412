"""The API of action items: lists with the list page's filters, and changes, status included,
made through the same forms and model methods as the site's pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from actions.filters import STATUS_CHOICES, ActionItemFilter, ItemOrdering
from actions.forms import ActionItemForm, StatusForm
from actions.models import OPEN_STATUSES, ActionItem, Kind, Priority
from actions.models import Status as ItemStatus
from actions.services import action_item_create
from config.restapi import (
    DEFAULT_LIMIT,
    Day,
    Id,
    Invalid,
    Limit,
    Text,
    etag,
    page_of,
    paginate,
    require_if_match,
)
from postmortems import access

router = Router(tags=["action items"])

StatusName = Literal[tuple(ItemStatus.values)]  # type: ignore[valid-type]
StatusFilter = Literal[tuple(value for value, _ in STATUS_CHOICES)]  # type: ignore[valid-type]
PriorityName = Literal[tuple(Priority.values)]  # type: ignore[valid-type]
KindName = Literal[tuple(Kind.values)]  # type: ignore[valid-type]
Ordering = Literal[  # type: ignore[valid-type]
    tuple(
        [ItemOrdering.OVERDUE_FIRST]
        + [
            f"{sign}{name}"
            for name in ActionItemFilter.base_filters["o"].param_map
            for sign in ("", "-")
        ]
    )
]
# What PATCH changes, and so what its ETag is the version of.
FIELDS = ["title", "owner", "priority", "due_date", "kind", "description", "tracker_url"]
VERSIONED = [*FIELDS, "status", "reason"]


class ChangeOut(Schema):
    changed_at: datetime
    changed_by: str | None
    from_status: str
    to_status: str
    note: str

    @staticmethod
    def resolve_changed_by(change) -> str | None:
        return change.changed_by.username if change.changed_by else None


class ItemOut(Schema):
    model_config = ConfigDict(populate_by_name=True)  # list rows are dicts with the names
    id: int
    title: str
    description: str
    status: str
    reason: str
    priority: str
    kind: str
    due_date: date
    overdue: bool = Field(alias="is_overdue")
    owner: str | None = Field(description="The owner's username.")
    postmortem: int | None = Field(alias="postmortem_id")
    tracker_url: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    url: str = Field(alias="get_absolute_url", description="Its page on the site.")


# What a list reads of each row; _rows makes the rest.
ROW_COLUMNS = [name for name in ItemOut.model_fields if name not in ("overdue", "owner", "url")]


class ItemDetail(ItemOut):
    history: list[ChangeOut]

    @staticmethod
    def resolve_owner(item: ActionItem) -> str | None:
        return item.owner.username if item.owner else None

    @staticmethod
    def resolve_history(item: ActionItem) -> list:
        return list(item.changes.select_related("changed_by"))


class ItemIn(Schema):
    title: Text(200, 1)
    postmortem: Id | None = Field(None, description="The postmortem it follows up, if any.")
    owner: Text(150) | None = Field(None, description="A username; needed while it is open.")
    priority: PriorityName = "P2"
    due_date: Day | None = Field(None, description="Left out, it follows the priority.")
    kind: KindName = "prevent"
    description: Text(20_000) = ""
    tracker_url: Text(500) = ""


class ItemPatch(Schema):
    title: Text(200, 1) = None
    owner: Text(150) | None = None
    priority: PriorityName = None
    due_date: Day = None
    kind: KindName = None
    description: Text(20_000) = None
    tracker_url: Text(500) = None
    status: StatusName = None
    reason: Text(5_000) = Field(
        None, description="Why: needed when the status becomes blocked or won't do."
    )


class ItemFilters(Schema):
    q: Text(200) | None = Field(None, description="Words of the title.")
    status: StatusFilter | None = None
    owner: Id | None = Field(None, description="The owner's user id.")
    overdue: bool | None = None
    due_after: Day | None = None
    due_before: Day | None = None
    postmortem: Id | None = None
    priority: PriorityName | None = None
    kind: KindName | None = None
    service: Text(100) | None = None
    o: Ordering | None = Field(None, description="The order; by due date when left out.")


def _user_id(username: str | None) -> int | str:
    if not username:
        return ""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid([("owner", f"No active user is called “{username}”.")])
    return user.pk


def _form_data(values: dict) -> dict:
    data = {name: value for name, value in values.items() if value is not None}
    if "owner" in values:
        data["owner"] = _user_id(values["owner"])
    return data


def _fresh(pk: int) -> ActionItem:
    return ActionItem.objects.select_related("owner").get(pk=pk)


@router.get("/action-items", response=page_of(ItemOut), summary="List action items")
def list_items(
    request: HttpRequest,
    filters: Query[ItemFilters],
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The filters and orders of /actions/, but all statuses unless `status` says otherwise.
    Items of restricted postmortems you may not read are not there (unless you own them)."""
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = ActionItemFilter(data, queryset=access.readable(request, ActionItem.objects))
    if not filterset.is_valid():
        raise Invalid.from_form(filterset.form)
    # As values: model instances cost more than the query (bench/run.py, issue 18).
    rows = filterset.qs.values(*ROW_COLUMNS, "owner__username")
    return paginate(request, rows, cursor=cursor, limit=limit, shape=_rows)


def _rows(rows: list[dict]) -> list[dict]:
    today = timezone.localdate()
    return [
        {
            **row,
            "owner": row["owner__username"],
            "overdue": row["status"] in OPEN_STATUSES and row["due_date"] < today,
            "url": reverse("actions:detail", args=[row["id"]]),
        }
        for row in rows
    ]


@router.get("/action-items/{pk}", response=ItemDetail, summary="Get an action item")
def get_item(request: HttpRequest, pk: Id, response: HttpResponse):
    """With its history of status changes, new owners and moved due dates."""
    item = access.get_item_for_read(request, pk)
    response["ETag"] = etag(item, VERSIONED)
    return item


@router.post("/action-items", response={201: ItemDetail}, summary="Create an action item")
def create_item(request: HttpRequest, payload: ItemIn, response: HttpResponse):
    """On a postmortem you may edit, or on none (an audit, a game day)."""
    values = payload.dict()
    postmortem_id = values.pop("postmortem")
    postmortem = access.get_postmortem_for_edit(request, postmortem_id) if postmortem_id else None
    form = ActionItemForm(_form_data(values))
    if not form.is_valid():
        raise Invalid.from_form(form)
    item = action_item_create(by=request.user, postmortem=postmortem, **form.cleaned_data)
    item = _fresh(item.pk)
    response["ETag"] = etag(item, VERSIONED)
    response["Location"] = request.build_absolute_uri(f"/api/v1/action-items/{item.pk}")
    return Status(201, item)


@router.patch("/action-items/{pk}", response=ItemDetail, summary="Change an action item")
def update_item(request: HttpRequest, pk: Id, payload: ItemPatch, response: HttpResponse):
    """Only the fields sent change; `status` with `reason` moves it as *Change status* does,
    into its history. Needs `If-Match` with the ETag of a GET: stale 412, none 428."""
    changes = payload.dict(exclude_unset=True)
    status = {name: changes.pop(name) for name in ("status", "reason") if name in changes}
    with transaction.atomic():
        item = access.get_item_for_change(request, pk)
        item = ActionItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        require_if_match(request, etag(item, VERSIONED))
        if changes:
            current = ActionItemForm(instance=item)
            values = {name: current[name].value() for name in FIELDS}
            data = {**values, **_form_data(changes), "version": current.saved_version()}
            form = ActionItemForm({k: v for k, v in data.items() if v is not None}, instance=item)
            if not form.is_valid():
                raise Invalid.from_form(form)
            form.save()
            if note := form.change_note():
                item.note_change(by=request.user, note=note)
        if status:
            data = {
                "status": status.get("status") or item.status,
                "reason": status.get("reason") or "",
            }
            form = StatusForm({**data, "version": item.status}, item=item)
            if not form.is_valid():
                raise Invalid.from_form(form)
            form.save(by=request.user)
    item = _fresh(pk)
    response["ETag"] = etag(item, VERSIONED)
    return item
