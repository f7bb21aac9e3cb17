"""Unusual days: a tenant's or a model's daily spend far above its usual level.

The rule (README "Anomalies"): a UTC day is flagged for a tenant or a model when its priced spend
is at least `min_spend` and more than `factor` times the median of the `window` days before it
(days without usage count as 0). A key is judged only once it has `window` days of history (its
first usage at least `window` days before the day), so a new tenant's first days are not flagged.
Defaults: factor 3, window 14 days, min_spend 1.00 in the card's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from statistics import median
from typing import Iterable

import duckdb

from analyzer.sqlfiles import records

DIMENSIONS = ("tenant", "model")


@dataclass(frozen=True)
class Rule:
    factor: Decimal = Decimal(3)
    window: int = 14
    min_spend: Decimal = Decimal("1.00")

    def describe(self, currency: str = "USD") -> str:
        return (f"a day's spend of at least {self.min_spend} {currency} and more than {self.factor}x "
                f"the median of the {self.window} days before it (days without usage count as 0)")


@dataclass(frozen=True)
class Anomaly:
    dimension: str
    name: str
    day: date
    cost: Decimal
    baseline: Decimal  # the trailing median

    @property
    def ratio(self) -> Decimal | None:
        return (self.cost / self.baseline).quantize(Decimal("0.1")) if self.baseline else None


def flag_series(series: dict[date, Decimal], rule: Rule = Rule(), first: date | None = None,
                last: date | None = None) -> list[tuple[date, Decimal, Decimal]]:
    """(day, cost, baseline) for each flagged day of one key's daily spend (missing days are 0),
    judging the days from `first` (default: the first day of the series) to `last`."""
    if not series:
        return []
    start = min(series)
    end = last or max(series)
    day = max(first or start, start + timedelta(days=rule.window))
    flagged = []
    while day <= end:
        cost = series.get(day, Decimal(0))
        if cost >= rule.min_spend:
            history = [series.get(day - timedelta(days=i), Decimal(0)) for i in range(1, rule.window + 1)]
            baseline = median(history)
            if cost > rule.factor * baseline:
                flagged.append((day, cost, baseline))
        day += timedelta(days=1)
    return flagged


def find_anomalies(con: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime | None,
                   tenant: str | None = None, rule: Rule = Rule()) -> list[Anomaly]:
    """Flagged days in [since, until) per tenant and per model, over the tenant filter; the
    trailing window reads the days before `since` too."""
    lookback = since - timedelta(days=rule.window) if since else None
    found = []
    for dim in DIMENSIONS:
        rows = records(con, "spend_daily_by", {"dimension": dim, "since": lookback, "until": until, "tenant": tenant})
        for name, series in _by_name(rows).items():
            first = since.date() if since else None
            last = (until - timedelta(days=1)).date() if until else None
            for day, cost, baseline in flag_series(series, rule, first, last):
                found.append(Anomaly(dim, name, day, cost, baseline))
    found.sort(key=lambda a: (a.day, a.dimension, a.name), reverse=False)
    return found


def recent_anomalies(con: duckdb.DuckDBPyConnection, last_ts: datetime | None, days: int = 30,
                     rule: Rule = Rule()) -> list[Anomaly]:
    """For `status`: flagged days among the last `days` days that hold data."""
    if last_ts is None:
        return []
    end = datetime.combine(last_ts.astimezone(timezone.utc).date() + timedelta(days=1), datetime.min.time(), timezone.utc)
    return find_anomalies(con, end - timedelta(days=days), end, rule=rule)


def _by_name(rows: Iterable[dict]) -> dict[str, dict[date, Decimal]]:
    out: dict[str, dict[date, Decimal]] = {}
    for row in rows:
        if row["cost"] is not None:
            out.setdefault(row["name"], {})[row["day"]] = row["cost"]
    return out
