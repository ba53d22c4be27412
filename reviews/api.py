"""The API of the discussion (comments) and of review meetings, which it only reads."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from config.restapi import DEFAULT_LIMIT, Id, Invalid, Limit, Text, page_of, paginate
from postmortems import access
from reviews import services
from reviews.forms import CommentForm
from reviews.models import AgendaItem, Comment, Meeting

router = Router(tags=["comments and meetings"])


class CommentOut(Schema):
    id: int
    kind: str
    author: str | None
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(comment: Comment) -> str | None:
        return comment.author.username if comment.author else None


class CommentIn(Schema):
    body: Text(20_000, 1)


class AgendaOut(Schema):
    position: int
    postmortem: int = Field(alias="postmortem_id")
    reference: str = Field(alias="postmortem.reference")
    title: str = Field(alias="postmortem.title")
    notes: str
    decision: str


class MeetingOut(Schema):
    id: int
    title: str
    starts_at: datetime
    duration_minutes: int
    location: str
    facilitator: str = Field(alias="facilitator.username")
    ended_at: datetime | None
    agenda: list[AgendaOut]


class MeetingDetail(MeetingOut):
    notes: str
    decisions: str
    attendees: list[str]

    @staticmethod
    def resolve_attendees(meeting: Meeting) -> list[str]:
        return [user.username for user in meeting.attendees.all()]


def _meetings(request: HttpRequest):
    # Only the entries of postmortems the caller may read, as on the meetings' pages.
    agenda = access.readable_agenda(request, AgendaItem.objects.all())
    return Meeting.objects.select_related("facilitator").prefetch_related(
        Prefetch("agenda", agenda)
    )


@router.get("/postmortems/{pk}/comments", response=page_of(CommentOut), summary="List comments")
def list_comments(
    request: HttpRequest, pk: Id, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT
):
    """The postmortem's discussion, oldest first: comments, verdicts and status changes."""
    postmortem = access.get_postmortem_for_read(request, pk)
    comments = postmortem.comments.select_related("author")
    return paginate(request, comments, cursor=cursor, limit=limit)


@router.post("/postmortems/{pk}/comments", response={201: CommentOut}, summary="Comment")
def add_comment(request: HttpRequest, pk: Id, payload: CommentIn):
    """Markdown; `@username` emails that person a link, as on the page."""
    postmortem = access.get_postmortem_for_read(request, pk)
    form = CommentForm(payload.dict())
    if not form.is_valid():
        raise Invalid.from_form(form)
    comment = services.comment_create(
        postmortem=postmortem, author=request.user, body=form.cleaned_data["body"]
    )
    return Status(201, comment)


@router.get("/meetings", response=page_of(MeetingOut), summary="List review meetings")
def list_meetings(request: HttpRequest, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT):
    """Latest first. An agenda lists only the postmortems you may read."""
    return paginate(request, _meetings(request), cursor=cursor, limit=limit)


@router.get("/meetings/{pk}", response=MeetingDetail, summary="Get a review meeting")
def get_meeting(request: HttpRequest, pk: Id):
    meeting = _meetings(request).prefetch_related("attendees").filter(pk=pk).first()
    if meeting is None:
        raise Http404("No meeting matches the given query.")
    return meeting
