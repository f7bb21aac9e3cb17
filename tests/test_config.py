"""The config file is validated whole when it is read: one `error:` line naming the file, the key
and the problem, exit 1, before anything runs (docs/config.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from analyzer.config import SECTIONS, load_config
from tests.helpers import chat_record, write_jsonl


@pytest.fixture
def logs(tmp_path):
    return write_jsonl(tmp_path / "a.jsonl", [chat_record("a", metadata={"tenant": "acme", "t9": "acme"})])


def refused(spend, tmp_path, text: str | bytes, logs) -> str:
    """Ingest with this config: it must fail with exit 1 and one error line, storing nothing."""
    config = tmp_path / "bad.toml"
    config.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    result = spend("ingest", logs, config=config)
    assert result.exit_code == 1, result.output + result.stderr
    assert result.stderr.startswith(f"error: config file {config}: ") and result.stderr.count("\n") == 1, result.stderr
    assert not spend.db.exists()  # refused before the store was opened
    return result.stderr.removeprefix(f"error: config file {config}: ").strip()


@pytest.mark.parametrize("text, message", [
    ("pricing = 5\n", "pricing: must be a table ([pricing]), not an integer (5)"),
    ('attribution = "x"\n', "attribution: must be a table ([attribution]), not a string"),
    ("db = 5\n", "db: must be a string, not an integer (5)"),
    ('db = ""\n', "db: must not be empty"),
    ("store = []\n", "store: must be a table ([store]), not an array"),
    ("[store]\nmemory_limit = 5\n", "store.memory_limit: must be a string, not an integer (5)"),
    ("[attribution]\ntenant = 5\n", "attribution.tenant: must be an array of strings (or one string), not an integer (5)"),
    ('[attribution]\ntenant = ["$.a", true]\n', "attribution.tenant[1]: must be a string, not a boolean (true)"),
    ("[tenant_map.names]\nkey_1 = 7\n", "tenant_map.names.key_1: must be a string, not an integer (7)"),
    ("[tenant_map]\nnames = 5\n", "tenant_map.names: must be a table ([tenant_map.names]), not an integer (5)"),
    ("[columns]\nts = 1.5\n", "columns.ts: must be an array of strings (or one string), not a number (1.5)"),
    ("db = 2026-01-01\n", "db: must be a string, not a date or time"),
])
def test_wrong_types_name_the_key(spend, tmp_path, logs, text, message):
    assert refused(spend, tmp_path, text, logs) == message


@pytest.mark.parametrize("value, message", [
    ("nan", "must be a number between 0 and 1, not nan"),
    ('"NaN"', "must be a number between 0 and 1, not NaN"),
    ("inf", "must be a number between 0 and 1, not inf"),
    ('"-Infinity"', "must be a number between 0 and 1, not -Infinity"),
    ("1.5", "must be between 0 and 1, not 1.5"),
    ('"-0.1"', "must be between 0 and 1, not -0.1"),
    ('"half"', "'half' is not a number"),
    ("true", "must be a number between 0 and 1, not a boolean (true)"),
    ('"0.1234567"', "0.1234567 has more than 6 decimal places"),
])
def test_batch_discount_must_be_a_finite_fraction(spend, tmp_path, logs, value, message):
    assert refused(spend, tmp_path, f"[pricing]\nbatch_discount = {value}\n", logs) == f"pricing.batch_discount: {message}"


@pytest.mark.parametrize("value, expected", [('"0.6"', "0.6"), ("0.6", "0.6"), ("1", "1"), ('"0.123456"', "0.123456"),
                                             ('"0.5000000"', "0.5000000")])
def test_batch_discount_accepted_forms(tmp_path, value, expected):
    config = tmp_path / "c.toml"
    config.write_text(f"[pricing]\nbatch_discount = {value}\n")
    assert load_config(config).batch_discount == Decimal(expected)


def test_misspelt_sections_and_keys_are_refused(spend, tmp_path, logs):
    assert refused(spend, tmp_path, '[atribution]\ntenant = "$.t"\n', logs) == (
        "atribution: unknown section or key (did you mean 'attribution'?); "
        f"known: db, {', '.join(SECTIONS)}")
    assert refused(spend, tmp_path, "[pricing]\nbatch_discout = 0.4\n", logs) == (
        "pricing.batch_discout: unknown key (did you mean 'batch_discount'?); known: batch_discount")
    assert refused(spend, tmp_path, '[attribution]\ntenants = "$.t"\n', logs).startswith(
        "attribution.tenants: unknown key (did you mean 'tenant'?); known: tenant, feature, environment, user_id, project")
    assert refused(spend, tmp_path, '[columns]\ntokens = "n"\n', logs).startswith(
        "columns.tokens: unknown key (did you mean 'input_tokens'?); known: request_id, ts,")
    assert refused(spend, tmp_path, '[tenant_map]\nid = ["$.k"]\n', logs).startswith(
        "tenant_map.id: unknown key (did you mean 'ids'?)")


def test_every_problem_is_listed_on_one_line(spend, tmp_path, logs):
    message = refused(spend, tmp_path, 'db = 5\n[pricing]\nbatch_discount = "2"\n', logs)
    assert message == "db: must be a string, not an integer (5); pricing.batch_discount: must be between 0 and 1, not 2"


@pytest.mark.parametrize("path, problem", [
    ("$.", "JSON path error near '.'"),
    ("$.a.", "JSON path error near '.'"),
    ('$["a"]', "JSON path error near '[\"a\"]'"),
    ("$.a[*]", "Cannot have wildcards in JSON path when supplying multiple paths"),
    ("$..a", "Cannot have wildcards in JSON path when supplying multiple paths"),
])
def test_invalid_json_path_is_refused_when_read(spend, tmp_path, logs, path, problem):
    text = f"[attribution]\nfeature = ['$.metadata.feature', '{path}']\n"
    assert refused(spend, tmp_path, text, logs) == f"attribution.feature: {path!r} is not a JSON path DuckDB can read ({problem})"
    assert refused(spend, tmp_path, f"[tenant_map]\nids = '{path}'\n", logs).startswith(f"tenant_map.ids: {path!r} is not")
    assert refused(spend, tmp_path, f"[columns]\nts = '{path}'\n", logs).startswith(f"columns.ts: {path!r} is not")


def test_empty_path_is_refused(spend, tmp_path, logs):
    assert refused(spend, tmp_path, '[attribution]\ntenant = [" "]\n', logs) == (
        "attribution.tenant: an empty JSON path or column name")


def test_paths_the_config_accepts_are_read_at_ingest(spend, tmp_path):
    """What the check accepts, staging reads: indexes, quoted keys, bare column names."""
    logs = write_jsonl(tmp_path / "a.jsonl", [chat_record("a", metadata={"a b": "acme", "list": ["x", "beta"]})])
    config = tmp_path / "c.toml"
    config.write_text("[attribution]\ntenant = ['$.metadata.\"a b\"']\nfeature = ['$.metadata.list[1]']\n"
                      "environment = 'object'\n")
    spend.ok("ingest", logs, config=config)
    assert spend.sql("SELECT tenant, feature, environment FROM usage") == [
        {"tenant": "acme", "feature": "beta", "environment": "chat.completion"}]


def test_at_most_eight_attribution_paths(spend, tmp_path, logs):
    nine = "[attribution]\ntenant = [" + ", ".join(f'"$.metadata.t{i}"' for i in range(1, 10)) + "]\n"
    assert refused(spend, tmp_path, nine, logs) == "attribution.tenant: at most 8 paths (it has 9)"
    nine_ids = "[tenant_map]\nids = [" + ", ".join(f'"$.k{i}"' for i in range(1, 10)) + "]\n"
    assert refused(spend, tmp_path, nine_ids, logs) == "tenant_map.ids: at most 8 paths (it has 9)"
    config = tmp_path / "c.toml"
    config.write_text("[attribution]\ntenant = [" + ", ".join(f'"$.metadata.t{i}"' for i in range(2, 10)) + "]\n")
    spend.ok("ingest", logs, config=config)
    assert spend.sql("SELECT tenant FROM usage") == [{"tenant": "acme"}]


def test_memory_limit_has_a_floor(spend, tmp_path, logs):
    assert refused(spend, tmp_path, '[store]\nmemory_limit = "1KB"\n', logs) == (
        "store.memory_limit: '1KB' is too small: at least 256MB")
    assert refused(spend, tmp_path, '[store]\nmemory_limit = "255MB"\n', logs).endswith("at least 256MB")
    assert refused(spend, tmp_path, '[store]\nmemory_limit = "lots"\n', logs) == (
        "store.memory_limit: must look like '512MB' or '2GB'")
    good = tmp_path / "good.toml"
    good.write_text('[store]\nmemory_limit = "256MB"\n')
    spend.ok("ingest", "--quiet", logs, config=good)
    assert load_config(good).memory_limit == "256MB"
    good.write_text('[store]\nmemory_limit = "1.5 GiB"\n')
    assert load_config(good).memory_limit == "1.5 GiB"


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-16-be", None), ("utf-32", "UTF-32")])
def test_a_utf16_file_is_named_not_a_traceback(spend, tmp_path, logs, encoding, name):
    text = '[pricing]\nbatch_discount = "0.5"\n'.encode(encoding)
    if name is None:  # no byte order mark: not UTF-8 either
        assert refused(spend, tmp_path, text, logs) == (
            "not UTF-8 text (it holds NUL bytes: UTF-16 or UTF-32?); save it as UTF-8")
    else:
        assert refused(spend, tmp_path, text, logs) == f"the file is {name} text; save it as UTF-8"


def test_latin1_file_is_named(spend, tmp_path, logs):
    text = '# caf\xe9\n[pricing]\nbatch_discount = "0.5"\n'.encode("latin-1")
    assert refused(spend, tmp_path, text, logs) == "not UTF-8 text (byte 5); save it as UTF-8"


def test_utf8_byte_order_mark_is_fine(tmp_path):
    config = tmp_path / "c.toml"
    config.write_bytes(b"\xef\xbb\xbf" + b'[pricing]\nbatch_discount = "0.4"\n')
    assert load_config(config).batch_discount == Decimal("0.4")


def test_bad_toml_and_missing_file(spend, tmp_path, logs):
    assert refused(spend, tmp_path, "[pricing\n", logs).startswith("not valid TOML: ")
    result = spend("ingest", logs, config=tmp_path / "nowhere.toml")
    assert result.exit_code == 1 and result.stderr == f"error: config file not found: {tmp_path / 'nowhere.toml'}\n"
    result = spend("ingest", logs, config=tmp_path)  # a folder
    assert result.exit_code == 1 and result.stderr.startswith(f"error: config file {tmp_path}: ")


def test_tenant_map_file_problems(spend, tmp_path, logs):
    (tmp_path / "t.csv").write_bytes("id,tenant\nk,\xe9\n".encode("latin-1"))
    assert refused(spend, tmp_path, '[tenant_map]\nfile = "t.csv"\n', logs).startswith(
        f"tenant_map.file: {tmp_path / 't.csv'} is not a UTF-8 CSV file")
    (tmp_path / "t.csv").write_text("key,name\nk,acme\n")
    assert refused(spend, tmp_path, '[tenant_map]\nfile = "t.csv"\n', logs) == (
        f"tenant_map.file: {tmp_path / 't.csv'} needs the columns id,tenant")
    assert refused(spend, tmp_path, '[tenant_map]\nfile = "none.csv"\n', logs) == (
        f"tenant_map.file: {tmp_path / 'none.csv'}: No such file or directory")


def test_a_valid_file_keeps_the_config_attributes(tmp_path):
    (tmp_path / "t.csv").write_text("id,tenant\nk1,acme\n")
    config = tmp_path / "c.toml"
    config.write_text('db = "s.duckdb"\n[attribution]\ntenant = ["team", "$.metadata.t"]\n'
                      '[tenant_map]\nfile = "t.csv"\nids = "$.key"\n[tenant_map.names]\nk2 = "globex"\n'
                      '[columns]\nts = "when"\n[pricing]\nbatch_discount = 0.4\n[store]\nmemory_limit = "1GB"\n')
    loaded = load_config(config)
    assert loaded.db == tmp_path / "s.duckdb" and loaded.source == config
    assert loaded.attribution["tenant"] == ('$."team"', "$.metadata.t")
    assert loaded.attribution["feature"] == ("$.metadata.feature", "$.request.metadata.feature")
    assert loaded.configured == frozenset({"tenant"})
    assert loaded.tenant_keys == ("$.key",) and loaded.tenant_names == {"k1": "acme", "k2": "globex"}
    assert loaded.columns["ts"] == ('$."when"',) and loaded.columns["model"] == ("model", "model_name")
    assert (loaded.batch_discount, loaded.memory_limit) == (Decimal("0.4"), "1GB")
    assert loaded.sections["pricing"].batch_discount == Decimal("0.4") and loaded.sections["tenant_map"].ids == ("$.key",)


@pytest.mark.parametrize("text, message", [
    ('[modes]\ndedicate = ["llama-*"]\n', "modes.dedicate: unknown key (did you mean 'dedicated'?); "
                                         "known: serverless, batch, dedicated, gpu_cluster"),
    ('[modes]\ndedicated = 5\n', "modes.dedicated: must be an array of model names or glob patterns (or one string), "
                                 "not an integer (5)"),
    ('[modes]\ndedicated = [""]\n', "modes.dedicated: an empty model name or pattern"),
    ('[modes]\ndedicated = [" llama"]\n', "modes.dedicated: ' llama' has spaces around it"),
    ('[modes]\ndedicated = ["llama-[78b"]\n', "modes.dedicated: 'llama-[78b' is not a glob pattern (a [ without its ], "
                                              "or an empty [])"),
    ('[modes]\ngpu_cluster = ["q", "q"]\n', "modes.gpu_cluster: 'q' is listed twice"),
    ('[modes]\ndedicated = ["llama-*"]\ngpu_cluster = ["llama-*"]\n',
     "modes: 'llama-*' is under both dedicated and gpu_cluster"),
])
def test_modes_section_is_checked(spend, tmp_path, logs, text, message):
    assert refused(spend, tmp_path, text, logs) == message


def test_modes_entries_most_specific_first(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[modes]\ndedicated = ["llama-*", "llama-3-70b"]\ngpu_cluster = "llama-3-*"\nbatch = ["l?ama-3-*"]\n')
    ordered = load_config(config).sections["modes"].ordered()
    assert [(e["pattern"], e["mode"]) for e in ordered] == [
        ("llama-3-70b", "dedicated"), ("l?ama-3-*", "batch"), ("llama-3-*", "gpu_cluster"), ("llama-*", "dedicated")]
