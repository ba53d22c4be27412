"""Database expressions for the metrics, native on both SQLite and PostgreSQL.

On SQLite Django computes time-zone-aware truncation (TruncMonth, `__date`) and datetime
arithmetic with a Python function per row, which costs seconds over tens of thousands of
rows. These expressions stay in plain SQL: local times come from julianday() plus the zone's
offset (AT TIME ZONE on PostgreSQL), and durations from julianday() / date_part().
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise

from django.db.models import (
    Aggregate,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    Func,
    IntegerField,
)
from django.utils import timezone


class TextList(Aggregate):
    """The group's values as one text, "value value …" (given several expressions,
    "a:b …"), in no order; NULLs are left out.

    For groups with many rows each, one text per group fetches far faster than a row per value.
    """

    output_field = CharField()
    # SQLite's; the attributes rather than as_sql() arguments, for Aggregate's `filter`.
    template = "GROUP_CONCAT(%(expressions)s, ' ')"
    arg_joiner = " || ':' || "

    def as_postgresql(self, compiler, connection, **extra):
        text = self.copy()
        text.template = "STRING_AGG((%(expressions)s)::text, ' ')"
        text.arg_joiner = ")::text || ':' || ("
        return super(TextList, text).as_sql(compiler, connection, **extra)


class Minutes(Func):
    """Minutes from `start` to `end`, a number (negative when `end` comes first)."""

    output_field = FloatField()

    def __init__(self, start, end):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 1440.0)",
            arg_joiner=") - julianday(",
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(date_part('epoch', %(expressions)s) / 60.0)",
            arg_joiner=" - ",
        )


class DayNumber(Func):
    """A moment as a number of days (fractional), for comparing gaps in days."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="julianday(%(expressions)s)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="(date_part('epoch', %(expressions)s) / 86400)"
        )


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def _offset_stretches(first: date, last: date) -> list[tuple[datetime, int]]:
    return _zone_stretches(timezone.get_current_timezone_name(), first, last)


@cache
def _zone_stretches(zone: str, first: date, last: date) -> list[tuple[datetime, int]]:
    """The zone's UTC offsets (minutes) from first to last: (from when, offset) pairs.

    One pair for UTC or any zone without clock changes; about two more a year otherwise.
    """
    stretches: list[tuple[datetime, int]] = []
    day = first
    while day <= last:
        moment = local_midnight(day)
        minutes = int(moment.utcoffset().total_seconds() // 60)
        if not stretches or stretches[-1][1] != minutes:
            if stretches:
                # The clocks changed during the day before: find when, in UTC.
                zone = moment.tzinfo
                moment = local_midnight(day - timedelta(days=1)).astimezone(UTC)
                while moment.astimezone(zone).utcoffset() != timedelta(minutes=minutes):
                    moment += timedelta(minutes=15)
            stretches.append((moment, minutes))
        day += timedelta(days=1)
    return stretches


class _Local(Func):
    """Base of the expressions that read a DateTimeField in the site's time zone.

    `first`…`last` is the span of dates that matters (the period, with a margin); on SQLite
    the offsets of clock changes inside it are spelled out, in a short CASE.
    """

    def __init__(self, expression, *, first: date, last: date, **extra):
        self.first, self.last = first - timedelta(days=7), last + timedelta(days=7)
        super().__init__(expression, **extra)

    @property
    def is_date(self) -> bool:
        return isinstance(self.source_expressions[0].output_field, DateField) and not isinstance(
            self.source_expressions[0].output_field, DateTimeField
        )

    def sqlite_local_day(self, compiler, connection) -> tuple[str, list]:
        """The local time as a Julian day number (a date field: its own midnight)."""
        sql, params = compiler.compile(self.source_expressions[0])
        if self.is_date:
            return f"julianday({sql})", params
        stretches = _offset_stretches(self.first, self.last)
        if len(stretches) == 1:
            minutes = stretches[0][1]
            day = f"julianday({sql})"
            return (f"({day} + {minutes} / 1440.0)" if minutes else day), params
        whens, case_params = [], []
        for (_, minutes), (until, _) in pairwise(stretches):
            whens.append(f"WHEN {sql} < %s THEN {minutes}")
            case_params += [*params, until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")]
        case = f"CASE {' '.join(whens)} ELSE {stretches[-1][1]} END"
        return f"(julianday({sql}) + {case} / 1440.0)", [*params, *case_params]

    @property
    def at_utc(self) -> bool:
        """Whether the site's clocks show UTC all through the span."""
        return [minutes for _, minutes in _offset_stretches(self.first, self.last)] == [0]

    def sqlite_local_date(self, compiler, connection, *, length: int = 10) -> tuple[str, list]:
        """The local date as "YYYY-MM-DD", or its first `length` characters."""
        if self.is_date or self.at_utc:
            # Dates, and moments in a zone at UTC, are stored as text that starts with it.
            sql, params = compiler.compile(self.source_expressions[0])
        else:
            sql, params = self.sqlite_local_day(compiler, connection)
            sql = f"date({sql})"
        return f"substr({sql}, 1, {length})", params

    def postgresql_local(self, compiler, connection) -> tuple[str, list]:
        """The local time as a timestamp without time zone (a date field: its own midnight)."""
        sql, params = compiler.compile(self.source_expressions[0])
        if self.is_date:
            return f"({sql})::timestamp", params
        return f"({sql} AT TIME ZONE %s)", [*params, timezone.get_current_timezone_name()]

    def postgresql_local_date(self, compiler, connection) -> tuple[str, list]:
        if self.is_date:
            return compiler.compile(self.source_expressions[0])
        sql, params = self.postgresql_local(compiler, connection)
        return f"({sql})::date", params


def julian_day(day: date) -> float:
    """The Julian day number of `day`'s midnight, as SQLite's julianday() gives it."""
    return day.toordinal() + 1721424.5


def day_of(julian: float) -> date:
    """The date of a Julian day number."""
    return date.fromordinal(math.floor(julian - 1721424.5))


class LocalDay(_Local):
    """The local time of a moment as a Julian day number (days and their fractions)."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.sqlite_local_day(compiler, connection)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.postgresql_local(compiler, connection)
        return f"(date_part('epoch', {sql}) / 86400 + 2440587.5)", params


class LocalDate(_Local):
    """The local date of a moment."""

    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.sqlite_local_date(compiler, connection)

    def as_postgresql(self, compiler, connection, **extra):
        return self.postgresql_local_date(compiler, connection)


class MonthStart(_Local):
    """The first day of the local month of a moment or date."""

    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.sqlite_local_date(compiler, connection, length=8)
        return f"({sql} || '01')", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.postgresql_local(compiler, connection)
        return f"date_trunc('month', {sql})::date", params


class WeekIndex(_Local):
    """How many whole weeks after local midnight of `monday` a moment or date falls.

    Counted towards zero: the six days before `monday` are week 0 too, earlier ones negative.
    """

    output_field = IntegerField()

    def __init__(self, expression, *, monday: date, first: date, last: date):
        self.monday = monday
        super().__init__(expression, first=first, last=last)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.sqlite_local_day(compiler, connection)
        # The Monday as a number, not julianday('…'), which SQLite would parse on every row.
        return f"CAST(({sql} - {julian_day(self.monday)}) / 7 AS INTEGER)", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.postgresql_local_date(compiler, connection)
        return f"(({sql}) - %s::date) / 7", [*params, self.monday.isoformat()]
