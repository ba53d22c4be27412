"""Percentiles computed by the database, as PostgreSQL's percentile_cont would give them.

Standard SQL on both databases: windows rank the values, and only the one or two rows each
percentile falls between come back, rather than every row of the period.
"""

from __future__ import annotations

import math
from collections import defaultdict

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Ceil, Floor, RowNumber


def percentiles(
    rows: QuerySet, values: dict, fractions: list[float], *, group, overall: bool = False
) -> dict[str, dict[object, dict[float, object]]]:
    """{name: {group value: {fraction: percentile}}} of each of `values` ({name: expression},
    NULLs left out), in one query; with `overall`, the key None holds those of all rows.
    """
    partitions = {"group": [F("_group")], **({"all": []} if overall else {})}
    ranked = rows.order_by().annotate(
        _group=group, **{f"_v_{name}": v for name, v in values.items()}
    )
    wanted, columns = Q(), ["_group", *(f"_v_{name}" for name in values)]
    for name in values:
        order = F(f"_v_{name}").asc(nulls_last=True)
        for part, partition in partitions.items():
            rank, n = f"_rank_{name}_{part}", f"_n_{name}_{part}"
            ranked = ranked.annotate(
                **{
                    rank: Window(RowNumber(), partition_by=partition, order_by=order),
                    n: Window(Count(f"_v_{name}"), partition_by=partition),
                }
            )
            columns += [rank, n]
            for fraction in fractions:
                position = (F(n) - 1) * fraction + 1
                wanted |= Q(**{f"{rank}__gte": Floor(position), f"{rank}__lte": Ceil(position)})
    ranks: dict = defaultdict(lambda: defaultdict(dict))
    counts: dict = defaultdict(dict)
    for group_value, *row in ranked.filter(wanted).values_list(*columns):
        numbers, positions = row[: len(values)], iter(row[len(values) :])
        # A row comes back for any percentile it bears on; its ranks hold all the same.
        for name, number in zip(values, numbers, strict=True):
            for part in partitions:
                rank, n = next(positions), next(positions)
                key = group_value if part == "group" else None
                if number is not None:
                    ranks[name][key][rank] = number
                    counts[name][key] = n
    return {
        name: {
            key: {
                fraction: _interpolate(ranked, counts[name][key], fraction)
                for fraction in fractions
            }
            for key, ranked in ranks[name].items()
        }
        for name in values
    }


def _interpolate(ranked: dict[int, object], n: int, fraction: float):
    position = (n - 1) * fraction + 1
    low, high = ranked[math.floor(position)], ranked[math.ceil(position)]
    return low + (high - low) * (position - math.floor(position))
