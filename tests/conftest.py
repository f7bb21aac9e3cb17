"""Shared fixtures: every test gets its own store, config and working folder; time is UTC.
Plain helpers (record builders, the command runner) are in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Spend


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the real home, the user's store or config, or a local time zone."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("LLM_SPEND_DB", raising=False)
    monkeypatch.delenv("LLM_SPEND_CONFIG", raising=False)
    monkeypatch.delenv("LLM_SPEND_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "usage.duckdb"


@pytest.fixture
def spend(db: Path) -> Spend:
    return Spend(db)


@pytest.fixture(scope="session")
def spark_session():
    """One local[2] SparkSession for every Spark test (start-up costs seconds); skipped, saying
    why, only where Java is missing. pyspark itself is part of the test set-up (the spark extra)."""
    from analyzer.sparkengine import java_missing
    from analyzer.sparkengine import spark_session as start

    missing = java_missing()
    if missing:
        pytest.skip(f"Spark tests need Java 17 or later: {missing}")
    session = start()
    yield session
    session.stop()
