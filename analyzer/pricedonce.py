"""One pricing pass for a page that asks many questions of priced_usage.

The HTML report and the per-tenant statements run a score of queries over `priced_usage` each
(rows, totals, breakdowns, charts, anomalies, projection), and DuckDB binds and plans every one
through the whole pricing view stack: 0.3 to 0.5 s a query on this machine whatever the store's
size, 50 statements about 1,100 queries. Inside `priced_once` the connection's `priced_usage` is
a temp view over a temp table of the view's rows, priced once; the queries are unchanged and
read the same rows. Temp objects are the connection's own: the store is not written.

A statement's queries all carry its tenant's filter (analyzer/statements.py), so each statement
prices its tenant's rows alone (`priced_once(con, tenant)`): at 10M stored rows the whole
store's priced rows would spill past the memory limit (held, they take some 6 GB) and every
query would read them back from disk.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import duckdb

from analyzer.sqlfiles import query


@contextmanager
def priced_once(con: duckdb.DuckDBPyConnection, tenant: str | None = None) -> Iterator[None]:
    """priced_usage priced once for the queries run inside, of `tenant` alone when given (see
    the module docstring). Another engine's connection (`--engine spark`) is left as it is: it
    plans its own way."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        yield
        return
    if tenant is None:
        con.execute(query("materialise_priced_usage"))
    else:
        con.execute(query("materialise_tenant_priced_usage"), {"tenant": tenant})
    con.execute(query("read_materialised_priced_usage"))
    try:
        yield
    finally:
        con.execute(query("forget_materialised_priced_usage"))
