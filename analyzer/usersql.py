"""Ad-hoc SQL for analysts: one read-only statement, on a sandboxed read-only connection."""

from __future__ import annotations

from pathlib import Path

import duckdb

from analyzer.errors import SpendError, UsageError
from analyzer.store import open_store

ALLOWED = {"SELECT", "EXPLAIN"}  # DESCRIBE, SHOW, SUMMARIZE and WITH parse as SELECT


def check_statement(sql: str) -> None:
    """Refuse anything but one SELECT / WITH / DESCRIBE / SHOW / SUMMARIZE / EXPLAIN statement."""
    try:
        statements = duckdb.connect(":memory:").extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(f"sql: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise UsageError(f"sql: give exactly one statement (found {len(statements)})")
    kind = statements[0].type.name
    if kind not in ALLOWED:
        raise UsageError(f"sql: {kind} statements are not allowed; llm-spend sql is read-only "
                         "(SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)")


def run_user_sql(path: Path, sql: str, wait: float = 0) -> tuple[list[str], list[tuple]]:
    """Run the statement with no file or network access and the configuration locked."""
    check_statement(sql)
    with open_store(path, read_only=True, wait=wait) as con:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            result = con.execute(sql)
            columns = [d[0] for d in result.description]
            return columns, result.fetchall()
        except duckdb.Error as exc:
            raise SpendError(f"sql: {str(exc).splitlines()[0]}") from None
