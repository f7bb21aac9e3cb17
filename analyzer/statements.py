"""Per-tenant statements: for each tenant with usage in the period, an HTML statement and a CSV
holding that tenant's rows, totals and charts only (`report --per-tenant -o DIR`).

Every figure of a statement comes from queries run with the tenant's filter, and the sections
about everyone (top tenants, capacity and idle, feature budgets) are left out, so no other
tenant's name or number can appear. Usage without a tenant belongs in no statement: its request
count is returned so the command can say so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from analyzer.errors import SpendError
from analyzer.sqlfiles import records

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Statement:
    tenant: str
    html: Path
    csv: Path


def safe_names(tenants: list[str]) -> dict[str, str]:
    """A file-system-safe name per tenant: letters, digits, `.`, `_`, `-` kept, every other run
    of characters a single `_`; a short hash of the real name is added when the name had to be
    changed or when two names would meet on a case-insensitive file system."""
    slugs = {t: _UNSAFE.sub("_", t).strip("._-")[:60] or "tenant" for t in tenants}
    seen: dict[str, int] = {}
    for slug in slugs.values():
        seen[slug.casefold()] = seen.get(slug.casefold(), 0) + 1
    out = {}
    for tenant, slug in slugs.items():
        if slug != tenant or seen[slug.casefold()] > 1:
            slug = f"{slug}-{hashlib.sha256(tenant.encode('utf-8')).hexdigest()[:8]}"
        out[tenant] = slug
    return out


def write_statements(con: duckdb.DuckDBPyConnection, folder: Path, by: list[str], period: str, flt,
                     budget_table: dict[str, dict[str, Decimal]] | None = None, as_of: date | None = None,
                     prefix: str = "") -> tuple[list[Statement], int]:
    """Write every tenant's statement into `folder`; returns them and the number of requests
    in the period that carry no tenant."""
    groups = records(con, "spend_tenants_in_range", {"since": flt.since, "until": flt.until})
    tenants = [g["tenant"] for g in groups if g["tenant"] is not None]
    untenanted = sum(g["requests"] for g in groups if g["tenant"] is None)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpendError(f"cannot create {folder}: {exc.strerror or exc}") from None
    return [_write_statement(con, folder, tenant, f"{prefix}{slug}", by, period, flt, budget_table, as_of)
            for tenant, slug in safe_names(tenants).items()], untenanted


def _write_statement(con: duckdb.DuckDBPyConnection, folder: Path, tenant: str, name: str, by: list[str], period: str,
                     flt, budget_table: dict[str, dict[str, Decimal]] | None, as_of: date | None) -> Statement:
    from analyzer import render
    from analyzer.htmlreport import html_context, render_html
    from analyzer.pricedonce import priced_once
    from analyzer.provenance import sidecar_path
    from analyzer.reports import build_report, render_report

    own = replace(flt, tenant=tenant)
    with priced_once(con, tenant):  # some twenty queries, each over this tenant's rows only
        report = build_report(con, by, period, own, breakdowns=True, projection=True, as_of=as_of)
        html = render_html(html_context(con, report, statement=tenant, budget_table=budget_table, as_of=as_of))
    statement = Statement(tenant, folder / f"{name}.html", folder / f"{name}.csv")
    _write(statement.html, html)
    _write(statement.csv, render_report(report, "csv"))
    _write(sidecar_path(statement.csv), render.to_json({"file": statement.csv.name, "meta": report.meta}))
    return statement


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise SpendError(f"cannot write {path}: {exc.strerror or exc}") from None
