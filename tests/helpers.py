"""Helpers shared by the tests: the in-process command runner, record and file builders, and a
real `llm-spend` process. Fixtures live in conftest.py; import helpers from here."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from analyzer.cli import cli

REPO = Path(__file__).resolve().parent.parent
FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"


class Spend:
    """Runs `llm-spend --db DB ...` in process, the way a user would type it."""

    def __init__(self, db: Path):
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, config: Path | None = None):
        argv = ["--db", str(self.db)]
        if config:
            argv += ["--config", str(config)]
        return self.runner.invoke(cli, [*argv, *map(str, args)], input=input, catch_exceptions=False)

    def ok(self, *args: str, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 0, result.output + result.stderr
        return result

    def sql(self, statement: str) -> list[dict]:
        return json.loads(self.ok("sql", statement, "--format", "json").stdout)



def write_card(path: Path, rows: str) -> Path:
    """A rate card with the header of docs/rate-card.md and the given data rows."""
    header = "model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,valid_from,valid_to,currency\n"
    path.write_text(header + textwrap.dedent(rows).strip() + "\n", encoding="utf-8")
    return path


def chat_record(request_id: str, *, created: int = 1767225600, model: str = "m", prompt: int = 1000,
                completion: int = 100, cached: int | None = None, reasoning: int | None = None,
                metadata: dict | None = None, user: str | None = None) -> dict:
    """An OpenAI Chat Completions response object with the given usage."""
    usage: dict = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    record: dict = {"id": request_id, "object": "chat.completion", "created": created, "model": model,
                    "choices": [], "usage": usage}
    if metadata is not None:
        record["metadata"] = metadata
    if user is not None:
        record["user"] = user
    return record


def write_jsonl(path: Path, records: list, gz: bool = False) -> Path:
    """Records (dicts, or raw strings for malformed lines) one per line."""
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    if gz:
        import gzip

        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def llm_spend_process(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """A real `llm-spend` process (for kill, lock and concurrency tests)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "analyzer.cli", *args], env=full_env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def on_a_terminal(*args, terminal: str = "stderr", timeout: float = 120) -> tuple[int, str, str]:
    """Run llm-spend with `terminal` ("stdout" or "stderr") on a real terminal (a pty) and the
    other stream piped: (exit code, the piped text, what reached the terminal)."""
    leader, follower = pty.openpty()
    piped = {"stdout": "stderr", "stderr": "stdout"}[terminal]
    proc = subprocess.Popen([sys.executable, "-m", "analyzer.cli", *map(str, args)], cwd=REPO,
                            **{terminal: follower, piped: subprocess.PIPE})
    os.close(follower)
    seen = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen.append(chunk)
    os.close(leader)
    out = getattr(proc, piped).read()
    proc.wait(timeout=timeout)
    return proc.returncode, out.decode("utf-8"), b"".join(seen).decode("utf-8")
