"""Fuzz of the ingest (hypothesis): random bytes, truncations and mutations of the fixture files,
and generated chat JSONL checked against a pure-Python oracle.

In the suite the cases are derandomized (a fixed seed) and few enough to run in seconds; `make
fuzz` runs the same tests with many more (HYPOTHESIS_PROFILE=fuzz). What every case must show:

- the command ends with exit 0 or 1 (1 only when a file as a whole could not be read), every
  line on stderr is one `error: ...` line, and no unexpected exception shows (no traceback, no
  `LLM_SPEND_DEBUG` hint);
- the store holds what was fed. For generated JSONL "what was fed" is exact: the oracle keeps the
  first copy (by line) of each id among the lines that are valid records, and the store must
  hold those rows with exactly their input and output token sums; every other non-blank line is a
  reject. For mutated fixtures (no oracle) it is accounting and idempotence: each file's stored
  rows equal its reported new rows, its rejects its reported rejects, and reading every file
  again (`--reread`) adds nothing and changes no token sum.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import BadInput
from analyzer.files import read_sample
from analyzer.readers import detect_reader
from analyzer.staging import _ExactLines
from tests.helpers import FORMATS, Spend

settings.register_profile("suite", derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", deadline=None, database=None, max_examples=2000,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"


def examples(suite: int, fuzz: int) -> int:
    return fuzz if LONG else suite


FIXTURES = sorted(p for p in FORMATS.iterdir() if p.is_file() and p.suffix in (".json", ".jsonl", ".sse", ".csv", ".psv")
                  and not p.name.endswith(".expected.json"))
SUFFIXES = [".jsonl", ".json", ".csv", ".sse", ".jsonl.gz", ".csv.gz"]


@st.composite
def mutated(draw) -> bytes:
    """A fixture's bytes, truncated, with bytes flipped, inserted or deleted, lines shuffled or
    repeated, re-encoded; or plain random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=3000))
    data = bytearray(draw(st.sampled_from(FIXTURES)).read_bytes())
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "lines", "crlf", "bom"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "truncate":
            del data[at:]
        elif kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from([b"\x00", b"\r", b"\n", b"\t\n", b",", b"{", b"]", b'"', b"\xff\xfe",
                                                b"\x1f", b"[" * 50, b"\xe2\x80\xa8", b"-1", b"1e30"]))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 50))]
        elif kind == "lines":
            lines = bytes(data).split(b"\n")
            lines = draw(st.permutations(lines)) + draw(st.lists(st.sampled_from(lines), max_size=3))
            data = bytearray(b"\n".join(lines))
        elif kind == "crlf":
            data = bytearray(bytes(data).replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"]))))
        else:
            encoding = draw(st.sampled_from(["utf-16", "utf-32", "utf-8-sig"]))
            data = bytearray(bytes(data).decode("utf-8", "replace").encode(encoding))
    return bytes(data)


@settings(max_examples=examples(200, 20000))
@given(data=mutated(), suffix=st.sampled_from(SUFFIXES))
def test_detection_never_raises_anything_but_a_clear_bad_input(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
        sample = read_sample(path)
        try:
            detect_reader(sample, path)
        except BadInput as exc:
            assert "\n" not in str(exc)


@settings(max_examples=examples(1000, 50000))
@given(st.binary(max_size=400), st.sampled_from([None, 5, 40]), st.integers(1, 64))
def test_the_exact_line_splitter_agrees_with_python(data, max_line, chunk):
    """Lines as the exact path numbers them: LF, CRLF and a lone CR end a line (str.splitlines
    on those three only), whatever the chunk boundaries; a line over max_line is marked."""
    lines = _ExactLines(max_line)
    for start in range(0, len(data), chunk):
        lines.feed(data[start:start + chunk])
    lines.finish()
    expected = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if expected and expected[-1] == b"":
        expected.pop()
    assert len(lines.texts) == len(expected)
    for text, raw in zip(lines.texts, expected):
        if max_line is not None and len(raw) > max_line:
            assert text.startswith("\ufffd[llm-spend: line longer than 16 MB]")
        elif text.startswith("\ufffd[llm-spend: not UTF-8]"):
            assert raw.decode("utf-8", "replace") == text[len("\ufffd[llm-spend: not UTF-8]\ufffd"):]
        else:
            assert text == raw.decode("utf-8")
    assert lines.numbers == list(range(1, len(lines.texts) + 1))


def check_clean(result) -> None:
    assert result.exit_code in (0, 1), result.output + result.stderr
    for line in result.stderr.splitlines():
        assert line.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and "LLM_SPEND_DEBUG" not in result.stderr, result.stderr


@settings(max_examples=examples(3, 300))
@given(st.lists(st.tuples(mutated(), st.sampled_from(SUFFIXES)), min_size=1, max_size=6))
def test_mutated_fixtures_end_cleanly_and_the_store_adds_up(files):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        exports = root / "exports"
        exports.mkdir()
        for number, (data, suffix) in enumerate(files):
            (exports / f"f{number}{suffix}").write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
        spend = Spend(root / "store.duckdb")
        result = spend("ingest", "--json", "--default-time", "2026-01-01", exports)
        check_clean(result)
        summary = json.loads(result.stdout)
        assert (result.exit_code == 1) == any(f["status"] == "error" for f in summary["files"])
        if not spend.db.exists():
            return
        with duckdb.connect(str(spend.db), read_only=True) as con:
            for f in summary["files"]:
                rows = con.execute("SELECT count(*) FROM usage WHERE source_file = $f", {"f": f["path"]}).fetchall()[0][0]
                rejects = con.execute("SELECT count(*) FROM rejects WHERE source_file = $f", {"f": f["path"]}).fetchall()[0][0]
                if f["format"] != "openai-costs":
                    assert rows == f["rows_new"], f
                assert rejects == f["rejects"] + (1 if f["status"] == "error" and not f["rejects"] else 0), f
            before = con.execute("SELECT count(*), sum(input_tokens), sum(output_tokens) FROM usage").fetchall()
        again = spend("ingest", "--json", "--reread", "--default-time", "2026-01-01", exports)
        check_clean(again)
        assert json.loads(again.stdout)["rows_new"] == 0
        with duckdb.connect(str(spend.db), read_only=True) as con:
            after = con.execute("SELECT count(*), sum(input_tokens), sum(output_tokens) FROM usage").fetchall()
        # with conflicts (two files disagree on an id's counts) the re-read copy wins: same rows only
        assert after == before if summary["conflicts"] == 0 else after[0][0] == before[0][0]


# ---- generated chat JSONL against an oracle ----------------------------------------------------

record = st.fixed_dictionaries({
    "id": st.sampled_from([f"chatcmpl-{i}" for i in range(12)] + ["", " ", "7"]),
    "created": st.integers(946684800, 4102444799),  # 2000 .. 2099
    "input": st.integers(0, 10**9), "output": st.integers(0, 10**9), "tenant": st.sampled_from(["a", "b", None]),
})
junk = st.one_of(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
                 st.sampled_from([b"{", b"[1, 2]", b'"text"', b"null", b'{"id": "x"}', b"{}" * 3]))
# The first line is a record: a file whose first line is an array or a broken object, and whose
# other lines are mostly not objects, is read as one JSON document (README), not as lines.
line = st.one_of(record, record, record, junk, st.sampled_from([b"", b"\t", b"  \t "]))


def encode(item) -> bytes:
    if isinstance(item, bytes):
        return item
    body = {"id": item["id"], "object": "chat.completion", "created": item["created"], "model": "m",
            "usage": {"prompt_tokens": item["input"], "completion_tokens": item["output"]}}
    if item["tenant"]:
        body["metadata"] = {"tenant": item["tenant"]}
    return json.dumps(body).encode()


def oracle(items: list) -> tuple[int, int, int, int]:
    """(rows, input sum, output sum, rejects) the store must hold for these lines in one file."""
    seen: dict[str, tuple] = {}
    rejects = 0
    for item in items:
        if isinstance(item, bytes):
            rejects += bool(item.strip(b" \t"))
            continue
        key = item["id"].strip() or json.dumps(item, sort_keys=True)  # a blank id: the record itself
        key = f"openai-chat#{key}" if key.isdigit() else key
        seen.setdefault(key, (item["input"], item["output"]))
    return len(seen), sum(i for i, _ in seen.values()), sum(o for _, o in seen.values()), rejects


@settings(max_examples=examples(8, 600))
@given(record, st.lists(line, max_size=40), st.sampled_from([b"\n", b"\r\n", b"\r"]),
       st.sampled_from(["plain", "gzip", "utf-16", "bom"]))
def test_generated_chat_jsonl_is_stored_exactly(first, rest, newline, encoding):
    items = [first, *rest]
    # junk that happens to be a JSON line of its own (e.g. `{}`) is still a reject, never a row
    text = newline.join(encode(i) for i in items) + newline
    if encoding == "gzip":
        text = gzip.compress(text)
    elif encoding == "utf-16":
        text = text.decode("utf-8", "replace").encode("utf-16")
        items = [i.decode("utf-8", "replace").encode() if isinstance(i, bytes) else i for i in items]
    elif encoding == "bom":
        text = b"\xef\xbb\xbf" + text
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chat.jsonl"
        path.write_bytes(text)
        spend = Spend(Path(folder) / "store.duckdb")
        result = spend("ingest", "--json", "--format", "openai-chat", path)
        check_clean(result)
        assert result.exit_code == 0, result.stderr
        rows, inputs, outputs, rejects = oracle(items)
        with duckdb.connect(str(spend.db), read_only=True) as con:
            got = con.execute("SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0) "
                              "FROM usage").fetchall()[0]
            got_rejects = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
        assert got == (rows, inputs, outputs)
        assert got_rejects == rejects
