"""Recording and purging the audit log, keeping an SSO account in step with its provider,
and API tokens."""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import ApiToken, AuditEvent, SsoIdentity, new_token_secret, token_digest


def current_request() -> HttpRequest | None:
    """The request being served, which django-simple-history's middleware already keeps."""
    return getattr(HistoricalRecords.context, "request", None)


def audit_record(
    *,
    kind: str,
    target: str = "",
    details: dict | None = None,
    request: HttpRequest | None = None,
    actor: AbstractUser | None = None,
) -> AuditEvent:
    """One audit event; who and from where come from the request when not given."""
    request = request or current_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        ip=get_client_ip_address(request) if request is not None else None,
        target=target[:200],
        details=details or {},
    )


def audit_events_purge(*, now=None) -> int:
    """Deletes the events older than AUDIT_RETENTION_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


def _claimed_groups(claims: dict) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(value, str):  # some providers send one group as a plain string
        value = [value]
    return sorted({str(name).strip()[:150] for name in value if str(name).strip()})


def _username_for(claims: dict) -> str:
    User = get_user_model()
    wanted = claims.get("preferred_username") or claims.get("email") or claims["sub"]
    base = str(wanted)[:140]
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


@transaction.atomic
def sso_user_sync(*, issuer: str, claims: dict) -> AbstractUser:
    """The account of the person the provider vouched for, created at the first sign-in and
    updated at each: name, email, the groups the provider gives, and staff and admin."""
    User = get_user_model()
    identity = (
        SsoIdentity.objects.select_related("user")
        .filter(issuer=issuer, subject=claims["sub"])
        .first()
    )
    email = claims.get("email") or ""
    if identity is None:
        # An account made before SSO was turned on is taken over by its email address, once.
        takeover = User.objects.filter(email__iexact=email, sso_identity__isnull=True)
        user = takeover.first() if email else None
        if user is None:
            user = User.objects.create_user(_username_for(claims), email=email)
        identity = SsoIdentity(user=user, issuer=issuer, subject=claims["sub"], groups=[])
    user = identity.user

    given, family = claims.get("given_name"), claims.get("family_name")
    if not (given or family) and claims.get("name"):
        given, _, family = str(claims["name"]).partition(" ")
    user.first_name = (given or user.first_name)[:150]
    user.last_name = (family or user.last_name)[:150]
    user.email = email or user.email
    groups = _claimed_groups(claims)
    if settings.OIDC_ADMIN_GROUPS:
        user.is_superuser = bool(set(groups) & set(settings.OIDC_ADMIN_GROUPS))
    if settings.OIDC_ADMIN_GROUPS or settings.OIDC_STAFF_GROUPS:
        user.is_staff = user.is_superuser or bool(set(groups) & set(settings.OIDC_STAFF_GROUPS))
    user.save()

    # Only what the provider gave before is taken away: memberships set by hand stay.
    dropped = set(identity.groups) - set(groups)
    if dropped:
        user.groups.remove(*Group.objects.filter(name__in=dropped))
    if groups:
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in groups))
    identity.groups = groups
    identity.save()
    return user


def api_token_create(
    *, user, name: str, scope: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored."""
    secret = new_token_secret()
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        digest=token_digest(secret),
        hint=secret[:8],
        expires_at=expires_at,
    )
    return token, secret


def api_token_find(secret: str) -> ApiToken | None:
    """The token with this secret, usable or not (the caller tells expired from unknown)."""
    return ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
