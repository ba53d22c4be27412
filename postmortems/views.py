from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from postmortems import access
from postmortems.backup import markdown_export
from postmortems.chatlog import parse_chat_log
from postmortems.filters import PostmortemFilter
from postmortems.forms import (
    SECTIONS,
    AcknowledgeForm,
    ChatLogForm,
    ContributingFactorForm,
    DraftForm,
    PostmortemCreateForm,
    TimelineEventForm,
    TimelineImportForm,
)
from postmortems.lint import MAX_LINT_CHARS, finding_acknowledge, lint_text, postmortem_lint_summary
from postmortems.models import ContributingFactor, Draft, Postmortem, TimelineEvent
from postmortems.services import (
    draft_save,
    drafts_for,
    postmortem_history,
    timeline_import,
    timeline_repeats,
)

# Sent to the page after a change, so the key times and the lint summary refresh themselves.
DOCUMENT_CHANGED = "documentChanged"
# ... and after a new time zone, so the timeline shows its times in it.
TIME_ZONE_CHANGED = "timeZoneChanged"
# Form fields outside the text that reviewers approve: who wrote it and who may read it.
NOT_REVIEWED = {"version", "coauthors", "restricted", "allowed_users", "allowed_groups"}


def postmortem_list(request: HttpRequest) -> HttpResponse:
    queryset = (
        access.readable_postmortems(request).select_related("owner").prefetch_related("services")
    )
    filterset = PostmortemFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "postmortems/postmortem_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


def postmortem_pick(request: HttpRequest) -> JsonResponse:
    """Options for a searchable postmortem picker: the newest 20 readable ones matching ?q=."""
    found = access.readable_postmortems(request).search(request.GET.get("q", "")[:200])
    found = found.order_by("-created_at").only("pk", "title")[:20]
    return JsonResponse([{"value": pm.pk, "text": str(pm)} for pm in found], safe=False)


def postmortem_create(request: HttpRequest) -> HttpResponse:
    form = PostmortemCreateForm(request.POST or None)
    if form.is_valid():
        postmortem = form.save(commit=False)
        postmortem.owner = request.user
        postmortem.save()
        form.save_m2m()
        messages.success(request, f"{postmortem.reference} created. Write it section by section.")
        return redirect(postmortem)
    return render(request, "postmortems/postmortem_form.html", {"form": form})


def postmortem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    return render(
        request, "postmortems/postmortem_detail.html", document_context(request, postmortem)
    )


# The document's parts are read by the linter, the permission check and the templates alike;
# fetched once here, every one of them uses the same rows.
DOCUMENT_PARTS = ["events", "factors", "services", "coauthors", "action_items"]


def document_context(request: HttpRequest, postmortem: Postmortem) -> dict:
    prefetch_related_objects([postmortem], *DOCUMENT_PARTS)
    return {
        "postmortem": postmortem,
        "lint": postmortem_lint_summary(postmortem),
        "can_edit": access.may_edit(request, postmortem),
        "events": postmortem.events.all(),
        "factors": postmortem.factors.all(),
        "action_items": postmortem.action_items.select_related("owner"),
        "event_form": TimelineEventForm(incident_tz=postmortem.time_zone),
        "factor_form": ContributingFactorForm(),
    }


def postmortem_print(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    return render(
        request, "postmortems/postmortem_print.html", document_context(request, postmortem)
    )


def postmortem_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    entries = postmortem_history(postmortem)
    # Links from a stale approval or "updated after publication" show what changed since.
    if since := _moment(request.GET.get("since", "")):
        entries = [entry for entry in entries if entry.when > since]
    context = {"postmortem": postmortem, "entries": entries, "since": since}
    return render(request, "postmortems/postmortem_history.html", context)


def _moment(value: str) -> datetime | None:
    """A moment written in ISO 8601, or None for anything else."""
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def postmortem_export(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    text, filename = markdown_export(postmortem, short=request.GET.get("version") == "short")
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Sections edited in place: the edit form and the display are partials of the same page.


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


# Timeline and contributing factors: every change answers with the whole list, in order.


def _timeline(request: HttpRequest, postmortem: Postmortem, form=None) -> HttpResponse:
    context = {
        "postmortem": postmortem,
        "can_edit": access.may_edit(request, postmortem),
        "events": postmortem.events.all(),
        "event_form": form or TimelineEventForm(incident_tz=postmortem.time_zone),
    }
    return render(request, "postmortems/includes/timeline.html", context)


def _after_timeline_change(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    postmortem.sync_key_times()
    if not request.htmx:
        return redirect(f"{postmortem.get_absolute_url()}#timeline")
    response = _timeline(request, postmortem)
    response["HX-Trigger"] = DOCUMENT_CHANGED
    return response


@require_POST
def event_create(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = TimelineEventForm(request.POST, incident_tz=postmortem.time_zone)
    if not form.is_valid():
        return _timeline(request, postmortem, form)
    event = form.save(commit=False)
    event.postmortem = postmortem
    event.save()
    postmortem.mark_text_changed()
    return _after_timeline_change(request, postmortem)


@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    event = get_object_or_404(TimelineEvent, pk=event_id, postmortem=postmortem)
    form = TimelineEventForm(request.POST or None, instance=event, incident_tz=postmortem.time_zone)
    if form.save_if_current():
        if set(form.changed_data) - NOT_REVIEWED:
            postmortem.mark_text_changed()
        return _after_timeline_change(request, postmortem)
    return render(
        request,
        "postmortems/includes/timelineevent_form.html",
        {"postmortem": postmortem, "event": event, "form": form},
    )


@require_POST
def event_delete(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    get_object_or_404(TimelineEvent, pk=event_id, postmortem=postmortem).delete()
    postmortem.mark_text_changed()
    return _after_timeline_change(request, postmortem)


def timeline_partial(request: HttpRequest, pk: int) -> HttpResponse:
    return _timeline(request, access.get_postmortem_for_read(request, pk))


@require_http_methods(["GET", "POST"])
def timeline_import_view(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    start = postmortem.started_at or timezone.now()
    form = ChatLogForm(
        request.POST or None, initial={"day": timezone.localdate(start, postmortem.tz)}
    )
    log = kinds = None
    if form.is_valid():
        log = parse_chat_log(
            form.cleaned_data["text"], day=form.cleaned_data["day"], tz=postmortem.tz
        )
        repeats = timeline_repeats(postmortem=postmortem, messages=log.messages)
        kinds = TimelineImportForm(request.POST, messages=log.messages, repeats=repeats)
        if "confirm" in request.POST and kinds.new_count and kinds.is_valid():
            added, skipped = timeline_import(
                postmortem=postmortem, messages=log.messages, kinds=kinds.chosen()
            )
            done = f"Added {added} event{pluralize(added)} to the timeline"
            if skipped:
                were = pluralize(skipped, "was,were")
                done += f"; {skipped} repeated event{pluralize(skipped)} {were} skipped"
            messages.success(request, f"{done}.")
            return redirect(f"{postmortem.get_absolute_url()}#timeline")
    return render(
        request,
        "postmortems/timeline_import.html",
        {"postmortem": postmortem, "form": form, "log": log, "kinds": kinds},
    )


def _factors(request: HttpRequest, postmortem: Postmortem, form=None) -> HttpResponse:
    context = {
        "postmortem": postmortem,
        "can_edit": access.may_edit(request, postmortem),
        "factors": postmortem.factors.all(),
        "factor_form": form or ContributingFactorForm(),
    }
    response = render(request, "postmortems/includes/factors.html", context)
    if request.method == "POST" and form is None:
        response["HX-Trigger"] = DOCUMENT_CHANGED
    return response


@require_POST
def factor_create(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = ContributingFactorForm(request.POST)
    if form.is_valid():
        factor = form.save(commit=False)
        factor.postmortem = postmortem
        factor.save()
        postmortem.mark_text_changed()
        if not request.htmx:
            return redirect(f"{postmortem.get_absolute_url()}#factors")
        form = None
    return _factors(request, postmortem, form)


@require_http_methods(["GET", "POST"])
def factor_edit(request: HttpRequest, pk: int, factor_id: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    factor = get_object_or_404(ContributingFactor, pk=factor_id, postmortem=postmortem)
    form = ContributingFactorForm(request.POST or None, instance=factor)
    if form.save_if_current():
        if set(form.changed_data) - NOT_REVIEWED:
            postmortem.mark_text_changed()
        if not request.htmx:
            return redirect(f"{postmortem.get_absolute_url()}#factors")
        return _factors(request, postmortem)
    return render(
        request,
        "postmortems/includes/contributingfactor_form.html",
        {"postmortem": postmortem, "factor": factor, "form": form},
    )


@require_POST
def factor_delete(request: HttpRequest, pk: int, factor_id: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    get_object_or_404(ContributingFactor, pk=factor_id, postmortem=postmortem).delete()
    postmortem.mark_text_changed()
    if not request.htmx:
        return redirect(f"{postmortem.get_absolute_url()}#factors")
    return _factors(request, postmortem)


def factors_partial(request: HttpRequest, pk: int) -> HttpResponse:
    return _factors(request, access.get_postmortem_for_read(request, pk))


# The blameless linter: live checks while typing, the summary, acknowledgements, the gate.


@require_POST
def lint_check(request: HttpRequest) -> JsonResponse:
    """Findings for a text being typed, with offsets in UTF-16 units as JavaScript counts."""
    text = request.POST.get("text", "")
    if len(text) > MAX_LINT_CHARS:
        return JsonResponse({"error": f"Texts over {MAX_LINT_CHARS} characters are not checked."})
    findings = lint_text(text, action_item=request.POST.get("kind") == "action")
    return JsonResponse({"findings": [f.to_dict(utf16_text=text) for f in findings]})


def _lint_summary(request: HttpRequest, postmortem: Postmortem, **extra) -> HttpResponse:
    context = {
        "postmortem": postmortem,
        "can_edit": access.may_edit(request, postmortem),
        "lint": postmortem_lint_summary(postmortem),
        **extra,
    }
    return render(request, "postmortems/includes/lint_summary.html", context)


def lint_summary(request: HttpRequest, pk: int) -> HttpResponse:
    return _lint_summary(request, access.get_postmortem_for_read(request, pk))


@require_POST
def lint_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        finding_acknowledge(postmortem=postmortem, by=request.user, **form.cleaned_data)
        if not request.htmx:
            messages.success(request, "Warning acknowledged.")
            return redirect(f"{postmortem.get_absolute_url()}#lint")
        return _lint_summary(request, postmortem)
    if not request.htmx:
        messages.error(request, "Say why this wording should stay: the reason is required.")
        return redirect(f"{postmortem.get_absolute_url()}#lint")
    return _lint_summary(request, postmortem, ack_errors=form.errors, ack_data=form.data)
