"""One pricing pass for a page that asks many questions of priced_usage.

The HTML report and the per-tenant statements run a score of queries over `priced_usage` each
(rows, totals, breakdowns, charts, anomalies, projection), and DuckDB binds and plans every one
through the whole pricing view stack: 0.3 to 0.5 s a query on this machine whatever the store's
size, 50 statements about 1,100 queries. Inside `priced_once` the connection's `priced_usage` is
a temp view over a temp table of the view's rows, priced once; the queries are unchanged and
read the same rows. Temp objects are the connection's own: the store is not written.

A statement's queries all carry its tenant's filter (analyzer/statements.py), so inside
`tenant_only` priced_usage holds that tenant's rows alone: each query scans a fiftieth of the
store's rows when there are fifty tenants, and no other tenant's row can reach the page.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import duckdb

from analyzer.sqlfiles import query


@contextmanager
def priced_once(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """priced_usage priced once for the queries run inside (see the module docstring). Another
    engine's connection (`--engine spark`) is left as it is: it plans its own way."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        yield
        return
    con.execute(query("materialise_priced_usage"))
    try:
        yield
    finally:
        con.execute(query("forget_materialised_priced_usage"))


@contextmanager
def tenant_only(con: duckdb.DuckDBPyConnection, tenant: str) -> Iterator[None]:
    """Inside priced_once: priced_usage narrowed to `tenant`'s rows for the queries run inside."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        yield
        return
    con.execute(query("narrow_priced_usage_to_tenant"), {"tenant": tenant})
    con.execute(query("read_tenant_priced_rows"))
    try:
        yield
    finally:
        con.execute(query("widen_priced_usage"))
