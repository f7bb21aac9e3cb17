"""Nothing lost, nothing counted twice, whatever arrives: the ingest under hostile and careless
input (the manifest, identity, conflicts, re-reading, inputs that must not stop a run, faults).

Each test reproduces one way the store could lose a row, count one twice, or give up on a run.
"""

from __future__ import annotations

import codecs
import json
import os
import signal
import time
from pathlib import Path

import duckdb
import pytest

import analyzer.ingest
from tests.helpers import chat_record, llm_spend_process, write_jsonl

DAY = 86400
T0 = 1767225600  # 2026-01-01


def stored(db: Path, sql: str = "SELECT request_id, input_tokens FROM usage ORDER BY ALL") -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def ingest_json(spend, *args, code: int = 0) -> dict:
    result = spend("ingest", "--json", *map(str, args))
    assert result.exit_code == code, result.output + result.stderr
    return json.loads(result.stdout)


# ---- 1. the manifest records what was read -----------------------------------------------------

def test_a_file_rewritten_while_it_is_read_is_read_again_next_run(spend, db, tmp_path, monkeypatch):
    """The exporter rewrites the file while the run reads it: the run sees 4 of 10 records. The
    file is then complete again (the same content as before the read). The next run must read it
    and add the 6 it missed, not skip it as unchanged."""
    path = tmp_path / "export.jsonl"
    full = [chat_record(f"r{i}", created=T0 + i, metadata={"tenant": "t"}) for i in range(10)]
    write_jsonl(path, full)
    real_stage, real_store = analyzer.ingest.stage_file, analyzer.ingest.Ingest._store

    def stage_mid_rewrite(con, *args, **kwargs):
        write_jsonl(path, full[:4])  # the rewrite has begun: the reader sees only this
        return real_stage(con, *args, **kwargs)

    def store_then_finish_rewrite(self, *args):
        real_store(self, *args)
        time.sleep(0.01)
        write_jsonl(path, full)  # ... and has finished by the end of the run

    monkeypatch.setattr(analyzer.ingest, "stage_file", stage_mid_rewrite)
    monkeypatch.setattr(analyzer.ingest.Ingest, "_store", store_then_finish_rewrite)
    first = ingest_json(spend, path)
    assert first["rows_new"] == 4
    assert first["warnings"] == [f"{path.resolve()} changed while it was read: not recorded as read, "
                                 "the next run reads it again"]
    monkeypatch.setattr(analyzer.ingest, "stage_file", real_stage)
    monkeypatch.setattr(analyzer.ingest.Ingest, "_store", real_store)
    second = ingest_json(spend, path)
    assert (second["rows_new"], second["duplicates"]) == (6, 4)
    assert len(stored(db)) == 10
    third = ingest_json(spend, path)  # now recorded: skipped without reading
    assert third["files"][0]["status"] == "unchanged"


# ---- 2. a truncated one-line JSON export -------------------------------------------------------

def test_a_truncated_one_line_json_export_is_a_failed_file_not_an_empty_csv(spend, db, tmp_path):
    page = {"object": "list", "data": [chat_record(f"p{i}") for i in range(3)]}
    text = json.dumps(page)
    cut = tmp_path / "page.json"
    cut.write_text(text[: len(text) - 40])  # one line, with commas, cut short
    good = write_jsonl(tmp_path / "good.jsonl", [chat_record("g1", metadata={"tenant": "t"})])
    result = spend("ingest", cut, good)
    assert result.exit_code == 1
    assert result.stderr == f"error: {cut.resolve()}: not a valid JSON document\n"
    assert "generic-csv" not in result.stdout
    assert stored(db) == [("g1", 1000)]  # the other file is stored
    assert stored(db, "SELECT source_line, reason FROM rejects") == [(1, "not a valid JSON document")]
    cut.write_text(text)  # the export completed: the next run reads it (the failed file was not recorded)
    assert ingest_json(spend, cut)["rows_new"] == 3


# ---- 3. identity ---------------------------------------------------------------------------------

def test_blank_ids_fall_back_to_the_record_hash(spend, db, tmp_path):
    records = [chat_record("", prompt=1), chat_record("", prompt=2), chat_record("   ", prompt=3),
               chat_record("\t", prompt=4), chat_record("", prompt=1)]  # the last is the first again
    for fast in (True, False):  # the fast path (plain file) and the line reader (a stray CR) alike
        spend.db = db.with_name(f"store-{fast}.duckdb")
        path = write_jsonl(tmp_path / f"blank-{fast}.jsonl", records + ([] if fast else ['{"x": 1}\r']))
        spend("ingest", path)
        rows = stored(spend.db, "SELECT request_id, input_tokens FROM usage ORDER BY input_tokens")
        assert [tokens for _, tokens in rows] == [1, 2, 3, 4]
        assert all(rid.startswith("sha:") for rid, _ in rows)


def test_a_numeric_id_does_not_meet_the_same_digits_from_another_format(spend, db, tmp_path):
    """Row 123 of one tool's export is not row "123" of another's: plain-number ids are scoped
    by the format that read them; within one format the same record still adds nothing."""
    table = tmp_path / "spend.csv"
    table.write_text("request_id,timestamp,model,prompt_tokens,completion_tokens\n"
                     "123,2026-01-01T00:00:00Z,m,10,1\n")
    chat = write_jsonl(tmp_path / "chat.jsonl", [dict(chat_record("x", prompt=20), id=123)])
    same_chat = write_jsonl(tmp_path / "again.jsonl", [dict(chat_record("x", prompt=20), id="123")])
    spend.ok("ingest", table, chat, same_chat)
    assert stored(db, "SELECT request_id, input_tokens FROM usage ORDER BY 1") == [
        ("generic-csv#123", 10), ("openai-chat#123", 20)]


def test_an_old_store_scopes_its_numeric_ids_when_it_upgrades(spend, db, tmp_path):
    from analyzer.sqlfiles import migrations

    with duckdb.connect(str(db)) as con:
        old = [(name, sql) for name, sql in migrations() if name < "004"]
        for _name, sql in old:
            con.execute(sql)
        con.execute("INSERT INTO usage (request_id, ts, model, mode, requests, input_tokens, cached_input_tokens, "
                    "cache_write_tokens, output_tokens, reasoning_tokens, source_file) VALUES "
                    "('123', TIMESTAMPTZ '2026-01-01 00:00:00+00', 'm', 'serverless', 1, 20, 0, 0, 1, 0, '/x.jsonl')")
        con.execute("INSERT INTO ingested_files VALUES ('/x.jsonl', 1, 1, 'sha256:x', 'openai-chat', 1, 1, 0, now(), 1)")
        con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
        con.execute("INSERT INTO schema_migrations SELECT unnest($n), now()",
                    {"n": [name for name, _ in old]})
    again = write_jsonl(tmp_path / "again.jsonl", [dict(chat_record("x", prompt=20), id=123)])
    assert ingest_json(spend, again)["rows_new"] == 0
    assert stored(db) == [("openai-chat#123", 20)]


# ---- 4. exact identity whatever the times, and conflicts ----------------------------------------

def test_the_same_record_delivered_days_apart_is_stored_once(spend, db, tmp_path):
    first = write_jsonl(tmp_path / "monday.jsonl", [chat_record("same", created=T0, metadata={"tenant": "t"})])
    # Friday's export repeats it, with its own log time four days later, among new records.
    later = [chat_record("same", created=T0 + 4 * DAY, metadata={"tenant": "t"})] + [
        chat_record(f"new{i}", created=T0 + 4 * DAY + i, metadata={"tenant": "t"}) for i in range(3)]
    second = write_jsonl(tmp_path / "friday.jsonl", later)
    spend.ok("ingest", first)
    summary = ingest_json(spend, second)
    assert (summary["rows_new"], summary["duplicates"], summary["conflicts"]) == (3, 1, 0)
    assert stored(db, "SELECT count(*), count(DISTINCT request_id) FROM usage") == [(4, 4)]
    assert stored(db, "SELECT count(*) FROM usage_ids") == [(4,)]


def test_an_id_delivered_again_with_other_counts_is_a_conflict_and_the_first_copy_stays(spend, db, tmp_path):
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("dup", prompt=100, metadata={"tenant": "t"})]))
    b = write_jsonl(tmp_path / "b.jsonl", [
        chat_record("dup", prompt=150, metadata={"tenant": "t"}),  # the stored id, other counts
        chat_record("twice", prompt=5, metadata={"tenant": "t"}),
        chat_record("twice", prompt=6, metadata={"tenant": "t"}),  # within the file, other counts
        chat_record("twice", prompt=5, metadata={"tenant": "t"}),  # a plain copy: no conflict
    ])
    result = spend.ok("ingest", b)
    assert f"{b.resolve()}: openai-chat: 4 read, 1 new, 3 duplicates, 0 rejected, 2 conflicts" in result.stdout
    assert "2 conflicts (see table ingest_conflicts)" in result.stdout.splitlines()[-1]
    assert stored(db) == [("dup", 100), ("twice", 5)]
    assert stored(db, "SELECT request_id, source_line, kept, input_tokens FROM ingest_conflicts ORDER BY 2") == [
        ("dup", 1, "stored", 150), ("twice", 3, "earlier line", 6)]
    status = json.loads(spend.ok("status", "--format", "json").stdout)
    assert status["conflicts"] == {"count": 2, "ids": 2, "last_run_id": 2}
    assert "conflicts: 2 copies of 2 stored ids with other token counts" in spend.ok("status").stdout



def test_a_stored_id_repeated_within_the_file_is_compared_with_the_stored_copy(spend, db, tmp_path):
    """Copies of a stored id within one file are all held against the stored copy (their hash is
    in usage_ids), while copies of a new id are held against the first of them only."""
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("dup", prompt=100, metadata={"tenant": "t"})]))
    b = write_jsonl(tmp_path / "b.jsonl", [
        chat_record("dup", prompt=100, metadata={"tenant": "t"}),  # the stored copy again
        chat_record("dup", prompt=150, metadata={"tenant": "t"}),  # the stored id, other counts
        chat_record("new", prompt=7, metadata={"tenant": "t"}),
        chat_record("new", prompt=7, metadata={"tenant": "t"}),  # a plain copy of a new id
    ])
    result = spend.ok("ingest", b)
    assert f"{b.resolve()}: openai-chat: 4 read, 1 new, 3 duplicates, 0 rejected, 1 conflicts" in result.stdout
    assert stored(db) == [("dup", 100), ("new", 7)]
    assert stored(db, "SELECT request_id, source_line, kept, input_tokens FROM ingest_conflicts ORDER BY 2") == [
        ("dup", 2, "stored", 150)]

# ---- 16. correcting a bad ingest -----------------------------------------------------------------

def test_reread_replaces_attribution_and_counts_of_stored_records(spend, db, tmp_path):
    records = [chat_record(f"r{i}", prompt=10 + i, metadata={"customer": f"c{i % 2}"}) for i in range(4)]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    first = spend.ok("ingest", path).stdout
    assert "warning: 4 of 4 new rows have no tenant" in first
    config = tmp_path / "spend.toml"
    config.write_text('[attribution]\ntenant = ["$.metadata.customer"]\n')
    assert '"status": "unchanged"' in spend.ok("ingest", "--json", path, config=config).stdout  # not read again
    records[3]["usage"]["prompt_tokens"] = 99  # the source corrected a count, too
    write_jsonl(path, records)
    spend.db.touch()
    result = spend.ok("ingest", "--reread", path, config=config)
    assert f"{path.resolve()}: openai-chat: 4 read, 0 new, 4 duplicates, 0 rejected, 4 changed" in result.stdout
    assert "4 stored rows changed" in result.stdout.splitlines()[-1]
    assert stored(db, "SELECT request_id, tenant, input_tokens FROM usage ORDER BY 1") == [
        ("r0", "c0", 10), ("r1", "c1", 11), ("r2", "c0", 12), ("r3", "c1", 99)]
    again = json.loads(spend.ok("ingest", "--json", "--reread", path, config=config).stdout)  # nothing differs now
    assert (again["rows_replaced"], again["rows_new"], again["conflicts"]) == (0, 0, 0)
    assert stored(db, "SELECT count(*) FROM usage") == [(4,)]


def test_openrouter_records_are_labelled_openrouter_and_provider_can_be_forced(spend, db, tmp_path):
    openrouter = dict(chat_record("gen-1711234567-AbCdEfGhIjKlMnOp", model="openai/gpt-4o"), provider="OpenAI")
    path = write_jsonl(tmp_path / "or.jsonl", [openrouter, chat_record("chatcmpl-1")])
    spend.ok("ingest", path)
    assert stored(db, "SELECT request_id, provider FROM usage ORDER BY 1") == [
        ("chatcmpl-1", "openai"), ("gen-1711234567-AbCdEfGhIjKlMnOp", "openrouter")]
    other = write_jsonl(tmp_path / "azure.jsonl", [chat_record("chatcmpl-2")])
    spend.ok("ingest", "--provider", "azure", other)
    assert stored(db, "SELECT provider FROM usage WHERE request_id = 'chatcmpl-2'") == [("azure",)]


# ---- one bad input must not stop the run ---------------------------------------------------------

def good_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "good.jsonl", [chat_record(f"ok{i}", metadata={"tenant": "t"}) for i in range(3)])


@pytest.mark.parametrize("name", ["noise.csv", "noise.jsonl"])
def test_random_bytes_are_one_failed_file_and_the_rest_is_stored(spend, db, tmp_path, name):
    noise = tmp_path / name
    noise.write_bytes(bytes(range(256)) * 40 + os.urandom(4000))
    result = spend("ingest", noise, good_file(tmp_path))
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {noise}: format not recognised")
    assert len(stored(db)) == 3


def test_random_bytes_forced_as_csv_are_one_failed_file(spend, db, tmp_path):
    noise = tmp_path / "noise.csv"
    noise.write_bytes(b"a,b,c\n" + bytes(range(256)) * 40)
    result = spend("ingest", "--format", "generic-csv", noise)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {noise.resolve()}: not a readable CSV file: ")
    assert stored(db, "SELECT reason LIKE 'not a readable CSV file: %' FROM rejects") == [(True,)]


def test_json_nested_ten_thousand_deep_is_a_reject(spend, db, tmp_path):
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 10000 + "]" * 10000 + "\n" + json.dumps(chat_record("after", metadata={"tenant": "t"})) + "\n")
    summary = ingest_json(spend, deep, good_file(tmp_path))
    assert summary["rows_new"] == 4 and summary["rejects"] == 1
    assert stored(db, "SELECT source_line, reason FROM rejects") == [(1, "not a JSON object")]


@pytest.mark.parametrize("megabytes, crlf", [(17, False), (17, True), (40, False)])
def test_a_line_over_16_mb_is_a_reject_on_either_path(spend, db, tmp_path, megabytes, crlf):
    """A plain file goes the fast path (DuckDB's read_json stops at its maximum_object_size); a
    stray CR sends it through the Python line splitter. Either way the long line is one reject."""
    big = chat_record("big", metadata={"tenant": "t", "blob": "x" * (megabytes << 20)})
    lines = [chat_record("a", metadata={"tenant": "t"}), big, chat_record("b", metadata={"tenant": "t"})]
    path = write_jsonl(tmp_path / "big.jsonl", lines + (["{\"x\": 1}\r"] if crlf else []))
    summary = ingest_json(spend, path)
    assert summary["rows_new"] == 2
    reasons = stored(db, "SELECT source_line, reason, length(raw) < 2000 FROM rejects ORDER BY 1")
    assert reasons[0] == (2, "line longer than 16 MB", True)


def test_a_line_of_just_under_16_mb_is_read(spend, db, tmp_path):
    big = chat_record("big", metadata={"tenant": "t", "blob": "x" * ((15 << 20))})
    path = write_jsonl(tmp_path / "big.jsonl", [big, chat_record("b", metadata={"tenant": "t"})])
    assert ingest_json(spend, path)["rows_new"] == 2


# ---- 15. inputs the README says are fine -----------------------------------------------------------

def test_iso_created_negative_time_lone_cr_and_tab_lines(spend, db, tmp_path):
    iso = dict(chat_record("iso", metadata={"tenant": "t"}), created="2026-01-02T03:04:05Z")
    negative = chat_record("neg", created=-5, metadata={"tenant": "t"})
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps(iso) + "\n\t\n \t \n" + json.dumps(negative) + "\n")
    summary = ingest_json(spend, path)
    assert (summary["rows_read"], summary["rows_new"], summary["rejects"]) == (2, 1, 1)
    assert stored(db, "SELECT request_id, CAST(ts AS VARCHAR) FROM usage") == [("iso", "2026-01-02 03:04:05+00")]
    assert stored(db, "SELECT source_line, reason FROM rejects") == [(4, "timestamp out of range")]
    cr = tmp_path / "mac.jsonl"
    cr.write_text("\r".join(json.dumps(chat_record(f"cr{i}", metadata={"tenant": "t"})) for i in range(3)) + "\r")
    summary = ingest_json(spend, cr)
    assert (summary["rows_new"], summary["rejects"]) == (3, 0)
    assert stored(db, "SELECT source_line FROM usage WHERE request_id LIKE 'cr%' ORDER BY 1") == [(1,), (2,), (3,)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_files_with_a_byte_order_mark_are_read(spend, db, tmp_path, encoding):
    text = "".join(json.dumps(chat_record(f"u{i}", metadata={"tenant": "t"})) + "\n" for i in range(3))
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path = tmp_path / "export.jsonl"
    path.write_bytes(data)
    summary = ingest_json(spend, path)
    assert (summary["files"][0]["format"], summary["rows_new"], summary["rejects"]) == ("openai-chat", 3, 0)


def test_a_fifo_says_what_it_is(spend, tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    result = spend("ingest", fifo)
    assert result.exit_code == 1
    assert result.stderr == f"error: {fifo}: not a regular file (a named pipe); use - to read standard input\n"


# ---- 13. faults -----------------------------------------------------------------------------------

def test_spill_files_left_by_a_killed_run_are_removed_at_the_next_write_open(spend, db, tmp_path):
    spend.ok("ingest", good_file(tmp_path))
    spill = Path(f"{db}.tmp")
    spill.mkdir(exist_ok=True)
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"\0" * 4096)
    (spill / "duckdb_temp_block-4611686018427388032.block").write_bytes(b"\0" * 4096)
    spend.ok("status")  # a reader leaves them (a writer may be using them)
    assert len(list(spill.iterdir())) == 2
    spend.ok("ingest", good_file(tmp_path))
    assert not spill.exists() or not list(spill.iterdir())


def test_disk_full_names_the_cause_and_the_place(spend, db, tmp_path, monkeypatch):
    """A failed write with ENOSPC (DuckDB's "No space left on device", on COMMIT or a spill)
    becomes one line saying disk full and where; the store stays as it was."""
    import analyzer.store

    real = analyzer.store.transaction

    def failing_commit(con):
        class Wrapped:
            def __getattr__(self, name):
                return getattr(con, name)

            def execute(self, sql, *args):
                if sql == "COMMIT":
                    raise duckdb.IOException(f'IO Error: Could not write file "{db}.wal": No space left on device')
                return con.execute(sql, *args)
        return real(Wrapped())

    monkeypatch.setattr(analyzer.ingest, "transaction", failing_commit)
    result = spend("ingest", good_file(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"error: disk full: cannot write {db}.wal (free some space and run again; nothing was stored)\n"
    monkeypatch.setattr(analyzer.ingest, "transaction", real)
    assert stored(db) == []


def test_ctrl_c_is_one_line_and_exit_130(db, tmp_path):
    path = tmp_path / "big.jsonl"
    with open(path, "w") as handle:
        for i in range(1_000_000):
            handle.write(json.dumps(chat_record(f"c{i}", created=T0 + i, metadata={"tenant": "t"})) + "\n")
    proc = llm_spend_process("--db", str(db), "ingest", str(path))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Path(f"{db}").exists():
        time.sleep(0.05)
    time.sleep(0.1)  # the store is open, the run under way (about 2 s for these records)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert err == "error: interrupted\n"
    # A signal during the first open's migrations leaves the file without its tables (each
    # migration is its own transaction): nothing stored either way.
    if db.exists() and stored(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'usage'") == [(1,)]:
        assert stored(db, "SELECT count(*) FROM usage") == [(0,)]


RANGE = "is out of range: usage times are from 2000-01-01 to 2099-12-31"


def test_out_of_range_periods_and_prices_are_one_clear_line(spend, tmp_path):
    spend.ok("ingest", good_file(tmp_path))
    for args, message in [
        (["report", "--month", "9999-12"], f"error: --month 9999-12 {RANGE}\n"),
        (["report", "--until", "9999-12-31"], f"error: --until 9999-12-31 {RANGE}\n"),
        (["estimate", "--input-price", "1e30", "--output-price", "1", "--input-tokens", "1000", "--output-tokens", "1",
          "--requests", "1"], "error: Invalid value for '--input-price': '1e30' is not below 1,000,000 per 1M tokens "),
    ]:
        result = spend(*args)
        assert result.exit_code == 2 and result.stderr.startswith(message) and result.stderr.count("\n") == 1, args
