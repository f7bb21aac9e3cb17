"""Order and trim a report's rows: `--sort cost|requests|name` and `--top N`.

Rows stay grouped by period (in period order); within a period they are sorted by the key.
`--top N` keeps the first N rows of each period and folds the rest into one `(others)` row
whose measures are the sums of the folded rows, so every period still adds up to its total.
"""

from __future__ import annotations

from decimal import Decimal

SORTS = ("cost", "requests", "name")
OTHERS = "(others)"
SUMMED = ("requests", "input_tokens", "cached_input_tokens", "output_tokens", "unpriced_requests")


def _key(sort: str, by: list[str]):
    def names(row: dict) -> tuple:
        return tuple(str(row.get(dim) or "").casefold() for dim in by)

    if sort == "cost":
        return lambda row: (row.get("cost") is None, -(row.get("cost") or Decimal(0)), -(row.get("requests") or 0), names(row))
    if sort == "requests":
        return lambda row: (-(row.get("requests") or 0), row.get("cost") is None, -(row.get("cost") or Decimal(0)), names(row))
    return lambda row: (names(row), row.get("cost") is None, -(row.get("cost") or Decimal(0)))


def shape_rows(rows: list[dict], by: list[str], sort: str = "cost", top: int | None = None) -> list[dict]:
    """Rows sorted within each period, with at most `top` rows a period plus an (others) row."""
    periods: dict[str, list[dict]] = {}
    for row in rows:
        periods.setdefault(row.get("period"), []).append(row)
    out: list[dict] = []
    for period in sorted(periods, key=lambda p: (p is None, str(p))):
        # an (idle capacity) row (analyzer/capacityreport.py) is no group: last, never folded
        group = sorted((r for r in periods[period] if not r.get("idle_capacity")), key=_key(sort, by))
        if top and len(group) > top:
            kept, rest = group[:top], group[top:]
            out.extend(kept)
            out.append(fold(rest, by, period, f"({len(rest):,} more)"))
        else:
            out.extend(group)
        out.extend(r for r in periods[period] if r.get("idle_capacity"))
    return out


def fold(rows: list[dict], by: list[str], period, label: str = OTHERS) -> dict:
    """One row summing `rows`: cost is None only when nothing in them is priced."""
    costs = [r["cost"] for r in rows if r.get("cost") is not None]
    folded = {"period": period, **{dim: (label if i == 0 else "") for i, dim in enumerate(by)}}
    for name in SUMMED:
        folded[name] = sum(r.get(name) or 0 for r in rows)
    folded["cost"] = sum(costs, Decimal(0)) if costs else None
    folded["folded"] = len(rows)
    return folded


def total_row(rows: list[dict], by: list[str]) -> dict:
    """The total of every row (the table's and the HTML detail's last line)."""
    total = fold(rows, by, "total", "")
    total.pop("folded")
    return total
