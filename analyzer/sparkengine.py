"""The Spark engine (README "When one machine is not enough"): whether it can run here, and the
one SparkSession llm-spend uses. pyspark is an optional extra, imported only here and only when
`--engine spark` is asked for."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from analyzer.errors import UsageError

ENGINES = ("duckdb", "spark")
INSTALL = "pip install 'llm-spend[spark]'"
LOCAL_MASTER = "local[2]"

# Settings every session gets: UTC like the DuckDB store; DECIMAL arithmetic that keeps every
# digit (allowPrecisionLoss=false: a product keeps its scale, as DuckDB's does, instead of being
# rounded to 6 decimals) and fails rather than returning NULL on overflow (ANSI mode).
_SETTINGS = {
    "spark.app.name": "llm-spend",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.ansi.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Parquet timestamps as DuckDB writes them (microseconds, UTC-adjusted), not the legacy INT96.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
# Only for local masters: a handful of shuffle partitions (the default 200 is for clusters).
_LOCAL_SETTINGS = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}


def java_missing() -> str | None:
    """Why Java cannot be started here (None when `java` is on PATH or JAVA_HOME has one)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return None
    if shutil.which("java"):
        return None
    return "no java on PATH and no JAVA_HOME"


def require_spark() -> None:
    """Refuse `--engine spark`, in one line saying what to install, when pyspark, sqlglot or Java is missing."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        raise UsageError(f"--engine spark needs the spark extra: {INSTALL} (pyspark 4, and Java 17+)") from None
    missing = java_missing()
    if missing:
        raise UsageError(f"--engine spark needs Java 17 or later ({missing})")


def spark_session(master: str | None = None):
    """The SparkSession: `master` (--spark-master), else $LLM_SPEND_SPARK_MASTER, else spark-submit's
    master when run by spark-submit, else local[2]. An active session (a test's) is reused."""
    require_spark()
    import logging

    from pyspark.sql import SparkSession

    # pyspark logs a failed query's JVM stack as JSON on stderr; the error becomes one line instead.
    logging.getLogger("SQLQueryContextLogger").disabled = True

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or os.environ.get("LLM_SPEND_SPARK_MASTER")
    builder = SparkSession.builder
    # Under spark-submit (its JVM is already up: PYSPARK_GATEWAY_PORT), spark-submit's --master
    # and --conf hold unless --spark-master is given.
    if master or "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = master or LOCAL_MASTER
        builder = builder.master(master)
    settings = dict(_SETTINGS)
    if master and master.startswith("local"):
        settings.update(_LOCAL_SETTINGS)
        # Local workers run this interpreter (pyarrow and duckdb are there) unless $PYSPARK_PYTHON
        # says otherwise; pyspark reads only the variable, not spark.pyspark.python.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log_config = Path(__file__).resolve().parent / "data" / "spark-log4j2.properties"
    settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={log_config.as_uri()} -Duser.timezone=UTC"
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start, or the master is unreachable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot start Spark (master {master or 'of spark-submit'}): {first}") from None
