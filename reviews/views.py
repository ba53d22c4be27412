from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from actions.services import action_item_create
from postmortems import access
from postmortems.models import Postmortem, Status, TransitionRefused
from postmortems.views import document_context
from reviews import services
from reviews.forms import (
    AgendaItemForm,
    CommentForm,
    MeetingActionItemForm,
    MeetingEditForm,
    MeetingForm,
    MeetingNotesForm,
    ReturnToDraftForm,
    ReviewersForm,
    ReviewForm,
)
from reviews.ics import meeting_invitation
from reviews.models import AgendaItem, Meeting, Reviewer
from reviews.templatetags.reviews import review_panel_context

# The review workflow of one postmortem.


def _move(request: HttpRequest, pk: int, move, *, verb: str, done: str, **details) -> HttpResponse:
    """Run one status change; a refusal shows the page with what to fix, each item linked."""
    postmortem = access.get_postmortem_for_edit(request, pk)
    try:
        move(postmortem, by=request.user, **details)
    except TransitionRefused as refusal:
        context = {
            **document_context(request, postmortem),
            "refusal": refusal.problems,
            "refusal_verb": verb,
        }
        return render(request, "postmortems/postmortem_detail.html", context, status=409)
    messages.success(request, f"{postmortem.reference} {done}.")
    return redirect(postmortem)


@require_POST
def postmortem_submit(request: HttpRequest, pk: int) -> HttpResponse:
    def submit(postmortem, by):
        services.postmortem_submit_for_review(postmortem=postmortem, by=by)

    return _move(request, pk, submit, verb="submitted for review", done="is in review")


@require_POST
def postmortem_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, Postmortem.publish, verb="published", done="is published")


@require_POST
def postmortem_return(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReturnToDraftForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    move = Postmortem.return_to_draft
    return _move(
        request, pk, move, verb="returned to draft", done="is a draft again", reason=reason
    )


@require_POST
def reviewers_edit(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = ReviewersForm(request.POST, postmortem=postmortem)
    if form.is_valid():
        services.reviewers_set(postmortem=postmortem, users=form.cleaned_data["reviewers"])
        messages.success(request, "Reviewers saved.")
    else:
        for error in form.errors.get("reviewers", ["Choose reviewers from the list."]):
            messages.error(request, error)
    return redirect(f"{postmortem.get_absolute_url()}#review")


def review_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The review panel alone: the page redraws it after an edit, as approvals may go stale."""
    postmortem = access.get_postmortem_for_read(request, pk)
    context = review_panel_context(
        request, postmortem, can_edit=access.may_edit(request, postmortem)
    )
    return render(request, "reviews/includes/review_panel.html", context)


@require_POST
def review_submit(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    if not postmortem.reviewers.filter(user=request.user).exists():
        raise PermissionDenied(
            "Only the reviewers the owner picked can approve or request changes."
        )
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            review = services.review_record(
                postmortem=postmortem, user=request.user, **form.cleaned_data
            )
        except services.ReviewRefused as refusal:
            messages.error(request, str(refusal))
        else:
            if review.is_stale:
                messages.warning(
                    request,
                    "The text changed while you were reviewing: your review is recorded for "
                    "the version you read. Read the changes, then review again.",
                )
            else:
                messages.success(request, "Your review is recorded.")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect(f"{postmortem.get_absolute_url()}#review")


@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.comment_create(
            postmortem=postmortem, author=request.user, body=form.cleaned_data["body"]
        )
        form = CommentForm()
    if not request.htmx:
        if form.errors:
            messages.error(request, "The comment was empty or too long; nothing was posted.")
        return redirect(f"{postmortem.get_absolute_url()}#discussion")
    context = {
        "postmortem": postmortem,
        "comment_form": form,
        "comments": postmortem.comments.all(),
    }
    return render(request, "reviews/includes/discussion.html", context)


# Review meetings.


def _get_meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("facilitator"), pk=pk)


def _get_meeting_to_run(request: HttpRequest, pk: int) -> Meeting:
    meeting = _get_meeting(pk)
    if not meeting.can_run(request.user):
        raise PermissionDenied("Only the facilitator runs this meeting.")
    return meeting


def _get_agenda_item(request: HttpRequest, meeting: Meeting, item_id: int) -> AgendaItem:
    """An entry of the meeting's agenda whose postmortem the user may read."""
    return get_object_or_404(access.readable_agenda(request, meeting.agenda.all()), pk=item_id)


def reviews_waiting(request: HttpRequest) -> HttpResponse:
    """What waits for my review, oldest request first; then what I was picked for in drafts."""
    mine = Reviewer.objects.filter(user=request.user).select_related("postmortem__owner")
    waiting = mine.waiting().order_by("submitted_at")
    upcoming = mine.filter(postmortem__status=Status.DRAFT).order_by("-added_at")
    return render(
        request, "reviews/reviews_waiting.html", {"waiting": waiting, "upcoming": upcoming}
    )


def meeting_list(request: HttpRequest) -> HttpResponse:
    agenda = Prefetch("agenda", access.readable(request, AgendaItem.objects.all()))
    meetings = Meeting.objects.select_related("facilitator").prefetch_related(agenda)
    return render(request, "reviews/meeting_list.html", {"meetings": meetings})


@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    suggested = services.suggested_agenda(request.user)
    form = MeetingForm(request.POST or None, suggested=suggested, user=request.user)
    if form.is_valid():
        with transaction.atomic():
            meeting = services.meeting_create(**form.plan(), facilitator=request.user)
            if form.cleaned_data["send_invitation"]:
                services.meeting_invite(meeting=meeting)
        if form.cleaned_data["send_invitation"]:
            messages.success(request, "Meeting planned. The invitation is on its way by email.")
        else:
            messages.success(request, "Meeting planned. Send the invitation from this page.")
        return redirect(meeting)
    return render(request, "reviews/meeting_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_to_run(request, pk)
    if meeting.ended_at:
        messages.error(request, "This meeting was held; its plan can no longer change.")
        return redirect(meeting)
    suggested = services.suggested_agenda(request.user)
    form = MeetingEditForm(
        request.POST or None, instance=meeting, suggested=suggested, user=request.user
    )
    # Checked and saved in one transaction, the meeting locked between: a change saved
    # meanwhile from another window is refused, not overwritten (VersionedFormMixin).
    with transaction.atomic():
        saved = form.is_valid()
        if saved:
            notified = services.meeting_update(meeting=meeting, **form.plan())
    if saved:
        update = " Everyone invited gets the update by email." if notified else ""
        messages.success(request, f"Meeting saved.{update}")
        return redirect(meeting)
    return render(request, "reviews/meeting_form.html", {"form": form, "meeting": meeting})


@require_POST
def meeting_invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_to_run(request, pk)
    services.meeting_invite(meeting=meeting)
    messages.success(request, "The invitation is on its way to everyone invited.")
    return redirect(meeting)


def _detail_context(request: HttpRequest, meeting: Meeting) -> dict:
    return {
        "meeting": meeting,
        "agenda": access.readable_agenda(request, meeting.agenda.all()),
        "attendance": meeting.attendance.select_related("user"),
        "action_items": access.readable(
            request, meeting.action_items.select_related("owner", "postmortem")
        ),
        "invitations": meeting.invitations.select_related("user"),
        "can_run": meeting.can_run(request.user),
    }


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    return render(request, "reviews/meeting_detail.html", _detail_context(request, meeting))


def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    response = HttpResponse(
        meeting_invitation(meeting, reader=request.user),
        content_type="text/calendar; charset=utf-8",
    )
    filename = f"{slugify(meeting.title) or 'meeting'}-{meeting.starts_at:%Y-%m-%d}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def meeting_present(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    agenda = access.readable_agenda(request, meeting.agenda.all())
    agenda = agenda.select_related("postmortem__owner").prefetch_related(
        "postmortem__events", "postmortem__factors", "postmortem__action_items__owner"
    )
    slides = [
        {
            "item": item,
            "postmortem": item.postmortem,
            "form": AgendaItemForm(instance=item, prefix=f"agenda-{item.pk}"),
        }
        for item in agenda
    ]
    context = {
        "meeting": meeting,
        "slides": slides,
        "attendance": meeting.attendance.select_related("user"),
        "notes_form": MeetingNotesForm(instance=meeting),
        "can_run": meeting.can_run(request.user),
    }
    return render(request, "reviews/meeting_present.html", context)


@require_POST
def notes_save(request: HttpRequest, pk: int, item_id: int | None = None) -> HttpResponse:
    """Autosave the meeting's notes, or with `item_id` an agenda item's notes and decision."""
    meeting = _get_meeting_to_run(request, pk)
    if item_id is None:
        form = MeetingNotesForm(request.POST, instance=meeting)
    else:
        item = _get_agenda_item(request, meeting, item_id)
        form = AgendaItemForm(request.POST, instance=item, prefix=f"agenda-{item.pk}")
    saved = form.save_if_current()
    return render(request, "reviews/includes/saved.html", {"saved": saved, "form": form})


@require_POST
def attendance_save(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_to_run(request, pk)
    present = set(request.POST.getlist("present"))
    for row in meeting.attendance.all():
        row.attended = str(row.user_id) in present
        row.save(update_fields=["attended"])
    return render(request, "reviews/includes/saved.html", {"saved": True})


@require_http_methods(["GET", "POST"])
def meeting_add_action(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """A slide's form for a new action item (fetched when opened), and the item it adds."""
    meeting = _get_meeting_to_run(request, pk)
    agenda_item = _get_agenda_item(request, meeting, item_id)
    postmortem = agenda_item.postmortem
    options = {"prefix": f"action-{agenda_item.pk}", "postmortem": postmortem, "meeting": meeting}
    if request.method == "GET":
        form = MeetingActionItemForm(**options)
        context = {"meeting": meeting, "agenda_item": agenda_item, "form": form}
        return render(request, "reviews/includes/present_action_form.html", context)
    form = MeetingActionItemForm(request.POST, **options)
    if form.is_valid():
        with transaction.atomic():
            item = action_item_create(by=request.user, postmortem=postmortem, **form.cleaned_data)
            meeting.action_items.add(item)
        form = MeetingActionItemForm(**options)
    context = {
        "meeting": meeting,
        "can_run": True,
        "slide": {"item": agenda_item, "postmortem": postmortem, "action_form": form},
    }
    return render(request, "reviews/includes/present_actions.html", context)


@require_POST
def meeting_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_to_run(request, pk)
    if meeting.ended_at is None and meeting.is_in_future and not request.POST.get("confirm"):
        context = {**_detail_context(request, meeting), "confirm_end": True}
        return render(request, "reviews/meeting_detail.html", context)
    if meeting.ended_at is None:
        services.meeting_end(meeting=meeting)
        messages.success(request, "Meeting ended. Attendees will get its summary by email.")
    return redirect(meeting)
