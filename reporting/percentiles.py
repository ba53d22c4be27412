"""Percentile, an aggregate: the value below which a fraction of a group's values fall,
interpolated between the two nearest (PostgreSQL's percentile_cont)."""

from __future__ import annotations

import math

from django.db.models import Aggregate


class _PercentileCont:
    """percentile_cont for SQLite, which has none: the values are kept and sorted at the end."""

    def __init__(self) -> None:
        self.values: list = []
        self.fraction = 0.0

    def step(self, value, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        rank = (len(ordered) - 1) * self.fraction
        low, high = ordered[math.floor(rank)], ordered[math.ceil(rank)]
        return low + (high - low) * (rank - math.floor(rank))


class Percentile(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # As Django registers its own functions on each SQLite connection.
        connection.ensure_connection()
        connection.connection.create_aggregate("PERCENTILE_CONT", 2, _PercentileCont)
        return self.as_sql(
            compiler, connection, template="%(function)s(%(expressions)s, %(fraction)s)", **extra
        )
