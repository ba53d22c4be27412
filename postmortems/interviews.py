"""Interview notes on a postmortem's page, edited in place, and the events they propose."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from postmortems import access
from postmortems.forms.interviews import InterviewForm, ProposedEventForm
from postmortems.models import Postmortem, ProposedEvent
from postmortems.perspectives import perspective_table

# Sent after an accepted proposal, so the timeline shows its new event.
TIMELINE_CHANGED = "timelineChanged, documentChanged"


def interviews_context(request: HttpRequest, postmortem: Postmortem, form=None) -> dict:
    interviews = (
        access.readable_interviews(request, postmortem)
        .select_related("participant", "facilitator")
        .prefetch_related("proposals")
    )
    form = form or InterviewForm(incident_tz=postmortem.time_zone)
    form.fields["participant"].likely = Postmortem.people_of(postmortem.pk)
    return {
        "interviews": interviews,
        "interview_form": form,
        "proposal_form": ProposedEventForm(incident_tz=postmortem.time_zone),
        "can_edit": access.may_edit(request, postmortem),
    }


def _section(request: HttpRequest, postmortem: Postmortem, form=None) -> HttpResponse:
    context = {"postmortem": postmortem, **interviews_context(request, postmortem, form)}
    return render(request, "postmortems/includes/interviews.html", context)


def _done(request: HttpRequest, postmortem: Postmortem, trigger: str = "") -> HttpResponse:
    if not request.htmx:
        return redirect(f"{postmortem.get_absolute_url()}#interviews")
    response = _section(request, postmortem)
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def _in_place(request: HttpRequest, template: str, context: dict, interview) -> HttpResponse:
    """A form shown again (refused, or opened to edit) where it was, not over the section."""
    response = render(request, template, context)
    if request.htmx and request.method == "POST":
        target = "proposal-form" if "proposal_form" in context else "interview"
        response["HX-Retarget"] = f"#{target}-{interview.pk}"
        response["HX-Reswap"] = "outerHTML"
    return response


def interview_list(request: HttpRequest, pk: int) -> HttpResponse:
    return _section(request, access.get_postmortem_for_read(request, pk))


@require_POST
def interview_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The postmortem's editors facilitate; the notes are theirs and the participant's."""
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = InterviewForm(request.POST, incident_tz=postmortem.time_zone)
    if not form.is_valid():
        return _section(request, postmortem, form)
    form.instance.postmortem, form.instance.facilitator = postmortem, request.user
    form.save()
    return _done(request, postmortem)


@require_http_methods(["GET", "POST"])
def interview_edit(request: HttpRequest, pk: int, interview_id: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    interview = access.get_interview_for_change(request, postmortem, interview_id)
    form = InterviewForm(request.POST or None, instance=interview)
    if form.save_if_current():
        return _done(request, postmortem)
    context = {"postmortem": postmortem, "interview": interview, "form": form}
    return _in_place(request, "postmortems/includes/interview_form.html", context, interview)


@require_POST
def interview_share(request: HttpRequest, pk: int, interview_id: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    access.get_interview_for_change(request, postmortem, interview_id).share()
    return _done(request, postmortem)


@require_POST
def proposal_create(request: HttpRequest, pk: int, interview_id: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    interview = access.get_interview_for_change(request, postmortem, interview_id)
    form = ProposedEventForm(request.POST, incident_tz=postmortem.time_zone)
    if not form.is_valid():
        context = {"postmortem": postmortem, "interview": interview, "proposal_form": form}
        return _in_place(request, "postmortems/includes/proposal_form.html", context, interview)
    form.instance.interview = interview
    form.save()
    return _done(request, postmortem)


@require_POST
def proposal_decide(request: HttpRequest, pk: int, proposal_id: int, decision: str):
    """Editors accept a proposal into the timeline or dismiss it, from interviews they read."""
    postmortem = access.get_postmortem_for_edit(request, pk)
    readable = access.readable_interviews(request, postmortem)
    proposal = get_object_or_404(ProposedEvent, pk=proposal_id, interview__in=readable)
    if decision == "accept":
        proposal.accept(by=request.user)
        return _done(request, postmortem, TIMELINE_CHANGED)
    proposal.dismiss(by=request.user)
    return _done(request, postmortem)


def timeline_perspectives(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline by perspective, side by side."""
    postmortem = access.get_postmortem_for_read(request, pk)
    interviews = access.readable_interviews(request, postmortem)
    columns, rows = perspective_table(postmortem=postmortem, interviews=interviews)
    context = {"postmortem": postmortem, "columns": columns, "rows": rows}
    return render(request, "postmortems/timeline_perspectives.html", context)
