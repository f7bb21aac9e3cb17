"""Benchmark llm-spend's newer report paths against the bare SQL computing the same numbers
(benchmarks/bare_paths.py, which says what each statement is), on one store of N stored rows,
side by side in one run (results: benchmarks/RESULTS.md).

The store is N generated chat records with 50 tenants (generate.py --tenants 50), priced by the
benchmark's rate card. Measured, each as its own process (wall time and peak RSS), medians of
--repeat runs, each llm-spend command right after its bare statement:

  html        report --by tenant,feature,model --period month --format html (charts)
  statements  report --per-tenant --month 2026-09 (one HTML and one CSV per tenant, 50 tenants)
  focus       report --format focus --month 2026-09 -o focus.parquet
  capacity    report --by tenant --period month --format csv on a copy of the store whose Llama
              rows (about 10%) are dedicated-endpoint usage with a capacity a month
  whatif      whatif --as gpt-4o-mini-2024-07-18 --by tenant --format csv
  reconcile   reconcile --bill BILL.csv --month 2026-09 --format csv (a date,model,amount bill
              made from the store: each day x model's cost rounded to cents, one model 3% over)

    python benchmarks/paths.py --size 1000000 --repeat 3 --data /work/benchdata
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate, write_rate_card  # noqa: E402
from measure import run_measured  # noqa: E402

PY = sys.executable
SEED, TENANTS = 5, 50
MONTH, MONTH_START = "2026-09", "2026-09-01"
WHATIF_MODEL = "gpt-4o-mini-2024-07-18"
CAPACITY_MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
CAPACITY_FILE = ("name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens\n"
                 + "".join(f"llama-endpoint,dedicated,{CAPACITY_MODEL},{month},5000,,,,2000000000\n"
                           for month in ("2026-08", "2026-09", "2026-10")))
PATHS = ("html", "statements", "focus", "capacity", "whatif", "reconcile")
# The bill: the store's cost per UTC day x model of MONTH (priced by the bare formula, the same
# numbers), in cents, one model 3% over.
BILL_SQL = """
COPY (
    SELECT CAST(u.ts AS DATE) AS date, u.model,
           round(sum(((u.input_tokens - u.cached_input_tokens - u.cache_write_tokens) * r.input_per_mtok
                      + u.cached_input_tokens * coalesce(r.cached_input_per_mtok, r.input_per_mtok)
                      + u.cache_write_tokens * coalesce(r.cache_write_per_mtok, r.input_per_mtok)
                      + u.output_tokens * r.output_per_mtok) / 1000000
                     * CASE WHEN u.model = 'gpt-4o-2024-08-06' THEN 1.03 ELSE 1 END), 2) AS amount
    FROM usage u JOIN rates r ON r.model = u.model AND r.mode = u.mode
     AND (r.valid_from IS NULL OR u.ts >= r.valid_from) AND (r.valid_to IS NULL OR u.ts < r.valid_to)
    WHERE u.ts >= TIMESTAMPTZ '2026-09-01 00:00:00+00' AND u.ts < TIMESTAMPTZ '2026-10-01 00:00:00+00'
    GROUP BY ALL ORDER BY date, model
) TO '{out}' (FORMAT csv, HEADER true)"""


class PathBench:
    """The store, its capacity copy and the bill, and the measured commands of each path."""

    def __init__(self, work: Path, env: dict, rates: Path, data: Path):
        self.work, self.env, self.rates, self.data = work, env, rates, data
        self.runs: dict[str, list[dict]] = {}

    def spend(self, db: Path, *args: str) -> list[str]:
        return [PY, "-m", "analyzer.cli", "--db", str(db), *args]

    def setup(self) -> None:
        """Store (ingest not measured here: run.py does), capacity copy and bill."""
        self.store = self.work / "paths.duckdb"
        self.call(self.spend(self.store, "rates", "load", str(self.rates)))
        self.call(self.spend(self.store, "ingest", str(self.data), "--quiet"))
        self.capacity = self.work / "capacity.duckdb"
        shutil.copyfile(self.store, self.capacity)
        self.call([PY, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1]); "
                   "c.execute(\"UPDATE usage SET mode = 'dedicated' WHERE model = ?\", [sys.argv[2]]); c.close()",
                   str(self.capacity), CAPACITY_MODEL])
        (self.work / "capacity.csv").write_text(CAPACITY_FILE)
        self.call(self.spend(self.capacity, "capacity", "load", str(self.work / "capacity.csv")))
        self.bill = self.work / "bill.csv"
        self.call([PY, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
                   "c.execute(\"SET TimeZone='UTC'\"); c.execute(sys.argv[2])", str(self.store),
                   BILL_SQL.format(out=self.bill)])

    def call(self, cmd: list[str]) -> None:
        done = subprocess.run(cmd, env=self.env, cwd=self.work, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"set-up step failed: {' '.join(cmd)[:200]}: {done.stderr.strip()[-1500:]}")

    def commands(self, path: str) -> tuple[list[str], list[str]]:
        """(llm-spend command, bare command) of one path."""
        out, bare = self.work / f"{path}-llm", self.work / f"{path}-bare"
        for leftover in (out, bare):
            shutil.rmtree(leftover, ignore_errors=True)
        bare_cmd = [PY, str(HERE / "bare_paths.py"), path]
        if path == "html":
            return (self.spend(self.store, "report", "--by", "tenant,feature,model", "--period", "month",
                               "--format", "html", "-o", f"{out}.html"),
                    bare_cmd + [str(self.store), f"{bare}-"])
        if path == "statements":
            return (self.spend(self.store, "report", "--per-tenant", "--month", MONTH, "-o", str(out)),
                    bare_cmd + [str(self.store), str(bare), MONTH_START])
        if path == "focus":
            return (self.spend(self.store, "report", "--format", "focus", "--month", MONTH, "-o", f"{out}.parquet"),
                    bare_cmd + [str(self.store), f"{bare}.parquet", MONTH_START])
        if path == "capacity":
            return (self.spend(self.capacity, "report", "--by", "tenant", "--period", "month", "--format", "csv",
                               "-o", f"{out}.csv"),
                    bare_cmd + [str(self.capacity), f"{bare}.csv"])
        if path == "whatif":
            return (self.spend(self.store, "whatif", "--as", WHATIF_MODEL, "--by", "tenant", "--format", "csv",
                               "-o", f"{out}.csv"),
                    bare_cmd + [str(self.store), f"{bare}.csv", WHATIF_MODEL])
        return (self.spend(self.store, "reconcile", "--bill", str(self.bill), "--month", MONTH, "--tolerance", "100",
                           "--format", "csv", "-o", f"{out}.csv"),
                bare_cmd + [str(self.store), f"{bare}.csv", f"{MONTH_START},{self.bill}"])

    def measure(self, step: str, cmd: list[str]) -> None:
        # reconcile exits 1 when a difference stays unexplained (the 3% the bill adds): a result
        reconciling = "reconcile" in cmd
        measured = run_measured(cmd, env=self.env, cwd=str(self.work), check=not reconciling)
        if measured.returncode not in ((0, 1) if reconciling else (0,)):
            raise SystemExit(f"{' '.join(cmd)} exited {measured.returncode}: {measured.stderr[-1500:]}")
        self.runs.setdefault(step, []).append({"seconds": measured.seconds, "max_rss_mb": measured.max_rss_mb})

    def repeat_once(self, paths: list[str]) -> None:
        for path in paths:
            ours, bare = self.commands(path)
            self.measure(f"{path}_bare", bare)
            self.measure(f"{path}_llm_spend", ours)


def prepare(data: Path, size: int) -> tuple[Path, dict]:
    path, sidecar = data / f"paths-usage-{size}.jsonl", data / f"paths-usage-{size}.json"
    wanted = {"records": size, "seed": SEED, "tenants": TENANTS}
    if sidecar.exists() and path.exists():
        known = json.loads(sidecar.read_text())
        if all(known.get(k) == v for k, v in wanted.items()) and known.get("bytes") == path.stat().st_size:
            return path, known
    written = generate(path, size, seed=SEED, tenants=TENANTS)
    info = wanted | {"lines": written.lines, "bytes": written.bytes}
    sidecar.write_text(json.dumps(info, indent=2))
    return path, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="records in the store's file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TZ="UTC", PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    for name in ("LLM_SPEND_DB", "LLM_SPEND_CONFIG", "LLM_SPEND_DEBUG"):
        env.pop(name, None)
    started = datetime.now(timezone.utc)
    rates = args.data / "rates.csv"
    write_rate_card(rates)
    path, info = prepare(args.data, args.size)
    work = Path(tempfile.mkdtemp(prefix="paths-", dir=args.data))
    try:
        bench = PathBench(work, env, rates, path)
        bench.setup()
        rows = subprocess.run([PY, "-c", "import duckdb,sys; print(duckdb.connect(sys.argv[1], read_only=True)"
                               ".execute('SELECT count(*) FROM usage').fetchall()[0][0])", str(bench.store)],
                              env=env, check=True, capture_output=True, text=True).stdout.strip()
        for r in range(args.repeat):
            bench.repeat_once(args.paths)
            print(f"  repeat {r + 1}/{args.repeat}: " + ", ".join(
                f"{k} {v[-1]['seconds']:.2f}" for k, v in bench.runs.items()), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {step: {"seconds": statistics.median(r["seconds"] for r in runs),
                      "max_rss_mb": statistics.median(r["max_rss_mb"] for r in runs), "runs": runs}
               for step, runs in bench.runs.items()}
    ratios = {p: medians[f"{p}_llm_spend"]["seconds"] / medians[f"{p}_bare"]["seconds"] for p in args.paths}
    document = {"started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat(),
                "load_average_at_end": os.getloadavg(), "size": args.size, "stored_rows": int(rows), "data": info,
                "repeat": args.repeat, "steps": medians, "ratios": ratios,
                "commit": subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                                         text=True).stdout.strip()}
    out = args.results / f"paths-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(document, indent=2))
    print(f"{int(rows):,} stored rows, medians of {args.repeat}:")
    for p in args.paths:
        print(f"  {p:<11} llm-spend {medians[f'{p}_llm_spend']['seconds']:7.2f} s  bare {medians[f'{p}_bare']['seconds']:7.2f} s"
              f"  ratio {ratios[p]:.2f}x  peak RSS {medians[f'{p}_llm_spend']['max_rss_mb']:,.0f} MB")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
