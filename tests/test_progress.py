"""The ingest's progress line (analyzer/progress.py): what it says, and that it only reaches a terminal."""

from __future__ import annotations

import io

import pytest

from analyzer.progress import TerminalProgress, duration, line
from tests.helpers import chat_record, on_a_terminal, write_jsonl

MB = 1_000_000


def state(**changes) -> dict:
    base = {"done": 1, "total": 3, "path": "/x/big.jsonl", "size": 100 * MB, "began": 10.0, "scanned": 0,
            "reading": False, "lines": None, "records": None}
    return base | changes


def test_line_while_hashing_reading_and_storing():
    # Hashing: 50 MB of 100 in 1 s: the file is a quarter done (two passes), 25 MB/s, 3 s to go.
    assert line(state(scanned=50 * MB), None, 11.0) == "[2/3] /x/big.jsonl: hashing, 25 MB/s, ETA 3s"
    # Reading: hashed, DuckDB's reader at 40% of 2,000,000 lines after 4 s: 140 of 200 MB of work.
    assert line(state(scanned=100 * MB, reading=True, lines=2_000_000), 0.4, 14.0) == (
        "[2/3] /x/big.jsonl: 800,000 records, 18 MB/s, ETA 2s")
    # Reading without the reader's progress (none reported yet): no records, no ETA.
    assert line(state(scanned=100 * MB, reading=True), None, 12.0) == "[2/3] /x/big.jsonl: reading, 25 MB/s"
    assert line(state(scanned=100 * MB, records=1_999_990), None, 20.0) == (
        "[2/3] /x/big.jsonl: 1,999,990 records read, storing")
    assert line(state(size=None), None, 11.0) == "[2/3] /x/big.jsonl"  # stdin: no size to go by


def test_durations():
    assert [duration(s) for s in (0.4, 59, 61, 3599, 3600 * 2 + 125)] == ["0s", "59s", "1m01s", "59m59s", "2h02m"]


class FakeConnection:
    def __init__(self, percents):
        self.percents, self.settings = list(percents), []

    def execute(self, sql):
        self.settings.append(sql)

    def query_progress(self):
        return self.percents.pop(0) if self.percents else -1.0


def test_reader_progress_is_polled_and_never_goes_back():
    # After the statement that reads the file, the next statements start again from 0%: the line
    # keeps the most seen. Control characters in a path are shown, not sent to the terminal.
    clock = iter([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]).__next__
    out = io.StringIO()
    progress = TerminalProgress(out, clock=clock)
    progress.INTERVAL = 3600  # no ticks: each draw below is explicit
    con = FakeConnection([50.0, 10.0])
    progress.attach(con)
    assert "SET enable_progress_bar = true" in con.settings
    progress.file(0, 1, "/x/a\x1b[2J.jsonl", 10 * MB)
    progress.scanned(10 * MB)
    progress.reading(1000)
    progress.draw()
    progress.draw()
    progress.read(1000)
    progress.finish()
    frames = out.getvalue().split("\r\x1b[K")
    assert "\x1b[2J" not in out.getvalue()
    assert frames[-4:] == [
        "[1/1] /x/a\\x1b[2J.jsonl: 500 records, 4 MB/s, ETA 1s",  # 15 of 20 MB of work in 2 s
        "[1/1] /x/a\\x1b[2J.jsonl: 500 records, 2 MB/s, ETA 1s",  # 10% now: still 500 records
        "[1/1] /x/a\\x1b[2J.jsonl: 1,000 records read, storing",
        ""]


@pytest.mark.slow
def test_a_real_ingest_on_a_terminal_shows_records_and_rate_then_leaves_it_clean(tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", [chat_record(f"r{i}", created=1767225600 + i) for i in range(20_000)])
    code, out, seen = on_a_terminal("--db", tmp_path / "s.duckdb", "ingest", path)
    assert code == 0 and out.splitlines()[-1].startswith("ingested 20,000 new rows")
    # The terminal is 80 columns: the start of the long temporary path gives way to the figures.
    assert "big.jsonl: hashing, 0 MB/s\r" in seen and "big.jsonl: 20,000 records read, storing\r" in seen
    assert all(len(frame) <= 79 and frame.startswith("[1/1] ...") for frame in seen.split("\r\x1b[K") if frame)
    assert seen.endswith("\r\x1b[K")  # erased: the summary on stdout starts on a clean line
    code, out, seen = on_a_terminal("--db", tmp_path / "q.duckdb", "ingest", "--quiet", path)
    assert (code, out, seen) == (0, "", "")


def test_a_long_path_gives_way_to_the_figures():
    text = line(state(path="/very/long/" + "d" * 100 + "/big.jsonl", scanned=50 * MB), None, 11.0, width=60)
    assert text == "[2/3] ...ddddddddddddddd/big.jsonl: hashing, 25 MB/s, ETA 3s" and len(text) == 60
