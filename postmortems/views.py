from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from postmortems import page_cache
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
)
from postmortems.lint import MAX_LINT_CHARS, finding_acknowledge, lint_text, postmortem_lint_summary
from postmortems.models import ContributingFactor, Draft, Postmortem, TimelineEvent
from postmortems.services import draft_save, drafts_for, postmortem_history, timeline_import

# Sent to the page after a change, so the key times and the lint summary refresh themselves.
DOCUMENT_CHANGED = "documentChanged"


def _readable(request: HttpRequest, pk: int, postmortems) -> Postmortem:
    """The postmortem if the user may read it; a restricted one is simply not there for others.

    Fetched by its key first: only a restricted one costs a query more to check.
    """
    postmortem = get_object_or_404(postmortems, pk=pk)
    if not postmortem.can_view(request.user):
        raise Http404("No postmortem matches the given query.")
    return postmortem


def _get_postmortem(request: HttpRequest, pk: int, *, lock: bool = False) -> Postmortem:
    postmortems = Postmortem.objects.select_related("owner", "template")
    if lock:
        postmortems = postmortems.select_for_update(of=("self",))
    return _readable(request, pk, postmortems)


def _get_postmortem_for_edit(request: HttpRequest, pk: int, *, lock: bool = False) -> Postmortem:
    postmortem = _get_postmortem(request, pk, lock=lock)
    if not postmortem.can_edit(request.user):
        raise PermissionDenied("Only the owner and co-authors can edit this postmortem.")
    return postmortem


def postmortem_list(request: HttpRequest) -> HttpResponse:
    queryset = (
        Postmortem.objects.visible_to(request.user)
        .select_related("owner")
        .prefetch_related("services")
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
    version = _readable(request, pk, page_cache.versions())

    def draw() -> HttpResponse:
        postmortem = _get_postmortem(request, pk)
        return render(request, "postmortems/postmortem_detail.html", _document(request, postmortem))

    return page_cache.page(request, version, draw)


# The document's parts are read by the linter, the permission check and the templates alike;
# fetched once here, every one of them uses the same rows.
DOCUMENT_PARTS = ["events", "factors", "services", "coauthors", "action_items"]


def _document(request: HttpRequest, postmortem: Postmortem) -> dict:
    prefetch_related_objects([postmortem], *DOCUMENT_PARTS)
    return {
        "postmortem": postmortem,
        "lint": postmortem_lint_summary(postmortem),
        "can_edit": postmortem.can_edit(request.user),
        "events": postmortem.events.all(),
        "factors": postmortem.factors.all(),
        "action_items": postmortem.action_items.select_related("owner"),
        "event_form": TimelineEventForm(incident_tz=postmortem.time_zone),
        "factor_form": ContributingFactorForm(),
    }


def postmortem_print(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _get_postmortem(request, pk)
    return render(request, "postmortems/postmortem_print.html", _document(request, postmortem))


def postmortem_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _get_postmortem(request, pk)
    context = {"postmortem": postmortem, "entries": postmortem_history(postmortem)}
    return render(request, "postmortems/postmortem_history.html", context)


def postmortem_export(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _get_postmortem(request, pk)
    short = request.GET.get("version") == "short"
    events = postmortem.events.all()
    with timezone.override(postmortem.tz):
        text = render_to_string(
            "postmortems/postmortem_export.md",
            {
                "postmortem": postmortem,
                "events": events.filter(starred=True) if short else events,
                "short": short,
                "factors": postmortem.factors.all(),
                "action_items": postmortem.action_items.select_related("owner"),
            },
        )
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    filename = f"{postmortem.reference}-{slugify(postmortem.title)[:60]}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Sections edited in place: the edit form and the display are partials of the same page.


def _section_context(request: HttpRequest, postmortem: Postmortem, section: str) -> dict:
    return {
        "postmortem": postmortem,
        "section": section,
        "heading": SECTIONS[section][0],
        "can_edit": postmortem.can_edit(request.user),
    }


def section_display(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404("No such section.")
    postmortem = _get_postmortem(request, pk)
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
        postmortem = _get_postmortem_for_edit(request, pk, lock=request.method == "POST")
        form_class = SECTIONS[section][1]
        drafts = [] if request.POST else _section_drafts(request, postmortem, form_class)
        initial = {draft.field: draft.text for draft in drafts}
        if drafts:
            initial["version"] = min(draft.base_version for draft in drafts)
        form = form_class(request.POST or None, instance=postmortem, initial=initial)
        saved = form.is_valid()
        if saved:
            form.save()
            Draft.objects.filter(
                postmortem=postmortem, user=request.user, field__in=form.fields
            ).delete()
    if saved:
        if not request.htmx:
            return redirect(postmortem)
        response = render(
            request,
            f"postmortems/includes/section_{section}.html",
            _section_context(request, postmortem, section),
        )
        response["HX-Trigger"] = DOCUMENT_CHANGED
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
    postmortem = _get_postmortem_for_edit(request, pk)
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
    postmortem = _get_postmortem_for_edit(request, pk)
    Draft.objects.filter(
        postmortem=postmortem, user=request.user, field__in=SECTIONS[section][1].base_fields
    ).delete()
    return redirect("postmortems:section_edit", pk=pk, section=section)


# Timeline and contributing factors: every change answers with the whole list, in order.


def _timeline(request: HttpRequest, postmortem: Postmortem, form=None) -> HttpResponse:
    context = {
        "postmortem": postmortem,
        "can_edit": postmortem.can_edit(request.user),
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
    postmortem = _get_postmortem_for_edit(request, pk)
    form = TimelineEventForm(request.POST, incident_tz=postmortem.time_zone)
    if not form.is_valid():
        return _timeline(request, postmortem, form)
    event = form.save(commit=False)
    event.postmortem = postmortem
    event.save()
    return _after_timeline_change(request, postmortem)


@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    postmortem = _get_postmortem_for_edit(request, pk)
    event = get_object_or_404(TimelineEvent, pk=event_id, postmortem=postmortem)
    form = TimelineEventForm(request.POST or None, instance=event, incident_tz=postmortem.time_zone)
    if form.save_if_current():
        return _after_timeline_change(request, postmortem)
    return render(
        request,
        "postmortems/includes/timelineevent_form.html",
        {"postmortem": postmortem, "event": event, "form": form},
    )


@require_POST
def event_delete(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    postmortem = _get_postmortem_for_edit(request, pk)
    get_object_or_404(TimelineEvent, pk=event_id, postmortem=postmortem).delete()
    return _after_timeline_change(request, postmortem)


def timeline_partial(request: HttpRequest, pk: int) -> HttpResponse:
    return _timeline(request, _get_postmortem(request, pk))


@require_http_methods(["GET", "POST"])
def timeline_import_view(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _get_postmortem_for_edit(request, pk)
    start = postmortem.started_at or timezone.now()
    form = ChatLogForm(
        request.POST or None, initial={"day": timezone.localdate(start, postmortem.tz)}
    )
    log = None
    if form.is_valid():
        log = parse_chat_log(
            form.cleaned_data["text"], day=form.cleaned_data["day"], tz=postmortem.tz
        )
        if "confirm" in request.POST and log.messages:
            added, skipped = timeline_import(postmortem=postmortem, messages=log.messages)
            postmortem.sync_key_times()
            note = f" ({skipped} already on the timeline were skipped)" if skipped else ""
            messages.success(request, f"Added {added} events to the timeline{note}.")
            return redirect(f"{postmortem.get_absolute_url()}#timeline")
    return render(
        request,
        "postmortems/timeline_import.html",
        {"postmortem": postmortem, "form": form, "log": log},
    )


def _factors(request: HttpRequest, postmortem: Postmortem, form=None) -> HttpResponse:
    context = {
        "postmortem": postmortem,
        "can_edit": postmortem.can_edit(request.user),
        "factors": postmortem.factors.all(),
        "factor_form": form or ContributingFactorForm(),
    }
    response = render(request, "postmortems/includes/factors.html", context)
    if request.method == "POST" and form is None:
        response["HX-Trigger"] = DOCUMENT_CHANGED
    return response


@require_POST
def factor_create(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _get_postmortem_for_edit(request, pk)
    form = ContributingFactorForm(request.POST)
    if form.is_valid():
        factor = form.save(commit=False)
        factor.postmortem = postmortem
        factor.save()
        if not request.htmx:
            return redirect(f"{postmortem.get_absolute_url()}#factors")
        form = None
    return _factors(request, postmortem, form)


@require_http_methods(["GET", "POST"])
def factor_edit(request: HttpRequest, pk: int, factor_id: int) -> HttpResponse:
    postmortem = _get_postmortem_for_edit(request, pk)
    factor = get_object_or_404(ContributingFactor, pk=factor_id, postmortem=postmortem)
    form = ContributingFactorForm(request.POST or None, instance=factor)
    if form.save_if_current():
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
    postmortem = _get_postmortem_for_edit(request, pk)
    get_object_or_404(ContributingFactor, pk=factor_id, postmortem=postmortem).delete()
    if not request.htmx:
        return redirect(f"{postmortem.get_absolute_url()}#factors")
    return _factors(request, postmortem)


def factors_partial(request: HttpRequest, pk: int) -> HttpResponse:
    return _factors(request, _get_postmortem(request, pk))


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
        "can_edit": postmortem.can_edit(request.user),
        "lint": postmortem_lint_summary(postmortem),
        **extra,
    }
    return render(request, "postmortems/includes/lint_summary.html", context)


def lint_summary(request: HttpRequest, pk: int) -> HttpResponse:
    return _lint_summary(request, _get_postmortem(request, pk))


@require_POST
def lint_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _get_postmortem_for_edit(request, pk)
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
