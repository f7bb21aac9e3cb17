"""Benchmark llm-spend against bare DuckDB on the same files, side by side, in one run (results: benchmarks/RESULTS.md).

For each size N it generates (or reuses) N OpenAI chat records plus a 1% increment file, then
measures, each step as its own process (wall time and that process's peak RSS), medians of
--repeat runs:

  ingest       llm-spend ingest of the file into a fresh store  vs  bare read_json + INSERT
  report       llm-spend report --by tenant,feature,model --period month --format csv
               vs  the bare join + group-by on the same store's tables, to CSV
  no-op        llm-spend ingest of the same file again (nothing new) on the N-row store, and
               on a store of the 1% file; minus interpreter start-up (`python -c pass`)
  incremental  the 1% file into a copy of the N-row store  vs  the same file into an empty store
  capacity     llm-spend report --by tenant --period month --format csv on a copy of the N-row
               store whose Llama rows (about 10%) are dedicated-endpoint usage with a capacity
               loaded for each month (shares, idle rows)  vs  the same report on the N-row store
               without capacities (those rows priced per token)
  pricing      genai-prices per record on a sample, extrapolated to N (marked as such)
  shapes       N OpenAI Batch output lines and N Anthropic messages (--shapes): llm-spend ingest
               into a fresh store  vs  bare read_json + INSERT of the same fields

plus the store size on disk per million rows. Ratios are the headline. Prints a table and
writes benchmarks/results/<timestamp>.json.

    python benchmarks/run.py --sizes 1000000 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate, write_rate_card  # noqa: E402
from measure import run_measured  # noqa: E402

PY = sys.executable
SEED = 5
INCREMENT_SEED = 6
BASE_START, BASE_DAYS = "2026-08-01", 92
INCREMENT_START, INCREMENT_DAYS = "2026-11-01", 1
REPORT_ARGS = ["report", "--by", "tenant,feature,model", "--period", "month", "--format", "csv"]
TENANT_REPORT_ARGS = ["report", "--by", "tenant", "--period", "month", "--format", "csv"]
CAPACITY_MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
# One endpoint a month for the base data's three months; at most 2B tokens a month, so part idle.
CAPACITY_FILE = ("name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens\n"
                 + "".join(f"llama-endpoint,dedicated,{CAPACITY_MODEL},{month},5000,,,,2000000000\n"
                           for month in ("2026-08", "2026-09", "2026-10")))

# Steps measured in every repeat, in the order they run.
STEPS = ("startup_python", "startup_cli_help", "llm_spend_ingest", "bare_ingest", "noop", "llm_spend_report",
         "bare_report", "incremental", "increment_alone", "noop_small_store", "tenant_report",
         "tenant_report_capacity")


def data_files(data: Path, size: int) -> tuple[Path, Path, Path]:
    return data / f"usage-{size}.jsonl", data / f"increment-{size}.jsonl", data / "rates.csv"


def prepare_data(data: Path, size: int, increment_share: float) -> dict:
    """Generate the size's files unless an identical set is already there (a sidecar records it)."""
    base, increment, rates = data_files(data, size)
    increment_lines = max(1, round(size * increment_share))
    sidecar = data / f"usage-{size}.json"
    wanted = {"records": size, "seed": SEED, "increment_lines": increment_lines, "increment_seed": INCREMENT_SEED}
    write_rate_card(rates)
    if sidecar.exists() and base.exists() and increment.exists():
        known = json.loads(sidecar.read_text())
        if all(known.get(k) == v for k, v in wanted.items()) and known.get("bytes") == base.stat().st_size:
            return known | {"generated_seconds": None, "reused": True}
    began = time.perf_counter()
    written = generate(base, size, seed=SEED, start=BASE_START, days=BASE_DAYS)
    seconds = time.perf_counter() - began
    extra = generate(increment, increment_lines, seed=INCREMENT_SEED, start=INCREMENT_START, days=INCREMENT_DAYS)
    info = wanted | {"lines": written.lines, "bytes": written.bytes, "duplicates": written.duplicates,
                     "bad_lines": written.bad, "increment_bytes": extra.bytes}
    sidecar.write_text(json.dumps(info, indent=2))
    return info | {"generated_seconds": seconds, "reused": False}


class Bench:
    """Runs the measured steps for one size and collects their timings."""

    def __init__(self, work: Path, env: dict, rates: Path):
        self.work = work
        self.env = env
        self.rates = rates
        self.runs: dict[str, list[dict]] = {name: [] for name in STEPS}

    def spend(self, db: Path, *args: str) -> list[str]:
        return [PY, "-m", "analyzer.cli", "--db", str(db), *args]

    def measure(self, step: str, cmd: list[str], stdout_path: Path | None = None) -> dict:
        measured = run_measured(cmd, env=self.env, cwd=str(self.work),
                                stdout_path=str(stdout_path) if stdout_path else None)
        run = {"seconds": measured.seconds, "max_rss_mb": measured.max_rss_mb}
        self.runs[step].append(run)
        return run

    def fresh_store(self, name: str) -> Path:
        db = self.work / name
        for leftover in (db, db.with_name(db.name + ".wal")):
            leftover.unlink(missing_ok=True)
        subprocess.run(self.spend(db, "rates", "load", str(self.rates)), env=self.env, cwd=self.work,
                       check=True, capture_output=True)
        return db

    def repeat_once(self, base: Path, increment: Path) -> dict:
        """One pass of every step; returns the sizes on disk seen in it."""
        self.measure("startup_python", [PY, "-c", "pass"])
        self.measure("startup_cli_help", [PY, "-m", "analyzer.cli", "--help"])

        store = self.fresh_store("store.duckdb")
        self.measure("llm_spend_ingest", self.spend(store, "ingest", str(base), "--quiet"))
        floor = self.work / "floor.duckdb"
        floor.unlink(missing_ok=True)
        self.measure("bare_ingest", [PY, str(HERE / "bare.py"), "ingest", str(floor), str(base)])
        self.measure("noop", self.spend(store, "ingest", str(base), "--quiet"))
        self.measure("llm_spend_report", self.spend(store, *REPORT_ARGS, "-o", str(self.work / "report.csv")))
        self.measure("bare_report", [PY, str(HERE / "bare.py"), "report", str(store), str(self.work / "bare.csv")])

        grown = self.work / "grown.duckdb"
        shutil.copyfile(store, grown)
        self.measure("incremental", self.spend(grown, "ingest", str(increment), "--quiet"))
        small = self.fresh_store("small.duckdb")
        self.measure("increment_alone", self.spend(small, "ingest", str(increment), "--quiet"))
        self.measure("noop_small_store", self.spend(small, "ingest", str(increment), "--quiet"))

        with_capacity = self.capacity_store(store)
        self.measure("tenant_report", self.spend(store, *TENANT_REPORT_ARGS, "-o", str(self.work / "tenants.csv")))
        self.measure("tenant_report_capacity", self.spend(with_capacity, *TENANT_REPORT_ARGS,
                                                          "-o", str(self.work / "tenants-capacity.csv")))
        return {"store_bytes": store.stat().st_size, "floor_bytes": floor.stat().st_size,
                "store_rows": self.count_rows(store), "floor_rows": self.count_rows(floor),
                "report": csv_totals(self.work / "report.csv"), "bare_report": csv_totals(self.work / "bare.csv"),
                "tenant_report": csv_totals(self.work / "tenants.csv"),
                "tenant_report_capacity": csv_totals(self.work / "tenants-capacity.csv")}

    def capacity_store(self, store: Path) -> Path:
        """A copy of `store` whose CAPACITY_MODEL rows are dedicated usage, with CAPACITY_FILE loaded
        (set-up, not measured: the mode is changed in place as `ingest --reread --mode` would)."""
        copy = self.work / "capacity.duckdb"
        shutil.copyfile(store, copy)
        subprocess.run([PY, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1]); "
                        "c.execute(\"UPDATE usage SET mode = 'dedicated' WHERE model = ?\", [sys.argv[2]]); c.close()",
                        str(copy), CAPACITY_MODEL], env=self.env, check=True, capture_output=True)
        capacity_csv = self.work / "capacity.csv"
        capacity_csv.write_text(CAPACITY_FILE)
        subprocess.run(self.spend(copy, "capacity", "load", str(capacity_csv)), env=self.env, cwd=self.work,
                       check=True, capture_output=True)
        return copy

    def count_rows(self, db: Path) -> int:
        out = subprocess.run([PY, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
                              "print(c.execute('SELECT count(*) FROM usage').fetchall()[0][0])", str(db)],
                             env=self.env, check=True, capture_output=True, text=True)
        return int(out.stdout)


OTHER_SHAPES = ("batch", "anthropic")  # generate.py shapes besides chat, each ingested as a file of its own


def prepare_shape(data: Path, size: int, shape: str) -> tuple[Path, dict]:
    """The size's file of `shape`, generated unless an identical one is there (a sidecar records it)."""
    path, sidecar = data / f"{shape}-{size}.jsonl", data / f"{shape}-{size}.json"
    wanted = {"records": size, "seed": SEED, "shape": shape}
    if sidecar.exists() and path.exists():
        known = json.loads(sidecar.read_text())
        if all(known.get(k) == v for k, v in wanted.items()) and known.get("bytes") == path.stat().st_size:
            return path, known | {"reused": True}
    written = generate(path, size, seed=SEED, start=BASE_START, days=BASE_DAYS, shape=shape)
    info = wanted | {"lines": written.lines, "bytes": written.bytes, "duplicates": written.duplicates,
                     "bad_lines": written.bad}
    sidecar.write_text(json.dumps(info, indent=2))
    return path, info | {"reused": False}


def run_shapes(size: int, args: argparse.Namespace, env: dict) -> dict:
    """Ingest ratios of the other fast-path formats: each shape's file into a fresh store
    against bare read_json + INSERT of the same fields (bare.py ingest-<shape>), interleaved."""
    results = {}
    work = Path(tempfile.mkdtemp(prefix=f"shapes-{size}-", dir=args.data))
    try:
        for shape in args.shapes:
            path, info = prepare_shape(args.data, size, shape)
            bench = Bench(work, env, data_files(args.data, size)[2])
            bench.runs = {"llm_spend_ingest": [], "bare_ingest": []}
            for _ in range(args.repeat):
                store = bench.fresh_store(f"{shape}.duckdb")
                bench.measure("llm_spend_ingest", bench.spend(store, "ingest", str(path), "--quiet"))
                floor = work / f"{shape}-floor.duckdb"
                floor.unlink(missing_ok=True)
                bench.measure("bare_ingest", [PY, str(HERE / "bare.py"), f"ingest-{shape}", str(floor), str(path)])
            steps = {name: summarise(runs) for name, runs in bench.runs.items()}
            results[shape] = {"data": info, "steps": steps, "store_rows": bench.count_rows(store),
                              "floor_rows": bench.count_rows(floor),
                              "ingest_ratio": steps["llm_spend_ingest"]["seconds"] / steps["bare_ingest"]["seconds"]}
            print(f"  {shape}: ingest {steps['llm_spend_ingest']['seconds']:.2f} s against "
                  f"{steps['bare_ingest']['seconds']:.2f} s bare ({results[shape]['ingest_ratio']:.2f}x)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def csv_totals(path: Path) -> dict:
    """Rows, requests and cost of a report CSV: both reports must agree (same work on both sides);
    with capacities, idle_rows and idle_cost are the (idle capacity) rows'."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    totals = {"rows": len(rows), "requests": sum(int(r["requests"]) for r in rows),
              "cost": str(sum((Decimal(r["cost"]) for r in rows if r["cost"]), Decimal(0)))}
    idle = [r for r in rows if r.get("idle_capacity") == "True"]
    if idle:
        totals |= {"idle_rows": len(idle), "idle_cost": str(sum((Decimal(r["cost"]) for r in idle), Decimal(0)))}
    return totals


def summarise(runs: list[dict]) -> dict:
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "max_rss_mb": statistics.median(r["max_rss_mb"] for r in runs),
        "runs": runs,
    }


def price_baseline(base: Path, sample: int, env: dict, size: int) -> dict:
    out = subprocess.run([PY, str(HERE / "price_baseline.py"), str(base), "--sample", str(sample)],
                         env=env, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    rate = result["records_per_second"]
    pricing_rate = result["pricing_records_per_second"]
    result["extrapolated"] = True
    result["extrapolated_seconds_for_size"] = size / rate if rate else None
    result["extrapolated_pricing_only_seconds_for_size"] = size / pricing_rate if pricing_rate else None
    return result


def run_size(size: int, args: argparse.Namespace, env: dict) -> dict:
    data_info = prepare_data(args.data, size, args.increment_share)
    base, increment, rates = data_files(args.data, size)
    print(f"size {size:,}: {data_info['bytes'] / 1e6:,.0f} MB, {data_info['duplicates']:,} duplicate lines, "
          f"{data_info['bad_lines']:,} bad lines" + (" (reused)" if data_info["reused"] else
          f" (generated in {data_info['generated_seconds']:.1f} s)"), flush=True)
    work = Path(tempfile.mkdtemp(prefix=f"stores-{size}-", dir=args.data))
    try:
        bench = Bench(work, env, rates)
        disk = []
        for r in range(args.repeat):
            disk.append(bench.repeat_once(base, increment))
            last = {k: round(v[-1]["seconds"], 2) for k, v in bench.runs.items()}
            print(f"  repeat {r + 1}/{args.repeat}: {last}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    steps = {name: summarise(runs) for name, runs in bench.runs.items()}
    pricing = price_baseline(base, args.price_sample, env, size)
    return {"records": size, "data": data_info, "steps": steps, "store": disk[-1],
            "pricing_baseline": pricing, "derived": derive(size, data_info, steps, disk[-1], pricing)}


def derive(size: int, data_info: dict, steps: dict, disk: dict, pricing: dict) -> dict:
    """The headline figures: ratios to the floor, costs beyond start-up, sizes per million rows."""
    s = {name: step["seconds"] for name, step in steps.items()}
    startup = s["startup_python"]
    per_million = lambda b, rows: b / 1e6 / (rows / 1e6) if rows else None  # noqa: E731  MB per 1M rows
    llm_total = s["llm_spend_ingest"] + s["llm_spend_report"]
    extrapolated = pricing["extrapolated_seconds_for_size"]
    pricing_only = pricing["extrapolated_pricing_only_seconds_for_size"]
    return {
        "ingest_ratio": s["llm_spend_ingest"] / s["bare_ingest"],
        "report_ratio": s["llm_spend_report"] / s["bare_report"],
        "capacity_report_ratio": s["tenant_report_capacity"] / s["tenant_report"],
        "noop_beyond_startup_seconds": s["noop"] - startup,
        "noop_beyond_cli_help_seconds": s["noop"] - s["startup_cli_help"],
        "noop_small_store_beyond_startup_seconds": s["noop_small_store"] - startup,
        "incremental_over_increment_alone": s["incremental"] / s["increment_alone"],
        "incremental_over_full_ingest": s["incremental"] / s["llm_spend_ingest"],
        "ingest_records_per_second": size / s["llm_spend_ingest"],
        "bare_ingest_records_per_second": size / s["bare_ingest"],
        "store_mb_per_million_rows": per_million(disk["store_bytes"], disk["store_rows"]),
        "floor_mb_per_million_rows": per_million(disk["floor_bytes"], disk["floor_rows"]),
        "input_mb_per_million_lines": data_info["bytes"] / 1e6 / (size / 1e6),
        "pricing_baseline_extrapolated_seconds": extrapolated,
        # End to end: parse + price per record in Python vs llm-spend ingest + report.
        "speedup_over_pricing_baseline_extrapolated": extrapolated / llm_total if extrapolated else None,
        # Pricing alone: calc_price per record (parse excluded) vs the report pricing every stored row.
        "pricing_only_baseline_extrapolated_seconds": pricing_only,
        "pricing_only_speedup_extrapolated": pricing_only / s["llm_spend_report"] if pricing_only else None,
    }


def machine() -> dict:
    import duckdb

    info = {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__,
            "platform": platform.platform(), "load_average_at_start": os.getloadavg()}
    try:
        with open("/proc/meminfo") as meminfo:
            info["ram_gb"] = round(int(meminfo.readline().split()[1]) / 1024 / 1024, 1)
        with open("/proc/cpuinfo") as cpuinfo:
            info["cpu_model"] = next((line.split(":", 1)[1].strip() for line in cpuinfo
                                      if line.startswith("model name")), None)
    except OSError:
        pass
    try:
        from importlib.metadata import version
        info["genai_prices"] = version("genai-prices")
    except Exception:  # the baseline's version is informative only
        info["genai_prices"] = None
    return info


def code_state(code: Path) -> dict:
    def git(*cmd: str) -> str:
        done = subprocess.run(["git", "-C", str(code), *cmd], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""
    return {"path": str(code), "commit": git("rev-parse", "HEAD") or None,
            "dirty_files": [line[3:] for line in git("status", "--porcelain", "--", "analyzer", "queries").splitlines()]}


ROWS = [  # (label, how to get the value from a size's result, format)
    ("llm-spend ingest (s)", lambda r: r["steps"]["llm_spend_ingest"]["seconds"], "{:.2f}"),
    ("bare read_json + INSERT (s)", lambda r: r["steps"]["bare_ingest"]["seconds"], "{:.2f}"),
    ("  ingest ratio (target <= 2)", lambda r: r["derived"]["ingest_ratio"], "{:.2f}x"),
    ("llm-spend report csv (s)", lambda r: r["steps"]["llm_spend_report"]["seconds"], "{:.2f}"),
    ("bare group-by to csv (s)", lambda r: r["steps"]["bare_report"]["seconds"], "{:.2f}"),
    ("  report ratio (target <= 1.5)", lambda r: r["derived"]["report_ratio"], "{:.2f}x"),
    ("tenant report csv (s)", lambda r: r["steps"]["tenant_report"]["seconds"], "{:.2f}"),
    ("same with a capacity loaded (s)", lambda r: r["steps"]["tenant_report_capacity"]["seconds"], "{:.2f}"),
    ("  capacity ratio (target <= 1.2)", lambda r: r["derived"]["capacity_report_ratio"], "{:.2f}x"),
    ("python -c pass (s)", lambda r: r["steps"]["startup_python"]["seconds"], "{:.3f}"),
    ("llm-spend --help (s)", lambda r: r["steps"]["startup_cli_help"]["seconds"], "{:.3f}"),
    ("no-op ingest, N-row store (s)", lambda r: r["steps"]["noop"]["seconds"], "{:.3f}"),
    ("  beyond start-up (target < 0.5)", lambda r: r["derived"]["noop_beyond_startup_seconds"], "{:.3f}"),
    ("no-op ingest, 1% store (s)", lambda r: r["steps"]["noop_small_store"]["seconds"], "{:.3f}"),
    ("incremental +1% into N-row store (s)", lambda r: r["steps"]["incremental"]["seconds"], "{:.2f}"),
    ("same 1% into an empty store (s)", lambda r: r["steps"]["increment_alone"]["seconds"], "{:.2f}"),
    ("  incremental / alone (1 = proportional)", lambda r: r["derived"]["incremental_over_increment_alone"], "{:.2f}x"),
    ("peak RSS ingest (MB, target < 1024)", lambda r: r["steps"]["llm_spend_ingest"]["max_rss_mb"], "{:,.0f}"),
    ("peak RSS bare ingest (MB)", lambda r: r["steps"]["bare_ingest"]["max_rss_mb"], "{:,.0f}"),
    ("peak RSS report (MB)", lambda r: r["steps"]["llm_spend_report"]["max_rss_mb"], "{:,.0f}"),
    ("peak RSS bare report (MB)", lambda r: r["steps"]["bare_report"]["max_rss_mb"], "{:,.0f}"),
    ("peak RSS no-op (MB)", lambda r: r["steps"]["noop"]["max_rss_mb"], "{:,.0f}"),
    ("peak RSS incremental (MB)", lambda r: r["steps"]["incremental"]["max_rss_mb"], "{:,.0f}"),
    ("store MB per 1M rows", lambda r: r["derived"]["store_mb_per_million_rows"], "{:.1f}"),
    ("floor table MB per 1M rows", lambda r: r["derived"]["floor_mb_per_million_rows"], "{:.1f}"),
    ("genai-prices records/s (sample)", lambda r: r["pricing_baseline"]["records_per_second"], "{:,.0f}"),
    ("genai-prices for N, EXTRAPOLATED (s)", lambda r: r["derived"]["pricing_baseline_extrapolated_seconds"], "{:,.1f}"),
    ("  speedup ingest+report vs it (target >= 50)",
     lambda r: r["derived"]["speedup_over_pricing_baseline_extrapolated"], "{:,.1f}x"),
    ("calc_price alone for N, EXTRAPOLATED (s)", lambda r: r["derived"]["pricing_only_baseline_extrapolated_seconds"],
     "{:,.1f}"),
    ("  speedup report vs it", lambda r: r["derived"]["pricing_only_speedup_extrapolated"], "{:,.1f}x"),
]


def table(results: list[dict], repeat: int) -> str:
    header = [f"medians of {repeat}"] + [f"{r['records']:,}" for r in results]
    lines = [[label] + [fmt.format(get(r)) if get(r) is not None else "-" for r in results] for label, get, fmt in ROWS]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    render = lambda row: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    return "\n".join([render(header), render(["-" * w for w in widths]), *map(render, lines)])


def shapes_table(results: list[dict]) -> str:
    """The other formats' ingest ratios, one line per size and shape."""
    lines = []
    for result in results:
        for shape, figures in result.get("shapes", {}).items():
            steps = figures["steps"]
            lines.append(f"{shape} {result['records']:,}: llm-spend ingest {steps['llm_spend_ingest']['seconds']:.2f} s, "
                         f"bare {steps['bare_ingest']['seconds']:.2f} s, ingest ratio {figures['ingest_ratio']:.2f}x, "
                         f"peak RSS {steps['llm_spend_ingest']['max_rss_mb']:,.0f} MB, rows {figures['store_rows']:,} "
                         f"(bare {figures['floor_rows']:,})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000], help="records per file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; medians are reported")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where generated files and stores go")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="where the JSON result goes")
    parser.add_argument("--price-sample", type=int, default=20_000, help="records priced through genai-prices")
    parser.add_argument("--increment-share", type=float, default=0.01, help="size of the incremental file")
    parser.add_argument("--code", type=Path, default=REPO,
                        help="llm-spend source tree to measure (e.g. `git archive` of a commit); default this one")
    parser.add_argument("--label", help="free text stored with the results (e.g. which commit --code holds)")
    parser.add_argument("--clean", action="store_true", help="delete the generated files at the end")
    parser.add_argument("--shapes", nargs="*", choices=OTHER_SHAPES, default=list(OTHER_SHAPES),
                        help="other formats whose ingest is measured at each size (none: --shapes)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or any(size < 100 for size in args.sizes):
        parser.error("--repeat must be >= 1 and every size >= 100")

    args.data.mkdir(parents=True, exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TZ="UTC", PYTHONPATH=os.pathsep.join(filter(None, [str(args.code.resolve()),
                                                                                 os.environ.get("PYTHONPATH")])))
    for name in ("LLM_SPEND_DB", "LLM_SPEND_CONFIG", "LLM_SPEND_DEBUG"):
        env.pop(name, None)
    started = datetime.now(timezone.utc)
    document = {"started": started.isoformat(), "machine": machine(), "code": code_state(args.code) | {"label": args.label},
                "repeat": args.repeat, "price_sample": args.price_sample, "increment_share": args.increment_share,
                "sizes": []}
    try:
        for size in args.sizes:
            document["sizes"].append(run_size(size, args, env))
            if args.shapes:
                document["sizes"][-1]["shapes"] = run_shapes(size, args, env)
    finally:
        if args.clean:
            for size in args.sizes:
                for path in data_files(args.data, size)[:2]:
                    path.unlink(missing_ok=True)
                (args.data / f"usage-{size}.json").unlink(missing_ok=True)
                for shape in args.shapes:
                    (args.data / f"{shape}-{size}.jsonl").unlink(missing_ok=True)
    document["finished"] = datetime.now(timezone.utc).isoformat()
    document["machine"]["load_average_at_end"] = os.getloadavg()
    out = args.results / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(document, indent=2))
    print()
    print(table(document["sizes"], args.repeat))
    print(shapes_table(document["sizes"]))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
