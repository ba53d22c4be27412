"""Database expressions for the metrics, native on both SQLite and PostgreSQL.

On SQLite Django computes time-zone-aware truncation (TruncMonth, `__date`) and datetime
arithmetic with a Python function per row, which costs seconds over tens of thousands of
rows. These expressions stay in plain SQL: local times come from julianday() plus the zone's
offset (AT TIME ZONE on PostgreSQL), and durations from julianday() / EXTRACT(EPOCH).
"""

from __future__ import annotations

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


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the value at `fraction`, interpolated between rows."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


class PairList(Aggregate):
    """The group's (`key`, `value`) pairs as one text, "key:value key:value …", in no order.

    For groups with many rows each, one text per group fetches far faster than a row per pair.
    """

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="GROUP_CONCAT(%(expressions)s, ' ')",
            arg_joiner=" || ':' || ",
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="STRING_AGG((%(expressions)s)::text, ' ')",
            arg_joiner=")::text || ':' || (",
        )


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
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 60.0)",
            arg_joiner=" - ",
        )


class DayNumber(Func):
    """A moment as a number of days (fractional), for comparing gaps in days."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="julianday(%(expressions)s)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="(EXTRACT(EPOCH FROM %(expressions)s)::float8 / 86400)"
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
            return f"(julianday({sql}) + {stretches[0][1]} / 1440.0)", params
        whens, case_params = [], []
        for (_, minutes), (until, _) in pairwise(stretches):
            whens.append(f"WHEN {sql} < %s THEN {minutes}")
            case_params += [*params, until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")]
        case = f"CASE {' '.join(whens)} ELSE {stretches[-1][1]} END"
        return f"(julianday({sql}) + {case} / 1440.0)", [*params, *case_params]

    def postgresql_local(self, compiler, connection) -> tuple[str, list]:
        sql, params = compiler.compile(self.source_expressions[0])
        if self.is_date:
            return f"({sql})::timestamp", params
        return f"({sql} AT TIME ZONE %s)", [*params, timezone.get_current_timezone_name()]


class LocalDate(_Local):
    """The local date of a moment."""

    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.sqlite_local_day(compiler, connection)
        return f"date({sql})", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.postgresql_local(compiler, connection)
        return f"({sql})::date", params


class MonthKey(_Local):
    """The local month of a moment or date, as "YYYY-MM"."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.sqlite_local_day(compiler, connection)
        return f"strftime('%%Y-%%m', {sql})", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.postgresql_local(compiler, connection)
        return f"to_char({sql}, 'YYYY-MM')", params


class WeekIndex(_Local):
    """How many whole weeks after local midnight of `monday` a moment or date falls.

    Negative before it, except that SQLite rounds the week just before up to 0.
    """

    output_field = IntegerField()

    def __init__(self, expression, *, monday: date, first: date, last: date):
        self.monday = monday
        super().__init__(expression, first=first, last=last)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.sqlite_local_day(compiler, connection)
        return f"CAST(({sql} - julianday(%s)) / 7 AS INTEGER)", [*params, self.monday.isoformat()]

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.postgresql_local(compiler, connection)
        return (
            f"FLOOR(EXTRACT(EPOCH FROM ({sql} - %s::timestamp)) / 604800)::integer",
            [*params, self.monday.isoformat()],
        )
