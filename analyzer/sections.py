"""The parts of the HTML report beyond the tables: change against the previous period, top
groups with their share, biggest movers, model mix, cost split, capacity, and the charts.

Comparison window (documented in the README): a `--month` report compares with the month
before; a `--since/--until` range with the range of the same length just before it; a report
without a range compares its latest month with data against the month before that.
Everything here is computed over the report's own filter, so a tenant's statement only ever
holds that tenant's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import duckdb

from analyzer import charts
from analyzer.sqlfiles import first_row, records, scalar

PART_LABELS = {
    "input_cost": "uncached input",
    "cached_input_cost": "cached input",
    "cache_write_cost": "cache writes",
    "cache_write_1h_cost": "cache writes (1 h)",
    "output_cost": "output",
    "audio_cost": "audio",
    "image_cost": "images",
    "request_fee_cost": "request fees",
    "web_search_cost": "web search",
}
ALWAYS_SHOWN = ("input_cost", "cached_input_cost", "cache_write_cost", "output_cost")
TOP_DIMENSIONS = ("tenant", "feature", "model")
MOVERS_PER_DIMENSION = 3


@dataclass(frozen=True)
class Window:
    since: datetime | None
    until: datetime | None
    label: str


@dataclass
class Change:
    """One headline figure now and in the previous window."""

    label: str
    current: Any
    previous: Any = None
    money: bool = False

    @property
    def delta(self) -> Any:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        if self.delta is None or not self.previous:
            return None
        return (Decimal(self.delta) * 100 / Decimal(self.previous)).quantize(Decimal("0.1"))


@dataclass
class Overview:
    current: Window
    previous: Window | None
    headline: list[Change]
    top: dict[str, list[dict]]
    movers: list[dict]
    cost_parts: list[tuple[str, Decimal]]
    capacity: list[dict] | None  # None: the store has no capacity_costs view yet
    charts: list[charts.Chart] = field(default_factory=list)


def month_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=timezone.utc)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=timezone.utc)


def previous_month(start: datetime) -> datetime:
    return datetime(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1, tzinfo=timezone.utc)


def _is_month(since: datetime | None, until: datetime | None) -> bool:
    return bool(since and until and since.day == 1 and since.time() == datetime.min.time()
                and until == next_month(since))


def _label(since: datetime | None, until: datetime | None) -> str:
    if _is_month(since, until):
        return since.strftime("%B %Y")
    start = since.date().isoformat() if since else "start"
    end = (until - timedelta(days=1)).date().isoformat() if until else "now"
    return f"{start} to {end}"


def comparison_windows(flt, last_ts: datetime | None) -> tuple[Window, Window | None]:
    """The window the headline compares and the one before it (see the module docstring)."""
    since, until = flt.since, flt.until
    if since and until:
        if _is_month(since, until):
            before = previous_month(since)
            return Window(since, until, _label(since, until)), Window(before, since, _label(before, since))
        length = until - since
        return Window(since, until, _label(since, until)), Window(since - length, since, _label(since - length, since))
    if last_ts is None:
        return Window(since, until, _label(since, until)), None
    latest = month_start(last_ts.astimezone(timezone.utc).date())
    if until and latest >= until:
        latest = previous_month(month_start(until.date()))
    current = Window(latest, next_month(latest), _label(latest, next_month(latest)))
    before = previous_month(latest)
    if since and before < since:
        return current, None
    return current, Window(before, latest, _label(before, latest))


def _params(flt, window: Window) -> dict:
    return {"since": window.since, "until": window.until, "tenant": flt.tenant}


def headline(con: duckdb.DuckDBPyConnection, flt, current: Window, previous: Window | None) -> list[Change]:
    now = first_row(con, "spend_totals", _params(flt, current)) or {}
    before = (first_row(con, "spend_totals", _params(flt, previous)) or {}) if previous else {}

    def tokens(row: dict) -> int | None:
        return None if not row else row["input_tokens"] + row["output_tokens"]

    prior = bool(before)
    return [
        Change("Priced spend", now.get("cost") or Decimal(0),
               (before.get("cost") or Decimal(0)) if prior else None, money=True),
        Change("Requests", now.get("requests", 0), before.get("requests") if prior else None),
        Change("Tokens (in + out)", tokens(now), tokens(before) if prior else None),
        Change("Unpriced requests", now.get("unpriced_requests", 0), before.get("unpriced_requests") if prior else None),
    ]


def with_shares(rows: list[dict]) -> list[dict]:
    """Each row with `share`: its part of the priced spend of all rows (None when unpriced)."""
    total = sum((r["cost"] for r in rows if r.get("cost") is not None), Decimal(0))
    return [r | {"share": (r["cost"] / total if total and r.get("cost") is not None else None)} for r in rows]


def movers(current: dict[str, list[dict]], previous: dict[str, list[dict]]) -> list[dict]:
    """Per dimension, the groups whose priced spend changed most (absolute) between windows."""
    out = []
    for dim, rows in current.items():
        now = {r[dim]: r.get("cost") or Decimal(0) for r in rows}
        before = {r[dim]: r.get("cost") or Decimal(0) for r in previous.get(dim, [])}
        changes = []
        for name in now.keys() | before.keys():
            delta = now.get(name, Decimal(0)) - before.get(name, Decimal(0))
            if delta:
                old = before.get(name, Decimal(0))
                changes.append({"dimension": dim, "name": name, "previous": old, "current": now.get(name, Decimal(0)),
                                "change": delta,
                                "percent": (delta * 100 / old).quantize(Decimal("0.1")) if old else None})
        changes.sort(key=lambda c: (-abs(c["change"]), str(c["name"])))
        out.extend(changes[:MOVERS_PER_DIMENSION])
    return out


def cost_parts(con: duckdb.DuckDBPyConnection, flt) -> list[tuple[str, Decimal]]:
    """(label, amount) per cost part: the four token parts always, card-added parts when not 0."""
    parts = []
    for row in records(con, "spend_cost_parts", flt.params):
        amount = row["amount"] or Decimal(0)
        if row["part"] in ALWAYS_SHOWN or amount:
            parts.append((PART_LABELS.get(row["part"], row["part"].removesuffix("_cost").replace("_", " ")), amount))
    total = (first_row(con, "spend_totals", flt.params) or {}).get("cost") or Decimal(0)
    rest = total - sum((a for _, a in parts), Decimal(0))
    if rest:  # capacity shares carry a cost without token parts
        parts.append(("capacity shares", rest))
    return parts


def capacity(con: duckdb.DuckDBPyConnection, flt, statement: bool) -> list[dict] | None:
    """Capacities in the report's months, or None when the store has no capacity view. A tenant
    statement or a --tenant report never shows it: a capacity's spend, tokens and idle are
    everyone's figures."""
    if statement or flt.tenant is not None or not scalar(con, "capacity_view_exists"):
        return None
    return records(con, "capacity_in_range", {"since": flt.since, "until": flt.until})


def build_overview(con: duckdb.DuckDBPyConnection, report, statement: bool = False) -> Overview:
    """Everything the HTML report shows above its detail tables (report: reports.Report)."""
    from analyzer.reports import spend_rows

    flt = report.filter
    last_ts = (report.totals or {}).get("last_ts")
    current, previous = comparison_windows(flt, last_ts)
    dims = [d for d in TOP_DIMENSIONS if not (statement and d == "tenant")]
    top = {dim: with_shares(_drop_period(spend_rows(con, [dim], "total", flt))) for dim in dims}
    now_flt = replace(flt, since=current.since, until=current.until)
    now_rows = {dim: _drop_period(spend_rows(con, [dim], "total", now_flt)) for dim in dims}
    before_rows = ({dim: _drop_period(spend_rows(con, [dim], "total", replace(flt, since=previous.since, until=previous.until)))
                    for dim in dims} if previous else {})
    overview = Overview(
        current=current, previous=previous,
        headline=headline(con, flt, current, previous),
        top=top,
        movers=movers(now_rows, before_rows) if previous else [],
        cost_parts=cost_parts(con, flt),
        capacity=capacity(con, flt, statement),
    )
    idle = (report.totals or {}).get("idle_capacity_cost")
    if idle:  # the spend no usage row carries (analyzer/capacityreport.py)
        overview.cost_parts.append(("idle capacity", idle))
    overview.charts = _charts(con, report, overview)
    return overview


def _drop_period(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "period"} for row in rows]


def _charts(con, report, overview: Overview) -> list[charts.Chart]:
    from analyzer.reports import spend_rows

    currency = report.currency
    daily = spend_rows(con, [], "day", report.filter)
    out = [charts.spend_over_time([(r["period"], r["cost"]) for r in daily], currency)]
    for dim, rows in overview.top.items():
        if any(r["cost"] for r in rows if r["cost"] is not None):
            out.append(charts.top_groups(rows, dim, currency, f"Top {dim}s by spend, with share"))
    period = report.period if report.period != "total" else "month"
    mix = spend_rows(con, ["model"], period, report.filter)
    if len({r["period"] for r in mix}) < 2:  # one bar says little: per day within the month
        period, mix = "day", spend_rows(con, ["model"], "day", report.filter)
    if any(r["cost"] for r in mix if r["cost"] is not None):
        out.append(charts.stacked_mix(mix, "period", "model", currency, f"Model mix per {period}"))
    if any(amount for _, amount in overview.cost_parts):
        out.append(charts.parts_bars(overview.cost_parts, currency))
    return out
