"""The built wheel carries queries/ and templates/, and a plain (non-editable) install works."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO, chat_record, write_card, write_jsonl


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=300)
    (built,) = out.glob("llm_spend-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_queries_templates_and_the_default_card(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in [*REPO.glob("queries/**/*.sql"), *REPO.glob("templates/*.html")]:
        assert "analyzer/" + source.relative_to(REPO).as_posix() in names, source
    assert "analyzer/data/default_rates.csv" in names
    assert any(n.endswith("entry_points.txt") for n in names)


@pytest.mark.slow
def test_installed_wheel_runs_outside_the_repository(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "analyzer.cli", "--db", str(work / "s.duckdb"), *args],
                              cwd=work, env=env, capture_output=True, text=True, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import analyzer; print(analyzer.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(target)), where
    card = write_card(work / "card.csv", "m,,0.90,3.30,,,,,")
    logs = write_jsonl(work / "logs.jsonl", [chat_record("a", prompt=4000, completion=1000)])
    for args in (["rates", "load", str(card)], ["ingest", str(logs)], ["report", "--format", "html", "-o", "r.html"]):
        result = run(*args)
        assert result.returncode == 0, result.stderr
    assert "$0.0069" in (work / "r.html").read_text()
