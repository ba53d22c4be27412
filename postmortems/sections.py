"""The document's sections, edited in place: the display and the edit form are partials of the
same page, and what someone types is kept as a draft until they save it."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from postmortems import access, services
from postmortems.forms import SECTIONS, DraftForm
from postmortems.models import Draft, Postmortem
from postmortems.services import draft_save, drafts_for
from postmortems.views import DOCUMENT_CHANGED, NOT_REVIEWED

# Sent after a new time zone, so the timeline shows its times in it.
TIME_ZONE_CHANGED = "timeZoneChanged"


def _section_context(request: HttpRequest, postmortem: Postmortem, section: str) -> dict:
    return {
        "postmortem": postmortem,
        "section": section,
        "heading": SECTIONS[section][0],
        "can_edit": access.may_edit(request, postmortem),
    }


def section_display(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404("No such section.")
    postmortem = access.get_postmortem_for_read(request, pk)
    return render(
        request,
        f"postmortems/includes/section_{section}.html",
        _section_context(request, postmortem, section),
    )


@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404("No such section.")
    with transaction.atomic():
        # Locked, so that two people saving at once are checked against each other's change.
        postmortem = access.get_postmortem_for_edit(request, pk, lock=request.method == "POST")
        form_class = SECTIONS[section][1]
        drafts = [] if request.POST else _section_drafts(request, postmortem, form_class)
        initial = {draft.field: draft.text for draft in drafts}
        if drafts:
            initial["version"] = min(draft.base_version for draft in drafts)
        form = form_class(request.POST or None, instance=postmortem, initial=initial)
        saved = form.is_valid()
        if saved:
            form.save()
            if "team" in form.fields:
                postmortem.take_team_from_services()
            if "services" in form.fields:
                services.recurrences_refresh(postmortem=postmortem)
            if set(form.changed_data) - NOT_REVIEWED:
                postmortem.mark_text_changed()
            Draft.objects.filter(
                postmortem=postmortem, user=request.user, field__in=form.fields
            ).delete()
    if saved:
        if not request.htmx:
            return redirect(postmortem)
        context = _section_context(request, postmortem, section)
        # The header shows saved fields too (severity, title, services…): it comes out of band.
        response = HttpResponse(
            render_to_string(f"postmortems/includes/section_{section}.html", context, request)
            + render_to_string(
                "postmortems/includes/header.html", {**context, "oob": True}, request
            )
        )
        changed = [DOCUMENT_CHANGED]
        if "time_zone" in form.changed_data:
            changed.append(TIME_ZONE_CHANGED)
        response["HX-Trigger"] = ", ".join(changed)
        return response
    context = {**_section_context(request, postmortem, section), "form": form, "drafts": drafts}
    template = "postmortems/includes/section_form.html"
    if not request.htmx:
        template = "postmortems/postmortem_section_edit.html"
    return render(request, template, context)


def _section_drafts(request: HttpRequest, postmortem: Postmortem, form_class) -> list[Draft]:
    autosaved = [
        name
        for name, field in form_class.base_fields.items()
        if field.widget.attrs.get("data-autosave")
    ]
    return drafts_for(postmortem=postmortem, user=request.user, fields=autosaved)


@require_POST
def draft_autosave(request: HttpRequest, pk: int) -> JsonResponse:
    """Keep what someone is typing, so a closed tab or a crash loses nothing."""
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = DraftForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    draft = draft_save(postmortem=postmortem, user=request.user, **form.cleaned_data)
    at = draft.saved_at if draft else timezone.now()  # no draft: the text is saved already
    return JsonResponse({"saved": True, "at": timezone.localtime(at).strftime("%H:%M:%S")})


@require_POST
def draft_discard(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404("No such section.")
    postmortem = access.get_postmortem_for_edit(request, pk)
    Draft.objects.filter(
        postmortem=postmortem, user=request.user, field__in=SECTIONS[section][1].base_fields
    ).delete()
    return redirect("postmortems:section_edit", pk=pk, section=section)
