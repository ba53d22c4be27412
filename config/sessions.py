"""Sessions that expire after SESSION_COOKIE_AGE idle, without a write on every request."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse

# How stale the expiry may get: a session idle for SESSION_COOKIE_AGE lasts at most this more.
REFRESH_SECONDS = 5 * 60


class SessionRefreshMiddleware:
    """Moves a signed-in session's expiry forward at most every few minutes.

    Django's SESSION_SAVE_EVERY_REQUEST would do the same with a database write on every
    page view, the most frequent write of the whole site.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        refreshed_at = session.get("refreshed_at", 0)
        now = int(time.time())
        # Only sessions that exist: a visitor who never signed in gets none.
        if session.session_key and now - refreshed_at >= REFRESH_SECONDS:
            session["refreshed_at"] = now  # modified, so saved with a new expiry
        return self.get_response(request)
