"""Helpers for the API's tests: a client that speaks JSON with a token."""

from __future__ import annotations

import json

from django.test import Client

from accounts.services import api_token_create


class ApiClient:
    """Requests to /api/v1/ with a personal access token of `user`, in `scope`."""

    def __init__(self, user, scope: str = "write", **token):
        self.token, self.secret = api_token_create(
            user=user, name="test", scope=scope, expires_in_days=token.get("days")
        )
        self.client = Client()

    def _headers(self, headers: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.secret}", **(headers or {})}

    def get(self, path: str, query: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", query, headers=self._headers(headers))

    def post(self, path: str, data, headers: dict | None = None):
        body = data if isinstance(data, str) else json.dumps(data)
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, path: str, data, headers: dict | None = None):
        return self.client.patch(
            f"/api/v1{path}",
            json.dumps(data),
            content_type="application/json",
            headers=self._headers(headers),
        )
