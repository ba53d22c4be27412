"""Reading uploaded CSV: text, rows by header, dates as spreadsheets and Jira write them."""

from __future__ import annotations

import csv
import io
import re
from contextlib import suppress
from datetime import date, datetime

from config.csv import FORMULA_PREFIXES

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
DATE_FORMATS = ["%Y-%m-%d", "%d/%b/%y", "%d/%b/%Y", "%d.%m.%Y", "%m/%d/%Y", "%d %b %Y"]
DATETIME_FORMATS = [
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%b/%y %H:%M",
]


class Unreadable(ValueError):
    """The whole file cannot be read; the message says why, to the person."""


def decode(raw: bytes, name: str) -> str:
    if len(raw) > MAX_BYTES:
        raise Unreadable(f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(f"{name} is not UTF-8 text: save or export it as UTF-8.") from None


def rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line, cells) rows of a CSV text; blank rows are left out."""
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise Unreadable(f"This is not a CSV file: {error}.") from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise Unreadable("The file is empty: the first line must name the columns.")
    header = [cell.strip() for cell in table[0]]
    body = [(i, row) for i, row in enumerate(table[1:], 2) if any(c.strip() for c in row)]
    if len(body) > MAX_ROWS:
        raise Unreadable(f"The file has {len(body)} rows; import at most {MAX_ROWS} at a time.")
    return header, body


def normalize(name: str) -> str:
    return re.sub(r"[\s_/-]+", " ", name.strip().lower())


def unquote(cell: str) -> str:
    """A cell as written, less the quote a safe CSV export puts before a formula-like text."""
    cell = cell.strip()
    if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell


def parse_date(text: str) -> date | None:
    """A date in one of the shapes spreadsheets and Jira write; None when it is none of them."""
    moment = parse_datetime(text, DATE_FORMATS) or parse_datetime(text)
    return moment.date() if moment else None


def parse_datetime(text: str, shapes: list[str] = DATETIME_FORMATS) -> datetime | None:
    for shape in shapes:
        with suppress(ValueError):
            return datetime.strptime(text.strip(), shape)
    return None
