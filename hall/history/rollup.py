"""A day's rollup: the small tables the reports read, made again from the day's visits.

For each dimension (service, window, clerk, hour of issue) and each of its values, one row of
counts and sums (`day_totals`), the waits counted in buckets (`day_waits`, for the p90), and
the ratings counted by level (`day_ratings`, 0 for a visit reported unrated). A day is rolled
up again, whole, in the transaction that writes any of its records, so the rollup is never
behind the visits, and a record delivered twice changes nothing.

The service level counts the called tickets whose wait was within the target in force when the
day was rolled up (per service, or the hall's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from hall.history.databases import Statement

__all__ = ["DIMENSIONS", "Dimension", "bucket_of", "rollup_statements"]

Dimension = Literal["service", "window", "clerk", "hour"]
# Each dimension and the column of `cases` it groups by.
DIMENSIONS: Mapping[Dimension, str] = {
    "service": "service",
    "window": "window_id",
    "clerk": "staff",
    "hour": "hour",
}
FINE_BUCKET_S = 60  # waits under an hour, counted to the minute
COARSE_BUCKET_S = 600  # waits of one to four hours, to ten minutes
FINE_UNTIL_S = 3600
COARSE_UNTIL_S = 4 * 3600  # longer waits share one bucket

_BUCKET_SQL = (
    f"CASE WHEN wait_s < {FINE_UNTIL_S} THEN wait_s - wait_s % {FINE_BUCKET_S} "
    f"WHEN wait_s < {COARSE_UNTIL_S} THEN wait_s - wait_s % {COARSE_BUCKET_S} "
    f"ELSE {COARSE_UNTIL_S} END"
)


def bucket_width(bucket: int) -> int:
    """How many seconds the bucket starting at `bucket` spans (the last: to eight hours)."""
    if bucket < FINE_UNTIL_S:
        return FINE_BUCKET_S
    if bucket < COARSE_UNTIL_S:
        return COARSE_BUCKET_S
    return COARSE_UNTIL_S


def bucket_of(wait_s: int) -> int:
    """The bucket a wait is counted in (its lower bound, in seconds): as `_BUCKET_SQL`."""
    if wait_s < FINE_UNTIL_S:
        return wait_s - wait_s % FINE_BUCKET_S
    if wait_s < COARSE_UNTIL_S:
        return wait_s - wait_s % COARSE_BUCKET_S
    return COARSE_UNTIL_S


def _target_sql(targets: Mapping[str, int], default_s: int) -> tuple[str, list[Any]]:
    """The wait target of a row's service, as SQL and its parameters."""
    if not targets:
        return "?", [default_s]
    whens = " ".join("WHEN ? THEN ?" for _ in targets)
    params: list[Any] = [v for pair in sorted(targets.items()) for v in pair]
    return f"CASE service {whens} ELSE ? END", [*params, default_s]


def rollup_statements(
    hall: str, day: str, targets: Mapping[str, int], default_target_s: int
) -> Sequence[Statement]:
    """The statements that roll `day` of `hall` up again (run them in one transaction)."""
    here = (hall, day)
    statements: list[Statement] = [
        (f"DELETE FROM {table} WHERE hall = ? AND day = ?", [here])
        for table in ("day_totals", "day_waits", "day_ratings")
    ]
    target, target_params = _target_sql(targets, default_target_s)
    for dim, column in DIMENSIONS.items():
        statements.append(
            (
                "INSERT INTO day_totals (hall, dim, day, group_key, tickets, served, no_show, "
                "cancelled, transferred, called, wait_sum, wait_max, within_target, service_n, "
                "service_sum, service_max) "
                f"SELECT hall, ?, day, {column}, COUNT(*), "
                "SUM(CASE WHEN outcome = 'done' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN outcome = 'no_show' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN outcome = 'cancelled' THEN 1 ELSE 0 END), "
                "SUM(transferred), COUNT(wait_s), COALESCE(SUM(wait_s), 0), MAX(wait_s), "
                f"SUM(CASE WHEN wait_s IS NOT NULL AND wait_s <= {target} THEN 1 ELSE 0 END), "
                "COUNT(service_s), COALESCE(SUM(service_s), 0), MAX(service_s) "
                f"FROM cases WHERE hall = ? AND day = ? GROUP BY hall, day, {column}",
                [(dim, *target_params, hall, day)],
            )
        )
        statements.append(
            (
                "INSERT INTO day_waits (hall, dim, day, group_key, bucket, n) "
                f"SELECT hall, ?, day, {column}, {_BUCKET_SQL}, COUNT(*) FROM cases "
                "WHERE hall = ? AND day = ? AND wait_s IS NOT NULL "
                f"GROUP BY hall, day, {column}, {_BUCKET_SQL}",
                [(dim, hall, day)],
            )
        )
        statements.append(
            (
                "INSERT INTO day_ratings (hall, dim, day, group_key, level, n) "
                f"SELECT r.hall, ?, r.day, {_rating_key(column)}, COALESCE(r.level, 0), "
                "COUNT(*) FROM ratings r LEFT JOIN cases c "
                "ON c.hall = r.hall AND c.case_id = r.case_id "
                "WHERE r.hall = ? AND r.day = ? "
                f"GROUP BY r.hall, r.day, {_rating_key(column)}, COALESCE(r.level, 0)",
                [(dim, hall, day)],
            )
        )
    return statements


def _rating_key(column: str) -> str:
    """A rating's value of a dimension: its visit's, or what the rating itself says."""
    if column in ("window_id", "staff"):
        return f"COALESCE(c.{column}, r.{column})"
    return f"COALESCE(c.{column}, '')"
