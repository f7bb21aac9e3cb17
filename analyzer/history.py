"""Rate and capacity history (README "Rate and capacity history"): every load that changes the
rates or capacities is a version (when, from which file, its SHA-256, rows, and the rows
themselves), so versions can be listed and diffed and a closed month knows which priced it.

Tables of migration 006: rate_versions / rate_version_rows, capacity_versions /
capacity_version_rows. The current version is the highest; a load whose file has the current
version's SHA-256 changes nothing and makes no new version (a nightly reload of the same card).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from analyzer.errors import UsageError
from analyzer.sqlfiles import first_row, query, scalar, table


@dataclass(frozen=True)
class Kind:
    """One versioned thing: the table a load replaces, its history tables and its queries."""

    name: str          # "rates" | "capacity" (the command group)
    loaded: str        # the table a load replaces
    rows: str          # the history of its rows
    queries: str       # prefix of its named queries in queries/history/


RATES = Kind("rates", "rates", "rate_version_rows", "rate")
CAPACITY = Kind("capacity", "capacities", "capacity_version_rows", "capacity")
_VERSION = re.compile(r"^[vV]?(\d{1,18})$")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def add_missing_columns(con: duckdb.DuckDBPyConnection, target: str, source: str) -> list[str]:
    """Give table `target` every column of relation `source` it lacks (same type, NULL in the rows
    it has), so history and frozen tables follow the columns later migrations or views add. Both
    names are this module's constants, the column names and types DuckDB's own."""
    have = {row[0] for row in con.execute(f"DESCRIBE {target}").fetchall()}
    added = []
    for name, kind, *_ in con.execute(f"DESCRIBE {source}").fetchall():
        if name not in have:
            con.execute(f'ALTER TABLE {target} ADD COLUMN "{name}" {kind}')
            added.append(name)
    return added


def current_version(con: duckdb.DuckDBPyConnection, kind: Kind) -> int | None:
    row = first_row(con, f"latest_{kind.queries}_version")
    return row["version"] if row else None


def record_version(con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, sha256: str, rows: int) -> tuple[int, bool]:
    """Inside the load's transaction, after the loaded table was replaced: keep it as a new
    version, unless the file is the current version's (same SHA-256). Returns (version, new)."""
    latest = first_row(con, f"latest_{kind.queries}_version")
    if latest and latest["sha256"] == sha256:
        return latest["version"], False
    version = (latest["version"] if latest else 0) + 1
    add_missing_columns(con, kind.rows, kind.loaded)
    con.execute(query(f"insert_{kind.queries}_version"),
                {"version": version, "source": str(Path(path).resolve()), "sha256": sha256, "rows": rows})
    con.execute(query(f"insert_{kind.queries}_version_rows"), {"version": version})
    return version, True


def list_versions(con: duckdb.DuckDBPyConnection, kind: Kind) -> tuple[list[str], list[tuple]]:
    """Every version, oldest first: when, from which file, SHA-256, rows, whether it is the one
    loaded now, and the closed months frozen with it."""
    return table(con, f"list_{kind.queries}_versions")


# --- rates diff ---------------------------------------------------------------------------------

DIFF_KEY = ("model", "mode", "provider", "service_tier", "input_tokens_above", "valid_from")
DIFF_COLUMNS = (*DIFF_KEY, "change", "column", "old", "new")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if "." not in text else text.rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def diff_cards(con: duckdb.DuckDBPyConnection, old: str, new: str) -> tuple[list[str], list[tuple]]:
    """What changed from the rates-shaped relation `old` to `new` (names of tables, views or
    registered Arrow tables): one row per changed cell of a card row, the row named by model,
    mode, provider, service tier, context tier and valid_from; change is added, removed or changed."""
    def read(relation: str) -> dict[tuple, dict]:
        result = con.execute(f"SELECT * FROM {relation}")
        names = [d[0] for d in result.description]
        out = {}
        for row in result.fetchall():
            item = dict(zip(names, row))
            out[tuple(item.get(k) for k in DIFF_KEY)] = item
        return out

    before, after = read(old), read(new)
    ignored = {*DIFF_KEY, "card_line", "version"}
    order = lambda key: tuple("" if v is None else str(v) for v in key)  # noqa: E731
    rows = []
    for key in sorted(before.keys() | after.keys(), key=order):
        a, b = before.get(key), after.get(key)
        change = "added" if a is None else "removed" if b is None else "changed"
        names = [n for n in dict.fromkeys([*(a or {}), *(b or {})]) if n not in ignored]
        for name in names:
            was = _text(a.get(name)) if a else None
            now = _text(b.get(name)) if b else None
            if was != now:
                rows.append((*key, change, name, was, now))
    return list(DIFF_COLUMNS), rows


def parse_version(text: str) -> int | None:
    """`3` or `v3` is a version number; anything else is a file name (None)."""
    match = _VERSION.match(text.strip())
    return int(match.group(1)) if match else None


def register_rate_version(con: duckdb.DuckDBPyConnection, version: int, name: str) -> str:
    """Register the rates of one version as the relation `name` (a usage error when there is none)."""
    if not scalar(con, "rate_version_exists", {"version": version}):
        raise UsageError(f"no rates version {version}: see `llm-spend rates history`")
    con.register(name, con.sql(query("rate_version_rows"), params={"version": version}).to_arrow_table())
    return name


def rates_diff(con: duckdb.DuckDBPyConnection, old: str, new: str | None) -> tuple[list[str], list[tuple], str]:
    """`rates diff OLD [NEW]`: each side a version number or a card file; one side alone is
    compared with the loaded card (a version as the old side, a file as the new one). Returns
    the columns, the changed values and a title naming both sides."""
    from analyzer.rates import card_table, read_card

    def side(text: str, name: str) -> tuple[str, str]:
        version = parse_version(text)
        if version is not None:
            return register_rate_version(con, version, name), f"rates version {version}"
        con.register(name, card_table(read_card(Path(text))))
        return name, text

    if new is None:
        one, label = side(old, "diff_side")
        pair = ((one, label), ("rates", "the loaded card"))
        if parse_version(old) is None:
            pair = pair[::-1]
    else:
        pair = (side(old, "diff_old"), side(new, "diff_new"))
    (before, before_label), (after, after_label) = pair
    columns, rows = diff_cards(con, before, after)
    return columns, rows, f"{before_label} -> {after_label}"
