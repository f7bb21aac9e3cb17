"""`llm-spend ingest --engine spark --lake DIR PATH...`: raw logs into a Parquet lake on Apache
Spark (README "When one machine is not enough").

The driver lists the inputs (local paths, or any URI Spark's file systems read: file://, hdfs://,
s3a://, ...), detects each file's format from its first bytes as the store's ingest does, and
plans it: JSON Lines files are read by Spark's text reader, split across tasks; every other file
(a document such as a Usage API page, CSV, Parquet, SSE, a gzip file without a .gz name) is read
whole by one task. The tasks stage their records with the store's own staging SQL
(analyzer/sparkstage.py). Then, on Spark: identity (a record whose id the lake holds adds nothing;
of the copies of an id within the run, the first by file and line is kept), the conflicts and
rejects of the run, and the new rows merged into their month partitions.

Writes are as safe as the lake's export: each month partition the run touches is written in full
beside the lake, then renamed over the old file (atomic on one file system); the manifest is
written last. A run stopped part-way leaves each month old or new; the next run adds what is
missing and, by identity, nothing twice. The lake folder must be on a file system the driver and
the executors share (one machine, or a shared mount on a cluster).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from analyzer.errors import BadInput, UsageError
from analyzer.ingest import FileResult, IngestSummary, discover_files, known_suffix, parse_default_time, usage_params
from analyzer.lake import DATA_FILE, MANIFEST, SPARK_RUNS, month_folder, read_manifest
from analyzer.sparkstage import PlannedFile, stage_file_batches, stage_line_batches, staged_arrow_schema
from analyzer.sqlfiles import query

TABLES_WRITTEN = ("rejects", "ingest_conflicts")  # per run: <table>/run_id=N/*.parquet
GLOB_CHARACTERS = "\\*?[]{}"
RUN_VIEWS = ("spark_staged", "lake_stored", "spark_ingest_copies")  # dropped after each run


def is_uri(text: str) -> bool:
    """A URI (s3a://..., file:/... as Hadoop lists local files), not a local path."""
    return len(urlsplit(text).scheme) > 1


def file_key(text: str) -> tuple[str, str, str]:
    """One name for a file whichever way it is spelt: a local path, file:/, file:///, a
    percent-encoded URI as Spark reports it."""
    if not is_uri(text):
        return ("file", "", os.path.normpath(os.path.abspath(text)))
    parts = urlsplit(text)
    path = unquote(parts.path)
    return (parts.scheme or "file", parts.netloc, os.path.normpath(path) if parts.scheme == "file" else path)


def _escaped(uri: str) -> str:
    """A path Spark reads as that one file (its paths are glob patterns)."""
    return "".join("\\" + c if c in GLOB_CHARACTERS else c for c in uri)


def _hadoop(spark, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def list_inputs(spark, paths) -> list[tuple[str, str]]:
    """(what Spark reads, the file's name in the lake) of every file to read: local files and
    folders as the store's ingest finds them; a URI's files (a folder: recursively, known suffixes,
    no hidden names) through Spark's file system for it."""
    found: list[tuple[str, str]] = []
    for raw in paths:
        if raw == "-":
            raise UsageError("--engine spark reads files, not standard input")
        if not is_uri(raw):
            found += [(Path(p).resolve().as_uri(), str(Path(p).resolve())) for p in discover_files([raw])]
            continue
        try:
            fs, path = _hadoop(spark, raw)
            if not fs.exists(path):
                raise BadInput(f"no such file or folder: {raw}")
            if fs.getFileStatus(path).isFile():
                found.append((raw, raw))
                continue
            root = path.toString().rstrip("/")
            files = fs.listFiles(path, True)
            listed = []
            while files.hasNext():
                name = files.next().getPath().toString()
                relative = name[len(root):].lstrip("/").split("/")
                if not any(part.startswith((".", "_")) for part in relative) and known_suffix(Path(relative[-1])):
                    listed.append(name)
            found += [(name, name) for name in sorted(listed)]
        except BadInput:
            raise
        except Exception as exc:  # a file system Spark has no connector for, no access, ...
            raise BadInput(f"{raw}: cannot list: {str(exc).strip().splitlines()[0][:200]}") from None
    unique = {file_key(uri): (uri, key) for uri, key in found}  # a file named twice is read once
    return list(unique.values())


def _sample(spark, uri: str, key: str):
    """The head of the file, as the store's detection sees it: a URI's first bytes through Spark's
    file system (decompressed by its codec for the name, as Spark's readers will), one byte over
    the sample so detection knows whether it saw the whole file."""
    from analyzer.files import SAMPLE_BYTES, read_sample

    if not is_uri(key):
        return read_sample(Path(key))
    try:
        fs, path = _hadoop(spark, uri)
        jvm = spark.sparkContext._jvm
        stream = fs.open(path)
        try:
            codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(
                spark.sparkContext._jsc.hadoopConfiguration()).getCodec(path)
            reader = codec.createInputStream(stream) if codec is not None else stream
            head = bytes(reader.readNBytes(SAMPLE_BYTES + 1))  # py4j hands byte[] over as bytes
        finally:
            stream.close()
    except Exception as exc:
        raise BadInput(f"{key}: cannot read: {str(exc).strip().splitlines()[0][:200]}") from None
    with tempfile.TemporaryDirectory(prefix="llm-spend-head-") as folder:
        local = Path(folder) / "head"
        local.write_bytes(head)
        return read_sample(local)


def _splittable(reader, sample, key: str) -> bool:
    """Read as lines split across tasks: JSON Lines, not a stream capture, and (a local file)
    gzip exactly when its name ends .gz (Spark decompresses by name), no byte order mark. A remote
    file's compression is Spark's to tell, by its name."""
    from analyzer.files import text_encoding

    if reader.layout_for(sample) != "lines" or sample.streamed:
        return False
    if is_uri(key):
        return True
    with open(key, "rb") as handle:
        head = handle.read(4)
    gzip = head[:2] == b"\x1f\x8b"
    return gzip == key.endswith(".gz") and (gzip or not text_encoding(head))


class SparkIngest:
    """One ingest run into the lake `folder` on `spark`."""

    def __init__(self, spark, folder: Path, config, *, fmt: str = "auto", mode: str | None = None,
                 default_time: str | None = None, provider: str | None = None):
        from analyzer.readers import reader_named

        self.spark, self.folder, self.config = spark, folder, config
        self.forced = None if fmt == "auto" else reader_named(fmt)
        self.mode, self.provider = mode, provider.strip() if provider else None
        self.default_time = parse_default_time(default_time)

    def run(self, paths) -> IngestSummary:
        started = time.monotonic()
        inputs = list_inputs(self.spark, paths)
        manifest = prepare_lake(self.folder)
        run_id = 1 + max([r["run_id"] for r in manifest.get(SPARK_RUNS, [])]
                         + [m.get("max_run_id") or 0 for m in manifest.get("usage", {}).values()] + [0])
        summary = IngestSummary(run_id=run_id)
        plan, results, file_rejects = self._plan(inputs)
        work = self.folder / f".spark-run-{run_id}-{os.getpid()}"
        try:
            months = {}
            if plan:
                self._stage(plan, work)
                self._identity(work)
                summary.new_tokens, summary.new_without_tenant = self._count(results)
                months = self._write_months(run_id, work)
            self._write_run_tables(run_id, file_rejects, staged=bool(plan))
            summary.files = [results[order] for order in sorted(results)]
            summary.new_tokens_priced = None  # priced at report time: the lake keeps usage, not costs
            self._write_manifest(manifest, months, summary)
        finally:
            for view in RUN_VIEWS:
                self.spark.catalog.dropTempView(view)
            shutil.rmtree(work, ignore_errors=True)
        summary.seconds = time.monotonic() - started
        return summary

    def _plan(self, inputs) -> tuple[list[PlannedFile], dict[int, FileResult], list[tuple]]:
        from analyzer.readers import detect_reader

        plan, results, rejects = [], {}, []
        for order, (uri, key) in enumerate(inputs):
            name = Path(urlsplit(uri).path).name
            try:
                sample = _sample(self.spark, uri, key)
                reader = self.forced or detect_reader(sample, Path(name))
            except BadInput as exc:
                results[order] = FileResult(key, "error", note=str(exc))
                rejects.append((key, None, str(exc), None))
                continue
            if reader.target != "usage":
                note = (f"{key}: {reader.name} holds billed costs, which reconciliation reads from a store: "
                        f"ingest it with llm-spend ingest --db STORE")
                results[order] = FileResult(key, "error", reader.name, note=note)
                continue
            params = usage_params(self.config, reader, mode=self.mode, default_time=self.default_time,
                                  source_path=key, provider=self.provider)
            plan.append(PlannedFile(uri=uri, key=key, order=order, reader=reader.name,
                                    query=reader.query_for(sample), params=params, sample=sample,
                                    split=_splittable(reader, sample, key), name=name))
            results[order] = FileResult(key, "read", reader.name)
        return plan, results, rejects

    def _stage(self, plan: list[PlannedFile], work: Path) -> None:
        """Every staged row of the run, written once to `work`/staged (read by each step after)."""
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_schema

        spark = self.spark
        schema = staged_arrow_schema()
        spark_schema = from_arrow_schema(schema, prefer_timestamp_ntz=False)
        parts = []
        split = [p for p in plan if p.split]
        if split:
            lines = (spark.read.text([_escaped(p.uri) for p in split])
                     .select(F.col("_metadata.file_path").alias("file_path"),
                             F.col("_metadata.file_block_start").alias("block_start"),
                             F.col("value").cast("binary").alias("value")))
            blocks = lines.groupBy("file_path", "block_start").count().collect()
            by_key = {file_key(p.uri): p for p in split}
            named = {row.file_path: by_key[file_key(row.file_path)] for row in blocks}
            first_lines, next_line = {}, {}
            for row in sorted(blocks, key=lambda r: (r.file_path, r.block_start)):
                first_lines[(row.file_path, row.block_start)] = next_line.get(row.file_path, 1)
                next_line[row.file_path] = next_line.get(row.file_path, 1) + row["count"]
            parts.append(lines.mapInArrow(stage_line_batches(named, first_lines, schema), spark_schema))
        whole = [p for p in plan if not p.split]
        if whole:
            files = spark.read.format("binaryFile").load([_escaped(p.uri) for p in whole]).select("path", "content")
            paths = [row.path for row in files.select("path").collect()]
            by_key = {file_key(p.uri): p for p in whole}
            named = {path: by_key[file_key(path)] for path in paths}
            parts.append(files.mapInArrow(stage_file_batches(named, schema), spark_schema))
        staged = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
        staged.write.parquet(str(work / "staged"))

    def _identity(self, work: Path) -> None:
        """Temp views spark_staged, lake_stored and spark_ingest_copies (queries/spark/ingest.sql)."""
        spark = self.spark
        spark.read.parquet(str(work / "staged")).createOrReplaceTempView("spark_staged")
        stored = sorted(str(p) for p in (self.folder / "usage").glob(f"month=*/{DATA_FILE}"))
        if stored:
            spark.read.parquet(*stored).createOrReplaceTempView("lake_stored")
        else:
            spark.sql("SELECT request_id, requests, input_tokens, cached_input_tokens, cache_write_tokens, "
                      "output_tokens, reasoning_tokens, CAST(NULL AS BIGINT) AS run_id "
                      "FROM spark_staged WHERE false").createOrReplaceTempView("lake_stored")
        copies = spark.sql(query("spark_ingest_copies"))
        copies.write.parquet(str(work / "copies"))
        spark.read.parquet(str(work / "copies")).createOrReplaceTempView("spark_ingest_copies")

    def _count(self, results: dict[int, FileResult]) -> tuple[int, int]:
        """Fill each file's counts; returns (new tokens, new rows without a tenant)."""
        spark = self.spark
        for row in spark.sql(query("spark_ingest_file_counts")).collect():
            result = results[row.file_order]
            result.rows_read, result.rejects = row.rows_read, row.rejects
            if row.file_problem:
                result.status, result.note = "error", f"{result.path}: {row.file_problem}"
        tokens = without = 0
        for row in spark.sql(query("spark_ingest_added_counts")).collect():
            result = results[row.file_order]
            result.rows_new, result.conflicts = row.rows_new, row.conflicts
            tokens, without = tokens + (row.new_tokens or 0), without + row.without_tenant
        return tokens, without

    def _write_months(self, run_id: int, work: Path) -> dict[str, dict]:
        """Merge the new rows into their month partitions; returns the manifest entries of the
        months rewritten."""
        from pyspark.sql import functions as F

        from analyzer.store import memory_store

        spark = self.spark
        with memory_store() as con:
            columns = [row[0] for row in con.execute("SELECT column_name FROM (DESCRIBE usage)").fetchall()]
        new = spark.sql(query("spark_ingest_new_rows"), args={"run_id": run_id}).select(*columns, "month")
        months = sorted(row.month for row in new.select("month").distinct().collect())
        if not months:
            return {}
        merged = new
        for month in months:
            old = month_folder(self.folder, month) / DATA_FILE
            if old.exists():
                rows = spark.read.parquet(str(old))
                rows = rows.select(*[F.col(c).cast("string") if c == "attributes" else F.col(c) for c in columns])
                merged = merged.unionByName(rows.withColumn("month", F.lit(month)))
        target = work / "months"
        (merged.repartition("month").sortWithinPartitions("ts", "request_id")
         .write.partitionBy("month").option("compression", "zstd").parquet(str(target)))
        written = spark.read.parquet(str(target))
        digests = written.groupBy("month").agg(
            F.count(F.lit(1)).alias("rows"), F.max("run_id").alias("max_run_id"),
            F.bit_xor(F.xxhash64(*[F.col(c) for c in columns])).cast("string").alias("digest")).collect()
        entries = {}
        for row in digests:
            (part,) = sorted((target / f"month={row.month}").glob("*.parquet"))
            destination = month_folder(self.folder, row.month) / DATA_FILE
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, destination)
            entries[row.month] = {"rows": row.rows, "max_run_id": row.max_run_id, "digest": f"spark:{row.digest}"}
        return entries

    def _write_run_tables(self, run_id: int, file_rejects: list[tuple], staged: bool) -> None:
        """The run's rejects and conflicts, as <table>/run_id=N/ beside usage."""
        spark = self.spark
        tables = {}
        if staged:
            tables["rejects"] = spark.sql(query("spark_ingest_rejects"), args={"run_id": run_id})
            tables["ingest_conflicts"] = spark.sql(query("spark_ingest_conflicts"), args={"run_id": run_id})
        if file_rejects:
            extra = spark.createDataFrame(
                [(key, line, reason, raw, run_id) for key, line, reason, raw in file_rejects],
                "source_file string, source_line bigint, reason string, raw string, run_id bigint")
            tables["rejects"] = tables["rejects"].unionByName(extra) if "rejects" in tables else extra
        for name, frame in tables.items():
            target = self.folder / name / f"run_id={run_id}"
            temporary = self.folder / name / f".run_id={run_id}.tmp"
            frame.coalesce(1).write.mode("overwrite").parquet(str(temporary))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(temporary, target)

    def _write_manifest(self, manifest: dict, months: dict, summary: IngestSummary) -> None:
        manifest = dict(manifest, usage=dict(manifest.get("usage", {}), **months))
        manifest[SPARK_RUNS] = manifest.get(SPARK_RUNS, []) + [{
            "run_id": summary.run_id, "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files_read": sum(f.status == "read" for f in summary.files), "rows_read": summary.total("rows_read"),
            "rows_new": summary.total("rows_new"), "rejects": summary.total("rejects"),
            "conflicts": summary.total("conflicts"), "months_written": sorted(months)}]
        write_manifest(self.folder, manifest)


def write_manifest(folder: Path, manifest: dict) -> None:
    temporary = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, folder / MANIFEST)


def prepare_lake(folder: Path) -> dict:
    """The lake's manifest; an empty (or absent) folder becomes a lake with this version's empty
    tables (rates and capacities come from a store: llm-spend export --lake)."""
    manifest = read_manifest(folder, required=False)
    if manifest:
        return manifest
    from analyzer.lake import export_lake
    from analyzer.store import memory_store

    with memory_store() as con:
        export_lake(con, folder)
    return read_manifest(folder, required=True)


def ingest_on_spark(lake: str, paths, config, *, master: str | None = None, **options) -> IngestSummary:
    """Read the files and folders `paths` into the lake folder `lake` on Spark; see the module docstring."""
    from analyzer.sparkengine import spark_session

    if "://" in lake:
        raise UsageError(f"--lake {lake}: ingest --engine spark writes a lake folder on a file system the driver "
                         f"and the executors share (a path, not a URI)")
    spark = spark_session(master)
    return SparkIngest(spark, Path(lake).resolve(), config, **options).run(paths)

