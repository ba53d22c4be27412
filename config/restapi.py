"""What every router of the API shares: the error shape, cursors, ETags and If-Match.

The API's answers to bad input all have one shape, `Error`: a sentence and, for input that
failed validation, one entry per field. Lists come a page at a time behind an opaque cursor.
Updates carry `If-Match` with the ETag of the version they change, the notion of version the
site's forms use (config/versioning.py), so a script never overwrites a change it did not see.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, create_model

from config.versioning import version_of

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
EARLIEST, LATEST = 1970, 2200


# Input types: what the database can hold, refused with a 422 rather than failing there.


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode (no lone surrogates).") from None
    return value


def Text(max_length: int, min_length: int = 0):  # a type, so named like one
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=min_length),
        AfterValidator(_storable),
    ]


def _in_range(value: date) -> date:
    """A date, or an aware time (by its year in UTC), from EARLIEST to LATEST."""
    what = "time" if isinstance(value, datetime) else "date"
    try:
        year = value.astimezone(UTC).year if what == "time" else value.year
    except OverflowError:
        year = 0
    if not EARLIEST <= year <= LATEST:
        raise ValueError(f"Give a {what} between {EARLIEST} and {LATEST}.")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_in_range)]
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]


class FieldError(Schema):
    field: str  # the field's name ("title", "timeline.0.occurred_at"), or "" for the whole input
    message: str


class Error(Schema):
    detail: str
    errors: list[FieldError] = []


def error_body(detail: str, errors: Iterable[tuple[str, str]] = ()) -> dict:
    return {"detail": detail, "errors": [{"field": f, "message": m} for f, m in errors]}


class Invalid(Exception):
    """Input that passed the schema but not the site's rules: a 422 with field errors."""

    def __init__(self, errors: Iterable[tuple[str, str]], detail: str = "The input is not valid."):
        self.errors = list(errors)
        self.detail = detail
        super().__init__(detail)

    @classmethod
    def from_django(cls, error: DjangoValidationError, prefix: str = "") -> Invalid:
        if hasattr(error, "error_dict"):
            pairs = [
                ("" if name == "__all__" else f"{prefix}{name}", message)
                for name, messages in error.message_dict.items()
                for message in messages
            ]
        else:
            pairs = [(prefix.rstrip("."), message) for message in error.messages]
        return cls(pairs)

    @classmethod
    def from_form(cls, form) -> Invalid:
        return cls(
            ("" if name == "__all__" else name, str(message))
            for name, messages in form.errors.items()
            for message in messages
        )


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(retry_after)


def pydantic_errors(errors: Sequence[dict]) -> list[tuple[str, str]]:
    """django-ninja's validation errors as (field, message): where the value was, minus the
    part of the request it came in ("body", "query") and the body parameter's own name."""
    pairs = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc[:1] == ["body"]:
            loc = loc[2:]
        elif loc[:1] in (["query"], ["path"], ["header"]):
            loc = loc[1:]
        pairs.append((".".join(loc), str(error.get("msg", "Invalid value."))))
    return pairs


# Cursor pagination -----------------------------------------------------------------------


def page_of(item: type[Schema]) -> type[Schema]:
    """The schema of one page of `item`s."""
    return create_model(
        f"{item.__name__}Page",
        __base__=Schema,
        next=(str | None, None),
        results=(list[item], ...),
    )


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"p": position}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)["p"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        position = None
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise Invalid([("cursor", "Not a cursor this API gave: use the `next` link as it is.")])
    return position


def paginate(
    request: HttpRequest, rows: QuerySet, *, cursor: str | None, limit: int, shape=None
) -> dict:
    """A page of `rows` (already filtered and ordered) and the link to the next one; `shape`
    turns the page's rows into what the schema reads, in a query or two for the whole page.

    The cursor is opaque to callers: today it holds the position in the list, which the list's
    order makes stable for the orders the list pages offer (each ends with the id).
    """
    start = _decode(cursor) if cursor else 0
    results = list(rows[start : start + limit + 1])
    following = None
    if len(results) > limit:
        results = results[:limit]
        query = request.GET.copy()
        query["cursor"] = _encode(start + limit)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"next": following, "results": shape(results) if shape else results}


# ETags and If-Match ----------------------------------------------------------------------


def etag(instance, fields: Sequence[str]) -> str:
    """A weak ETag: the version of `fields` as the site's edit forms compute it."""
    return f'W/"{version_of(instance, fields)}"'


def require_if_match(request: HttpRequest, current: str) -> None:
    """Refuse a change made without the current version: 428 without If-Match, 412 if stale."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise HttpError(
            428,
            "Send If-Match with the ETag from a GET of this resource, so that a change you "
            "have not seen is never overwritten.",
        )
    if header == "*":
        return
    wanted = current.removeprefix("W/")
    sent = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if wanted not in sent:
        raise HttpError(
            412,
            "It changed since you read it (the ETag no longer matches): GET it again, "
            "apply your change, and send the new ETag.",
        )
