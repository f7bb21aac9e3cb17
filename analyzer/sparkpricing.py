"""The lake's tables and the pricing views on a SparkSession: usage and the small tables as temp
views over the lake's Parquet files, then priced_usage_current and priced_usage as on a store.

The card resolution (rate_cells, small) runs in DuckDB on the driver over the keys Spark finds
in the usage; the per-row pricing runs on Spark (queries/spark/pricing.sql says why it is a
Spark variant)."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.errors import UsageError
from analyzer.lake import DATA_FILE, LAKE_FORMAT, MANIFEST, TABLES, read_manifest
from analyzer.sparksql import spark_statements, to_spark
from analyzer.sqlfiles import query


def lake_uri(lake: str | Path) -> str:
    """A local folder as an absolute path; a URI Spark reads (s3a://, abfss://, hdfs://) as given."""
    text = str(lake)
    return text.rstrip("/") if "://" in text else str(Path(text).resolve())


def read_lake_manifest(spark, uri: str) -> dict:
    """The manifest, read by Spark where the lake is not a local folder."""
    if "://" not in uri:
        return read_manifest(Path(uri), required=True)
    try:
        text = spark.read.text(f"{uri}/{MANIFEST}", wholetext=True).first()[0]
        manifest = json.loads(text)
    except Exception as exc:  # not there, not readable, not JSON: one line
        raise UsageError(f"--lake {uri}: cannot read {MANIFEST} ({str(exc).splitlines()[0][:200]})") from None
    if manifest.get("format") != LAKE_FORMAT:
        raise UsageError(f"--lake {uri}: {MANIFEST} is of another lake format ({manifest.get('format')!r})")
    return manifest


def register_lake(spark, uri: str) -> dict:
    """Temp views usage and TABLES over the lake's files; returns the manifest."""
    manifest = read_lake_manifest(spark, uri)
    for table in TABLES:
        if table in manifest.get("tables", {}):
            spark.read.parquet(f"{uri}/{table}/{DATA_FILE}").createOrReplaceTempView(table)
    files = [f"{uri}/usage/month={month}/{DATA_FILE}" for month in sorted(manifest.get("usage", {}))]
    if files:
        usage = spark.read.parquet(*files)
    else:  # no usage yet: the columns of closed_usage, which are usage's and its month
        usage = spark.table("closed_usage").drop("closed_month")
    usage.createOrReplaceTempView("usage")
    return manifest


def batch_discount(spark, argument=None):
    """The value of price_usage's batch-discount argument (a Spark syntax tree; default the
    store's setting, store_batch_discount()), evaluated on Spark over the lake's settings."""
    from sqlglot import exp

    if argument is None:
        argument = spark_statements("SELECT store_batch_discount()")[0].selects[0]
    return spark.sql(exp.select(exp.cast(argument.copy(), "DECIMAL(7, 6)")).sql(dialect="spark")).first()[0]


def price_relation(spark, usage: str, rates: str, discount):
    """price_usage(usage, rates, discount) of queries/views/010_pricing.sql on Spark, as a
    DataFrame: the usage view `usage` priced with the rates view `rates` (any rates-shaped
    relation: the lake's, a card registered for a what-if). The card resolution runs in DuckDB on
    the driver over the keys of `usage`; the per-row pricing on Spark."""
    from analyzer.store import memory_store

    keys = spark.sql(to_spark(query("spark_usage_keys"), tables={"usage": usage})).toArrow()
    with memory_store() as duck:
        duck.register("lake_rates", spark.table(rates).toArrow())
        duck.register("lake_settings", spark.table("settings").toArrow())
        duck.register("lake_keys", keys)
        duck.execute(query("spark_card_from_lake"))
        cells = duck.sql(query("spark_rate_cells"), params={"discount": discount}).to_arrow_table()
    cells_view = f"{usage}__rate_cells"
    spark.createDataFrame(cells).createOrReplaceTempView(cells_view)
    return spark.sql(to_spark(query("priced_usage_current__spark"), dialect="spark",
                              tables={"usage": usage, "rate_cells_resolved": cells_view}))


def register_pricing(spark, manifest: dict) -> None:
    """Temp views priced_usage_current, priced_usage and capacity_costs."""
    if manifest.get("tables", {}).get("capacities", {}).get("rows"):
        raise UsageError("--engine spark: capacity allocation does not run on Spark yet; this lake has "
                         "capacities: report on it with DuckDB (drop --engine spark)")
    spark.sql(query("capacity_costs__spark")).createOrReplaceTempView("capacity_costs")
    current = price_relation(spark, "usage", "rates", batch_discount(spark))
    current.createOrReplaceTempView("priced_usage_current")
    # priced_usage (queries/views/012_closed_months.sql): closed months show their frozen rows.
    closes = spark.table("month_closes")
    if manifest.get("tables", {}).get("month_closes", {}).get("rows"):
        from pyspark.sql import functions as F

        open_rows = current.join(closes, F.to_date(F.date_trunc("month", current.ts)) == closes.month, "left_anti")
        frozen = spark.table("closed_usage").drop("closed_month")
        current = open_rows.unionByName(frozen, allowMissingColumns=True)
    # Every report query of a command reads priced_usage: price once (memory, then disk), not per query.
    current.persist()
    current.createOrReplaceTempView("priced_usage")
