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
        if table is None:  # a statement without rows (CREATE, DROP)
            self.description, self._rows, self._at = [], [], 0
            return
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
    """The lake on Spark, queried in DuckDB's dialect: SELECTs, and the few statements the
    planning queries (whatif) run on a read-only store: CREATE TEMP TABLE / VIEW ... AS (a temp
    view of the query's plan), DROP (of temp views), price_usage('usage view', 'rates view',
    discount) as a relation (the table macro, priced on Spark by sparkpricing.price_relation), and
    register / unregister of an Arrow table (a what-if's --rates card)."""

    engine = "spark"

    def __init__(self, spark, lake: str):
        self.spark = spark
        self.lake = lake
        self._priced = 0  # price_usage relations made so far (their temp views' names)

    def execute(self, sql: str, params: dict | None = None) -> SparkResult:
        from pyspark.errors import PySparkException

        from analyzer.sparksql import spark_statements

        variant = _variants().get(sql.strip())
        statements = (spark_statements(variant, params, dialect="spark") if variant is not None
                      else spark_statements(sql, params))
        try:
            result = None
            for statement in statements:
                result = self._run(statement)
            return result
        except PySparkException as exc:
            name = _names().get(sql.strip(), "a query")
            raise SpendError(f"--engine spark: {name}: {str(exc).strip().splitlines()[0]}") from None

    def _run(self, statement) -> SparkResult:
        from sqlglot import exp

        if isinstance(statement, exp.Drop) and statement.args.get("kind") in ("TABLE", "VIEW"):
            for table in statement.find_all(exp.Table):
                self.spark.catalog.dropTempView(table.name)
            return SparkResult(None)
        macros = self._table_macros(statement)
        try:
            if isinstance(statement, exp.Create) and statement.args.get("kind") in ("TABLE", "VIEW"):
                if not _temporary(statement):
                    raise SpendError("--engine spark: a lake is read-only (only temporary tables and views)")
                # The query's plan, not its text: a view it reads may be dropped after (DROP, unregister).
                self.spark.sql(statement.expression.sql(dialect="spark")).createOrReplaceTempView(statement.this.name)
                return SparkResult(None)
            return SparkResult(self.spark.sql(statement.sql(dialect="spark")).toArrow())
        finally:
            for view in macros:
                self.spark.catalog.dropTempView(view)
                self.spark.catalog.dropTempView(f"{view}__rate_cells")

    def _table_macros(self, statement) -> list[str]:
        """Each price_usage('usage view', 'rates view', discount) of `statement` priced on Spark as a
        temp view, and replaced by it in the tree; the views' names."""
        from sqlglot import exp

        from analyzer.sparkpricing import batch_discount, price_relation

        views = []
        for table in list(statement.find_all(exp.Table)):
            call = table.this
            if not (isinstance(call, exp.Anonymous) and call.name.lower() == "price_usage"):
                continue
            usage, rates, discount = call.expressions
            if not (isinstance(usage, exp.Literal) and isinstance(rates, exp.Literal)):
                raise SpendError("--engine spark: price_usage takes two relation names")
            self._priced += 1
            view = f"price_usage_{self._priced}"
            price_relation(self.spark, usage.this, rates.this, batch_discount(self.spark, discount)).createOrReplaceTempView(view)
            views.append(view)
            renamed = exp.to_table(view)
            table.replace(renamed.as_(table.alias) if table.alias else renamed)
        return views

    def register(self, name: str, table) -> None:
        """An Arrow table as the temp view `name` (DuckDB's register)."""
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        """The session stays up (spark-submit's or a test's may be shared); its views are dropped
        and the persisted pricing released."""
        self.spark.catalog.clearCache()
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)


def _temporary(statement) -> bool:
    from sqlglot import exp

    properties = statement.args.get("properties")
    return bool(properties) and any(isinstance(p, exp.TemporaryProperty) for p in properties.expressions)


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
