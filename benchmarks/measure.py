"""Run one command and measure it: wall time and the peak RSS of that command alone.

Two traps make naive figures wrong. `getrusage(RUSAGE_CHILDREN).ru_maxrss` is the maximum over
every child ever waited for, so deltas of it across steps mean nothing. And on Linux a child's
ru_maxrss starts from the RSS of the process that forked it (exec records the high-water mark
of the address space it replaces; with vfork that is the parent's own peak), so a child of a
large benchmark process reports at least the benchmark's size. Hence every measured command is
started by this small wrapper, in a fresh process of its own (about 10 MB, the floor of every
figure), and `os.wait4` gives the usage of exactly the one child it reaps.

    python benchmarks/measure.py -- llm-spend --db x.duckdb ingest usage.jsonl --quiet
    python benchmarks/measure.py --result out.json -- CMD ...   (the command's output passes through)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve()


@dataclass
class Measured:
    seconds: float
    max_rss_mb: float
    returncode: int
    stderr: str = ""


class StepFailed(RuntimeError):
    pass


def measure_child(cmd: list[str]) -> dict:
    """Run `cmd` (stdin closed, stdout and stderr inherited) and measure it; used inside the wrapper."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return {"seconds": seconds, "max_rss_mb": usage.ru_maxrss / 1024, "returncode": proc.returncode}  # KiB on Linux


def run_measured(cmd: list[str], *, env: dict | None = None, cwd: str | None = None,
                 stdout_path: str | None = None, check: bool = True) -> Measured:
    """Run `cmd` through the wrapper; its stdout goes to `stdout_path` (default: discarded)."""
    with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
        result = Path(tmp) / "result.json"
        with open(Path(tmp) / "stderr", "w+b") as err, open(stdout_path or os.devnull, "wb") as out:
            wrapper = subprocess.run([sys.executable, str(HERE), "--result", str(result), "--", *cmd],
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd)
            err.seek(0)
            stderr = err.read().decode("utf-8", errors="replace")
        if not result.exists():
            raise StepFailed(f"measuring {' '.join(cmd)} failed: {stderr.strip()[-2000:]}")
        figures = json.loads(result.read_text())
    measured = Measured(figures["seconds"], figures["max_rss_mb"], figures["returncode"], stderr)
    if check and (measured.returncode != 0 or wrapper.returncode != 0):
        raise StepFailed(f"{' '.join(cmd)} exited {measured.returncode}: {stderr.strip()[-2000:]}")
    return measured


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    result = None
    if argv[:1] == ["--result"] and len(argv) > 1:
        result, argv = argv[1], argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python benchmarks/measure.py [--result FILE] -- CMD [ARG...]", file=sys.stderr)
        return 2
    figures = measure_child(argv)
    if result:
        Path(result).write_text(json.dumps(figures))
    else:
        print(json.dumps(figures), file=sys.stderr)
    return figures["returncode"]


if __name__ == "__main__":
    sys.exit(main())
