"""How the API knows who calls: a personal access token, or the browser's session."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from accounts.models import ApiToken
from accounts.services import api_token_find
from config.restapi import RateLimited

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# POSTs that change nothing, open to read tokens: the linter reads a text and answers.
READING_POSTS = {"lint"}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" as (600, 60): requests per window of seconds."""
    count, _, unit = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "hour": 3600, "h": 3600}
    return int(count), seconds[unit or "min"]


def rate_limit(token: ApiToken) -> None:
    """A fixed window per token, counted in the cache (Redis in production, so every web
    process shares the count): over the limit, a 429 that says when the window ends."""
    allowed, window = parse_rate(settings.API_RATE_LIMIT)
    now = time.time()
    start = int(now // window) * window
    key = f"api-rate:{token.pk}:{start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr: this request opens the window again
        cache.set(key, 1, timeout=window + 1)
        used = 1
    if used > allowed:
        raise RateLimited(retry_after=max(1, int(start + window - now + 0.999)))


class TokenAuth(HttpBearer):
    """`Authorization: Bearer dbf_…`: the token's owner, within the token's scope."""

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiToken | None:
        token = api_token_find(key or "")
        if token is None or not token.is_usable or not token.user.is_active:
            return None
        rate_limit(token)
        reading = request.method in SAFE_METHODS or (
            request.resolver_match is not None and request.resolver_match.url_name in READING_POSTS
        )
        if not reading and not token.can_write:
            raise HttpError(403, "This token's scope is read: it cannot change anything.")
        token.touch()
        # The site's rules and the history (django-simple-history) read the person from here.
        request.user = token.user
        request.api_token = token
        return token


class SessionAuth(APIKeyCookie):
    """The signed-in browser (the interactive docs, the site's own scripts). Writes need the
    CSRF token, as the site's forms do; without a session it declines, so the answer is 401."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None):
        if not request.user.is_authenticated:
            return None
        if check_csrf(request):
            raise HttpError(
                403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken."
            )
        return request.user
