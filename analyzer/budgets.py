"""Monthly budgets per tenant and per feature (`[budgets]` in the config), against spend and
the projected month end.

    [budgets.tenant]          # monthly, in the card's currency; strings keep every digit exact
    "acme-corp" = "40.00"
    [budgets.feature]
    chat = "25"

A budget line is `over` when the month-to-date spend exceeds the budget, `projected over` when
only the projection does, else `ok`. `check-budgets` exits 1 when a line is over. The config
section is validated by analyzer.config.BudgetsSection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import duckdb

DIMENSIONS = ("tenant", "feature")
PROJECTION_NOTE = ("Projected month end: month-to-date plus the mean daily spend of the trailing 7 full days "
                   "times the days left.")


@dataclass(frozen=True)
class BudgetLine:
    dimension: str
    name: str
    month: str
    budget: Decimal
    spend: Decimal
    projected: Decimal | None  # None when the month is over (spend is final) or cannot be projected

    @property
    def status(self) -> str:
        if self.spend > self.budget:
            return "over"
        if self.projected is not None and self.projected > self.budget:
            return "projected over"
        return "ok"

    @property
    def used(self) -> Decimal | None:
        return self.spend / self.budget if self.budget else None


def month_bounds(month: str | None, as_of: date | None) -> tuple[date, date, date]:
    """(first day, first day of the next month, as_of) of the month to check. Without `as_of`,
    today (UTC), capped at the month's end: a past month is complete."""
    from analyzer.reports import make_filter

    today = datetime.now(timezone.utc).date()
    if month is None:
        anchor = as_of or today
        month = f"{anchor.year:04d}-{anchor.month:02d}"
    flt = make_filter(month=month)
    first, following = flt.since.date(), flt.until.date()
    if as_of is None:
        as_of = min(today, following)
    as_of = max(first, min(as_of, following))
    return first, following, as_of


def month_to_date_and_projection(con: duckdb.DuckDBPyConnection, dimension: str, first: date, following: date,
                                 as_of: date, tenant: str | None = None) -> dict[str, tuple[Decimal, Decimal | None]]:
    """{name: (spend before `as_of`, projected month end)} for one dimension: the one place the
    projection method is chosen (analyzer.projection: month-to-date plus the trailing 7 full
    days' mean daily spend times the days left). A month that is over has no projection."""
    from analyzer.reports import ReportFilter, spend_rows

    if as_of < following:
        from analyzer.projection import month_end_projection

        result = month_end_projection(con, by=[dimension], as_of=as_of, tenant=tenant)
        return {row[dimension]: (row["month_to_date"] or Decimal(0), row["projected_month_end"]) for row in result.rows}
    flt = ReportFilter(_midnight(first), _midnight(following), tenant)
    return {row[dimension]: (row["cost"] or Decimal(0), None) for row in spend_rows(con, [dimension], "total", flt)}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), timezone.utc)


def budget_lines(con: duckdb.DuckDBPyConnection, budgets: dict[str, dict[str, Decimal]], month: str | None = None,
                 as_of: date | None = None, tenant: str | None = None) -> list[BudgetLine]:
    """Every configured budget against its month's spend. With `tenant` (a statement): only
    that tenant's own budget, since a feature's spend is everyone's."""
    first, following, as_of = month_bounds(month, as_of)
    label = first.strftime("%Y-%m")
    lines = []
    for dim in DIMENSIONS:
        entries = budgets.get(dim, {})
        if tenant is not None:
            entries = {k: v for k, v in entries.items() if dim == "tenant" and k == tenant}
        if not entries:
            continue
        figures = month_to_date_and_projection(con, dim, first, following, as_of, tenant)
        for name, budget in entries.items():
            spend, projected = figures.get(name, (Decimal(0), None))
            if as_of >= following:
                projected = None  # the month is over: the spend is final
            lines.append(BudgetLine(dim, name, label, budget, spend, projected))
    return lines



def check_text(lines: list[BudgetLine], currency: str = "USD") -> str:
    """The lines over or projected over, one a line, for `check-budgets` (cron mails what it prints)."""
    from analyzer.render import money

    flagged = [line for line in lines if line.status != "ok"]
    if not flagged:
        return f"{len(lines)} budgets checked: none over or projected over\n"
    out = []
    for line in flagged:
        projected = f", projected {money(line.projected, currency)}" if line.projected is not None else ""
        out.append(f"{line.status}: {line.dimension} {line.name}: {money(line.spend, currency)} of "
                   f"{money(line.budget, currency)} in {line.month}{projected}")
    return "\n".join(out) + "\n"
