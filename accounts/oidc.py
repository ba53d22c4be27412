"""Sign-in with an OpenID Connect provider, through mozilla-django-oidc's extension points.

The library does the authorization code flow with PKCE, state, nonce and the ID token's
signature; this module adds what Debrief needs on top: endpoints found by discovery, the
issuer and audience checked, accounts found by the provider's subject, groups synced, a
failure shown on the login page (never a 500) and recorded, and logout at the provider.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.decorators import method_decorator
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts.models import AuditEvent
from accounts.services import audit_record, sso_user_sync

log = logging.getLogger(__name__)

# The discovery document's names for the endpoints the library reads from settings.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_END_SESSION_ENDPOINT": "end_session_endpoint",
}
DISCOVERY_CACHE_SECONDS = 60 * 60


class ProviderUnavailable(Exception):
    """The issuer's discovery document could not be read."""


def sso_enabled() -> bool:
    return bool(
        settings.OIDC_RP_CLIENT_ID
        and (settings.OIDC_ISSUER or settings.OIDC_OP_AUTHORIZATION_ENDPOINT)
    )


def discovery() -> dict:
    """The issuer's /.well-known/openid-configuration, cached for an hour."""
    if not settings.OIDC_ISSUER:
        return {}
    key = f"oidc-discovery:{settings.OIDC_ISSUER}"
    document = cache.get(key)
    if document is None:
        url = f"{settings.OIDC_ISSUER}/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"{url}: {error}") from error
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def endpoint(setting: str) -> str:
    """An endpoint: set explicitly, or else named by the issuer's discovery document."""
    return getattr(settings, setting, "") or discovery().get(ENDPOINTS[setting], "")


def oidc_setting(attr: str, *default):
    if attr in ENDPOINTS:
        return endpoint(attr)
    return getattr(settings, attr, *default)


class SsoBackend(OIDCAuthenticationBackend):
    """The library's backend with settings read when used, not when loaded: Django loads every
    backend on each request of a signed-in person, and that must not fetch the discovery."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: endpoint("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: endpoint("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: endpoint("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        if request is None or not sso_enabled() or "code_verifier" not in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, ProviderUnavailable) as error:
            # A refused code or token, a forged nonce, an unreachable provider: no sign-in.
            request.sso_failure = str(error)
            log.warning("SSO sign-in refused: %s", error)
            return None

    def _verify_jws(self, payload, key):
        try:
            claims = super()._verify_jws(payload, key)
        except jwt.InvalidTokenError as error:  # expired, not yet valid, malformed
            raise SuspiciousOperation(f"ID token refused: {error}") from error
        issuer = discovery().get("issuer") or settings.OIDC_ISSUER
        if issuer and claims.get("iss") != issuer:
            raise SuspiciousOperation(f"ID token from another issuer: {claims.get('iss')}")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token issued to another client")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        # Some providers (Entra ID) put groups in the ID token only; userinfo adds the rest.
        userinfo = {}
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
        return {**payload, **userinfo, "sub": payload["sub"]}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        issuer = payload.get("iss") or settings.OIDC_ISSUER
        return sso_user_sync(issuer=issuer, claims=claims)


@method_decorator(login_not_required, name="dispatch")
class SignInView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and a PKCE challenge."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as error:
            log.warning("SSO discovery failed: %s", error)
            messages.error(
                request,
                f"{settings.OIDC_PROVIDER_NAME} could not be reached. Try again in a moment.",
            )
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: signs in, or says why not."""

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SuspiciousOperation as error:  # a state this browser never sent
            request.sso_failure = str(error)
            return self.login_failure()

    def login_failure(self):
        request = self.request
        reason = (
            getattr(request, "sso_failure", "")
            or request.GET.get("error", "")
            or ("no sign-in in progress" if "state" not in request.GET else "sign-in refused")
        )
        audit_record(
            kind=AuditEvent.Kind.SIGN_IN_FAILED,
            request=request,
            details={"method": "sso", "reason": reason[:500]},
        )
        messages.error(
            request, f"Signing in with {settings.OIDC_PROVIDER_NAME} did not work. Try again."
        )
        return HttpResponseRedirect(resolve_url("login"))


def logout_url(request: HttpRequest) -> str:
    """After logout, the provider's end-session endpoint when it has one (it ends the person's
    session there too and sends them back to the login page), otherwise the login page."""
    back = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get("oidc_id_token")
    if not (id_token and sso_enabled()):
        return back
    try:
        end_session = endpoint("OIDC_OP_END_SESSION_ENDPOINT")
    except ProviderUnavailable:
        return back
    if not end_session:
        return back
    query = urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": request.build_absolute_uri(back)}
    )
    return f"{end_session}?{query}"
