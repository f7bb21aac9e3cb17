"""A connection that runs the project's DuckDB queries on a SparkSession over a lake, so the report
code (analyzer/reports.py, spendreport.py, ...) is the same for both engines: `execute(sql, params)`
transpiles the statement (analyzer/sparksql.py), or takes its Spark variant, and returns a
DB-API-like result (description, fetchall, fetchone, fetchmany) with the values DuckDB gives:
Decimal, int, str, UTC-aware datetimes, dates, lists."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from analyzer.errors import SpendError


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """{SQL text: name} of the named queries (to name a query Spark refused)."""
    from analyzer.sqlfiles import _all_queries

    return {sql: name for name, sql in _all_queries().items()}


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    """{SQL text of a named query: its Spark variant} for every `<name>__spark` query."""
    from analyzer.sqlfiles import _all_queries

    named = _all_queries()
    return {named[name[:-len("__spark")]]: sql for name, sql in named.items()
            if name.endswith("__spark") and name[:-len("__spark")] in named}


class SparkResult:
    """The rows of one statement, fetched (report results are small)."""

    def __init__(self, table):
        self.description = [(field.name, str(field.type), None, None, None, None, None) for field in table.schema]
        names = [field.name for field in table.schema]
        self._rows = [tuple(row[name] for name in names) for row in table.to_pylist()]
        self._at = 0

    def fetchall(self) -> list[tuple]:
        rows, self._at = self._rows[self._at:], len(self._rows)
        return rows

    def fetchone(self) -> tuple | None:
        row = self._rows[self._at] if self._at < len(self._rows) else None
        self._at += row is not None
        return row

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows = self._rows[self._at:self._at + size]
        self._at += len(rows)
        return rows


class SparkConnection:
    """The lake on Spark, queried in DuckDB's dialect."""

    engine = "spark"

    def __init__(self, spark, lake: str):
        self.spark = spark
        self.lake = lake

    def execute(self, sql: str, params: dict | None = None) -> SparkResult:
        from pyspark.errors import PySparkException

        from analyzer.sparksql import to_spark

        variant = _variants().get(sql.strip())
        statement = to_spark(variant, params, dialect="spark") if variant is not None else to_spark(sql, params)
        try:
            return SparkResult(self.spark.sql(statement).toArrow())
        except PySparkException as exc:
            name = _names().get(sql.strip(), "a query")
            raise SpendError(f"--engine spark: {name}: {str(exc).strip().splitlines()[0]}") from None

    def close(self) -> None:
        """The session stays up (spark-submit's or a test's may be shared); its views are dropped
        and the persisted pricing released."""
        self.spark.catalog.clearCache()
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)


@contextmanager
def spark_connection(lake: Path | str, master: str | None = None) -> Iterator[SparkConnection]:
    """The lake's tables and pricing views registered on the SparkSession, as a connection."""
    from analyzer.sparkengine import spark_session
    from analyzer.sparkpricing import lake_uri, read_lake_manifest, register_lake, register_pricing

    spark = spark_session(master)
    uri = lake_uri(lake)
    read_lake_manifest(spark, uri)  # not a lake is one line, before any work
    con = SparkConnection(spark, uri)
    try:
        register_pricing(spark, register_lake(spark, uri))
        yield con
    finally:
        con.close()
