import json
from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.filters import AuditEventFilter
from accounts.forms import ApiTokenForm, LoginForm
from accounts.models import ApiToken, AuditEvent
from accounts.oidc import sso_enabled
from accounts.services import api_token_create
from config.fields import active_people, person_label


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            sso=sso_enabled(),
            sso_name=settings.OIDC_PROVIDER_NAME,
            sso_only=settings.SSO_ONLY,
            **kwargs,
        )


def _audit_events(request: HttpRequest) -> AuditEventFilter:
    if not request.user.is_superuser:
        raise PermissionDenied("The audit log is for admins.")
    return AuditEventFilter(request.GET or None, queryset=AuditEvent.objects.all())


def audit_log(request: HttpRequest) -> HttpResponse:
    filterset = _audit_events(request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/auditevent_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "retention_days": settings.AUDIT_RETENTION_DAYS,
        },
    )


def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered events as JSON lines, oldest first, for a SIEM or a spreadsheet."""
    events = _audit_events(request).qs.order_by("at", "pk")

    def lines() -> Iterator[str]:
        for event in events.iterator(chunk_size=1000):
            yield json.dumps(event.as_json(), ensure_ascii=False) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/jsonl; charset=utf-8")
    name = f"debrief-audit-{timezone.localdate():%Y-%m-%d}.jsonl"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def people_pick(request: HttpRequest) -> JsonResponse:
    """Options for a people picker: the first 20 active people with every word of ?q= in their
    first or last name, username or email."""
    found = active_people()
    # PostgreSQL refuses NUL in a text; a picker's own label, "Name (username)", finds its
    # person; and a few short words are enough to find anyone.
    words = request.GET.get("q", "").replace("\x00", "").replace("(", " ").replace(")", " ")
    for word in words.split()[:5]:
        word = word[:100]
        found = found.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    found = found.only("pk", "first_name", "last_name", "username")[:20]
    return JsonResponse([{"value": p.pk, "text": person_label(p)} for p in found], safe=False)


NEW_SECRET = "new_api_token"


def token_list(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if form.is_valid():
        _token, secret = api_token_create(user=request.user, **form.cleaned_data)
        # Kept for the next page only: shown once, and a reload does not make another token.
        request.session[NEW_SECRET] = secret
        return redirect("accounts:tokens")
    secret = request.session.pop(NEW_SECRET, None)
    tokens = ApiToken.objects.filter(user=request.user)
    context = {"form": form, "tokens": tokens, "secret": secret}
    return render(request, "accounts/apitoken_list.html", context)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("accounts:tokens")
