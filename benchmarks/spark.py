"""Benchmark the Spark engine against DuckDB on the same data (results: benchmarks/RESULTS.md,
"Spark engine (local[2]) next to DuckDB").

For each size N it uses run.py's generated chat records (benchmarks/data/, generated when absent),
ingests them into a store (DuckDB), exports the lake, then measures, each step as its own
process (wall time and that process's peak RSS; medians of --repeat runs):

  spark_startup       a local[2] SparkSession started and stopped (JVM and Python)
  python_startup      `python -c pass`, the floor of every step
  ingest_duckdb       llm-spend ingest into a fresh store (DuckDB)
  ingest_spark        llm-spend ingest --engine spark into a lake holding only the rate card
                      (start-up included)
  export_lake         llm-spend export --lake into an empty folder
  report_store        llm-spend report --by tenant,feature,model --period month --format csv (store)
  report_lake_duckdb  the same report with --lake (DuckDB over the lake's Parquet)
  report_lake_spark   the same report with --lake --engine spark (start-up included)

and checks that the three reports, and the report over the Spark-ingested lake, print the same
bytes. Writes benchmarks/results/spark-<timestamp>.json.

    python benchmarks/spark.py --sizes 100000 1000000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from measure import run_measured  # noqa: E402
from run import REPORT_ARGS, data_files, prepare_data  # noqa: E402

PY = sys.executable
STEPS = ("python_startup", "spark_startup", "ingest_duckdb", "ingest_spark", "export_lake", "report_store", "report_lake_duckdb",
         "report_lake_spark")
SPARK_START = "from analyzer.sparkengine import spark_session; spark_session().stop()"


def spend(*args: str) -> list[str]:
    return [PY, "-m", "analyzer.cli", *args]


def run_size(size: int, repeat: int, data: Path, env: dict) -> dict:
    data.mkdir(parents=True, exist_ok=True)
    info = prepare_data(data, size, 0.01)
    base, _, rates = data_files(data, size)
    runs: dict[str, list[dict]] = {step: [] for step in STEPS}
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        work = Path(tmp)

        def measure(step: str, cmd: list[str], out: Path | None = None) -> None:
            measured = run_measured(cmd, env=env, cwd=str(work), stdout_path=str(out) if out else None)
            runs[step].append({"seconds": measured.seconds, "max_rss_mb": measured.max_rss_mb})

        for _ in range(repeat):
            for lake in ("lake", "spark-lake"):
                shutil.rmtree(work / lake, ignore_errors=True)
            for leftover in ("store.duckdb", "store.duckdb.wal", "rates.duckdb", "rates.duckdb.wal"):
                (work / leftover).unlink(missing_ok=True)
            db = str(work / "store.duckdb")
            measure("python_startup", [PY, "-c", "pass"])
            measure("spark_startup", [PY, "-c", SPARK_START])
            run_measured(spend("--db", db, "rates", "load", str(rates)), env=env, cwd=str(work))
            measure("ingest_duckdb", spend("--db", db, "ingest", str(base), "--quiet"))
            rates_db = str(work / "rates.duckdb")
            run_measured(spend("--db", rates_db, "rates", "load", str(rates)), env=env, cwd=str(work))
            run_measured(spend("--db", rates_db, "export", "--lake", str(work / "spark-lake")), env=env, cwd=str(work))
            measure("ingest_spark", spend("ingest", "--engine", "spark", "--lake", str(work / "spark-lake"), str(base),
                                          "--quiet"))
            measure("export_lake", spend("--db", db, "export", "--lake", str(work / "lake")))
            measure("report_store", spend("--db", db, *REPORT_ARGS), work / "store.csv")
            measure("report_lake_duckdb", spend(*REPORT_ARGS, "--lake", str(work / "lake")), work / "lake.csv")
            measure("report_lake_spark", spend(*REPORT_ARGS, "--lake", str(work / "lake"), "--engine", "spark"),
                    work / "spark.csv")
            run_measured(spend(*REPORT_ARGS, "--lake", str(work / "spark-lake")), env=env, cwd=str(work),
                         stdout_path=str(work / "spark-ingested.csv"))
            reports = {(work / name).read_bytes() for name in ("store.csv", "lake.csv", "spark.csv", "spark-ingested.csv")}
            if len(reports) != 1:
                raise SystemExit(f"size {size}: the reports differ")
        lake_bytes = sum(p.stat().st_size for p in (work / "lake").rglob("*") if p.is_file())
        store_bytes = (work / "store.duckdb").stat().st_size
    steps = {step: {"seconds": statistics.median(r["seconds"] for r in rs),
                    "max_rss_mb": statistics.median(r["max_rss_mb"] for r in rs)} for step, rs in runs.items()}
    return {"records": size, "data": info, "steps": steps, "runs": runs, "lake_bytes": lake_bytes,
            "store_bytes": store_bytes, "reports_equal": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    env = dict(os.environ, TZ="UTC", PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    document = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
                "load_average_before": os.getloadavg(), "started": datetime.now(timezone.utc).isoformat(), "sizes": []}
    for size in args.sizes:
        result = run_size(size, args.repeat, args.data, env)
        document["sizes"].append(result)
        s = {step: figures["seconds"] for step, figures in result["steps"].items()}
        print(f"{size:>10,} records: " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in s.items()), flush=True)
    document["load_average_after"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"spark-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(document, indent=2))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
