"""Loader for the named SQL in `queries/` (aiosql's habit: one named, documented query per block).

A file holds one or more blocks, each starting with `-- name: NAME` followed by comment lines
that document it and the SQL. Parameters are DuckDB named parameters (`$name`). Files under
`queries/schema/` are migrations (tables, append-only history) and files under `queries/views/`
are the current views and macros (recreated at every write open); both are read whole, in name
order.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_NAME = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)


def resource_dir(name: str) -> Path:
    """Folder `queries` or `templates`: inside the installed package, else at the repository top."""
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"llm-spend is installed without its {name}/ folder")


@lru_cache(maxsize=None)
def _all_queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    root = resource_dir("queries")
    for path in sorted(root.rglob("*.sql")):
        if path.parent.name in ("schema", "views"):
            continue
        text = path.read_text(encoding="utf-8")
        marks = list(_NAME.finditer(text))
        if not marks:
            raise ValueError(f"{path}: no '-- name:' block")
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            name = mark.group(1)
            if name in queries:
                raise ValueError(f"{path}: query {name} is defined twice")
            queries[name] = text[mark.end():end].strip()
    return queries


def query(name: str) -> str:
    """The SQL of the named query."""
    return _all_queries()[name]


def migrations() -> list[tuple[str, str]]:
    """(name, sql) of every schema migration, in the order they apply."""
    root = resource_dir("queries") / "schema"
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.sql"))]


def views() -> list[tuple[str, str]]:
    """(name, sql) of every view file (CREATE OR REPLACE scripts), in the order they apply."""
    root = resource_dir("queries") / "views"
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.sql"))]


def compose(name: str, **slots: str) -> str:
    """The named query with each `-- @slot` line replaced by another named query's SQL.

    Used where one query wraps another (a reader's normalisation inside the common ingest
    checks); only named queries from queries/ go in, never text from a user.
    """
    sql = query(name)
    for slot, slot_query in slots.items():
        marker = f"-- @{slot}"
        if marker not in sql:
            raise ValueError(f"query {name} has no slot @{slot}")
        sql = sql.replace(marker, query(slot_query))
    return sql


_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


def run_composed(con, name: str, params: dict, **slots: str):
    """Execute `compose(name, **slots)` with the parameters its SQL names. Readers share one
    parameter set (attribution, mode, flags such as `metadata_tags`) across queries that each take
    only some of them; DuckDB refuses a parameter a statement does not name."""
    sql = compose(name, **slots)
    named = set(_PARAMETER.findall(sql))
    return con.execute(sql, {key: value for key, value in params.items() if key in named})


def first_row(con, name: str, params: dict | None = None) -> dict | None:
    """The first row of a named query as a dict, or None; the result is read to the end
    (DuckDB 2 refuses new work on a connection while a result is still open)."""
    result = con.execute(query(name), params or {})
    rows = result.fetchall()
    if not rows:
        return None
    return dict(zip([d[0] for d in result.description], rows[0]))


def scalar(con, name: str, params: dict | None = None):
    """The single value of a one-row, one-column named query (None when it has no row)."""
    rows = con.execute(query(name), params or {}).fetchall()
    return rows[0][0] if rows else None


def table(con, name: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of a named query (for small results: reports, listings)."""
    result = con.execute(query(name), params or {})
    return [d[0] for d in result.description], result.fetchall()


def records(con, name: str, params: dict | None = None) -> list[dict]:
    """Every row of a named query as a dict."""
    names, rows = table(con, name, params)
    return [dict(zip(names, row)) for row in rows]
