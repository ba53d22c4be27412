"""The REST API at /api/v1/: one router per app, wired here, with one error shape.

Every answer other than a success is `config.restapi.Error`, and the OpenAPI document says
so for each operation (with 429 and its Retry-After), so clients and schemathesis can rely
on it. Nothing here decides who may read what: the routers ask postmortems/access.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from accounts.auth import SessionAuth, TokenAuth
from actions.api import router as actions_router
from config.restapi import Invalid, RateLimited, error_body, pydantic_errors
from postmortems.api import router as postmortems_router
from reviews.api import router as reviews_router
from services.api import router as services_router

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERRORS = {
    "400": "The request could not be read (not JSON, or a bad parameter).",
    "401": "No valid token or session: missing, unknown, expired or revoked.",
    "403": "Not allowed: a read token's write, someone else's postmortem, or no CSRF token.",
    "404": "Not there, or a restricted postmortem (or a row of one) you may not read.",
    "422": "Input that failed validation, with one entry per field.",
    "429": "Over the token's rate limit: wait Retry-After seconds.",
}
WRITE_ERRORS = {
    "412": "If-Match does not match the current ETag: someone changed it since you read it.",
    "428": "If-Match is missing: send the ETag from a GET.",
}


class DebriefAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"].setdefault("schemas", {})["Error"] = {
            "type": "object",
            "title": "Error",
            "required": ["detail"],
            "properties": {
                "detail": {"type": "string", "title": "Detail"},
                "errors": {
                    "type": "array",
                    "title": "Errors",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
        for path, operations in schema["paths"].items():
            if path.endswith(("/openapi.json", "/docs")):
                continue
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                codes = {**ERRORS, **(WRITE_ERRORS if method == "patch" else {})}
                for code, description in codes.items():
                    answer = {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_REF}},
                    }
                    if code == "429":
                        answer["headers"] = {
                            "Retry-After": {
                                "description": "Seconds until the limit's window starts again.",
                                "schema": {"type": "integer"},
                            }
                        }
                    responses.setdefault(code, answer)
        return schema


api = DebriefAPI(
    title="Debrief API",
    version="1",
    description=(
        "Postmortems, action items, comments, services, meetings and the blameless linter. "
        "Authenticate with `Authorization: Bearer <token>` (make one at /account/tokens/). "
        "Errors: `{detail, errors: [{field, message}]}`. Lists: follow `next`. "
        "Updates: send `If-Match` with the ETag of a GET."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _invalid(exc: Invalid) -> tuple:
    return 422, exc.detail, exc.errors


# Each exception as (status, detail, field errors): every answer but a success is an Error.
ANSWERS = {
    ValidationError: lambda exc: (422, "The input is not valid.", pydantic_errors(exc.errors)),
    Invalid: _invalid,
    DjangoValidationError: lambda exc: _invalid(Invalid.from_django(exc)),
    AuthenticationError: lambda exc: (
        401,
        "Authentication needed: send a valid token as `Authorization: Bearer <token>`.",
        (),
    ),
    HttpError: lambda exc: (exc.status_code, exc.message, ()),
    Http404: lambda exc: (404, str(exc) or "Not found.", ()),
    PermissionDenied: lambda exc: (403, str(exc) or "Not allowed.", ()),
    RateLimited: lambda exc: (429, f"Too many requests: try again in {exc.retry_after} s.", ()),
}


def _answer(request: HttpRequest, exc: Exception, *, answer: Callable) -> HttpResponse:
    status, detail, errors = answer(exc)
    response = api.create_response(request, error_body(detail, errors), status=status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


for kind, answer in ANSWERS.items():
    api.add_exception_handler(kind, partial(_answer, answer=answer))

api.add_router("/", postmortems_router)
api.add_router("/", actions_router)
api.add_router("/", reviews_router)
api.add_router("/", services_router)


def urls():
    """The API's URL patterns: they answer 401 themselves, so the site's login redirect
    (LoginRequiredMiddleware) stays out of their way."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
