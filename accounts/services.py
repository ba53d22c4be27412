from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiToken, new_token_secret, token_digest


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
