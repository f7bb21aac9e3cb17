"""The nightly cron (README "Running it from cron"): incremental, idempotent, atomic, overlap-safe, observable ingestion.

In-process runs (CliRunner) cover the manifest, dedupe, output and guard rails; real processes
(`@pytest.mark.slow`) cover what only a real process shows: SIGKILL mid-ingest, two processes on
one store, a reader holding the file, and the progress counter on a real terminal.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import analyzer.ingest
import analyzer.store
from analyzer.sqlfiles import migrations
from tests.helpers import REPO, chat_record, llm_spend_process, on_a_terminal, write_card, write_jsonl

BIG_RECORDS = 300_000
BIG_LINE = ('{"id": "big-%d", "object": "chat.completion", "created": %d, "model": "m", "choices": [], '
            '"usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}, '
            '"metadata": {"tenant": "t%d"}}\n')


def records(prefix: str, count: int, **kwargs) -> list[dict]:
    kwargs.setdefault("metadata", {"tenant": "acme"})
    return [chat_record(f"{prefix}-{i}", created=1767225600 + i, **kwargs) for i in range(count)]


def ingest_json(spend, *args: str) -> dict:
    result = spend.ok("ingest", "--json", *args)
    assert result.stderr == ""
    return json.loads(result.stdout)


def snapshot(db: Path) -> dict:
    """Everything an ingest run may change, read with a short read-only connection of our own."""
    with duckdb.connect(str(db), read_only=True) as con:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        return {
            "usage": rows("SELECT count(*), count(DISTINCT request_id), sum(input_tokens), sum(output_tokens), "
                          "sum(hash(request_id, source_file, source_line, tenant)) FROM usage")[0],
            "rejects": rows("SELECT source_file, source_line, reason FROM rejects ORDER BY ALL"),
            "manifest": rows("SELECT path, size, mtime_ns, content_hash, format, rows_read, rows_new, rejects, "
                             "ingested_at, run_id FROM ingested_files ORDER BY path"),
            "runs": rows("SELECT * FROM ingest_runs ORDER BY run_id"),
            "schema": rows("SELECT name FROM schema_migrations ORDER BY name"),
        }


def usage_count(db: Path) -> int:
    return snapshot(db)["usage"][0]


# ---- incremental ---------------------------------------------------------------------------

@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A small export folder: 3 + 2 (gzip) + 1 good records and 1 malformed line."""
    folder = tmp_path / "exports"
    (folder / "sub").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", records("a", 3))
    write_jsonl(folder / "sub" / "b.jsonl.gz", records("b", 2), gz=True)
    write_jsonl(folder / "c.jsonl", [chat_record("c-0"), "{not json"])
    return folder


def test_reingesting_the_same_folder_three_times_adds_nothing(spend, db, exports):
    first = ingest_json(spend, exports)
    assert (first["rows_new"], first["rows_read"], first["duplicates"], first["rejects"]) == (6, 7, 0, 1)
    assert sorted(f["status"] for f in first["files"]) == ["read", "read", "read"]
    after_first = snapshot(db)
    for run in (2, 3):
        again = ingest_json(spend, exports)
        assert again["run_id"] == run
        assert (again["rows_new"], again["rows_read"], again["duplicates"], again["rejects"]) == (0, 0, 0, 0)
        assert [f["status"] for f in again["files"]] == ["unchanged"] * 3
    after_third = snapshot(db)
    assert after_third["usage"] == after_first["usage"] and after_third["usage"][0] == 6
    assert after_third["rejects"] == after_first["rejects"] == [(str((exports / "c.jsonl").resolve()), 2, "not JSON")]
    assert after_third["manifest"] == after_first["manifest"]
    assert [run[0] for run in after_third["runs"]] == [1, 2, 3]


def test_the_manifest_records_each_file(spend, db, exports):
    ingest_json(spend, exports)
    manifest = {row[0]: row for row in snapshot(db)["manifest"]}
    assert len(manifest) == 3
    for name, rows_read, rows_new, rejects in (("a.jsonl", 3, 3, 0), ("sub/b.jsonl.gz", 2, 2, 0), ("c.jsonl", 2, 1, 1)):
        path = (exports / name).resolve()
        stat = path.stat()
        digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        row = manifest[str(path)]
        assert row[1:8] == (stat.st_size, stat.st_mtime_ns, digest, "openai-chat", rows_read, rows_new, rejects)
        assert row[8] is not None and row[9] == 1  # when, and by which run


def test_an_unchanged_file_is_skipped_without_being_read(spend, exports, monkeypatch):
    ingest_json(spend, exports)

    def must_not_read(*args, **kwargs):
        raise AssertionError("an unchanged file was opened")

    for name in ("file_hash", "read_sample", "stage_file"):
        monkeypatch.setattr(analyzer.ingest, name, must_not_read)
    again = ingest_json(spend, exports)
    assert [f["status"] for f in again["files"]] == ["unchanged"] * 3


def test_a_touched_but_identical_file_is_recognised_by_its_hash(spend, db, exports, monkeypatch):
    ingest_json(spend, exports)
    path = exports / "a.jsonl"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    hashed = []
    real_hash = analyzer.ingest.file_hash
    monkeypatch.setattr(analyzer.ingest, "file_hash", lambda p, *rest: hashed.append(Path(p).name) or real_hash(p, *rest))
    monkeypatch.setattr(analyzer.ingest, "stage_file", lambda *a: pytest.fail("an identical file was read again"))

    touched = ingest_json(spend, exports)
    assert hashed == ["a.jsonl"]
    assert [f["status"] for f in touched["files"]] == ["unchanged"] * 3 and touched["rows_read"] == 0
    row = [r for r in snapshot(db)["manifest"] if r[0] == str(path.resolve())][0]
    assert row[2] == stat.st_mtime_ns + 5_000_000_000  # the new mtime is remembered ...

    hashed.clear()
    ingest_json(spend, exports)
    assert hashed == []  # ... so the next run skips it on size and mtime alone


def test_an_appended_file_adds_only_its_new_records(spend, db, exports):
    ingest_json(spend, exports)
    path = exports / "a.jsonl"
    with path.open("a", encoding="utf-8") as handle:
        for record in [chat_record("a-3"), chat_record("a-0"), chat_record("a-4")]:
            handle.write(json.dumps(record) + "\n")
        handle.write("{truncated\n")
    appended = ingest_json(spend, exports)
    [entry] = [f for f in appended["files"] if f["status"] == "read"]
    assert (entry["rows_read"], entry["rows_new"], entry["duplicates"], entry["rejects"]) == (7, 2, 4, 1)
    state = snapshot(db)
    assert state["usage"][0] == 8
    row = [r for r in state["manifest"] if r[0] == str(path.resolve())][0]
    assert (row[5], row[6], row[7], row[9]) == (7, 5, 1, 2)  # rows_new adds up over the reads
    assert sum(r[6] for r in state["manifest"]) == state["usage"][0]


def test_a_rewritten_file_is_read_again_and_keeps_only_new_records(spend, db, exports):
    ingest_json(spend, exports)
    shuffled = records("a", 3) + [chat_record("a-new")]
    random.Random(4).shuffle(shuffled)
    write_jsonl(exports / "a.jsonl", shuffled)
    rewritten = ingest_json(spend, exports)
    assert (rewritten["rows_new"], rewritten["rows_read"], rewritten["duplicates"]) == (1, 4, 3)
    assert usage_count(db) == 7


def test_a_file_named_twice_is_read_once(spend, db, exports):
    summary = ingest_json(spend, exports / "a.jsonl", exports, str(exports / "a.jsonl"))
    assert len(summary["files"]) == 3 and summary["rows_new"] == 6
    state = snapshot(db)
    assert state["runs"][0][3:5] == (3, 3)  # files seen, files read
    assert sum(r[6] for r in state["manifest"]) == state["usage"][0] == 6


# ---- idempotent ----------------------------------------------------------------------------

def test_the_same_records_shuffled_under_another_name_add_nothing(spend, db, tmp_path):
    original = records("r", 40)
    write_jsonl(tmp_path / "export-1.jsonl", original)
    assert ingest_json(spend, tmp_path / "export-1.jsonl")["rows_new"] == 40
    shuffled = list(original)
    random.Random(7).shuffle(shuffled)
    (tmp_path / "again").mkdir()
    write_jsonl(tmp_path / "again" / "re-export.jsonl.gz", shuffled, gz=True)
    again = ingest_json(spend, tmp_path / "again")
    assert (again["rows_new"], again["rows_read"], again["duplicates"]) == (0, 40, 40)
    assert usage_count(db) == 40


def test_a_byte_identical_copy_is_recognised_without_reading_it(spend, db, tmp_path, monkeypatch):
    write_jsonl(tmp_path / "a.jsonl", records("r", 5))
    ingest_json(spend, tmp_path / "a.jsonl")
    (tmp_path / "copy.jsonl").write_bytes((tmp_path / "a.jsonl").read_bytes())
    monkeypatch.setattr(analyzer.ingest, "stage_file", lambda *a: pytest.fail("a known content was read again"))
    copy = ingest_json(spend, tmp_path / "copy.jsonl")
    assert [f["status"] for f in copy["files"]] == ["duplicate-file"]
    assert copy["files"][0]["note"] == f"same content as {(tmp_path / 'a.jsonl').resolve()}"
    assert usage_count(db) == 5


def test_a_request_repeated_inside_one_file_is_kept_once(spend, db, tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [chat_record("x"), chat_record("y"), chat_record("x")])
    summary = ingest_json(spend, tmp_path / "a.jsonl")
    assert (summary["rows_new"], summary["duplicates"]) == (2, 1)
    assert spend.sql("SELECT request_id, source_line FROM usage ORDER BY 1") == [
        {"request_id": "x", "source_line": 1}, {"request_id": "y", "source_line": 2}]


def test_usage_has_no_primary_key_or_unique_index(spend, db, tmp_path):
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("x")]))
    with duckdb.connect(str(db), read_only=True) as con:
        constraints = con.execute("SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'usage' "
                                  "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()
        indexes = con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'usage'").fetchall()
    assert constraints == [] and indexes == []


# ---- atomic (in process) -------------------------------------------------------------------

def test_a_run_that_fails_halfway_leaves_the_store_as_it_was(spend, db, tmp_path, monkeypatch):
    write_jsonl(tmp_path / "first.jsonl", records("f", 3) + ["{bad"])
    ingest_json(spend, tmp_path / "first.jsonl")
    before = snapshot(db)
    folder = tmp_path / "next"
    folder.mkdir()
    write_jsonl(folder / "1.jsonl", records("n", 4) + ["{bad"])
    write_jsonl(folder / "2.jsonl", records("m", 4))
    write_jsonl(tmp_path / "first.jsonl", records("f", 4))  # a changed file: its rejects would be replaced

    real_stage = analyzer.ingest.stage_file
    calls = []

    def stage_then_fail(*args):
        calls.append(args[1].name)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real_stage(*args)

    monkeypatch.setattr(analyzer.ingest, "stage_file", stage_then_fail)
    failed = spend("ingest", folder, tmp_path / "first.jsonl")
    assert failed.exit_code == 1 and failed.stderr.startswith("error: RuntimeError: disk on fire")
    assert len(calls) == 3
    assert snapshot(db) == before

    monkeypatch.setattr(analyzer.ingest, "stage_file", real_stage)
    done = ingest_json(spend, folder, tmp_path / "first.jsonl")
    assert (done["rows_new"], done["rejects"]) == (9, 1)
    state = snapshot(db)
    assert state["usage"][0] == 12 and [r[2] for r in state["rejects"]] == ["not JSON"]


# ---- observable: output ----------------------------------------------------------------------

def test_default_output_is_one_line_per_file_read_and_a_summary(spend, exports):
    result = spend.ok("ingest", exports)
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"{(exports / 'a.jsonl').resolve()}: openai-chat: 3 read, 3 new, 0 duplicates, 0 rejected",
        f"{(exports / 'c.jsonl').resolve()}: openai-chat: 2 read, 1 new, 0 duplicates, 1 rejected",
        f"{(exports / 'sub' / 'b.jsonl.gz').resolve()}: openai-chat: 2 read, 2 new, 0 duplicates, 0 rejected",
    ]
    assert lines[3].startswith("ingested 6 new rows from 3 files (0 unchanged skipped, 0 duplicates, 1 rejected) in ")
    assert len(lines) == 4 and result.stderr == ""  # not a TTY: no progress either
    again = spend.ok("ingest", exports)
    assert again.stdout.startswith("ingested 0 new rows from 0 files (3 unchanged skipped, 0 duplicates, 0 rejected)")
    assert again.stdout.count("\n") == 1 and again.stderr == ""


def test_quiet_prints_nothing_on_success_but_still_fails_loudly(spend, exports, tmp_path):
    quiet = spend.ok("ingest", "--quiet", exports)
    assert quiet.stdout == "" and quiet.stderr == ""
    (tmp_path / "odd.jsonl").write_text("just some words\n", encoding="utf-8")
    failed = spend("ingest", "--quiet", exports, tmp_path / "odd.jsonl")
    assert failed.exit_code == 1 and failed.stdout == ""
    assert len(failed.stderr.splitlines()) == 1 and failed.stderr.startswith("error: ")


def test_json_summary_is_machine_readable(spend, exports):
    summary = ingest_json(spend, exports)
    assert set(summary) == {"run_id", "seconds", "rows_new", "rows_read", "duplicates", "rejects", "new_tokens",
                            "new_tokens_priced", "files", "guard_rails_failed", "conflicts", "rows_replaced",
                            "warnings"}
    assert (summary["conflicts"], summary["rows_replaced"], summary["warnings"]) == (0, 0, [])
    assert (summary["run_id"], summary["new_tokens"], summary["new_tokens_priced"]) == (1, 6 * 1100, 0)
    assert summary["guard_rails_failed"] == [] and isinstance(summary["seconds"], float)
    by_name = {Path(f["path"]).name: f for f in summary["files"]}
    assert by_name["c.jsonl"] == {"path": str((exports / "c.jsonl").resolve()), "status": "read",
                                  "format": "openai-chat", "rows_read": 2, "rows_new": 1, "rejects": 1,
                                  "note": "", "duplicates": 0, "conflicts": 0, "rows_replaced": 0,
                                  "changed_while_read": False}


# ---- guard rails -----------------------------------------------------------------------------

@pytest.fixture
def priced_m(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,,,"))
    return spend


def test_fail_under_coverage_exits_1_after_storing_the_rows(priced_m, db, tmp_path):
    # 3 priced requests of 1,100 tokens and 1 unpriced: 75% of the new tokens priced.
    path = write_jsonl(tmp_path / "a.jsonl", records("p", 3) + [chat_record("u", model="unknown-model")])
    result = priced_m("ingest", "--quiet", "--fail-under-coverage", "80", path)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == ("error: only 3,300 of 4,400 new tokens (75.00%) could be priced, under "
                             "--fail-under-coverage 80; the rows are stored (see llm-spend rates unpriced)\n")
    assert usage_count(db) == 4 and len(snapshot(db)["runs"]) == 1

    path = write_jsonl(tmp_path / "b.jsonl", records("q", 3) + [chat_record("v", model="unknown-model")])
    at_the_line = priced_m("ingest", "--fail-under-coverage", "75", path)
    assert at_the_line.exit_code == 0 and at_the_line.stderr == ""
    nothing_new = priced_m("ingest", "--fail-under-coverage", "100", path)
    assert nothing_new.exit_code == 0  # no new tokens: nothing to fall short of


def test_max_reject_rate_exits_1_after_storing_the_good_rows(priced_m, db, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", records("p", 3) + ["{bad"])
    result = priced_m("ingest", "--max-reject-rate", "20", path)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("ingested 3 new rows from 1 files")
    assert result.stderr == ("error: 1 of 4 records read (25.00%) were rejected, over --max-reject-rate 20; "
                             "the good rows are stored (see llm-spend status)\n")
    state = snapshot(db)
    assert state["usage"][0] == 3 and len(state["rejects"]) == 1

    path = write_jsonl(tmp_path / "b.jsonl", records("q", 3) + ["{bad"])
    assert priced_m("ingest", "--max-reject-rate", "25", path).exit_code == 0


def test_both_guard_rails_give_one_line_each(priced_m, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [chat_record("p"), chat_record("u", model="unknown-model"), "{bad"])
    result = priced_m("ingest", "--json", "--fail-under-coverage", "90", "--max-reject-rate", "10", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: only 1,100 of 2,200 new tokens (50.00%) could be priced")
    assert lines[1].startswith("error: 1 of 3 records read (33.33%) were rejected")
    assert json.loads(result.stdout)["guard_rails_failed"] == [line.removeprefix("error: ") for line in lines]


def test_guard_rail_percentages_must_be_between_0_and_100(spend, exports):
    result = spend("ingest", "--fail-under-coverage", "101", exports)
    assert result.exit_code == 2 and "--fail-under-coverage" in result.stderr


# ---- schema upgrades -------------------------------------------------------------------------

PROBE = ("900_probe_upgrade", "CREATE TABLE probe_upgrade (x INTEGER); INSERT INTO probe_upgrade VALUES (42);")


def test_an_older_store_upgrades_itself_on_open(spend, db, tmp_path, monkeypatch):
    real = migrations()
    real_views = analyzer.store.views
    monkeypatch.setattr(analyzer.store, "migrations", lambda: real[:1])
    monkeypatch.setattr(analyzer.store, "views", lambda: [])  # that version's views were in 001
    with analyzer.store.open_store(db):
        pass  # the store as that version created it
    with duckdb.connect(str(db)) as con:  # a card and rows as that version stored them
        con.execute("INSERT INTO rates VALUES ('m', 'serverless', 1.00, 2.00, NULL, NULL, NULL, NULL, 'USD', 2)")
        con.execute("INSERT INTO usage (request_id, ts, model, mode, requests, input_tokens, cached_input_tokens, "
                    "cache_write_tokens, output_tokens, reasoning_tokens) SELECT 'a-' || i, now(), 'm', "
                    "'serverless', 1, 10, 0, 0, 1, 0 FROM range(3) t(i)")
    assert [name for (name,) in snapshot(db)["schema"]] == [real[0][0]]

    # A reader (status, read-only) finds the store older than itself and upgrades it first.
    monkeypatch.setattr(analyzer.store, "views", real_views)
    monkeypatch.setattr(analyzer.store, "migrations", lambda: real + [PROBE])
    status = spend.ok("status", "--format", "json")
    assert json.loads(status.stdout)["schema"] == [name for name, _ in real] + [PROBE[0]]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT x FROM probe_upgrade").fetchall() == [(42,)]
        assert con.execute("SELECT count(*) FROM usage").fetchall() == [(3,)]

    # A writer (ingest) applies what is pending before its run.
    later = ("901_probe_later", "CREATE TABLE probe_later (y INTEGER);")
    monkeypatch.setattr(analyzer.store, "migrations", lambda: real + [PROBE, later])
    spend.ok("ingest", write_jsonl(tmp_path / "b.jsonl", records("b", 2)))
    state = snapshot(db)
    assert [name for (name,) in state["schema"]] == [name for name, _ in real] + [PROBE[0], later[0]]
    assert state["usage"][0] == 5


def test_a_store_from_a_newer_version_is_refused(spend, db, tmp_path):
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", records("a", 3)))
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO schema_migrations VALUES ('999_from_the_future', now())")
    before = snapshot(db)
    expected = (f"error: store {db} was written by a newer llm-spend (schema 999_from_the_future); "
                "upgrade llm-spend to use it\n")
    for args in (["status"], ["ingest", write_jsonl(tmp_path / "b.jsonl", records("b", 2))], ["report"]):
        result = spend(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected), args
    assert snapshot(db) == before  # refused before anything was written; and the file is not left locked


# ---- real processes --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    """BIG_RECORDS chat records (ids big-0 ...), about 80 MB: a run of a second or two here."""
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(BIG_LINE % (i, 1767225600 + i, i % 7) for i in range(BIG_RECORDS))
    return path


def holds_file(pid: int, path: Path) -> bool:
    """True when process `pid` has `path` open (Linux /proc): it has opened, and so locked, the store."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


def wait_for(condition, proc: subprocess.Popen, timeout: float = 60) -> float:
    """Poll until `condition()`; fail if the process ends first. Returns the seconds waited."""
    start = time.monotonic()
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"process ended (rc {proc.returncode}) before the awaited point: {err or out}")
        if time.monotonic() - start > timeout:
            pytest.fail("timed out waiting for the process")
        time.sleep(0.002)
    return time.monotonic() - start


def busy_line(pid: int, db: Path, advice: str = "try later, or pass --wait SECONDS") -> str:
    return f"error: store is busy: another llm-spend process (pid {pid}) holds it ({db}); {advice}\n"


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="watches /proc/PID/fd (Linux)")


def kill_at(db: Path, reached, *args: str) -> float:
    """Start `llm-spend --db DB ingest ARGS`, SIGKILL it once `reached(proc)` holds; seconds it ran."""
    started = time.monotonic()
    proc = llm_spend_process("--db", str(db), "ingest", *args)
    wait_for(lambda: reached(proc), proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run ended before the kill point"
    return round(time.monotonic() - started, 2)


@pytest.mark.slow
@needs_proc
def test_kill_9_mid_ingest_leaves_the_store_as_it_was(db, tmp_path, big_file):
    """SIGKILL while reading a large file, and while its uncommitted rows are being written into
    the database file: the store is exactly as before. Once the commit has begun (WAL file present)
    it is either as before or complete, never partial. The next run then does the whole job."""
    small = write_jsonl(tmp_path / "small.jsonl", records("big", 50) + records("pre", 2) + ["{bad"])
    first = llm_spend_process("--db", str(db), "ingest", "--quiet", str(small))
    assert first.communicate(timeout=60) == ("", "") and first.returncode == 0
    before = snapshot(db)
    assert before["usage"][0] == 52 and len(before["rejects"]) == 1
    twin = tmp_path / "twin.duckdb"  # the same store, for the kill at commit time
    twin.write_bytes(db.read_bytes())
    expected = 52 + BIG_RECORDS - 50  # big-0 .. big-49 are already stored
    figures = {}

    def done(store: Path) -> int:
        started = time.monotonic()
        final = llm_spend_process("--db", str(store), "ingest", "--json", str(big_file), str(small))
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, err
        figures[f"full run ({store.name})"] = round(time.monotonic() - started, 2)
        state = snapshot(store)
        assert state["usage"][:4] == (expected, expected, expected * 1000, expected * 100)
        assert state["rejects"] == before["rejects"]
        assert sum(r[6] for r in state["manifest"]) == expected
        return json.loads(out)["rows_new"]

    size = db.stat().st_size
    figures["reading"] = kill_at(db, lambda p: holds_file(p.pid, db) and time.sleep(0.1) is None, str(big_file), str(small))
    assert snapshot(db) == before
    size = db.stat().st_size
    figures["writing uncommitted rows"] = kill_at(db, lambda p: db.stat().st_size > size, str(big_file), str(small))
    assert snapshot(db) == before
    assert done(db) == BIG_RECORDS - 50

    wal = Path(f"{twin}.wal")
    figures["committing"] = kill_at(twin, lambda p: wal.exists(), str(big_file), str(small))
    after = snapshot(twin)
    if after == before:
        assert done(twin) == BIG_RECORDS - 50
    else:  # the commit had landed before the kill: complete, and the next run finds nothing to do
        figures["committing"] = (figures["committing"], "complete")
        assert done(twin) == 0
    print(f"\nkill -9 figures (seconds from start, {BIG_RECORDS:,} records): {figures}")


@pytest.mark.slow
@needs_proc
def test_two_concurrent_ingests_one_wins_the_other_exits_75(db, tmp_path, big_file):
    small = write_jsonl(tmp_path / "small.jsonl", records("s", 5))
    winner = llm_spend_process("--db", str(db), "ingest", "--json", str(big_file), str(small))
    wait_for(lambda: holds_file(winner.pid, db), winner)
    loser = llm_spend_process("--db", str(db), "ingest", str(big_file), str(small))
    reader = llm_spend_process("--db", str(db), "status")
    loser_out, loser_err = loser.communicate(timeout=60)
    reader_out, reader_err = reader.communicate(timeout=60)
    assert winner.poll() is None, "the loser did not fail at once: the winner had already finished"
    assert (loser.returncode, loser_out, loser_err) == (75, "", busy_line(winner.pid, db))
    assert (reader.returncode, reader_out, reader_err) == (75, "", busy_line(winner.pid, db))

    out, err = winner.communicate(timeout=120)
    assert winner.returncode == 0, err
    assert json.loads(out)["rows_new"] == BIG_RECORDS + 5
    retry = llm_spend_process("--db", str(db), "ingest", "--json", str(big_file), str(small))
    out, err = retry.communicate(timeout=60)
    assert retry.returncode == 0 and json.loads(out)["rows_new"] == 0
    assert snapshot(db)["usage"][:2] == (BIG_RECORDS + 5, BIG_RECORDS + 5)


HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
sys.stdin.readline()
con.close()
print("released", flush=True)
sys.stdin.readline()
"""


def hold_store(db: Path, how: str) -> subprocess.Popen:
    """Another process holding the store (as a report or a DuckDB client does) until told to let go."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), how], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert holder.stdout.readline() == "holding\n"
    return holder


@pytest.mark.slow
@pytest.mark.parametrize("how", ["read", "write"])
def test_ingest_while_another_process_holds_the_store(db, tmp_path, how):
    path = write_jsonl(tmp_path / "a.jsonl", records("a", 3))
    first = write_jsonl(tmp_path / "z.jsonl", [chat_record("z")])
    spend_init = llm_spend_process("--db", str(db), "ingest", "--quiet", str(first))
    assert spend_init.communicate(timeout=60) == ("", "")
    holder = hold_store(db, how)
    try:
        at_once = llm_spend_process("--db", str(db), "ingest", str(path))
        short_wait = llm_spend_process("--db", str(db), "ingest", "--wait", "0.5", str(path))
        started = time.monotonic()
        waiter = llm_spend_process("--db", str(db), "ingest", "--json", "--wait", "30", str(path))
        assert at_once.communicate(timeout=60) == ("", busy_line(holder.pid, db)) and at_once.returncode == 75
        out, err = short_wait.communicate(timeout=60)
        assert (short_wait.returncode, out, err) == (75, "", busy_line(holder.pid, db, "still busy after waiting 0.5s"))

        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        assert waiter.poll() is None  # still waiting for the holder
        holder.stdin.write("let go\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "released\n"
        released = time.monotonic() - started
        out, err = waiter.communicate(timeout=60)
        waited = time.monotonic() - started
        assert waiter.returncode == 0, err
        assert json.loads(out)["rows_new"] == 3 and waited >= released >= 1.0
        assert holder.poll() is None  # the holder's process is still alive: the release was enough
    finally:
        holder.communicate("exit\n", timeout=60)
    assert usage_count(db) == 4


@pytest.mark.slow
def test_reports_open_the_store_read_only(db, tmp_path):
    """While another process holds a read-only connection, every reading command still works
    (DuckDB lets read-only processes share the file; a writer could not get in)."""
    spend_init = llm_spend_process("--db", str(db), "ingest", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", records("a", 3))))
    assert spend_init.communicate(timeout=60) == ("", "")
    holder = hold_store(db, "read")
    try:
        commands = [["status"], ["report", "--format", "csv"], ["sql", "SELECT count(*) AS n FROM usage", "--format", "csv"],
                    ["rates", "list"], ["rates", "unpriced"]]
        procs = [llm_spend_process("--db", str(db), *args) for args in commands]
        results = [(p.communicate(timeout=60), p.returncode) for p in procs]
    finally:
        holder.communicate("let go\nexit\n", timeout=60)
    for args, ((_out, err), code) in zip(commands, results):
        assert (code, err) == (0, ""), (args, err)
    assert results[2][0][0].splitlines() == ["n", "3"]


@pytest.mark.slow
def test_progress_shows_on_a_terminal_only(db, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", records("a", 3))
    write_jsonl(folder / "b.jsonl", records("b", 2))

    piped = llm_spend_process("--db", str(db), "ingest", str(folder))
    out, err = piped.communicate(timeout=60)
    assert piped.returncode == 0 and err == "" and out.splitlines()[-1].startswith("ingested 5 new rows")

    code, out, text = on_a_terminal("--db", tmp_path / "tty.duckdb", "ingest", folder)
    assert code == 0 and out.splitlines()[-1].startswith("ingested 5 new rows")
    assert "[1/2] " in text and "[2/2] " in text
    assert text.endswith("\r\x1b[K")  # erased at the end: the terminal is left clean
