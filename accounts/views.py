from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.services import api_token_create

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
